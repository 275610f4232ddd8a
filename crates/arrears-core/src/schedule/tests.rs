//! Golden schedules, checked period by period.

use super::*;
use crate::terms::{ProductRules, TermsInput};

fn terms(
    principal: &str,
    rate: &str,
    months: u32,
    method: RepaymentMethod,
    start: &str,
    first_due: Option<&str>,
    day_count: DayCount,
) -> LoanTerms {
    LoanTerms::new(TermsInput {
        principal: Amount::parse(principal).unwrap(),
        annual_rate: Rate::parse_percent(rate).unwrap(),
        term_months: months,
        method,
        start_date: start.parse().unwrap(),
        first_due_date: first_due.map(|d| d.parse().unwrap()),
        rules: ProductRules { day_count, cost_cap_annual: Rate::parse_percent("36").unwrap(), ..ProductRules::default() },
    })
    .unwrap()
}

/// Renders a schedule as `n due principal interest total balance` lines for comparison.
fn render(lines: &[ScheduledInstallment]) -> Vec<String> {
    lines.iter().map(|l| format!("{} {} {} {} {} {}", l.n, l.due_date, l.principal, l.interest, l.total(), l.balance)).collect()
}

#[test]
fn annuity_10000_at_7_2_percent_over_12_months() {
    // Each line computed independently with 50-digit decimals and half-up rounding to the fen.
    let want = [
        "1 2026-02-15 806.19 60.00 866.19 9193.81",
        "2 2026-03-15 811.03 55.16 866.19 8382.78",
        "3 2026-04-15 815.89 50.30 866.19 7566.89",
        "4 2026-05-15 820.79 45.40 866.19 6746.10",
        "5 2026-06-15 825.71 40.48 866.19 5920.39",
        "6 2026-07-15 830.67 35.52 866.19 5089.72",
        "7 2026-08-15 835.65 30.54 866.19 4254.07",
        "8 2026-09-15 840.67 25.52 866.19 3413.40",
        "9 2026-10-15 845.71 20.48 866.19 2567.69",
        "10 2026-11-15 850.78 15.41 866.19 1716.91",
        "11 2026-12-15 855.89 10.30 866.19 861.02",
        "12 2027-01-15 861.02 5.17 866.19 0.00",
    ];
    let t = terms("10000.00", "7.2", 12, RepaymentMethod::Annuity, "2026-01-15", None, DayCount::Act365F);
    assert_eq!(render(&schedule(&t)), want);
}

#[test]
fn published_mortgage_example_equal_installment() {
    // The textbook 等额本息 example: 1,000,000 over 30 years at 4.9% pays 5,307.27 a month.
    let t = terms("1000000", "4.9", 360, RepaymentMethod::Annuity, "2026-01-01", None, DayCount::Act365F);
    let lines = schedule(&t);
    assert_eq!(lines.len(), 360);
    assert!(lines[..359].iter().all(|l| l.total() == Amount(530_727)), "every installment but the last is 5307.27");
    assert_eq!(lines[0].interest, Amount(408_333));
    // The last installment absorbs the residue of 359 roundings: 5305.19 rather than 5307.27.
    assert_eq!((lines[359].principal, lines[359].interest), (Amount(528_362), Amount(2_157)));
    assert_eq!(lines.iter().map(|l| l.principal).sum::<Amount>(), Amount(100_000_000));
}

#[test]
fn published_mortgage_example_equal_principal() {
    // The textbook 等额本金 example: 1,000,000 over 30 years at 4.9% pays 6,861.11 in the first
    // month (2,777.78 principal + 4,083.33 interest) and 11.34 less each month after.
    let t = terms("1000000", "4.9", 360, RepaymentMethod::EqualPrincipal, "2026-01-01", None, DayCount::Act365F);
    let lines = schedule(&t);
    assert_eq!((lines[0].principal, lines[0].interest, lines[0].total()), (Amount(277_778), Amount(408_333), Amount(686_111)));
    assert_eq!(lines[0].total() - lines[1].total(), Amount(1_134));
    // After 359 payments of 2,777.78 the last installment takes the 2,776.98 left.
    assert_eq!(lines[359].principal, Amount(277_698));
    assert_eq!(lines.iter().map(|l| l.principal).sum::<Amount>(), Amount(100_000_000));
}

#[test]
fn equal_principal_small() {
    let t = terms("12000", "12", 3, RepaymentMethod::EqualPrincipal, "2026-01-15", None, DayCount::Act365F);
    assert_eq!(
        render(&schedule(&t)),
        [
            "1 2026-02-15 4000.00 120.00 4120.00 8000.00",
            "2 2026-03-15 4000.00 80.00 4080.00 4000.00",
            "3 2026-04-15 4000.00 40.00 4040.00 0.00"
        ]
    );
}

#[test]
fn interest_only_with_a_broken_first_period() {
    // 36 days in the first period accrue by ACT/365F: 12000 × 12% × 36 / 365 = 142.03.
    let t = terms("12000", "12", 3, RepaymentMethod::InterestOnly, "2026-01-10", Some("2026-02-15"), DayCount::Act365F);
    assert_eq!(
        render(&schedule(&t)),
        [
            "1 2026-02-15 0.00 142.03 142.03 12000.00",
            "2 2026-03-15 0.00 120.00 120.00 12000.00",
            "3 2026-04-15 12000.00 120.00 12120.00 0.00"
        ]
    );
}

#[test]
fn bullet_accrues_by_the_day_count() {
    // 181 days: ACT/365F gives 10000 × 7.2% × 181/365 = 357.04; ACT/360 gives 362.00;
    // 30/360 counts 180 days and gives 360.00.
    let cases = [(DayCount::Act365F, "357.04"), (DayCount::Act360, "362.00"), (DayCount::Thirty360, "360.00")];
    for (day_count, interest) in cases {
        let t = terms("10000", "7.2", 6, RepaymentMethod::Bullet, "2026-01-15", None, day_count);
        let lines = schedule(&t);
        assert_eq!(
            render(&lines),
            [format!("1 2026-07-15 10000.00 {interest} {} 0.00", (Amount(1_000_000) + Amount::parse(interest).unwrap()))],
            "{day_count}"
        );
    }
}

#[test]
fn annuity_payment_matches_the_formula_on_a_grid() {
    // Reference values from 50-digit decimal arithmetic of P·r(1+r)^n/((1+r)^n−1), half up.
    let cases = [
        ("10000", "7.2", 12, "866.19"),
        ("1000000", "4.9", 360, "5307.27"),
        ("5000", "18", 6, "877.63"),
        ("3000", "23.99", 3, "1040.25"),
        ("200000", "3.65", 36, "5873.71"),
        ("1", "24", 360, "0.02"),
    ];
    for (p, rate, n, want) in cases {
        let got = annuity_payment(Amount::parse(p).unwrap(), Rate::parse_percent(rate).unwrap(), n);
        assert_eq!(got.to_string(), want, "{p} at {rate}% over {n}");
    }
    assert_eq!(annuity_payment(Amount(100_000), Rate::ZERO, 3), Amount(33_333));
}

#[test]
fn month_end_due_dates_stay_anchored() {
    let t = terms("3000", "12", 3, RepaymentMethod::Annuity, "2026-01-31", None, DayCount::Act365F);
    let dates: Vec<String> = schedule(&t).iter().map(|l| l.due_date.to_string()).collect();
    assert_eq!(dates, ["2026-02-28", "2026-03-31", "2026-04-30"]);
}

#[test]
fn annuity_with_a_long_first_period_pays_the_extra_interest_up_front() {
    // 50 days to the first due date: the first installment carries 3000 × 12% × 50/365 = 49.32
    // of interest but the level payment's principal (1020.07 − 30.00 = 990.07), so the loan
    // still ends on a level payment, with only the rounding residue in the last one.
    let t = terms("3000", "12", 3, RepaymentMethod::Annuity, "2026-01-10", Some("2026-03-01"), DayCount::Act365F);
    assert_eq!(
        render(&schedule(&t)),
        [
            "1 2026-03-01 990.07 49.32 1039.39 2009.93",
            "2 2026-04-01 999.97 20.10 1020.07 1009.96",
            "3 2026-05-01 1009.96 10.10 1020.06 0.00",
        ]
    );
}

#[test]
fn the_last_due_date_is_the_last_of_the_due_dates() {
    for (start, first_due, months, method) in [
        ("2026-01-31", None, 13, RepaymentMethod::Annuity),
        ("2026-01-10", Some("2026-02-15"), 7, RepaymentMethod::EqualPrincipal),
        ("2026-03-31", None, 5, RepaymentMethod::Bullet),
    ] {
        let t = terms("1000", "12", months, method, start, first_due, DayCount::Act365F);
        assert_eq!(Some(&t.last_due_date()), t.due_dates().last(), "{start} {method}");
    }
}
