//! Legal commands: the court fee needs no database; a claim, a case and its steps on a book.

use crate::support::{assert_rejected, ok, run, Env};

#[test]
fn the_court_fee_of_a_claim_by_procedure() {
    assert_eq!(ok(&["legal", "court-fee", "--claim", "50000.00"]), "1050.00\n");
    assert_eq!(ok(&["legal", "court-fee", "--claim", "50000.00", "--procedure", "summary"]), "525.00\n");
    assert_eq!(ok(&["legal", "court-fee", "--claim", "50000.00", "--procedure", "payment-order"]), "350.00\n");
    let args = ["legal", "court-fee", "--claim", "50000.00", "--procedure", "quick"];
    assert_rejected(&run(&args), &args, &["--procedure: `quick` is not ordinary, summary, mediation or payment-order"]);
    let args = ["legal", "court-fee", "--claim", "fifty"];
    assert_rejected(&run(&args), &args, &["claim"]);
}

#[test]
fn a_claim_and_a_case_on_a_book() {
    let env = Env::sqlite();
    env.three_loan_book();
    let out = env.ok(&["legal", "claim", "--loan", "L1", "--format", "json"]);
    let claim: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (claim["loan"].as_str(), claim["as_of"].as_str(), claim["procedure"].as_str()),
        (Some("L1"), Some("2026-03-21"), Some("ordinary"))
    );
    let total = arrears_core::Amount::parse(claim["total"].as_str().unwrap()).unwrap();
    let fee = arrears_core::Amount::parse(claim["court_fee"].as_str().unwrap()).unwrap();
    assert_eq!(fee, arrears_legal::acceptance_fee(total, arrears_legal::Procedure::Ordinary));
    let out = env.ok(&["legal", "case", "open", "--loan", "L1", "--by", "legal-officer"]);
    assert_eq!(out, "case 1 opened on L1\n");
    env.ok(&["legal", "case", "advance", "--case", "1", "--to", "demand-letter", "--by", "legal-officer"]);
    env.rejected(
        &["legal", "case", "advance", "--case", "1", "--to", "filed", "--by", "legal-officer"],
        &["court: a filed case names its court"],
    );
    let out = env.ok(&["legal", "case", "show", "--loan", "L1"]);
    assert!(out.starts_with("case 1 on L1: demand-letter") && out.contains("2026-03-21 candidate"), "{out}");
    let out = env.ok(&["legal", "limitation", "--loan", "L1"]);
    assert!(out.contains("ends on 2030-01-15"), "{out}");

    // The evidence bundle: signed, verified, and refused after a one-byte change.
    let key = env.dir.join("signing.key");
    let out = env.ok(&["legal", "keygen", "--out", key.to_str().unwrap()]);
    let public = out.trim().rsplit(' ').next().unwrap().to_owned();
    assert_eq!(public.len(), 64, "{out}");
    env.rejected(&["legal", "keygen", "--out", key.to_str().unwrap()], &["is never overwritten"]);
    let zip = env.dir.join("L1-evidence.zip");
    let out = env.ok(&["legal", "bundle", "--loan", "L1", "--out", zip.to_str().unwrap(), "--key", key.to_str().unwrap()]);
    assert!(out.contains("9 files with index.pdf"), "{out}");
    let out = env.ok(&["legal", "verify", zip.to_str().unwrap(), "--public-key", &public]);
    assert!(out.contains("genuine; 9 files of loan L1 (2026-03-21)"), "{out}");
    let mut bytes = std::fs::read(&zip).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x20;
    let changed = env.file("L1-changed.zip", "");
    std::fs::write(&changed, &bytes).unwrap();
    env.rejected(&["legal", "verify", changed.to_str().unwrap()], &["L1-changed.zip"]);
    let other = env.dir.join("other.key");
    env.ok(&["legal", "keygen", "--out", other.to_str().unwrap()]);
    let stranger = env.dir.join("L1-other.zip");
    env.ok(&["legal", "bundle", "--loan", "L1", "--out", stranger.to_str().unwrap(), "--key", other.to_str().unwrap()]);
    env.rejected(&["legal", "verify", stranger.to_str().unwrap(), "--public-key", &public], &["not the lender's"]);
}

#[test]
fn a_paid_off_loan_gets_a_settlement_certificate_anyone_can_verify() {
    let env = Env::sqlite();
    env.three_loan_book();
    env.rejected(&["certificate", "issue", "--loan", "L3", "--by", "officer"], &["kind: L3 is not paid off"]);
    let payoff =
        env.json(&["loan", "show", "L3", "--as-of", "2026-03-21", "--format", "json"])["payoff"].as_str().unwrap().to_owned();
    env.ok(&["pay", "--loan", "L3", "--amount", &payoff, "--key", "L3-off"]);
    let out = env.ok(&["certificate", "issue", "--loan", "L3", "--by", "officer"]);
    assert!(out.starts_with("settlement certificate for L3 issued on 2026-03-21; verification code "), "{out}");
    assert!(
        out.contains("was settled in full on 2026-03-21; nothing is owed on it.") && out.contains("已于2026-03-21全部结清"),
        "{out}"
    );
    let code = out.lines().next().unwrap().rsplit(' ').next().unwrap().to_owned();
    let out = env.ok(&["certificate", "verify", &code.to_lowercase()]);
    assert!(out.starts_with("genuine: a settlement certificate issued on 2026-03-21 for loan L3"), "{out}");
    assert!(!out.contains("B3"), "no personal data: {out}");
    let mut forged = code.clone().into_bytes();
    forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    env.rejected(&["certificate", "verify", &forged], &["is not the code of any certificate issued: it is not genuine"]);
    // A repayment certificate for a loan still owing.
    let out = env.ok(&["certificate", "issue", "--loan", "L1", "--kind", "repayment", "--by", "officer"]);
    assert!(out.contains("payments totalling 0.00 CNY were received on loan L1"), "{out}");
}

#[test]
fn letters_and_a_complaint_as_pdf_are_kept_and_bundled() {
    let env = Env::sqlite();
    env.three_loan_book();
    // L1 has paid nothing since 2026-02-15: late on 2026-03-21.
    let letter = env.dir.join("L1-demand.pdf");
    let out = env.ok(&["legal", "letter", "--loan", "L1", "--by", "officer", "--out", letter.to_str().unwrap()]);
    assert!(
        out.starts_with("demand-letter (zh, 1 page) written to ") && out.contains("document-1-demand-letter-zh.pdf"),
        "{out}"
    );
    assert!(std::fs::read(&letter).unwrap().starts_with(b"%PDF-"));
    let pdf = env.dir.join("x.pdf");
    let pdf = pdf.to_str().unwrap();
    env.rejected(
        &["legal", "letter", "--loan", "L1", "--kind", "threat", "--by", "o", "--out", pdf],
        &["--kind: `threat` is not demand or lawyer"],
    );
    env.rejected(
        &["legal", "letter", "--loan", "L1", "--lang", "fr", "--by", "o", "--out", pdf],
        &["--lang: `fr` is not zh or en"],
    );
    env.rejected(&["legal", "letter", "--loan", "L9", "--by", "o", "--out", pdf], &["L9"]);
    env.rejected(
        &["legal", "complaint", "--loan", "L1", "--by", "o", "--out", pdf],
        &["L1 has no open legal case: open one first"],
    );
    assert!(!std::path::Path::new(pdf).exists(), "a refused document writes nothing");
    env.ok(&["legal", "case", "open", "--loan", "L1", "--by", "legal-officer"]);
    let out =
        env.ok(&["legal", "complaint", "--loan", "L1", "--lang", "en", "--procedure", "summary", "--by", "o", "--out", pdf]);
    assert!(out.starts_with("complaint (en, "), "{out}");
    let out = env.ok(&["legal", "documents", "--loan", "L1"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("document-1-demand-letter-zh.pdf") && lines[0].contains("case -"), "{out}");
    assert!(lines[1].starts_with("document-2-complaint-en.pdf") && lines[1].contains("case 1"), "{out}");
    let key = env.dir.join("k");
    env.ok(&["legal", "keygen", "--out", key.to_str().unwrap()]);
    let zip = env.dir.join("b.zip");
    let out = env.ok(&["legal", "bundle", "--loan", "L1", "--out", zip.to_str().unwrap(), "--key", key.to_str().unwrap()]);
    assert!(out.contains("11 files with index.pdf"), "{out}");
}

#[test]
fn a_certificate_as_pdf_with_its_qr_code() {
    let env = Env::sqlite();
    env.three_loan_book();
    let out = env.ok(&["certificate", "issue", "--loan", "L1", "--kind", "repayment", "--by", "officer"]);
    let code = out.lines().next().unwrap().rsplit(' ').next().unwrap().to_owned();
    let pdf = env.dir.join("cert.pdf");
    let out = env.ok(&["certificate", "pdf", &code, "--lang", "en", "--out", pdf.to_str().unwrap()]);
    assert_eq!(out, format!("repayment certificate {code} written to {}\n", pdf.display()));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let url = format!("http://127.0.0.1:8080/verify/{code}");
    let out = env.ok(&["certificate", "verify", &url]);
    assert!(out.starts_with("genuine: a repayment certificate"), "{out}");
    env.rejected(&["certificate", "pdf", "0000-0000-0000-0000", "--out", pdf.to_str().unwrap()], &["certificate"]);
}

#[test]
fn serve_refuses_a_bad_address_and_a_database_it_cannot_open() {
    let args = ["serve", "--listen", "everywhere"];
    assert_rejected(&run(&args), &args, &["--listen: `everywhere` is not an address and port"]);
    let env = Env::sqlite();
    env.rejected(&["serve", "--listen", "127.0.0.1:0"], &["init"]);
}
