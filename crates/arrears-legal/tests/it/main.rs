//! Court fees at every bracket edge, post-judgment interest, and the limitation period.

use arrears_core::{Amount, Date};
use arrears_legal::{acceptance_fee, enforcement_fee, late_performance_interest, preservation_fee, Limitation, Procedure};

fn amt(s: &str) -> Amount {
    Amount::parse(s).unwrap()
}

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn the_acceptance_fee_at_every_bracket_edge() {
    // (claim, ordinary fee): 50 up to 10,000; then each part at its rate, cumulatively.
    let cases = [
        ("0.01", "50.00"),
        ("10000.00", "50.00"),
        ("10000.01", "50.00"),
        ("10000.02", "50.00"),
        ("10001.00", "50.03"),
        ("50000.00", "1050.00"),
        ("100000.00", "2300.00"),
        ("100000.01", "2300.00"),
        ("200000.00", "4300.00"),
        ("500000.00", "8800.00"),
        ("1000000.00", "13800.00"),
        ("2000000.00", "22800.00"),
        ("5000000.00", "46800.00"),
        ("10000000.00", "81800.00"),
        ("20000000.00", "141800.00"),
        ("20000001.00", "141800.01"),
        ("30000000.00", "191800.00"),
    ];
    for (claim, fee) in cases {
        assert_eq!(acceptance_fee(amt(claim), Procedure::Ordinary), amt(fee), "claim {claim}");
    }
}

#[test]
fn summary_mediation_and_payment_orders_pay_less() {
    let claim = amt("50000.00");
    assert_eq!(acceptance_fee(claim, Procedure::Summary), amt("525.00"));
    assert_eq!(acceptance_fee(claim, Procedure::Mediation), amt("525.00"));
    assert_eq!(acceptance_fee(claim, Procedure::PaymentOrder), amt("350.00"));
    // Halving an odd fen rounds half up.
    assert_eq!(acceptance_fee(amt("10001.00"), Procedure::Summary), amt("25.02"));
    for p in Procedure::ALL {
        assert_eq!(Procedure::parse(p.code()), Some(p));
    }
    assert_eq!(Procedure::parse("fast"), None);
}

#[test]
fn preservation_is_capped_and_enforcement_scales() {
    assert_eq!(preservation_fee(amt("800.00")), amt("30.00"));
    assert_eq!(preservation_fee(amt("1000.00")), amt("30.00"));
    assert_eq!(preservation_fee(amt("100000.00")), amt("1020.00"));
    assert_eq!(preservation_fee(amt("500000.00")), amt("3020.00"));
    assert_eq!(preservation_fee(amt("2000000.00")), amt("5000.00"), "at most 5,000");
    assert_eq!(enforcement_fee(amt("10000.00")), amt("50.00"));
    assert_eq!(enforcement_fee(amt("500000.00")), amt("7400.00"));
    assert_eq!(enforcement_fee(amt("5000000.00")), amt("52400.00"));
    assert_eq!(enforcement_fee(amt("10000000.00")), amt("77400.00"));
    assert_eq!(enforcement_fee(amt("20000000.00")), amt("87400.00"));
}

#[test]
fn judgment_money_paid_late_bears_0_0175_percent_a_day() {
    // 100,000.00 for 30 days: 100,000 × 0.000175 × 30 = 525.00.
    assert_eq!(late_performance_interest(amt("100000.00"), d("2026-06-30"), d("2026-07-30")), amt("525.00"));
    assert_eq!(late_performance_interest(amt("100000.00"), d("2026-06-30"), d("2026-06-30")), Amount::ZERO);
    assert_eq!(late_performance_interest(amt("100000.00"), d("2026-06-30"), d("2026-06-01")), Amount::ZERO);
    // 1,234.56 for one day: 0.216048 → 0.22.
    assert_eq!(late_performance_interest(amt("1234.56"), d("2026-06-30"), d("2026-07-01")), amt("0.22"));
}

#[test]
fn the_limitation_period_runs_three_years_from_the_last_due_date_or_its_restart() {
    let last_due = d("2026-06-15");
    let plain = Limitation::on(last_due, &[], d("2029-06-15"));
    assert_eq!((plain.expires, plain.time_barred, plain.days_left, plain.alert), (d("2029-06-15"), false, 0, Some(30)));
    assert!(Limitation::on(last_due, &[], d("2029-06-16")).time_barred);
    assert_eq!(Limitation::on(last_due, &[], d("2029-03-17")).alert, Some(90));
    assert_eq!(Limitation::on(last_due, &[], d("2029-03-16")).alert, None);
    assert_eq!(Limitation::on(last_due, &[], d("2029-05-16")).alert, Some(30));
    // A demand a year later starts it again; one before the last due date does not count, nor
    // one in the future.
    let restarted = Limitation::on(last_due, &[d("2026-03-01"), d("2027-06-20"), d("2031-01-01")], d("2029-07-01"));
    assert_eq!(
        (restarted.runs_from, restarted.restarted, restarted.expires, restarted.time_barred),
        (d("2027-06-20"), true, d("2030-06-20"), false)
    );
}
