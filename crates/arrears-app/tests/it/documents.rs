//! The documents of a loan (issue "done means"): a loan rolled to M4 becomes a case, gets a
//! demand letter, a lawyer's letter and a complaint draft whose figures are its claim, a claim
//! that reconciles to its ledger, and a bundle that verifies (its index listing every file) and
//! fails verification after a one-byte change; a paid-off loan gets a settlement certificate
//! PDF whose text and QR code verify. A time-barred debt's letter says nothing of courts.

use arrears_app::documents::{self, LetterKind};
use arrears_app::eod::{self, EodOptions};
use arrears_app::service::{self, loan_view};
use arrears_app::{certificates, evidence, legal, writeoff};
use arrears_collect::Lender;
use arrears_core::{ledger, Bucket, RepaymentMethod};
use arrears_docs::Lang;
use arrears_legal::{bundle, Procedure};

use crate::story;
use crate::support::{borrower, d, new_loan, open, TestDb};

#[path = "../../../arrears-docs/tests/it/poppler.rs"]
mod poppler;

/// The text of a PDF without whitespace, so that line breaks do not split what is sought.
fn text(pdf: &[u8]) -> Option<String> {
    poppler::text(pdf).map(|t| t.split_whitespace().collect())
}

story!(a_loan_at_m4_goes_to_court_with_its_papers_and_a_paid_off_loan_gets_a_certificate, |db: &TestDb| {
    let mut store = db.init();
    store.transaction(|tx| tx.set_meta(writeoff::RULE_KEY_CNY, "0")).unwrap();
    let lender = Lender::default();
    open(
        &mut store,
        vec![
            new_loan("L1", "30000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
            new_loan("L2", "3000.00", "12", 3, RepaymentMethod::Annuity, "2026-01-15"),
        ],
    );
    store.transaction(|tx| tx.upsert_borrowers(&[borrower("B-L1"), borrower("B-L2")])).unwrap();
    eod::run_until(&mut store, d("2026-05-19"), EodOptions::default(), |_, _| ()).unwrap();
    let view = loan_view(&mut store, "L1", None).unwrap();
    assert_eq!(view.state.bucket, Bucket::M4, "L1 has paid nothing: 94 days late on 2026-05-19");

    // No letter for a loan that is not late.
    let payoff = loan_view(&mut store, "L2", Some(d("2026-05-20"))).unwrap().payoff;
    service::pay(&mut store, "L2", payoff, None, "L2-off").unwrap();
    let err = documents::letter(&mut store, &lender, "L2", LetterKind::Demand, None, 15, "officer").unwrap_err();
    assert!(err.to_string().contains("L2 is not past due on 2026-05-20: no letter is made"), "{err}");

    // The claim reconciles to the ledger: what the books hold, plus interest to the day.
    let c = legal::claim(&mut store, "L1", Some(view.state.as_of), Procedure::Ordinary).unwrap();
    let entries: Vec<ledger::Entry> = view.ledger.iter().map(|e| e.entry.clone()).collect();
    let books = ledger::receivables(&ledger::balances(&entries));
    let mut claimed = c.owed;
    claimed.interest -= c.interest_to_date;
    assert_eq!(claimed, books, "the claim is the ledger's receivables, component by component");
    assert_eq!(c.total, books.total() + c.interest_to_date);

    // A case, and its papers on the open day.
    let case = legal::open_case(&mut store, "L1", "legal-officer", "M4").unwrap();
    legal::advance(&mut store, case, "demand-letter", &legal::Step::default(), "legal-officer").unwrap();
    let today = legal::claim(&mut store, "L1", None, Procedure::Ordinary).unwrap();
    let letter = documents::letter(&mut store, &lender, "L1", LetterKind::Demand, None, 15, "legal-officer").unwrap();
    assert_eq!(
        (letter.kind, letter.lang, letter.file_name()),
        ("demand-letter", Lang::Zh, "document-1-demand-letter-zh.pdf".into())
    );
    if let Some(t) = text(&letter.pdf) {
        for wanted in
            ["催收函", "尊敬的王芳", "L1", &today.owed.principal.grouped(), &today.total.grouped(), "2026-06-04", "人民法院"]
        {
            assert!(t.contains(wanted), "`{wanted}` not in the demand letter:\n{t}");
        }
        assert!(t.contains(&arrears_docs::yuan_in_words(today.total)), "{t}");
    }
    let english = documents::letter(&mut store, &lender, "L1", LetterKind::Lawyer, Some(Lang::En), 7, "legal-officer").unwrap();
    if let Some(t) = text(&english.pdf) {
        assert!(t.contains("Lawyer'sLetter(draft)") && t.contains(&today.total.grouped()), "{t}");
    }
    let complaint = documents::complaint(&mut store, &lender, "L1", None, Procedure::Summary, "legal-officer").unwrap();
    let summary = legal::claim(&mut store, "L1", None, Procedure::Summary).unwrap();
    if let Some(t) = text(&complaint.pdf) {
        for wanted in [
            "民事起诉状（草稿）",
            "示例银行",
            "王芳",
            "13812345678",
            "简易程序",
            &summary.court_fee.grouped(),
            &summary.total.grouped(),
            "年利率18%",
        ] {
            assert!(t.contains(wanted), "`{wanted}` not in the complaint:\n{t}");
        }
    }
    let kept = documents::kept(&mut store, "L1", false).unwrap();
    assert_eq!(
        kept.iter().map(|(name, d)| (name.as_str(), d.case_id)).collect::<Vec<_>>(),
        [
            ("document-1-demand-letter-zh.pdf", Some(case)),
            ("document-2-lawyers-letter-en.pdf", Some(case)),
            ("document-3-complaint-zh.pdf", Some(case)),
        ]
    );
    assert_eq!(kept[0].1.sha256, letter.sha256);

    // The bundle carries the papers as made, and an index of every file with its digest.
    let key = bundle::new_key().unwrap();
    let public = bundle::public_key(&key).unwrap();
    let (as_of, files) = evidence::files(&mut store, &lender, "L1", None, &public).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names.ends_with(&[
            "document-1-demand-letter-zh.pdf",
            "document-2-lawyers-letter-en.pdf",
            "document-3-complaint-zh.pdf",
            "index.pdf"
        ]),
        "{names:?}"
    );
    assert_eq!(files[names.len() - 4].bytes, letter.pdf, "the letter as it was made");
    let zip = bundle::pack("L1", as_of, &files, &key).unwrap();
    let manifest = bundle::verify(&zip, Some(&public)).unwrap();
    assert_eq!(manifest.files.len(), files.len());
    if let Some(t) = text(&files.last().unwrap().bytes) {
        for f in &files[..files.len() - 1] {
            assert!(t.contains(&f.name) && t.contains(&bundle::sha256(&f.bytes)), "{} not in the index:\n{t}", f.name);
        }
        assert!(t.contains(&public));
    }
    let mut changed = zip.clone();
    changed[zip.len() / 2] ^= 1;
    assert!(bundle::verify(&changed, Some(&public)).is_err(), "a one-byte change fails verification");

    // The paid-off loan's settlement certificate: its text and its QR code verify.
    let cert = certificates::issue(&mut store, "L2", "settlement", "officer").unwrap();
    let (_, pdf) = documents::certificate(&mut store, &lender, &cert.code, None, "https://loans.example.cn/verify/").unwrap();
    if let Some(t) = text(&pdf.bytes) {
        assert!(t.contains("结清证明") && t.contains(&cert.code) && t.contains("L2") && t.contains("王芳"), "{t}");
    }
    if let Some((w, h, pixels)) = poppler::page_grey(&pdf.bytes, 1, 150) {
        let codes = poppler::qr_codes(w, h, &pixels);
        assert_eq!(codes, vec![format!("https://loans.example.cn/verify/{}", cert.code)]);
        let found = certificates::verify(&mut store, &codes[0]).unwrap().expect("the QR code's address verifies");
        assert_eq!((found.kind.as_str(), found.statement.loan.as_str()), ("settlement", "L2"));
    }
    let err = documents::certificate(&mut store, &lender, "0000-0000-0000-0000", None, "x").unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
});

story!(a_time_barred_debt_gets_a_demand_without_courts_and_no_papers_for_court, |db: &TestDb| {
    let mut store = db.init();
    let lender = Lender::default();
    let mut old = new_loan("OLD", "5000.00", "18", 6, RepaymentMethod::Annuity, "2022-01-15");
    old.borrower_id = "B9".into();
    open(&mut store, vec![old]);
    store.transaction(|tx| tx.set_meta(writeoff::RULE_KEY_CNY, "0")).unwrap();
    store.transaction(|tx| tx.upsert_borrowers(&[borrower("B9")])).unwrap();
    eod::run_until(&mut store, d("2026-05-20"), EodOptions::default(), |_, _| ()).unwrap();
    assert!(legal::limitation(&mut store, "OLD").unwrap().time_barred);
    let err = documents::letter(&mut store, &lender, "OLD", LetterKind::Lawyer, None, 15, "officer").unwrap_err();
    assert!(err.to_string().contains("time-barred"), "{err}");
    let err = documents::complaint(&mut store, &lender, "OLD", None, Procedure::Ordinary, "officer").unwrap_err();
    assert!(err.to_string().contains("no open legal case"), "{err}");
    let letter = documents::letter(&mut store, &lender, "OLD", LetterKind::Demand, Some(Lang::En), 15, "officer").unwrap();
    if let Some(t) = poppler::text(&letter.pdf) {
        assert!(t.contains("Demand for Payment") && !t.contains("法院") && !t.to_lowercase().contains("court"), "{t}");
    }
    let err = documents::letter(&mut store, &lender, "OLD", LetterKind::Demand, None, 0, "officer").unwrap_err();
    assert!(err.to_string().starts_with("pay_within:"), "{err}");
});
