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

    let mut out = Collect::default();
    assert_eq!(furnish_china(&mut store, "2026-03", &mut out).unwrap(), 2);
    assert!(out.1, "the writer is finished");
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
    assert_eq!(furnish_china(&mut store, "2026-04", &mut april).unwrap(), 1);
    assert_eq!(april.0[0].account, "L1");
    assert_eq!(april.0[0].history, format!("{}123", "/".repeat(21)));
    let mut bad = Collect::default();
    assert!(furnish_china(&mut store, "2026-4", &mut bad).unwrap_err().to_string().contains("month: `2026-4` is not a month"));
});
