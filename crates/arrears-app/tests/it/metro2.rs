//! US furnishing from the book: Metro 2 base segments from the month-end rows, read back by the
//! parser; a charge-off reported 97 then 64; disputes flagged XB then XH; accounts with no
//! identity left out; first negative reports whose notice is still due.

use arrears_app::collect::{self, CollectConfig};
use arrears_app::disputes::{self, NewDispute, Outcome};
use arrears_app::eod::{self, EodOptions};
use arrears_app::import::ImportReport;
use arrears_app::metro2::{furnish_us, Furnisher, UsFurnishing};
use arrears_app::outbox::{self, DeliverOptions, Senders};
use arrears_app::risk::{self, RiskConfig};
use arrears_app::service::{self, loan_view};
use arrears_app::{borrowers, AppError};
use arrears_bureau::metro2::{parse_file, BaseSegment};
use arrears_channels::file::FileSender;
use arrears_core::{Amount, RepaymentMethod};
use arrears_policy::{Channel, LocalTime, TimeOfDay};
use arrears_store::{BorrowerRecord, Store};

use crate::story;
use crate::support::{borrower, close_with_month_ends, d, new_loan, open, TestDb};

const NEW_YORK: i32 = -300;

fn furnisher() -> Furnisher {
    Furnisher {
        id: "ARREARS0001".into(),
        name: "Example Bank".into(),
        address: "1 Main St, New York NY".into(),
        phone: "2125550100".into(),
    }
}

/// US borrowers and loans `U1`, `U2`, `U3` (borrowers `A1`…`A3`), all of 3000.00 at 18% over 6
/// months from 2026-01-15; identities for `A1` and `A2` only.
fn us_book(db: &TestDb) -> Store {
    let mut store = db.init();
    let loans = (1..=3)
        .map(|k| {
            let mut loan = new_loan(&format!("U{k}"), "3000.00", "18", 6, RepaymentMethod::Annuity, "2026-01-15");
            loan.product = "US-INST".into();
            loan.borrower_id = format!("A{k}");
            loan
        })
        .collect();
    open(&mut store, loans);
    let people: Vec<BorrowerRecord> = (1..=3)
        .map(|k| BorrowerRecord {
            name: "Mary Smith".into(),
            language: "en".into(),
            utc_offset_minutes: NEW_YORK,
            phone: Some("+1 212 555 0123".into()),
            ..borrower(&format!("A{k}"))
        })
        .collect();
    store.transaction(|tx| tx.upsert_borrowers(&people)).unwrap();
    let file = "borrower_id,surname,first_name,ssn,birth_date,address,city,state,zip\n\
                A1,Smith,Mary,123-45-6789,1990-02-01,12 Elm St,New York,NY,10001\n\
                A2,Jones,Ann,234-56-7890,1985-07-09,3 Oak Ave,Buffalo,NY,14201-1234\n";
    let mut report = ImportReport::default();
    borrowers::import_identities_csv(&mut store, file.as_bytes(), &mut report).unwrap();
    assert_eq!(report.imported, 2);
    store
}

fn furnish(store: &mut Store, month: &str) -> (UsFurnishing, Vec<BaseSegment>) {
    let us = furnish_us(store, month, &furnisher()).unwrap();
    us.furnishing.commit(store).unwrap();
    let parsed = parse_file(&us.text).unwrap();
    assert_eq!(parsed.totals.base_records as usize, us.furnishing.report.written, "the trailer counts every base segment");
    (us, parsed.bases)
}

fn segment<'a>(bases: &'a [BaseSegment], loan: &str) -> &'a BaseSegment {
    bases.iter().find(|b| b.account_number == loan).unwrap_or_else(|| panic!("{loan} is in the file"))
}

story!(dollar_loans_are_furnished_in_metro_2_from_the_book, |db: &TestDb| {
    let risk_config = RiskConfig::shipped();
    let config = CollectConfig::shipped();
    let mut store = us_book(db);
    let dir = std::env::temp_dir().join(format!("arrears-metro2-{}-{}", std::process::id(), db.url.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let senders = Channel::ALL
        .iter()
        .filter(|c| **c != Channel::Call)
        .fold(Senders::default(), |s, c| s.with(Box::new(FileSender::new(*c, dir.join(format!("{}.jsonl", c.code()))))));
    let run_until = |store: &mut Store, until: &str| {
        eod::run_days(store, d(until), EodOptions::default(), |store, day, _| {
            risk::month_end(store, day, &risk_config)?;
            let next = day.add_days(1);
            collect::run(store, next, &config)?;
            let now = LocalTime::new(next, TimeOfDay::from_minutes(11 * 60)).utc_minutes(NEW_YORK);
            outbox::deliver(store, &senders, DeliverOptions { now_utc: now, limit: 100, crash_after_sends: None })?;
            Ok(())
        })
        .unwrap();
    };
    let pay_due = |store: &mut Store, loan: &str, on: &str| {
        let owed = loan_view(store, loan, Some(d(on))).unwrap().state.due().total();
        service::pay(store, loan, owed, Some(d(on)), &format!("{loan}-{on}")).unwrap();
    };
    // U1 pays 45 days late, then on time; U2 never pays; U3 pays on time.
    run_until(&mut store, "2026-02-14");
    pay_due(&mut store, "U3", "2026-02-15");
    run_until(&mut store, "2026-03-14");
    pay_due(&mut store, "U3", "2026-03-15");
    run_until(&mut store, "2026-03-31");
    pay_due(&mut store, "U1", "2026-04-01");
    let on_time = |store: &mut Store, due: &str| {
        run_until(store, &d(due).add_days(-1).to_string());
        pay_due(store, "U1", due);
        pay_due(store, "U3", due);
    };
    on_time(&mut store, "2026-04-15");
    on_time(&mut store, "2026-05-15");
    // U1 disputes its March on 2026-05-20; answered on 2026-06-20.
    run_until(&mut store, "2026-05-19");
    let dispute = NewDispute {
        loan_no: "U1",
        month: Some("2026-03"),
        amount: None,
        reason: "paid by then",
        channel: "portal",
        actor: "A1",
    };
    let id = disputes::open(&mut store, &dispute).unwrap();
    on_time(&mut store, "2026-06-15");
    run_until(&mut store, "2026-06-19");
    disputes::resolve(&mut store, id, Outcome::Confirmed, "officer").unwrap();
    on_time(&mut store, "2026-07-15");

    // February: nobody is 30 days late; U3 has no identity and is left out, named.
    let (feb, bases) = furnish(&mut store, "2026-02");
    assert_eq!(feb.missing_identity, ["U3"]);
    assert_eq!((segment(&bases, "U1").account_status.as_str(), segment(&bases, "U2").account_status.as_str()), ("11", "11"));
    // March: both 44 days late (71); the delinquency began on the missed due date. The
    // credit-report letter went out on day 25, so no notice is still owed.
    let (mar, bases) = furnish(&mut store, "2026-03");
    assert!(mar.notices_due.is_empty(), "{:?}", mar.notices_due);
    let u1 = segment(&bases, "U1");
    assert_eq!((u1.account_status.as_str(), u1.date_first_delinquency), ("71", Some(d("2026-02-15"))));
    // February; January, whose month end the book never closed (no data); then before it opened.
    assert_eq!(u1.history, format!("0D{}", "B".repeat(22)));
    assert!(u1.amount_past_due > Amount::ZERO && u1.current_balance >= u1.amount_past_due);
    assert_eq!(
        (u1.surname.as_str(), u1.ssn.as_str(), u1.telephone.as_str(), u1.state.as_str()),
        ("SMITH", "123456789", "2125550123", "NY")
    );
    // May: current again, disputed (XB).
    furnish(&mut store, "2026-04");
    let (_, bases) = furnish(&mut store, "2026-05");
    let u1 = segment(&bases, "U1");
    assert_eq!((u1.account_status.as_str(), u1.compliance_condition.as_str(), u1.date_first_delinquency), ("11", "XB", None));
    assert_eq!(&u1.history[..4], "010D", "April, March late 30–59 days, February, January");
    // U2 is more than 120 days late on 2026-06-16 and the batch charges it off.
    run_until(&mut store, "2026-07-31");
    let (_, bases) = furnish(&mut store, "2026-06");
    let u1 = segment(&bases, "U1");
    assert_eq!(u1.compliance_condition, "XH", "answered in June");
    let u2 = segment(&bases, "U2");
    let written_off = loan_view(&mut store, "U2", None).unwrap().state.written_off.unwrap();
    assert_eq!((written_off.date, written_off.dpd), (d("2026-06-16"), 121));
    assert_eq!((u2.account_status.as_str(), u2.payment_rating), ("97", 'L'));
    assert_eq!(u2.original_charge_off, Amount(written_off.amount.total().0 / 100 * 100), "whole dollars");
    assert_eq!(u2.amount_past_due, u2.current_balance, "all of a charged-off balance is past due");
    assert_eq!(u2.date_first_delinquency, Some(d("2026-02-15")));
    assert_eq!(&u2.history[..4], "3210", "May 90–119 days late, April 60–89, March 30–59, February");
    // July: U1 paid its last installment and closed (13); U2 still charged off.
    let (_, bases) = furnish(&mut store, "2026-07");
    let u1 = segment(&bases, "U1");
    assert_eq!((u1.account_status.as_str(), u1.payment_rating, u1.date_closed), ("13", '0', Some(d("2026-07-15"))));
    assert_eq!((u1.current_balance, u1.compliance_condition.as_str()), (Amount::ZERO, ""));
    assert_eq!(segment(&bases, "U2").account_status, "97");
    // Recovered in full in August: 64, rated L, closed, nothing owed.
    let owed = loan_view(&mut store, "U2", None).unwrap().payoff;
    service::pay(&mut store, "U2", owed, None, "U2-recovery").unwrap();
    run_until(&mut store, "2026-08-31");
    let (aug, bases) = furnish(&mut store, "2026-08");
    let u2 = segment(&bases, "U2");
    assert_eq!((u2.account_status.as_str(), u2.payment_rating, u2.current_balance), ("64", 'L', Amount::ZERO));
    assert_eq!(u2.date_closed, Some(d("2026-08-01")));
    assert_eq!(u2.date_first_delinquency, Some(d("2026-02-15")), "a charge-off keeps its date of first delinquency");
    assert_eq!(&u2.history[..2], "LL", "July and June charged off");
    assert_eq!(aug.furnishing.report.written, 1, "U1 was paid off in July; U3 has no identity");
    // September: U2 was closed before the month and is no longer reported.
    run_until(&mut store, "2026-09-30");
    let (_, bases) = furnish(&mut store, "2026-09");
    assert!(bases.iter().all(|b| b.account_number != "U2"));
    let _ = std::fs::remove_dir_all(&dir);
});

story!(a_first_negative_report_with_no_notice_sent_lists_the_notice_due, |db: &TestDb| {
    let mut store = us_book(db);
    // No collection step ran: nobody was told.
    close_with_month_ends(&mut store, "2026-03-31");
    let (mar, _) = furnish(&mut store, "2026-03");
    let due: Vec<(&str, String)> = mar.notices_due.iter().map(|(l, d)| (l.as_str(), d.to_string())).collect();
    assert_eq!(due, [("U1", "2026-04-30".to_owned()), ("U2", "2026-04-30".to_owned())]);
    // Reported once, the next month's file owes no new notice.
    close_with_month_ends(&mut store, "2026-04-30");
    let (apr, _) = furnish(&mut store, "2026-04");
    assert!(apr.notices_due.is_empty());
});

story!(a_bad_identity_file_names_line_and_field_and_imports_nothing, |db: &TestDb| {
    let mut store = db.init();
    store.transaction(|tx| tx.upsert_borrowers(&[borrower("A1"), borrower("A2")])).unwrap();
    let file = "borrower_id,surname,first_name,ssn,birth_date,address,city,state,zip\n\
                A1,Smith,Mary,123-45-6789,1990-02-01,12 Elm St,New York,NY,10001\n\
                A2,Jones,Ann,666-12-3456,1985-07-09,3 Oak Ave,Buffalo,ny,1420\n";
    let mut report = ImportReport::default();
    let err = borrowers::import_identities_csv(&mut store, file.as_bytes(), &mut report).unwrap_err();
    assert!(err.to_string().contains("1 bad rows"), "{err}");
    assert_eq!((report.errors[0].line, report.errors[0].field.as_str()), (3, "ssn"));
    assert!(!report.errors[0].to_string().contains("3456"), "an SSN is never echoed: {}", report.errors[0]);
    assert!(store.read(|tx| tx.identities(&["A1"])).unwrap().is_empty(), "nothing was imported");
    // A borrower not on file is refused too.
    let unknown = "borrower_id,surname,first_name,ssn,birth_date,address,city,state,zip\n\
                   Z9,Smith,Mary,123-45-6789,1990-02-01,12 Elm St,New York,NY,10001\n";
    let err = borrowers::import_identities_csv(&mut store, unknown.as_bytes(), &mut ImportReport::default()).unwrap_err();
    assert!(matches!(err, AppError::Invalid { field: "borrower_id", .. }), "{err}");
});
