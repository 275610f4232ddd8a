//! Hardship relief through the CLI: staff, a request, the calculator's proposal, the
//! maker–checker decision, the borrower's acceptance and the loan's requests.

use crate::support::Env;

#[test]
fn sqlite() {
    relief(&Env::sqlite());
}

#[test]
fn postgres() {
    if let Some(env) = Env::postgres() {
        relief(&env);
    }
}

fn relief(env: &Env) {
    env.three_loan_book();
    env.ok(&["staff", "add", "wang", "--role", "hardship-officer"]);
    env.ok(&["staff", "add", "li", "--role", "hardship-officer"]);
    env.ok(&["staff", "add", "zhao", "--role", "supervisor"]);
    env.rejected(&["staff", "add", "zhou", "--role", "boss"], &["role: `boss` is not one of"]);
    let evidence = env.file("payslip.pdf", "%PDF-1.4 (a payslip)");
    let request = [
        "hardship",
        "request",
        "--loan",
        "L1",
        "--reason",
        "illness",
        "--income",
        "4000.00",
        "--expenses",
        "2500.00",
        "--wants",
        "plan",
        "--by",
        "B1",
    ];
    let out = env.ok(&[&request[..], &["--evidence", evidence.to_str().unwrap()]].concat());
    assert!(out.starts_with("hardship request 1 filed on L1: plan wanted (illness)"), "{out}");
    env.rejected(&request, &["loan: L1 already has request 1 (submitted)"]);
    let out = env.ok(&["hardship", "propose", "--request", "1", "--by", "wang"]);
    assert!(out.contains("Your regular payment goes from") && out.contains("每期还款由"), "{out}");
    env.rejected(&["hardship", "approve", "--request", "1", "--by", "wang"], &["another person must approve it"]);
    // L1 owes 10,123.48, above the 10,000.00 an officer may approve.
    env.rejected(&["hardship", "approve", "--request", "1", "--by", "li"], &["above 10000.00", "a supervisor approves it"]);
    env.ok(&["hardship", "approve", "--request", "1", "--by", "zhao"]);
    let out = env.ok(&["hardship", "accept", "--request", "1", "--by", "B1"]);
    assert!(out.contains("the relief is made on the loan"), "{out}");
    let out = env.ok(&["hardship", "show", "--loan", "L1"]);
    assert!(out.contains("request 1 filed 2026-03-21 by B1 (illness): plan wanted, active"), "{out}");
    assert!(out.contains("made on 2026-03-21 after 0 payments: {\"kind\":\"plan\""), "{out}");
    let view = env.json(&["loan", "show", "L1", "--format", "json"]);
    assert_eq!(view["dpd"], 0, "the plan cured the loan");
}

#[test]
fn a_staff_password_is_never_an_argument_and_never_short() {
    let env = Env::sqlite();
    env.three_loan_book();
    env.ok(&["staff", "add", "wang", "--role", "agent"]);
    // Standard input is empty here: no password was given.
    env.rejected(&["staff", "password", "wang", "--by", "admin"], &["password: 12 to 200 characters (0 given)"]);
}
