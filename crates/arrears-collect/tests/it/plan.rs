//! Choosing a product's strategy, filling a message from a loan, and ordering the call queue.

use arrears_collect::{amount_words, call_priority, render, Language, Lender, LoanSnapshot, Strategies, Strategy, Templates};
use arrears_core::{Amount, Bucket, Currency, Rate};
use arrears_policy::Party;

use crate::d;

#[test]
fn each_product_finds_its_strategy_and_the_rest_the_default() {
    let templates = Templates::shipped();
    let all = Strategies::shipped(&templates);
    assert_eq!(all.for_product("US-INST").map(|s| s.id.as_str()), Some("us-default"));
    assert_eq!(all.for_product("CASH").map(|s| s.id.as_str()), Some("default"));
    assert_eq!(all.for_product("ANYTHING").map(|s| s.id.as_str()), Some("default"));
    let days = all.step_days();
    assert!(days.windows(2).all(|w| w[0] < w[1]), "sorted without repeats: {days:?}");
    assert!(days.contains(&-3) && days.contains(&45) && days.contains(&60));
    let us = all.get("us-default").unwrap();
    let first_overdue: Vec<&str> = us.steps.iter().filter(|s| s.day == 1).map(|s| s.template.as_str()).collect();
    assert_eq!(first_overdue, ["validation-notice", "overdue-grace"], "the notice goes with the first overdue message");
    let default = all.get("default").unwrap();
    let to_emergency: Vec<_> = default.steps.iter().filter(|s| s.to == Party::EmergencyContact).collect();
    assert_eq!(to_emergency.len(), 1);
    assert_eq!(to_emergency[0].template, "please-call-back");
}

#[test]
fn overlapping_strategies_are_refused() {
    let templates = Templates::shipped();
    let a = Strategy::shipped(&templates);
    let b = Strategy { id: "other".into(), ..a.clone() };
    assert!(Strategies::new(vec![a.clone(), b]).unwrap_err().contains("serve every product"));
    let c = Strategy { id: "c".into(), products: vec!["CASH".into()], ..a.clone() };
    let e = Strategy { id: "e".into(), products: vec!["CASH".into()], ..a.clone() };
    assert!(Strategies::new(vec![c, e]).unwrap_err().contains("product CASH is named by both"));
}

#[test]
fn a_step_may_not_tell_an_emergency_contact_about_the_debt() {
    let templates = Templates::shipped();
    let text = "id = \"x\"\nversion = \"1\"\n\n[[steps]]\nday = 20\nchannel = \"sms\"\ntemplate = \"overdue-penalty\"\nto = \"emergency-contact\"\n";
    let err = Strategy::from_toml("x.toml", text, &templates).unwrap_err();
    assert_eq!(err.line, 4);
    assert!(err.message.contains("not a re-establish-contact message"), "{err}");
    let third = text.replace("emergency-contact", "third-party").replace("overdue-penalty", "please-call-back");
    assert!(Strategy::from_toml("x.toml", &third, &templates).unwrap_err().message.contains("never a third party"));
    let bad_window = "id = \"x\"\nversion = \"1\"\ncall_from = \"20:00\"\ncall_until = \"09:00\"\n";
    assert!(Strategy::from_toml("x.toml", bad_window, &templates).unwrap_err().message.contains("must be before"));
}

fn snapshot() -> LoanSnapshot<'static> {
    LoanSnapshot {
        loan_no: "L00000042",
        currency: Currency::Cny,
        installment: 3,
        due_date: d("2026-04-15"),
        amount_due: Amount(12_345_678),
        penalty_rate: Rate::from_bp(2700),
        dpd: 12,
        bucket: Bucket::M1,
        risk_band: None,
        segment: None,
    }
}

#[test]
fn a_message_states_the_loans_own_numbers_in_the_borrowers_language() {
    let templates = Templates::shipped();
    let lender = Lender::default();
    let t = templates.get("overdue-penalty").unwrap();
    let zh = render(t, Language::Zh, &lender, "王芳", &snapshot()).unwrap();
    assert!(zh.body.contains("示例银行") && zh.body.contains("王芳") && zh.body.contains("L00000042"));
    assert!(
        zh.body.contains("已逾期12天") && zh.body.contains("应还123,456.78元") && zh.body.contains("年利率27%"),
        "{}",
        zh.body
    );
    assert!(zh.body.contains("2026-04-15") && zh.body.contains("95500"));
    assert!(zh.subject.contains("L00000042"));
    let en = render(t, Language::En, &lender, "Fang Wang", &snapshot()).unwrap();
    assert!(
        en.body.contains("CNY 123,456.78") && en.body.contains("12 days overdue") && en.body.contains("27% a year"),
        "{}",
        en.body
    );
    assert!(en.subject.starts_with("Example Bank:"));
}

#[test]
fn amounts_are_grouped_by_thousands() {
    assert_eq!(amount_words(Amount(5), Currency::Cny, Language::Zh), "0.05");
    assert_eq!(amount_words(Amount(100_000), Currency::Cny, Language::Zh), "1,000.00");
    assert_eq!(amount_words(Amount(99_999), Currency::Usd, Language::En), "USD 999.99");
    assert_eq!(amount_words(Amount(12_345_678_900), Currency::Cny, Language::Zh), "123,456,789.00");
}

#[test]
fn the_call_queue_puts_more_money_more_risk_and_older_debt_first() {
    let base = call_priority(Amount(100_000), 10, None);
    assert!(call_priority(Amount(200_000), 10, None) > base, "more money");
    assert!(call_priority(Amount(100_000), 10, Some("high")) > base, "more risk");
    assert!(call_priority(Amount(100_000), 10, Some("low")) < base, "less risk");
    assert!(call_priority(Amount(100_000), 20, None) > base, "older debt");
    assert_eq!(call_priority(Amount(100_000), 400, None), call_priority(Amount(100_000), 90, None), "capped at 90 days");
    assert_eq!(call_priority(Amount(-5), 10, None), 0);
}
