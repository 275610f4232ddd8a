//! Legal escalation on the store: the claim as of a date, candidates, a case through its
//! stages with the judgment's late-performance interest, and a time-barred debt that is neither
//! sued nor threatened.

use arrears_app::eod::{self, EodOptions};
use arrears_app::legal::{self, Step};
use arrears_app::service::{self, loan_view};
use arrears_app::{collect, writeoff, AppError};
use arrears_core::{Amount, RepaymentMethod};
use arrears_legal::Procedure;

use crate::story;
use crate::support::{amt, borrower, d, new_loan, open, TestDb};

story!(a_late_loan_is_claimed_sued_judged_and_an_old_one_is_time_barred, |db: &TestDb| {
    let mut store = db.init();
    store.transaction(|tx| tx.set_meta(writeoff::RULE_KEY_CNY, "0")).unwrap();
    open(
        &mut store,
        vec![
            new_loan("L1", "30000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
            new_loan("L2", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
        ],
    );
    eod::run_until(&mut store, d("2026-05-19"), EodOptions::default(), |_, _| ()).unwrap();
    // L2 pays what is due; L1 pays nothing and is 94 days late on 2026-05-20.
    let due = loan_view(&mut store, "L2", Some(d("2026-05-20"))).unwrap().state.due().total();
    service::pay(&mut store, "L2", due, None, "L2-catch-up").unwrap();

    // The claim: everything owed with the interest of the current period to the day.
    let c = legal::claim(&mut store, "L1", None, Procedure::Ordinary).unwrap();
    let view = loan_view(&mut store, "L1", Some(d("2026-05-20"))).unwrap();
    assert_eq!(c.total, view.payoff, "the claim is what would pay the loan off today");
    assert_eq!(c.owed.principal, amt("30000.00"));
    assert!(c.owed.penalty > Amount::ZERO && c.interest_to_date > Amount::ZERO);
    assert_eq!(c.court_fee, arrears_legal::acceptance_fee(c.total, Procedure::Ordinary));
    let summary = legal::claim(&mut store, "L1", None, Procedure::Summary).unwrap();
    assert_eq!(summary.court_fee, Amount((c.court_fee.0 + 1) / 2));
    let err = legal::claim(&mut store, "L1", Some(d("2025-12-31")), Procedure::Ordinary).unwrap_err();
    assert!(err.to_string().starts_with("as_of:"), "{err}");

    // Candidates: L1 is late and owes enough; L2 is current.
    let list = legal::candidates(&mut store).unwrap();
    assert_eq!(list.iter().map(|c| c.loan_no.as_str()).collect::<Vec<_>>(), ["L1"]);
    assert!(list[0].reasons[0].starts_with("94 days past due"), "{:?}", list[0].reasons);

    // A case through its stages.
    let id = legal::open_case(&mut store, "L1", "legal-officer", "M4, no answer to calls").unwrap();
    assert!(legal::open_case(&mut store, "L1", "legal-officer", "").unwrap_err().to_string().contains("already has case"));
    assert!(legal::candidates(&mut store).unwrap().is_empty(), "a loan with an open case is no longer a candidate");
    let err = legal::advance(&mut store, id, "judgment", &Step::default(), "legal-officer").unwrap_err();
    assert!(err.to_string().contains("was never filed with a court"), "{err}");
    legal::advance(&mut store, id, "demand-letter", &Step::default(), "legal-officer").unwrap();
    let err = legal::advance(&mut store, id, "filed", &Step::default(), "legal-officer").unwrap_err();
    assert!(matches!(err, AppError::Invalid { field: "court", .. }), "{err}");
    let filing = Step { court: Some("北京互联网法院"), case_no: Some("(2026)京0491民初1234号"), ..Step::default() };
    legal::advance(&mut store, id, "filed", &filing, "legal-officer").unwrap();
    let err = legal::advance(&mut store, id, "demand-letter", &Step::default(), "legal-officer").unwrap_err();
    assert!(err.to_string().contains("a case only moves forward"), "{err}");
    let judgment = Step { judgment_amount: Some(amt("33000.00")), perform_by: Some(d("2026-05-25")), ..Step::default() };
    legal::advance(&mut store, id, "judgment", &judgment, "legal-officer").unwrap();
    // Thirty days after the deadline, unpaid: 33,000.00 × 0.0175% × 30 = 173.25.
    let later = legal::claim(&mut store, "L1", Some(d("2026-06-24")), Procedure::Ordinary).unwrap();
    assert_eq!(later.late_performance_interest, amt("173.25"));
    let err = legal::advance(&mut store, id, "enforcement", &Step::default(), "legal-officer");
    assert!(err.is_ok(), "a judgment can be enforced: {err:?}");
    let (case, steps) = legal::cases(&mut store, "L1").unwrap().remove(0);
    assert_eq!((case.stage.as_str(), case.court.as_deref()), ("enforcement", Some("北京互联网法院")));
    assert_eq!(
        steps.iter().map(|s| s.stage.as_str()).collect::<Vec<_>>(),
        ["candidate", "demand-letter", "filed", "judgment", "enforcement"]
    );
    // The suit started the limitation period again.
    let lim = legal::limitation(&mut store, "L1").unwrap();
    assert_eq!((lim.runs_from, lim.restarted), (d("2026-07-15"), false), "the last installment falls due after the filing");

    // A loan whose last installment fell due in 2022, brought onto the book now: time-barred.
    let mut old = new_loan("OLD", "5000.00", "18", 6, RepaymentMethod::Annuity, "2022-01-15");
    old.borrower_id = "B9".into();
    open(&mut store, vec![old]);
    store.transaction(|tx| tx.upsert_borrowers(&[borrower("B9")])).unwrap();
    eod::run_until(&mut store, d("2026-05-20"), EodOptions::default(), |_, _| ()).unwrap();
    let lim = legal::limitation(&mut store, "OLD").unwrap();
    assert_eq!((lim.expires, lim.time_barred), (d("2025-07-15"), true));
    assert!(legal::candidates(&mut store).unwrap().iter().all(|c| c.loan_no != "OLD"), "never a candidate");
    let err = legal::open_case(&mut store, "OLD", "legal-officer", "").unwrap_err();
    assert!(err.to_string().contains("ran out on 2025-07-15: a time-barred debt is not sued"), "{err}");
    // The batch marked it, and the policy packs see it.
    let seq = store.read(|tx| tx.loan("OLD")).unwrap().unwrap().seq;
    let flags = store.read(|tx| tx.collection_flags(&[seq])).unwrap().remove(&seq).unwrap();
    assert_eq!(flags.time_barred_since, Some(d("2025-07-15")), "the day it ran out");
    assert!(collect::loan_flags(Some(&flags), &borrower("B9"), d("2026-05-21")).time_barred);
});
