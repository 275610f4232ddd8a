//! Write-off on the store: by the batch's rule and by decision, the register, recoveries and
//! their reversal, what can no longer be changed, and what the bureau and the regulator see.

use arrears_app::eod::{self, EodOptions};
use arrears_app::service::{self, loan_view};
use arrears_app::{bureau, regulator, writeoff, AppError};
use arrears_bureau::MonthCode;
use arrears_core::ledger::EntryKind;
use arrears_core::{Amount, Bucket, Classification, LoanError, LoanStatus, RepaymentMethod};

use crate::story;
use crate::support::{amt, assert_ledger_matches, close_with_month_ends, d, new_loan, open, TestDb};

story!(loans_are_written_off_by_rule_and_by_decision_and_recovered, |db: &TestDb| {
    let mut store = db.init();
    // L1 never pays; L2 pays its first installment and nothing more; L3 pays as agreed and
    // then pays off.
    open(
        &mut store,
        vec![
            new_loan("L1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
            new_loan("L2", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
            new_loan("L3", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
            new_loan("L4", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
        ],
    );
    // A new book starts with the rule on.
    let rule = store.read(writeoff::WriteOffRule::load).unwrap();
    assert_eq!((rule.cny, rule.usd), (Some(180), Some(120)));
    close_with_month_ends(&mut store, "2026-02-14");
    let first = loan_view(&mut store, "L2", Some(d("2026-02-15"))).unwrap().state.due().total();
    for loan in ["L2", "L3"] {
        service::pay(&mut store, loan, first, Some(d("2026-02-15")), &format!("{loan}-feb")).unwrap();
    }
    close_with_month_ends(&mut store, "2026-03-14");
    service::pay(&mut store, "L3", first, Some(d("2026-03-15")), "L3-mar").unwrap();

    // Refused: no reason, the maker approving, an approver who is not a supervisor, a loan not
    // in arrears. Nothing changes.
    for (name, role) in [("lee", "legal-officer"), ("kim", "supervisor"), ("ann", "agent")] {
        arrears_app::hardship::add_staff(&mut store, name, role).unwrap();
    }
    let err = writeoff::decide(&mut store, "L2", "  ", "lee", "kim").unwrap_err();
    assert!(err.to_string().starts_with("reason:"), "{err}");
    let err = writeoff::decide(&mut store, "L2", "no assets", "lee", "lee").unwrap_err();
    assert!(err.to_string().contains("another person approves it"), "{err}");
    let err = writeoff::decide(&mut store, "L2", "no assets", "lee", "ann").unwrap_err();
    assert!(err.to_string().contains("ann is agent; a supervisor or admin approves"), "{err}");
    let l3 = loan_view(&mut store, "L3", None).unwrap().record;
    let err = writeoff::decide(&mut store, "L3", "fraud", "lee", "kim").unwrap_err();
    assert!(matches!(err, AppError::Loan(LoanError::NotOverdue(_))), "{err}");
    assert_eq!(loan_view(&mut store, "L3", None).unwrap().record.version, l3.version);
    assert!(writeoff::register(&mut store, d("2026-01-01"), d("2026-12-31")).unwrap().is_empty());

    close_with_month_ends(&mut store, "2026-05-19");
    // L3 is paid off on the open day; L2 is not.
    let payoff = loan_view(&mut store, "L3", Some(d("2026-05-20"))).unwrap().payoff;
    service::pay(&mut store, "L3", payoff, None, "L3-payoff").unwrap();

    // L2 by decision on the open day, 2026-05-20: its March installment is 66 days late.
    let decided = writeoff::decide(&mut store, "L2", "borrower deceased; estate has no assets", "lee", "kim").unwrap();
    assert_eq!((decided.date, decided.dpd), (d("2026-05-20"), 66));
    let l2 = loan_view(&mut store, "L2", None).unwrap();
    assert_eq!(
        (l2.state.status, l2.state.bucket, l2.state.class),
        (LoanStatus::WrittenOff, Bucket::WrittenOff, Classification::Loss)
    );
    assert_eq!(l2.state.outstanding(), decided.amount, "the claim is kept whole");
    assert_eq!(l2.payoff, decided.amount.total());
    let kinds: Vec<EntryKind> = l2.ledger.iter().map(|e| e.entry.kind).collect();
    assert_eq!(kinds.last(), Some(&EntryKind::WriteOff));
    let err = writeoff::decide(&mut store, "L2", "again", "lee", "kim").unwrap_err();
    assert!(matches!(err, AppError::Loan(LoanError::NotWritable(LoanStatus::WrittenOff))), "{err}");

    // The batch leaves L2 alone; L1 is written off by the rule the day it is 181 days late.
    close_with_month_ends(&mut store, "2026-08-14");
    let l2_later = loan_view(&mut store, "L2", None).unwrap();
    assert_eq!(l2_later.record.version, l2.record.version, "nothing accrues on a written-off loan");
    assert_eq!(loan_view(&mut store, "L1", None).unwrap().state.status, LoanStatus::Active);
    // L4 pays a little on the day it passes 180 days, so the batch has no event of its own to
    // advance it for; the rule still catches it that day.
    service::pay(&mut store, "L4", amt("1.00"), None, "L4-token").unwrap();
    close_with_month_ends(&mut store, "2026-08-15");
    let l1 = loan_view(&mut store, "L1", None).unwrap();
    assert_eq!((l1.state.status, l1.state.dpd), (LoanStatus::WrittenOff, 181));
    let register = writeoff::register(&mut store, d("2026-01-01"), d("2026-12-31")).unwrap();
    let summary: Vec<(&str, String, &str, &str)> = register
        .iter()
        .map(|w| (w.loan_no.as_str(), w.written_off_on.to_string(), w.basis.as_str(), w.reason.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("L2", "2026-05-20".to_owned(), "decision", "borrower deceased; estate has no assets"),
            ("L1", "2026-08-15".to_owned(), "rule", "rule: more than 180 days past due"),
            ("L4", "2026-08-15".to_owned(), "rule", "rule: more than 180 days past due"),
        ]
    );
    let l4 = loan_view(&mut store, "L4", None).unwrap().state;
    assert_eq!(l4.written_off.map(|w| (w.after_payments, w.dpd)), Some((1, 181)));
    assert_eq!(register[1].amount, l1.state.outstanding());
    assert_eq!((register[1].decided_by.as_str(), register[1].approved_by.as_deref()), ("system", None));
    assert_eq!((register[0].decided_by.as_str(), register[0].approved_by.as_deref()), ("lee", Some("kim")));

    // A payment received on 2026-05-19, the day before the write-off, posted late: it goes in
    // before the write-off, which now writes off less, and the register records the amendment.
    let late = service::pay(&mut store, "L2", amt("100.00"), Some(d("2026-05-19")), "late").unwrap();
    let view = loan_view(&mut store, "L2", None).unwrap();
    let amended = view.state.written_off.unwrap();
    assert_eq!((amended.date, amended.after_payments), (d("2026-05-20"), 2));
    // Less by the 100.00, and by the penalty it saved on 2026-05-20.
    let saved = decided.amount.total() - amt("100.00") - amended.amount.total();
    assert!(saved > Amount::ZERO && saved < amt("0.10"), "{saved}");
    let row = writeoff::register(&mut store, d("2026-05-20"), d("2026-05-20")).unwrap().remove(0);
    assert_eq!((row.amount, row.amendments), (amended.amount, 1));
    assert_ledger_matches(&mut store);
    // It bounced: reversed, the write-off is what it was.
    service::reverse(&mut store, late.payment_id, "late-bounced").unwrap();
    let restored = loan_view(&mut store, "L2", None).unwrap().state.written_off.unwrap();
    assert_eq!((restored.amount, restored.after_payments), (decided.amount, 1));
    assert_eq!(writeoff::register(&mut store, d("2026-05-20"), d("2026-05-20")).unwrap()[0].amendments, 2);
    assert_ledger_matches(&mut store);
    // A late-posted payment that would have cleared the arrears before the write-off day is
    // refused: a write-off is not taken back.
    let clears = loan_view(&mut store, "L2", Some(d("2026-05-19"))).unwrap().state.due().total();
    let err = service::pay(&mut store, "L2", clears, Some(d("2026-05-19")), "clears").unwrap_err();
    assert!(err.to_string().contains("would leave nothing past due on the loan's write-off day 2026-05-20"), "{err}");
    // Recoveries, and a recovery reversed.
    let part = service::pay(&mut store, "L2", amt("1000.00"), None, "L2-rec-1").unwrap();
    let view = loan_view(&mut store, "L2", None).unwrap();
    assert_eq!(view.ledger.last().unwrap().entry.kind, EntryKind::Recovery);
    assert_eq!(view.payoff, decided.amount.total() - amt("1000.00"));
    service::reverse(&mut store, part.payment_id, "undo-rec-1").unwrap();
    assert_eq!(loan_view(&mut store, "L2", None).unwrap().payoff, decided.amount.total(), "the recovery taken back");
    let rest = decided.amount.total();
    let full = service::pay(&mut store, "L2", rest, None, "L2-rec-all").unwrap();
    assert!(full.allocation.paid_off);
    let l2 = loan_view(&mut store, "L2", None).unwrap();
    assert_eq!((l2.state.status, l2.state.bucket), (LoanStatus::PaidOff, Bucket::WrittenOff));
    assert_eq!(l2.state.closed_on, Some(d("2026-08-16")));
    // The view on an earlier date replays the write-off in its place.
    assert_eq!(loan_view(&mut store, "L2", Some(d("2026-05-19"))).unwrap().state.status, LoanStatus::Active);
    assert_eq!(loan_view(&mut store, "L2", Some(d("2026-06-30"))).unwrap().state.status, LoanStatus::WrittenOff);
    assert_ledger_matches(&mut store);

    // The month-end record: B while written off and owing, C the month it was recovered.
    close_with_month_ends(&mut store, "2026-08-31");
    let l1_history = bureau::history(&mut store, "L1").unwrap();
    let code_of = |h: &bureau::CreditHistory, m: &str| h.months.iter().find(|(k, _)| k == m).map(|(_, c)| *c);
    assert_eq!(code_of(&l1_history, "2026-07"), Some(MonthCode::Overdue(6)));
    assert_eq!(code_of(&l1_history, "2026-08"), Some(MonthCode::BadDebt));
    let l2_history = bureau::history(&mut store, "L2").unwrap();
    assert_eq!(code_of(&l2_history, "2026-05"), Some(MonthCode::BadDebt));
    assert_eq!(code_of(&l2_history, "2026-08"), Some(MonthCode::Settled));
    let mark = l2_history.marks.last().unwrap();
    assert_eq!((mark.worst, mark.ended.as_deref(), mark.ages_out.as_deref()), ('B', Some("2026-08"), Some("2031-08")));

    // The regulator's month: L1 and L4 written off in August (off the books: a bucket, no
    // class; L2 and L3 are closed), and L2's recovery.
    let r = regulator::report(&mut store, "2026-08").unwrap();
    assert_eq!(r.write_offs.len(), 1);
    let w = &r.write_offs[0];
    let august = register[1].amount.total().0 + register[2].amount.total().0;
    assert_eq!((w.currency.as_str(), w.loans, w.written_off, w.recovered), ("CNY", 2, august, rest.0));
    assert!(r.classes.is_empty(), "a written-off loan has no class: {:?}", r.classes);
    assert!(r.buckets.iter().any(|b| b.group == "written-off" && b.loans == 2), "{:?}", r.buckets);
    assert_ledger_matches(&mut store);

    // L4's August disputed and found wrong (it should read 6, not bad debt): the correction
    // reaches the record, and the month counts in a class again.
    use arrears_app::disputes::{self, NewDispute, Outcome};
    let dispute = NewDispute {
        loan_no: "L4",
        month: Some("2026-08"),
        amount: None,
        reason: "not bad debt",
        channel: "letter",
        actor: "L4",
    };
    let id = disputes::open(&mut store, &dispute).unwrap();
    disputes::resolve(&mut store, id, Outcome::Corrected { status: '6' }, "officer").unwrap();
    let l4_history = bureau::history(&mut store, "L4").unwrap();
    assert_eq!(code_of(&l4_history, "2026-08"), Some(MonthCode::Overdue(6)));
    let r = regulator::report(&mut store, "2026-08").unwrap();
    assert_eq!(r.classes.iter().map(|c| (c.group.as_str(), c.loans)).collect::<Vec<_>>(), [("substandard", 1)]);
});

story!(a_write_off_rule_is_checked_and_can_be_off, |db: &TestDb| {
    let mut store = db.init();
    open(&mut store, vec![new_loan("L1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15")]);
    store.transaction(|tx| tx.set_meta(writeoff::RULE_KEY_CNY, "10")).unwrap();
    let err = eod::run_until(&mut store, d("2026-01-16"), EodOptions::default(), |_, _| ()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "writeoff.after_days.cny: 10 days is inside the first month overdue: write 30 to 720, or 0 for off"
    );
    store.transaction(|tx| tx.set_meta(writeoff::RULE_KEY_CNY, "a year")).unwrap();
    let err = eod::run_until(&mut store, d("2026-01-16"), EodOptions::default(), |_, _| ()).unwrap_err();
    assert_eq!(err.to_string(), "writeoff.after_days.cny: `a year` is not a number from 0 to 720");
    // Off: the loan stays active however late.
    store.transaction(|tx| tx.set_meta(writeoff::RULE_KEY_CNY, "0")).unwrap();
    eod::run_until(&mut store, d("2027-01-31"), EodOptions::default(), |_, _| ()).unwrap();
    let view = loan_view(&mut store, "L1", None).unwrap();
    assert_eq!(view.state.status, LoanStatus::Active);
    assert!(view.state.dpd > 300);
    assert!(view.state.outstanding().total() > Amount::ZERO);
});
