//! Credit reporting from the month-end rows: the China record and its 24-month string.

use arrears_app::bureau::{self as credit, FurnishReport};
use arrears_app::eod::{self, EodOptions};
use arrears_app::risk::{self, RiskConfig};
use arrears_app::service::{self, loan_view};
use arrears_bureau::{ChinaRecord, FurnishError, Furnisher};
use arrears_core::{Amount, Classification, RepaymentMethod};

use crate::story;
use crate::support::{borrower, d, new_loan, open, TestDb};

#[derive(Default)]
struct Collect(Vec<ChinaRecord>, bool);

/// Furnishes a month into `out` and records the run, as the CLI does once its file is in place.
fn furnish_china(
    store: &mut arrears_store::Store,
    month: &str,
    out: &mut Collect,
) -> Result<FurnishReport, arrears_app::AppError> {
    let furnishing = credit::furnish_china(store, month, out)?;
    furnishing.commit(store)?;
    Ok(furnishing.report)
}

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
    let history = credit::history(&mut store, "L1").unwrap();
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

story!(a_loan_45_days_late_is_noticed_reported_paid_and_disputed, |db: &TestDb| {
    use arrears_app::collect::{self, CollectConfig};
    use arrears_app::disputes::{self, NewDispute, Outcome};
    use arrears_app::outbox::{self, DeliverOptions, Senders};
    use arrears_channels::file::FileSender;
    let risk_config = RiskConfig::shipped();
    let config = CollectConfig::shipped();
    let mut store = db.init();
    let mut loan = new_loan("L1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15");
    loan.borrower_id = "B1".into();
    open(&mut store, vec![loan]);
    store.transaction(|tx| tx.upsert_borrowers(&[borrower("B1")])).unwrap();
    let dir = std::env::temp_dir().join(format!("arrears-bureau-story-{}-{}", std::process::id(), db.url.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let senders = Senders::default().with(Box::new(FileSender::new(arrears_policy::Channel::Sms, dir.join("sms.jsonl"))));
    // Day by day: close, score at month ends, plan the next day, deliver its texts mid-morning.
    let run_until = |store: &mut arrears_store::Store, until: &str| {
        eod::run_days(store, d(until), EodOptions::default(), |store, day, _| {
            risk::month_end(store, day, &risk_config)?;
            let next = day.add_days(1);
            collect::run(store, next, &config)?;
            let now =
                arrears_policy::LocalTime::new(next, arrears_policy::TimeOfDay::from_minutes(10 * 60 + 30)).utc_minutes(480);
            outbox::deliver(store, &senders, DeliverOptions { now_utc: now, limit: 100, crash_after_sends: None })?;
            Ok(())
        })
        .unwrap();
    };
    run_until(&mut store, "2026-03-31");
    // Paid on 2026-04-01, 45 days after the due date.
    let owed = loan_view(&mut store, "L1", Some(d("2026-04-01"))).unwrap().state.due().total();
    service::pay(&mut store, "L1", owed, Some(d("2026-04-01")), "late-pay").unwrap();
    // From then on it pays each installment on its due date.
    let pay_on_time = |store: &mut arrears_store::Store, due: &str, key: &str| {
        run_until(store, &d(due).add_days(-1).to_string());
        let owed = loan_view(store, "L1", Some(d(due))).unwrap().state.due().total();
        service::pay(store, "L1", owed, Some(d(due)), key).unwrap();
    };
    pay_on_time(&mut store, "2026-04-15", "apr");
    run_until(&mut store, "2026-04-30");
    // The notice went out by text on D+25 (2026-03-12) and is in the record.
    let seq = store.read(|tx| tx.loan("L1")).unwrap().unwrap().seq;
    let record = store.read(|tx| tx.contacts_of(seq)).unwrap();
    let notice = record.iter().find(|c| c.template == "credit-report-notice").expect("the notice was planned");
    assert_eq!((notice.at_local.as_str(), notice.events[0].0.as_str()), ("2026-03-12 10:00", "sent"));
    // February: its first overdue status waits for the notice; March and April are reported.
    let furnish = |store: &mut arrears_store::Store, month: &str| {
        let mut out = Collect::default();
        let report = furnish_china(store, month, &mut out).unwrap();
        (report, out.0)
    };
    let (feb, feb_records) = furnish(&mut store, "2026-02");
    assert_eq!((feb.written, feb.withheld, feb_records.len()), (0, 1, 0), "not told before February's end");
    let (_, mar) = furnish(&mut store, "2026-03");
    assert_eq!(mar[0].history, format!("{}12", "/".repeat(22)));
    let (_, apr) = furnish(&mut store, "2026-04");
    assert_eq!((apr[0].status, apr[0].history.as_str()), ('N', format!("{}12N", "/".repeat(21)).as_str()));
    // Later disputed; answered within its 20 days: the record was right.
    let dispute = NewDispute {
        loan_no: "L1",
        month: Some("2026-03"),
        amount: None,
        reason: "I was in hospital",
        channel: "portal",
        actor: "B1",
    };
    let id = disputes::open(&mut store, &dispute).unwrap();
    run_until(&mut store, "2026-05-10");
    let answered = disputes::resolve(&mut store, id, Outcome::Confirmed, "officer").unwrap();
    assert!(answered.resolved_on.unwrap() <= answered.deadline, "answered in time");
    pay_on_time(&mut store, "2026-05-15", "may");
    run_until(&mut store, "2026-05-31");
    let (_, may) = furnish(&mut store, "2026-05");
    assert_eq!((may[0].history.as_str(), may[0].disputed), (format!("{}12NN", "/".repeat(20)).as_str(), false));
    // The borrower's page: one mark, February to March, ending in April, gone in April 2031.
    let history = credit::history(&mut store, "L1").unwrap();
    assert_eq!(history.marks.len(), 1);
    let mark = &history.marks[0];
    assert_eq!((mark.from.as_str(), mark.to.as_str(), mark.worst), ("2026-02", "2026-03", '2'));
    assert_eq!((mark.ended.as_deref(), mark.ages_out.as_deref()), (Some("2026-04"), Some("2031-04")));
    let _ = std::fs::remove_dir_all(&dir);
});

story!(an_untold_late_month_stays_held_back_after_the_loan_is_current_again, |db: &TestDb| {
    let config = RiskConfig::shipped();
    let mut store = db.init();
    open(&mut store, vec![new_loan("L1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15")]);
    let close = |store: &mut arrears_store::Store, day: &str| {
        eod::run_until(store, d(day), EodOptions::default(), |_, _| ()).unwrap();
        risk::month_end(store, d(day), &config).unwrap();
    };
    close(&mut store, "2026-02-28");
    let mut feb = Collect::default();
    assert_eq!(furnish_china(&mut store, "2026-02", &mut feb).unwrap().withheld, 1, "late, never told");
    // Caught up in March: March itself reads N, but its string still carries February's 1.
    close(&mut store, "2026-03-04");
    let owed = loan_view(&mut store, "L1", Some(d("2026-03-05"))).unwrap().state.due().total();
    service::pay(&mut store, "L1", owed, Some(d("2026-03-05")), "catch-up").unwrap();
    close(&mut store, "2026-03-14");
    let owed = loan_view(&mut store, "L1", Some(d("2026-03-15"))).unwrap().state.due().total();
    service::pay(&mut store, "L1", owed, Some(d("2026-03-15")), "march").unwrap();
    close(&mut store, "2026-03-31");
    let mut mar = Collect::default();
    let report = furnish_china(&mut store, "2026-03", &mut mar).unwrap();
    assert_eq!((report.written, report.withheld), (0, 1), "the first negative information still waits for the notice");
    let history = credit::history(&mut store, "L1").unwrap();
    assert_eq!(history.months.iter().map(|(_, c)| c.char()).collect::<String>(), "1N");
    assert_eq!(history.furnished.get("2026-03"), Some(&("N".to_owned(), true)), "the page says what was held back");
});
