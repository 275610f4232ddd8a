//! The collection desk end to end: the strategy's messages are checked and recorded with the
//! message queued in the same transaction; the outbox delivers at least once and records once,
//! even across a crash; calls are checked when dialled; blocked contacts carry their rule;
//! promises are judged; disputes and opt-outs stop what was planned; the record cannot be
//! changed; the compliance report finds no breach.

use arrears_app::calls::{self, CallOutcome, Dial};
use arrears_app::collect::{self, CollectConfig};
use arrears_app::compliance;
use arrears_app::disputes;
use arrears_app::outbox::{self, DeliverOptions, Senders};
use arrears_app::service;
use arrears_app::AppError;
use arrears_channels::file::FileSender;
use arrears_core::RepaymentMethod;
use arrears_policy::{Channel, LocalTime};
use arrears_store::{AgentRow, BorrowerRecord, Store};

use crate::story;
use crate::support::{self, amt, close_through, d, new_loan, open, TestDb};

const BEIJING: i32 = 480;

/// The support borrower, reachable by email and with an emergency contact.
fn borrower(id: &str) -> BorrowerRecord {
    BorrowerRecord {
        email: Some("wang.fang@example.com".into()),
        emergency_name: Some("李雷".into()),
        emergency_phone: Some("13987654321".into()),
        ..support::borrower(id)
    }
}

/// A book of `n` loans of one borrower, first due 2026-02-15, standing closed through `closed`.
fn book(db: &TestDb, n: usize, closed: &str) -> Store {
    let mut store = db.init();
    let loans = (1..=n)
        .map(|k| {
            let mut l = new_loan(&format!("L{k}"), "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15");
            l.borrower_id = "B1".into();
            l
        })
        .collect();
    open(&mut store, loans);
    store.transaction(|tx| tx.upsert_borrowers(&[borrower("B1")])).unwrap();
    close_through(&mut store, closed);
    store
}

/// UTC minutes of a Beijing wall-clock time.
fn beijing(text: &str) -> i64 {
    LocalTime::parse(text).unwrap().utc_minutes(BEIJING)
}

fn senders(dir: &std::path::Path) -> Senders {
    Channel::ALL
        .iter()
        .filter(|c| **c != Channel::Call)
        .fold(Senders::default(), |s, c| s.with(Box::new(FileSender::new(*c, dir.join(format!("{}.jsonl", c.code()))))))
}

fn lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap_or_default().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn scratch(db: &TestDb) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("arrears-outbox-{}-{}", std::process::id(), db.url.len() ^ db.url.as_ptr() as usize));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

story!(a_reminder_is_recorded_queued_and_delivered_once_across_a_crash, |db: &TestDb| {
    let config = CollectConfig::shipped();
    // 2026-02-11 closed: the open day 2026-02-12 is D-3 of the first installment.
    let mut store = book(db, 1, "2026-02-11");
    let report = collect::run(&mut store, d("2026-02-12"), &config).unwrap();
    assert_eq!((report.loans, report.messages, report.call_tasks, report.blocked_total()), (1, 1, 0, 0), "{report:?}");
    assert!(collect::run(&mut store, d("2026-02-12"), &config).unwrap().already_done, "a day's step runs once");
    let loan = store.read(|tx| tx.loan("L1")).unwrap().unwrap();
    let contacts = store.read(|tx| tx.contacts_of(loan.seq)).unwrap();
    assert_eq!(contacts.len(), 1);
    let c = &contacts[0];
    assert_eq!((c.channel.as_str(), c.purpose.as_str(), c.decision.as_str()), ("sms", "reminder", "allowed"));
    assert_eq!(c.at_local, "2026-02-12 10:00");
    assert_eq!(c.recipient, "138****5678", "the record masks the number");
    assert!(c.content.contains("520.") || c.content.contains("应还"), "{}", c.content);
    assert!(c.content.contains("2026-02-15") && c.content.contains("示例银行"), "{}", c.content);

    let dir = scratch(db);
    let senders = senders(&dir);
    // Before its send time nothing leaves.
    let early = outbox::deliver(
        &mut store,
        &senders,
        DeliverOptions { now_utc: beijing("2026-02-12 09:00"), limit: 100, crash_after_sends: None },
    )
    .unwrap();
    assert_eq!(early.sent, 0);
    // Sent, then the process dies before the result is written.
    let at = beijing("2026-02-12 10:05");
    let crash = outbox::deliver(&mut store, &senders, DeliverOptions { now_utc: at, limit: 100, crash_after_sends: Some(1) });
    assert!(matches!(crash, Err(AppError::Interrupted { .. })));
    assert_eq!(lines(&dir.join("sms.jsonl")).len(), 1, "the message left");
    assert!(store.read(|tx| tx.contacts_of(loan.seq)).unwrap()[0].events.is_empty(), "its result was not written");
    // Run again: the message goes again with the same id, and its delivery is recorded once.
    let again =
        outbox::deliver(&mut store, &senders, DeliverOptions { now_utc: at + 1, limit: 100, crash_after_sends: None }).unwrap();
    assert_eq!(again.sent, 1);
    let sent = lines(&dir.join("sms.jsonl"));
    assert_eq!(sent.len(), 2, "at least once");
    assert_eq!(sent[0]["id"], sent[1]["id"], "the repeat carries the same idempotency id");
    assert_eq!(sent[0]["to"], "13812345678");
    let events = &store.read(|tx| tx.contacts_of(loan.seq)).unwrap()[0].events;
    assert_eq!(events.iter().filter(|e| e.0 == "sent").count(), 1, "recorded exactly once: {events:?}");
    let idle =
        outbox::deliver(&mut store, &senders, DeliverOptions { now_utc: at + 2, limit: 100, crash_after_sends: None }).unwrap();
    assert_eq!(idle, outbox::DeliverReport::default(), "nothing left to send");
    let _ = std::fs::remove_dir_all(&dir);
});

story!(the_record_is_append_only, |db: &TestDb| {
    let config = CollectConfig::shipped();
    let mut store = book(db, 1, "2026-02-11");
    collect::run(&mut store, d("2026-02-12"), &config).unwrap();
    for sql in ["UPDATE contacts SET content = 'changed'", "DELETE FROM contacts"] {
        let err = store.transaction(|tx| tx.execute_raw(sql)).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
});

story!(calls_are_checked_when_dialled_and_the_fourth_connected_call_of_a_day_is_blocked, |db: &TestDb| {
    let config = CollectConfig::shipped();
    // Four loans of one borrower, all unpaid: on 2026-03-02 (D+15, a call step of both arms)
    // each gets a call task.
    let mut store = book(db, 4, "2026-03-01");
    let report = collect::run(&mut store, d("2026-03-02"), &config).unwrap();
    assert_eq!(report.call_tasks, 4, "{report:?}");
    calls::save_agent(
        &mut store,
        &AgentRow { agent_id: "a1".into(), name: "Agent One".into(), daily_cap: 10, desk: "CNY".into(), active: true },
    )
    .unwrap();
    assert_eq!(calls::assign(&mut store).unwrap(), 4);
    let tasks = store.read(|tx| tx.open_call_tasks(Some("a1"), "", 10)).unwrap();
    // 07:30 in Beijing is inside the quiet hours: blocked, recorded, and the task waits.
    let late = calls::dial(&mut store, &config, tasks[0].id, "a1", beijing("2026-03-02 07:30")).unwrap();
    match late {
        Dial::Blocked { rule, retry_at, .. } => {
            assert_eq!(rule, "quiet-hours");
            assert_eq!(retry_at.as_deref(), Some("2026-03-02 08:00"));
        }
        other => panic!("{other:?}"),
    }
    let waiting = store.read(|tx| tx.call_task(tasks[0].id)).unwrap().unwrap();
    assert_eq!(waiting.not_before, beijing("2026-03-02 08:00"), "rescheduled to when the rule allows");
    assert!(calls::dial(&mut store, &config, tasks[0].id, "a1", beijing("2026-03-02 07:45")).is_err(), "not before then");
    // Three conversations …
    for (k, task) in tasks.iter().take(3).enumerate() {
        let now = beijing(&format!("2026-03-02 1{k}:00"));
        let Dial::Allowed { contact_key, phone, script } = calls::dial(&mut store, &config, task.id, "a1", now).unwrap() else {
            panic!("call {k} should be allowed")
        };
        assert_eq!(phone, "13812345678");
        assert!(script.contains("示例银行"), "{script}");
        let outcome =
            if k == 0 { CallOutcome::Promise { date: d("2026-03-05"), amount: amt("100.00") } } else { CallOutcome::Reached };
        calls::record_outcome(&mut store, task.id, &contact_key, "a1", outcome, now + 5).unwrap();
        let twice = calls::record_outcome(&mut store, task.id, &contact_key, "a1", CallOutcome::Reached, now + 6);
        assert!(twice.is_err(), "one outcome per call");
    }
    // … and the fourth, about another loan of the same debtor, is blocked.
    let fourth = calls::dial(&mut store, &config, tasks[3].id, "a1", beijing("2026-03-02 15:00")).unwrap();
    assert!(matches!(&fourth, Dial::Blocked { rule, .. } if rule == "connected-calls-per-day"), "{fourth:?}");
    // The promise: 100.00 paid on 2026-03-04 keeps it; the day after its date it is judged.
    close_through(&mut store, "2026-03-03");
    service::pay(&mut store, "L1", amt("100.00"), Some(d("2026-03-04")), "p1").unwrap();
    close_through(&mut store, "2026-03-05");
    let judged = collect::run(&mut store, d("2026-03-06"), &config).unwrap();
    assert_eq!((judged.promises_kept, judged.promises_broken), (1, 0), "{judged:?}");

    let report = compliance::report(&mut store, &config, d("2026-02-01"), d("2026-03-31")).unwrap();
    assert!(report.breaches.is_empty(), "{:?}", report.breaches);
    assert_eq!(report.blocked_by_rule.get("quiet-hours"), Some(&1));
    assert_eq!(report.blocked_by_rule.get("connected-calls-per-day"), Some(&1));
    assert_eq!(report.outcomes.get("connected"), Some(&3));
});

story!(a_dispute_stops_collection_and_withdraws_what_was_queued, |db: &TestDb| {
    let config = CollectConfig::shipped();
    // D+1 (2026-02-16): the grace-period SMS is planned and queued.
    let mut store = book(db, 1, "2026-02-15");
    let planned = collect::run(&mut store, d("2026-02-16"), &config).unwrap();
    assert_eq!(planned.messages, 1, "{planned:?}");
    // The borrower disputes the debt before it leaves: it is withdrawn, not sent.
    let dispute = open_dispute(&mut store, "L1");
    let dir = scratch(db);
    let senders = senders(&dir);
    let r = outbox::deliver(
        &mut store,
        &senders,
        DeliverOptions { now_utc: beijing("2026-02-16 10:30"), limit: 10, crash_after_sends: None },
    )
    .unwrap();
    assert_eq!((r.sent, r.withdrawn), (0, 1));
    // From then on the strategy's messages are blocked by the rule, and recorded so (D+10,
    // the email of both arms).
    close_through(&mut store, "2026-02-24");
    let blocked = collect::run(&mut store, d("2026-02-25"), &config).unwrap();
    assert_eq!(blocked.blocked.get("pause-while-disputed"), Some(&1), "{blocked:?}");
    let loan = store.read(|tx| tx.loan("L1")).unwrap().unwrap();
    let last = store.read(|tx| tx.contacts_of(loan.seq)).unwrap().pop().unwrap();
    assert_eq!((last.decision.as_str(), last.rule.as_deref()), ("blocked", Some("pause-while-disputed")));
    // Closed: the next message step (D+25, the credit-report notice) goes out again.
    disputes::resolve(&mut store, dispute, disputes::Outcome::Confirmed, "agent-7").unwrap();
    close_through(&mut store, "2026-03-11");
    let resumed = collect::run(&mut store, d("2026-03-12"), &config).unwrap();
    assert_eq!((resumed.messages, resumed.blocked_total()), (1, 0), "{resumed:?}");
    let report = compliance::report(&mut store, &config, d("2026-02-01"), d("2026-03-31")).unwrap();
    assert!(report.breaches.is_empty(), "{:?}", report.breaches);
    let _ = std::fs::remove_dir_all(&dir);
});

story!(an_opt_out_holds_at_once, |db: &TestDb| {
    let config = CollectConfig::shipped();
    let mut store = book(db, 1, "2026-02-11");
    collect::run(&mut store, d("2026-02-12"), &config).unwrap();
    calls::opt_out(&mut store, "B1", Channel::Sms, "B1").unwrap();
    assert!(calls::opt_out(&mut store, "B1", Channel::Letter, "B1").is_err(), "letters are not electronic");
    let dir = scratch(db);
    let r = outbox::deliver(
        &mut store,
        &senders(&dir),
        DeliverOptions { now_utc: beijing("2026-02-12 10:30"), limit: 10, crash_after_sends: None },
    )
    .unwrap();
    assert_eq!((r.sent, r.withdrawn), (0, 1), "the queued SMS is withdrawn");
    let _ = std::fs::remove_dir_all(&dir);
});

story!(the_us_validation_notice_is_seen_however_old_it_is, |db: &TestDb| {
    const NEW_YORK: i32 = -300;
    let config = CollectConfig::shipped();
    let mut store = db.init();
    let mut loan = new_loan("U1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15");
    loan.product = "US-INST".into();
    loan.borrower_id = "U1".into();
    open(&mut store, vec![loan]);
    let mut b = borrower("U1");
    b.name = "Mary Smith".into();
    b.language = "en".into();
    b.utc_offset_minutes = NEW_YORK;
    b.phone = Some("+12125550123".into());
    b.email = Some("mary@example.com".into());
    store.transaction(|tx| tx.upsert_borrowers(&[b])).unwrap();
    // D+1 (2026-02-16): the validation notice and the first overdue text.
    close_through(&mut store, "2026-02-15");
    let first = collect::run(&mut store, d("2026-02-16"), &config).unwrap();
    assert_eq!((first.messages, first.blocked_total()), (2, 0), "{first:?}");
    let seq = store.read(|tx| tx.loan("U1")).unwrap().unwrap().seq;
    let record = store.read(|tx| tx.contacts_of(seq)).unwrap();
    assert_eq!(record[0].purpose, "validation-notice");
    assert!(record[0].content.contains("dispute") && record[0].content.contains("USD 5"), "{}", record[0].content);
    // D+45 (2026-04-01): the demand letter, long after the first overdue text and long past
    // the rules' look-back. The notice went out, so the letter goes too.
    close_through(&mut store, "2026-03-31");
    let later = collect::run(&mut store, d("2026-04-01"), &config).unwrap();
    assert_eq!((later.messages, later.blocked_total()), (1, 0), "{later:?}");
    let letter = store.read(|tx| tx.contacts_of(seq)).unwrap().pop().unwrap();
    assert_eq!(
        (letter.channel.as_str(), letter.template.as_str(), letter.decision.as_str()),
        ("letter", "demand-letter", "allowed")
    );
    let report = compliance::report(&mut store, &config, d("2026-02-01"), d("2026-04-30")).unwrap();
    assert!(report.breaches.is_empty(), "{:?}", report.breaches);
    // A report of April alone audits the letter with the notice of February in view.
    let april = compliance::report(&mut store, &config, d("2026-04-01"), d("2026-04-30")).unwrap();
    assert_eq!((april.audited, april.breaches.len()), (1, 0), "{:?}", april.breaches);
});

story!(a_broken_promise_brings_the_next_call_sooner, |db: &TestDb| {
    let config = CollectConfig::shipped();
    // Two unpaid loans of one borrower; on 2026-03-02 (D+15) each gets a call task.
    let mut store = book(db, 2, "2026-03-01");
    collect::run(&mut store, d("2026-03-02"), &config).unwrap();
    calls::save_agent(
        &mut store,
        &AgentRow { agent_id: "a1".into(), name: "A".into(), daily_cap: 10, desk: "CNY".into(), active: true },
    )
    .unwrap();
    calls::assign(&mut store).unwrap();
    let l1 = store.read(|tx| tx.loan("L1")).unwrap().unwrap().seq;
    let task = store.read(|tx| tx.open_call_tasks(Some("a1"), "", 10)).unwrap().into_iter().find(|t| t.loan_seq == l1).unwrap();
    let now = beijing("2026-03-02 10:00");
    let Dial::Allowed { contact_key, .. } = calls::dial(&mut store, &config, task.id, "a1", now).unwrap() else {
        panic!("allowed")
    };
    let promise = CallOutcome::Promise { date: d("2026-03-04"), amount: amt("500.00") };
    calls::record_outcome(&mut store, task.id, &contact_key, "a1", promise, now + 5).unwrap();
    // Nothing arrives by 2026-03-04: judged broken the next day.
    close_through(&mut store, "2026-03-04");
    let judged = collect::run(&mut store, d("2026-03-05"), &config).unwrap();
    assert_eq!((judged.promises_kept, judged.promises_broken), (0, 1), "{judged:?}");
    // D+22 (2026-03-09) is a step only for loans with a broken promise: L1 is called, L2 not.
    close_through(&mut store, "2026-03-08");
    let day22 = collect::run(&mut store, d("2026-03-09"), &config).unwrap();
    assert_eq!(day22.call_tasks, 1, "{day22:?}");
    let tasks: Vec<_> = store.read(|tx| tx.open_call_tasks(None, "CNY", 10)).unwrap();
    assert!(tasks.iter().any(|t| t.loan_seq == l1 && t.business_date == d("2026-03-09") && t.step_day == 22), "{tasks:?}");
    let promises = store.read(|tx| tx.promises_of(l1)).unwrap();
    assert_eq!((promises[0].status.as_str(), promises[0].resolved_on), ("broken", Some(d("2026-03-05"))));
});

story!(a_rerun_never_queues_a_message_its_record_shows_blocked, |db: &TestDb| {
    let config = CollectConfig::shipped();
    let mut store = book(db, 1, "2026-02-24");
    let dispute = open_dispute(&mut store, "L1");
    // D+10: the email is blocked by the open dispute and recorded so.
    let first = collect::run(&mut store, d("2026-02-25"), &config).unwrap();
    assert_eq!(first.blocked.get("pause-while-disputed"), Some(&1), "{first:?}");
    // As if the run had died before it finished, and the dispute were closed meanwhile.
    store.transaction(|tx| tx.execute_raw("UPDATE collect_runs SET status = 'running'")).unwrap();
    disputes::resolve(&mut store, dispute, disputes::Outcome::Confirmed, "agent").unwrap();
    let again = collect::run(&mut store, d("2026-02-25"), &config).unwrap();
    assert!(!again.already_done);
    let dir = scratch(db);
    let r = outbox::deliver(
        &mut store,
        &senders(&dir),
        DeliverOptions { now_utc: beijing("2026-02-25 10:30"), limit: 10, crash_after_sends: None },
    )
    .unwrap();
    assert_eq!(r.sent, 0, "the message of a contact recorded as blocked never leaves: {r:?}");
    let seq = store.read(|tx| tx.loan("L1")).unwrap().unwrap().seq;
    let record = store.read(|tx| tx.contacts_of(seq)).unwrap();
    assert_eq!(record.len(), 1, "recorded once: {record:?}");
    assert_eq!(record[0].decision, "blocked");
    let _ = std::fs::remove_dir_all(&dir);
});

story!(a_validation_notice_that_never_went_out_does_not_count, |db: &TestDb| {
    const NEW_YORK: i32 = -300;
    let config = CollectConfig::shipped();
    let mut store = db.init();
    let mut loan = new_loan("U1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15");
    loan.product = "US-INST".into();
    loan.borrower_id = "U1".into();
    open(&mut store, vec![loan]);
    let b = BorrowerRecord {
        borrower_id: "U1".into(),
        name: "Mary Smith".into(),
        language: "en".into(),
        utc_offset_minutes: NEW_YORK,
        phone: Some("+12125550123".into()),
        email: Some("mary@example.com".into()),
        ..borrower("U1")
    };
    store.transaction(|tx| tx.upsert_borrowers(&[b])).unwrap();
    close_through(&mut store, "2026-02-15");
    collect::run(&mut store, d("2026-02-16"), &config).unwrap();
    // The text goes out; the print house takes no letters that day, and the notice expires.
    let dir = scratch(db);
    let texts_only = Senders::default().with(Box::new(FileSender::new(Channel::Sms, dir.join("sms.jsonl"))));
    let morning = LocalTime::parse("2026-02-16 10:30").unwrap().utc_minutes(NEW_YORK);
    let r = outbox::deliver(&mut store, &texts_only, DeliverOptions { now_utc: morning, limit: 10, crash_after_sends: None })
        .unwrap();
    assert_eq!((r.sent, r.no_sender), (1, 1), "{r:?}");
    let late = LocalTime::parse("2026-02-16 20:00").unwrap().utc_minutes(NEW_YORK);
    let r = outbox::deliver(&mut store, &senders(&dir), DeliverOptions { now_utc: late, limit: 10, crash_after_sends: None })
        .unwrap();
    assert_eq!(r.expired, 1, "{r:?}");
    // D+10: more than five days after the first collection text, and the notice never went
    // out: the email waits for a notice.
    close_through(&mut store, "2026-02-24");
    let later = collect::run(&mut store, d("2026-02-25"), &config).unwrap();
    assert_eq!(later.blocked.get("validation-notice"), Some(&1), "{later:?}");
    let report = compliance::report(&mut store, &config, d("2026-02-01"), d("2026-02-28")).unwrap();
    assert!(report.breaches.is_empty(), "{:?}", report.breaches);
    let _ = std::fs::remove_dir_all(&dir);
});

story!(a_borrower_file_cannot_take_back_an_opt_out, |db: &TestDb| {
    let mut store = book(db, 1, "2026-02-11");
    calls::opt_out(&mut store, "B1", Channel::Email, "B1").unwrap();
    let file = "borrower_id,name,language,utc_offset,phone,email,opted_out\nB1,王芳,zh,+08:00,13812345678,wang@example.com,sms\n";
    let mut report = arrears_app::import::ImportReport::default();
    arrears_app::borrowers::import_csv(&mut store, file.as_bytes(), &mut report).unwrap();
    let b = store.read(|tx| tx.borrower("B1")).unwrap().unwrap();
    assert_eq!(b.opted_out, "sms,email");
    assert_eq!(b.email.as_deref(), Some("wang@example.com"), "the rest of the row is taken");
});

fn open_dispute(store: &mut Store, loan_no: &str) -> i64 {
    let d = disputes::NewDispute { loan_no, month: None, amount: None, reason: "not my debt", channel: "phone", actor: "agent" };
    disputes::open(store, &d).unwrap()
}
