//! Early warning in the batch: month-end performance rows, scores with reasons, drift, the
//! band reaching the collection strategy, and the step's idempotence.

use arrears_app::collect::{self, CollectConfig};
use arrears_app::eod::{self, EodOptions};
use arrears_app::risk::{self, RiskConfig};
use arrears_app::service::{self, loan_view};
use arrears_collect::Arm;
use arrears_core::RepaymentMethod;
use arrears_store::{ScoreRow, Store};

use crate::story;
use crate::support::{borrower, d, new_loan, open, TestDb};

fn close_and_score(store: &mut Store, day: &str, config: &RiskConfig) -> risk::RiskReport {
    eod::run_until(store, d(day), EodOptions::default(), |_, _| ()).unwrap();
    risk::month_end(store, d(day), config).unwrap()
}

story!(month_ends_record_each_loan_and_score_it_with_reasons, |db: &TestDb| {
    let config = RiskConfig::shipped();
    let mut store = db.init();
    // L1 never pays; L2 pays each installment on its due date.
    open(
        &mut store,
        vec![
            new_loan("L1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
            new_loan("L2", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"),
        ],
    );
    assert_eq!(close_and_score(&mut store, "2026-01-30", &config), risk::RiskReport::default(), "not a month end");
    let jan = close_and_score(&mut store, "2026-01-31", &config);
    assert_eq!((jan.months_recorded, jan.scored), (2, 2), "{jan:?}");
    eod::run_until(&mut store, d("2026-02-14"), EodOptions::default(), |_, _| ()).unwrap();
    let due = amt_due(&mut store, "L2", "2026-02-15");
    service::pay(&mut store, "L2", due, Some(d("2026-02-15")), "p-feb").unwrap();
    close_and_score(&mut store, "2026-02-28", &config);
    eod::run_until(&mut store, d("2026-03-14"), EodOptions::default(), |_, _| ()).unwrap();
    let due = amt_due(&mut store, "L2", "2026-03-15");
    service::pay(&mut store, "L2", due, Some(d("2026-03-15")), "p-mar").unwrap();
    let mar = close_and_score(&mut store, "2026-03-31", &config);
    assert_eq!(mar.month.as_deref(), Some("2026-03"));
    assert!(mar.drift.is_some(), "the run compares the scored book with the training population");
    assert!(risk::month_end(&mut store, d("2026-03-31"), &config).unwrap().already_done, "a month is scored once");

    let (l1, l2) =
        store.read(|tx| Ok::<_, arrears_app::AppError>((tx.loan("L1")?.unwrap().seq, tx.loan("L2")?.unwrap().seq))).unwrap();
    let months = store.read(|tx| tx.months_of(&[l1, l2], "2025-12", "2026-12")).unwrap();
    let statuses = |seq: i64| months[&seq].iter().map(|m| (m.month.clone(), m.status)).collect::<Vec<_>>();
    // L1 is 13 days late at February's end (one month) and 44 at March's (two).
    assert_eq!(statuses(l1), [("2026-01".to_owned(), -2), ("2026-02".to_owned(), 1), ("2026-03".to_owned(), 2)]);
    assert_eq!(statuses(l2), [("2026-01".to_owned(), -2), ("2026-02".to_owned(), -1), ("2026-03".to_owned(), -1)]);
    let feb_paid = months[&l2][1].paid;
    assert_eq!(months[&l2][1].due, feb_paid, "the statement is the installment, paid in full");

    let (s1, s2) = (latest(&mut store, l1), latest(&mut store, l2));
    assert!(s1.pd_ppm > s2.pd_ppm && s1.points < s2.points, "the late loan scores worse: {s1:?} {s2:?}");
    let view = loan_view(&mut store, "L1", None).unwrap();
    let risk = view.risk.expect("loan show carries the score");
    let reasons: Vec<serde_json::Value> = serde_json::from_str(&risk.reasons).unwrap();
    assert!(!reasons.is_empty() && reasons.len() <= 3, "{reasons:?}");
    assert!(reasons.iter().all(|r| r["en"].is_string() && r["zh"].is_string()), "{reasons:?}");
});

fn amt_due(store: &mut Store, loan: &str, on: &str) -> arrears_core::Amount {
    loan_view(store, loan, Some(d(on))).unwrap().state.due().total()
}

fn latest(store: &mut Store, seq: i64) -> ScoreRow {
    store.read(|tx| tx.latest_score(seq, d("2099-12-31"))).unwrap().unwrap()
}

story!(a_high_risk_current_loan_hears_from_the_champion_a_week_ahead, |db: &TestDb| {
    let config = CollectConfig::shipped();
    let strategy = config.strategies.for_product("CASH").unwrap().clone();
    let mut store = db.init();
    // Four current loans; those the champion serves are the ones the early-care step reaches.
    let loans: Vec<_> = ["L1", "L2", "L3", "L4"]
        .iter()
        .map(|no| {
            let mut l = new_loan(no, "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15");
            l.borrower_id = "B1".into();
            l
        })
        .collect();
    open(&mut store, loans);
    store.transaction(|tx| tx.upsert_borrowers(&[borrower("B1")])).unwrap();
    eod::run_until(&mut store, d("2026-02-07"), EodOptions::default(), |_, _| ()).unwrap();
    // Every loan scored high at the last month end (written as the batch would).
    let seqs: Vec<i64> = store
        .read(|tx| Ok::<_, arrears_app::AppError>((1..=4).map(|k| tx.loan(&format!("L{k}")).unwrap().unwrap().seq).collect()))
        .unwrap();
    let scores: Vec<ScoreRow> = seqs
        .iter()
        .map(|&s| ScoreRow {
            loan_seq: s,
            scored_on: d("2026-01-31"),
            model: "test".into(),
            points: 520,
            pd_ppm: 400_000,
            band: "high".into(),
            reasons: "[]".into(),
            features: "[]".into(),
        })
        .collect();
    store.transaction(|tx| tx.add_scores(&scores)).unwrap();
    // 2026-02-08 is D-7 of the first installment.
    let planned = collect::run(&mut store, d("2026-02-08"), &config).unwrap();
    let champions = ["L1", "L2", "L3", "L4"].iter().filter(|no| strategy.arm_for(no) == Arm::Champion).count();
    assert!(champions > 0, "at least one loan follows the champion");
    assert_eq!(planned.messages, champions, "{planned:?}");
    let reached = store.read(|tx| tx.contacted_loans(d("2026-02-08"), "early-care")).unwrap();
    assert_eq!(reached.len(), champions);
});

story!(a_month_scored_late_is_scored_as_it_stood, |db: &TestDb| {
    let config = RiskConfig::shipped();
    let mut store = db.init();
    let mut due_last_day = new_loan("L3", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-03-01");
    due_last_day.first_due_date = Some(d("2026-03-31"));
    open(&mut store, vec![new_loan("L1", "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15"), due_last_day]);
    // March closes without its month-end step (as if the step had failed) …
    eod::run_until(&mut store, d("2026-03-31"), EodOptions::default(), |_, _| ()).unwrap();
    // … and L1 pays everything it owes on the open day, 2026-04-01.
    let owed = loan_view(&mut store, "L1", Some(d("2026-04-01"))).unwrap().state.due().total();
    service::pay(&mut store, "L1", owed, Some(d("2026-04-01")), "catch-up").unwrap();
    eod::run(&mut store, d("2026-04-01"), EodOptions::default(), |_, _| ()).unwrap();
    // The next day's catch-up scores March as it stood on its last day.
    let caught = risk::catch_up(&mut store, d("2026-04-01"), &config).unwrap();
    assert_eq!(caught.month.as_deref(), Some("2026-03"), "{caught:?}");
    assert!(risk::catch_up(&mut store, d("2026-04-02"), &config).unwrap().month.is_none(), "and only once");
    let seqs: Vec<i64> = ["L1", "L3"].iter().map(|no| store.read(|tx| tx.loan(no)).unwrap().unwrap().seq).collect();
    let months = store.read(|tx| tx.months_of(&seqs, "2026-02", "2026-03")).unwrap();
    assert_eq!(months[&seqs[0]][0].status, 2, "L1 was 44 days late on 2026-03-31, whatever it paid after");
    assert_eq!(months[&seqs[1]][0].status, 0, "L3's first installment fell due that day, unpaid: not late, not paid");
    assert!(latest(&mut store, seqs[0]).scored_on == d("2026-03-31"));
    // loan show on a date before any score shows none.
    assert!(loan_view(&mut store, "L1", Some(d("2026-03-30"))).unwrap().risk.is_none());
});

story!(a_schedule_outside_its_range_stops_the_step_and_names_the_setting, |db: &TestDb| {
    let mut store = db.init();
    for bad in ["13", "0", "monthly"] {
        store.transaction(|tx| tx.set_meta(risk::EVERY_MONTHS_KEY, bad)).unwrap();
        let err = risk::month_end(&mut store, d("2026-01-31"), &RiskConfig::shipped()).unwrap_err().to_string();
        assert!(err.contains("risk.every_months") && err.contains(&format!("`{bad}`")), "{err}");
        assert_eq!(store.read(|tx| tx.risk_run("2026-01")).unwrap(), None, "nothing recorded for {bad}");
    }
});
