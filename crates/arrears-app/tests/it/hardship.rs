//! Hardship relief on the store: filing, the affordability calculator, maker–checker, the
//! borrower's acceptance, collection paused while a plan is honoured, a plan broken and one
//! completed, a settlement, and the refusals.

use arrears_app::hardship::{self, Filing, Proposal};
use arrears_app::service::{self, loan_view};
use arrears_app::{collect, AppError};
use arrears_core::ledger::EntryKind;
use arrears_core::{Amount, LoanStatus, PenaltyTreatment, Relief, RepaymentMethod};
use arrears_store::Store;

use crate::story;
use crate::support::{amt, assert_ledger_matches, borrower, close_through, d, new_loan, open, TestDb};

fn filing<'a>(loan_no: &'a str, wanted: &'a str) -> Filing<'a> {
    Filing {
        loan_no,
        filed_by: "B1",
        channel: "phone",
        reason: "job-loss",
        details: "laid off in February; new job from May",
        monthly_income: amt("3000.00"),
        monthly_expenses: amt("2200.00"),
        evidence: vec!["termination-letter.pdf".into()],
        wanted,
    }
}

fn book(db: &TestDb) -> Store {
    let mut store = db.init();
    let loans = ["L1", "L2", "L3"]
        .iter()
        .map(|no| {
            let mut l = new_loan(no, "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15");
            l.borrower_id = "B1".into();
            l
        })
        .collect();
    open(&mut store, loans);
    store.transaction(|tx| tx.upsert_borrowers(&[borrower("B1")])).unwrap();
    for (name, role) in [("wang", "hardship-officer"), ("li", "hardship-officer"), ("zhao", "supervisor"), ("chen", "agent")] {
        hardship::add_staff(&mut store, name, role).unwrap();
    }
    store
}

story!(a_plan_is_proposed_checked_accepted_honoured_and_broken, |db: &TestDb| {
    let mut store = book(db);
    close_through(&mut store, "2026-03-19");
    // Bad requests name their field and change nothing.
    let bad = Filing { reason: "bored", ..filing("L1", "plan") };
    assert!(hardship::file(&mut store, &bad).unwrap_err().to_string().starts_with("reason: `bored` is not one of"));
    let bad = Filing { monthly_income: amt("-1.00"), ..filing("L1", "plan") };
    assert!(hardship::file(&mut store, &bad).unwrap_err().to_string().starts_with("income:"));
    // An income no borrower has would overflow the affordability arithmetic.
    let bad = Filing { monthly_income: amt("900000000000000.00"), ..filing("L1", "plan") };
    assert!(hardship::file(&mut store, &bad).unwrap_err().to_string().starts_with("income:"));
    let bad = Filing { monthly_expenses: amt("10000000001.00"), ..filing("L1", "plan") };
    assert!(hardship::file(&mut store, &bad).unwrap_err().to_string().starts_with("expenses:"));
    let id = hardship::file(&mut store, &filing("L1", "plan")).unwrap();
    let err = hardship::file(&mut store, &filing("L1", "extension")).unwrap_err();
    assert!(err.to_string().contains(&format!("already has request {id} (submitted)")), "{err}");

    // Proposing takes a member of staff with a deciding role.
    let calc = Proposal { relief: None, settle_amount: None };
    assert!(hardship::propose(&mut store, id, calc, "nobody").unwrap_err().to_string().contains("not on the staff list"));
    assert!(hardship::propose(&mut store, id, calc, "chen").unwrap_err().to_string().contains("chen is agent"));
    // The calculator: the shortest plan whose payment fits 800.00 (income less expenses; half
    // the income would allow 1,500.00).
    let c = hardship::propose(&mut store, id, calc, "wang").unwrap();
    let Relief::Plan { months, penalty: PenaltyTreatment::Capitalise } = c.relief else { panic!("a plan: {:?}", c.relief) };
    assert!(c.after.largest_payment <= amt("800.00"), "{:?}", c.after);
    let view = loan_view(&mut store, "L1", Some(d("2026-03-20"))).unwrap();
    let shorter = hardship::compare(
        &view.record.terms,
        &view.state,
        Relief::Plan { months: months - 1, penalty: PenaltyTreatment::Capitalise },
        0,
        None,
    )
    .unwrap();
    assert!(shorter.after.largest_payment > amt("800.00"), "one month shorter would not fit");
    assert!(c.before.due_now > Amount::ZERO && c.after.due_now.is_zero());
    assert!(c.words_en[0].starts_with("Your regular payment goes from"), "{:?}", c.words_en);
    assert!(c.words_zh.iter().any(|w| w.contains("不再计为逾期")), "{:?}", c.words_zh);
    // The comparison of a restructuring tells of its observation period.
    let r = Relief::Restructure {
        months: 12,
        annual_rate: arrears_core::Rate::parse_percent("12").unwrap(),
        penalty: PenaltyTreatment::Waive,
    };
    let rc = hardship::compare(&view.record.terms, &view.state, r, 0, None).unwrap();
    assert_eq!((rc.class_after, rc.observed_until), (arrears_core::Classification::SpecialMention, Some(d("2027-03-20"))));
    assert!(rc.words_en.iter().any(|w| w.contains("special mention")) && rc.words_zh.iter().any(|w| w.contains("关注")));
    assert!(rc.waived > Amount::ZERO, "the penalty waived");
    // An unaffordable plan is refused.
    let two = Proposal { relief: Some(Relief::Plan { months: 2, penalty: PenaltyTreatment::Waive }), settle_amount: None };
    assert!(hardship::propose(&mut store, id, two, "wang").unwrap_err().to_string().contains("more than the 800.00"));

    // Maker–checker: not the one who proposed.
    assert!(hardship::approve(&mut store, id, "wang").unwrap_err().to_string().contains("another person must approve"));
    hardship::approve(&mut store, id, "li").unwrap();
    let accepted = hardship::accept(&mut store, id, "B1").unwrap();
    assert_eq!(accepted.relief, c.relief);
    let l1 = loan_view(&mut store, "L1", None).unwrap();
    assert_eq!((l1.state.dpd, l1.state.reliefs.len()), (0, 1));
    assert_ledger_matches(&mut store);
    // Collection stops while the plan is honoured.
    let seq = l1.record.seq;
    let flags = store.read(|tx| tx.collection_flags(&[seq])).unwrap().remove(&seq).unwrap();
    assert_eq!(flags.plan_since, Some(d("2026-03-20")));
    assert!(collect::loan_flags(Some(&flags), &borrower("B1"), d("2026-03-21")).plan_honoured);
    let (_, requests) = hardship::of_loan(&mut store, "L1").unwrap();
    assert_eq!((requests[0].status.as_str(), requests[0].accepted_on), ("active", Some(d("2026-03-20"))));

    // The first plan payment is made, the second is missed: 16 days late it breaks the plan.
    let first_due = l1.state.installments.iter().find(|i| !i.is_settled()).unwrap().due_date;
    close_through(&mut store, &first_due.add_days(-1).to_string());
    let owed = loan_view(&mut store, "L1", Some(first_due)).unwrap().state.due().total();
    service::pay(&mut store, "L1", owed, Some(first_due), "plan-1").unwrap();
    let second_due = first_due.add_months(1);
    close_through(&mut store, &second_due.add_days(15).to_string());
    assert_eq!(hardship::of_loan(&mut store, "L1").unwrap().1[0].status, "active", "15 days late is within the grace");
    close_through(&mut store, &second_due.add_days(16).to_string());
    let h = hardship::of_loan(&mut store, "L1").unwrap().1.remove(0);
    assert_eq!((h.status.as_str(), h.ended_on), ("broken", Some(second_due.add_days(16))));
    let flags = store.read(|tx| tx.collection_flags(&[seq])).unwrap().remove(&seq).unwrap();
    assert_eq!(flags.plan_since, None, "collection resumes");
    assert_ledger_matches(&mut store);
});

story!(a_settlement_is_made_once_paid_and_a_supervisor_approves_large_ones, |db: &TestDb| {
    let mut store = book(db);
    close_through(&mut store, "2026-04-19");
    store.transaction(|tx| tx.set_meta("hardship.supervisor_above", "100000")).unwrap();
    let id = hardship::file(&mut store, &filing("L2", "settlement")).unwrap();
    let no_amount = Proposal { relief: None, settle_amount: None };
    assert!(hardship::propose(&mut store, id, no_amount, "wang").unwrap_err().to_string().starts_with("settle_amount:"));
    let settle = Proposal { relief: None, settle_amount: Some(amt("2000.00")) };
    let c = hardship::propose(&mut store, id, settle, "wang").unwrap();
    assert!(c.waived > Amount::ZERO && c.words_en[0].contains("is forgiven"), "{:?}", c.words_en);
    let owed = loan_view(&mut store, "L2", Some(d("2026-04-20"))).unwrap().payoff;
    assert_eq!(c.waived, owed - amt("2000.00"), "forgiven: what is owed less what is paid");
    // Above 1,000.00 relieved: a supervisor approves, not another officer.
    assert!(hardship::approve(&mut store, id, "li").unwrap_err().to_string().contains("a supervisor approves it"));
    hardship::approve(&mut store, id, "zhao").unwrap();
    // Made only once the agreed amount is paid.
    assert!(hardship::accept(&mut store, id, "B1").unwrap_err().to_string().contains("once 2000.00 is paid"));
    let paid = service::pay(&mut store, "L2", amt("2000.00"), None, "L2-settle").unwrap();
    hardship::accept(&mut store, id, "B1").unwrap();
    // The payment that paid for the settlement cannot be taken back: that would forgive all.
    let err = service::reverse(&mut store, paid.payment_id, "undo").unwrap_err();
    assert!(err.to_string().contains("reversing it would forgive the debt"), "{err}");
    let l2 = loan_view(&mut store, "L2", None).unwrap();
    assert_eq!(l2.state.status, LoanStatus::PaidOff);
    assert_eq!(l2.state.paid().total(), amt("2000.00"));
    assert!(l2.state.waived().total() > Amount::ZERO);
    assert!(l2.ledger.iter().any(|e| e.entry.kind == EntryKind::Waiver), "the discount is booked as a waiver");
    assert_eq!(hardship::of_loan(&mut store, "L2").unwrap().1[0].status, "completed");
    // Its settlement certificate says how it was settled, and verifies by its code.
    let cert = arrears_app::certificates::issue(&mut store, "L2", "settlement", "wang").unwrap();
    assert!(
        cert.statement.words_en.contains("by an agreed settlement (") && cert.statement.words_zh.contains("经协商减免"),
        "{:?}",
        cert.statement
    );
    let found = arrears_app::certificates::verify(&mut store, &cert.code.replace('-', "")).unwrap().unwrap();
    assert_eq!((found.kind.as_str(), found.statement.loan.as_str()), ("settlement", "L2"));
    assert!(arrears_app::certificates::verify(&mut store, "0000-0000-0000-0000").unwrap().is_none());
    assert_ledger_matches(&mut store);
});

story!(an_extension_is_completed_once_its_first_moved_installment_is_paid, |db: &TestDb| {
    let mut store = book(db);
    close_through(&mut store, "2026-02-20");
    let id = hardship::file(&mut store, &filing("L3", "extension")).unwrap();
    let c = hardship::propose(&mut store, id, Proposal { relief: None, settle_amount: None }, "wang").unwrap();
    assert_eq!(c.relief, Relief::Extension { months: 3, with_interest: true });
    // Rejected first, with its reason; a new request may follow.
    assert!(hardship::reject(&mut store, id, " ", "li").unwrap_err().to_string().starts_with("note:"));
    hardship::reject(&mut store, id, "income proof missing", "li").unwrap();
    let id = hardship::file(&mut store, &filing("L3", "extension")).unwrap();
    hardship::propose(&mut store, id, Proposal { relief: None, settle_amount: None }, "wang").unwrap();
    hardship::approve(&mut store, id, "li").unwrap();
    hardship::accept(&mut store, id, "B1").unwrap();
    let moved = loan_view(&mut store, "L3", None).unwrap().state.installments[0].due_date;
    assert_eq!(moved, d("2026-05-15"), "three months later");
    close_through(&mut store, "2026-05-14");
    let owed = loan_view(&mut store, "L3", Some(moved)).unwrap().state.due().total();
    service::pay(&mut store, "L3", owed, None, "L3-first").unwrap();
    close_through(&mut store, "2026-05-15");
    assert_eq!(hardship::of_loan(&mut store, "L3").unwrap().1[1].status, "completed");
    // Eligibility: a loan too late (here more than 90 days) goes to legal, not to relief.
    store.transaction(|tx| tx.set_meta("hardship.max_dpd", "90")).unwrap();
    close_through(&mut store, "2026-06-15");
    let id = hardship::file(&mut store, &filing("L1", "plan")).unwrap();
    let err = hardship::propose(&mut store, id, Proposal { relief: None, settle_amount: None }, "wang").unwrap_err();
    assert!(matches!(err, AppError::Invalid { field: "loan", .. }) && err.to_string().contains("beyond relief"), "{err}");
});
