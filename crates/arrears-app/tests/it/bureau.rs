//! Credit reporting from the month-end rows: the China record and its 24-month string.

use arrears_app::bureau::furnish_china;
use arrears_app::eod::{self, EodOptions};
use arrears_app::risk::{self, RiskConfig};
use arrears_app::service::{self, loan_view};
use arrears_bureau::{ChinaRecord, FurnishError, Furnisher};
use arrears_core::{Amount, Classification, RepaymentMethod};

use crate::story;
use crate::support::{d, new_loan, open, TestDb};

#[derive(Default)]
struct Collect(Vec<ChinaRecord>, bool);

impl Furnisher for Collect {
    fn record(&mut self, record: &ChinaRecord) -> Result<(), FurnishError> {
        self.0.push(record.clone());
        Ok(())
    }
    fn finish(&mut self) -> Result<(), FurnishError> {
        self.1 = true;
        Ok(())
    }
}

story!(a_month_is_furnished_with_each_loans_standing_and_history, |db: &TestDb| {
    let config = RiskConfig::shipped();
    let mut store = db.init();
    // L1 never pays; L2 pays February, then pays off in March.
    open(
        &mut store,
        vec![
            new_loan("L1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
            new_loan("L2", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
        ],
    );
    let close = |store: &mut arrears_store::Store, day: &str| {
        eod::run_until(store, d(day), EodOptions::default(), |_, _| ()).unwrap();
        risk::month_end(store, d(day), &config).unwrap();
    };
    close(&mut store, "2026-02-14");
    let due = loan_view(&mut store, "L2", Some(d("2026-02-15"))).unwrap().state.due().total();
    service::pay(&mut store, "L2", due, Some(d("2026-02-15")), "feb").unwrap();
    close(&mut store, "2026-02-28");
    let mut early = Collect::default();
    assert!(furnish_china(&mut store, "2026-03", &mut early).is_err(), "March is not closed yet");
    close(&mut store, "2026-03-09");
    let payoff = loan_view(&mut store, "L2", Some(d("2026-03-10"))).unwrap().payoff;
    service::pay(&mut store, "L2", payoff, Some(d("2026-03-10")), "payoff").unwrap();
    close(&mut store, "2026-03-31");

    // L1's first overdue status waits: nobody told the borrower it would be reported.
    let mut held = Collect::default();
    let report = furnish_china(&mut store, "2026-03", &mut held).unwrap();
    assert_eq!((report.written, report.withheld), (1, 1));
    assert_eq!(held.0[0].account, "L2");
    assert!(held.1, "the writer is finished");
    // A notice sent on 2026-03-20 (sent, eleven days before the month's end) lets it go.
    let l1_seq = store.read(|tx| tx.loan("L1")).unwrap().unwrap().seq;
    let at = arrears_policy::LocalTime::parse("2026-03-20 10:00").unwrap().utc_minutes(480);
    store
        .transaction(|tx| {
            tx.append_contacts(&[notice(l1_seq, at)])?;
            tx.append_contact_event("notice-L1", "sent", at, "file:notice-L1")?;
            Ok::<_, arrears_store::StoreError>(())
        })
        .unwrap();
    let mut out = Collect::default();
    let report = furnish_china(&mut store, "2026-03", &mut out).unwrap();
    assert_eq!((report.written, report.withheld), (2, 0));
    let (l1, l2) = (&out.0[0], &out.0[1]);
    // January has no month-end row (the book's first closed day was 2026-02-15): `/`.
    assert_eq!(l1.history, format!("{}12", "/".repeat(22)), "{l1:?}");
    assert_eq!((l1.status, l1.months_overdue, l1.class), ('2', 2, Classification::SpecialMention));
    assert!(l1.overdue > Amount::ZERO && l1.balance > l1.overdue, "{l1:?}");
    assert_eq!(l2.history, format!("{}NC", "/".repeat(22)), "{l2:?}");
    assert_eq!((l2.status, l2.balance, l2.overdue), ('C', Amount::ZERO, Amount::ZERO));
    // After its closing month a settled loan is no longer furnished.
    close(&mut store, "2026-04-30");
    let mut april = Collect::default();
    assert_eq!(furnish_china(&mut store, "2026-04", &mut april).unwrap().written, 1, "reported before: no new notice needed");
    assert_eq!(april.0[0].account, "L1");
    assert_eq!(april.0[0].history, format!("{}123", "/".repeat(21)));
    let mut bad = Collect::default();
    assert!(furnish_china(&mut store, "2026-4", &mut bad).unwrap_err().to_string().contains("month: `2026-4` is not a month"));
});

fn notice(loan_seq: i64, at_utc: i64) -> arrears_store::NewContact {
    arrears_store::NewContact {
        contact_key: "notice-L1".into(),
        loan_seq,
        borrower_id: "B-L1".into(),
        business_date: d("2026-03-20"),
        at_utc,
        at_local: "2026-03-20 10:00".into(),
        channel: "sms".into(),
        party: "debtor".into(),
        purpose: "collection".into(),
        template: "credit-report-notice".into(),
        strategy: "default".into(),
        arm: "champion".into(),
        step_day: Some(25),
        collector: "system".into(),
        recipient: "138****5678".into(),
        content: "…".into(),
        facts: "{}".into(),
        flags: "{}".into(),
        pack: "cn@2026.1".into(),
        blocked: None,
    }
}

story!(a_dispute_is_flagged_answered_in_time_and_its_correction_furnished, |db: &TestDb| {
    use arrears_app::disputes::{self, NewDispute, Outcome};
    let config = RiskConfig::shipped();
    let mut store = db.init();
    open(&mut store, vec![new_loan("L1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15")]);
    let close = |store: &mut arrears_store::Store, day: &str| {
        eod::run_until(store, d(day), EodOptions::default(), |_, _| ()).unwrap();
        risk::month_end(store, d(day), &config).unwrap();
    };
    close(&mut store, "2026-02-28");
    close(&mut store, "2026-03-31");
    let bad = NewDispute {
        loan_no: "L1",
        month: Some("2026-3"),
        amount: None,
        reason: "paid on time",
        channel: "portal",
        actor: "B-L1",
    };
    assert!(disputes::open(&mut store, &bad).unwrap_err().to_string().starts_with("month: "));
    let blank = NewDispute { reason: " ", ..bad.clone() };
    assert!(disputes::open(&mut store, &blank).unwrap_err().to_string().starts_with("reason: "));
    let feb = NewDispute { month: Some("2026-02"), ..bad };
    let id = disputes::open(&mut store, &feb).unwrap();
    let open_now = disputes::open_disputes(&mut store).unwrap();
    assert_eq!(open_now.len(), 1);
    assert_eq!(
        (open_now[0].0.opened_on, open_now[0].0.deadline, open_now[0].1),
        (d("2026-04-01"), d("2026-04-21"), 20),
        "China: 20 days"
    );
    // The loan is marked at once: collection pauses, and April's record says it is disputed.
    let seq = store.read(|tx| tx.loan("L1")).unwrap().unwrap().seq;
    let flags = store.read(|tx| tx.collection_flags(&[seq])).unwrap();
    assert_eq!(flags[&seq].dispute_open_since, Some(d("2026-04-01")));
    close(&mut store, "2026-04-30");
    told(&mut store, seq);
    let mut april = Collect::default();
    furnish_china(&mut store, "2026-04", &mut april).unwrap();
    assert!(april.0[0].disputed);
    assert_eq!(april.0[0].history, format!("{}/123", "/".repeat(20)));
    // Answered on 2026-05-01, within its deadline: February was wrong, it reads N.
    let answered = disputes::resolve(&mut store, id, Outcome::Corrected { status: 'N' }, "officer").unwrap();
    assert_eq!((answered.outcome.as_deref(), answered.resolved_on), (Some("corrected"), Some(d("2026-05-01"))));
    assert!(answered.answer.unwrap().contains("已更正"), "a Chinese answer for a Chinese borrower");
    assert!(disputes::resolve(&mut store, id, Outcome::Confirmed, "officer").is_err(), "answered once");
    assert!(store.read(|tx| tx.collection_flags(&[seq])).unwrap()[&seq].dispute_open_since.is_none(), "collection resumes");
    // May's file carries the correction, and the account is no longer disputed.
    close(&mut store, "2026-05-31");
    let mut may = Collect::default();
    furnish_china(&mut store, "2026-05", &mut may).unwrap();
    assert_eq!(may.0[0].history, format!("{}/N234", "/".repeat(19)), "the correction goes with the next file");
    assert!(!may.0[0].disputed, "no longer disputed once answered");
    let history = arrears_app::bureau::history(&mut store, "L1").unwrap();
    assert_eq!(history.marks.len(), 1);
    assert_eq!((history.marks[0].from.as_str(), history.marks[0].ages_out.as_deref()), ("2026-03", None), "still overdue");
});

/// A credit-report notice sent to loan `seq` on 2026-03-20.
fn told(store: &mut arrears_store::Store, seq: i64) {
    let at = arrears_policy::LocalTime::parse("2026-03-20 10:00").unwrap().utc_minutes(480);
    store
        .transaction(|tx| {
            tx.append_contacts(&[arrears_store::NewContact { loan_seq: seq, ..notice(seq, at) }])?;
            tx.append_contact_event("notice-L1", "sent", at, "file:notice-L1")?;
            Ok::<_, arrears_store::StoreError>(())
        })
        .unwrap();
}
