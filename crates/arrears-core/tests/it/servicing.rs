//! Overdue stories with hand-computed numbers: DPD, buckets, classes, penalty and compound
//! interest day by day, the status history, and late fees.
//!
//! The story loan (see `support::story_input`): 10000.00 at 18%, 12-month annuity from
//! 2026-01-15, ACT/365F, 3 days' grace, +50% surcharge so the penalty rate is
//! 18% × 1.5 = 27%, compound interest on, 24% cost cap. Installment 1 falls due on
//! 2026-02-15: 766.80 principal + 150.00 interest (10000 × 18% / 12), 916.80 in all.

use arrears_core::{Amount, Bucket, Classification, LateFee, LateFeeRule, LoanEvent, LoanState, LoanTerms, StatusChange};

use crate::support::{advanced, amt, assert_invariants, d, pct, story_input, story_terms};

#[test]
fn the_story_schedule_starts_as_computed_by_hand() {
    let state = LoanState::disburse(&story_terms());
    // Level payment 10000 × 1.5% / (1 − 1.015^−12) = 916.7999… → 916.80.
    // 1: interest 10000 × 1.5% = 150.00, principal 916.80 − 150.00 = 766.80.
    // 2: interest 9233.20 × 1.5% = 138.498 → 138.50, principal 778.30.
    let first: Vec<_> =
        state.installments[..2].iter().map(|i| (i.n, i.due_date, i.charged.principal, i.scheduled_interest)).collect();
    assert_eq!(
        first,
        [(1, d("2026-02-15"), Amount(76_680), Amount(15_000)), (2, d("2026-03-15"), Amount(77_830), Amount(13_850))]
    );
    assert_eq!(state.charged().interest, Amount::ZERO, "interest is charged when an installment falls due");
}

/// Bucket and class expected for the story, from the unpaid first installment's DPD.
/// Grace is 3 days: DPD 1..=3 is M0-grace and still normal; DPD 4 is M1 and special mention.
fn expected_status(dpd: u32) -> (Bucket, Classification) {
    let bucket = match dpd {
        0 => Bucket::M0,
        1..=3 => Bucket::M0Grace,
        4..=30 => Bucket::M1,
        31..=60 => Bucket::M2,
        61..=90 => Bucket::M3,
        91..=120 => Bucket::M4,
        121..=150 => Bucket::M5,
        151..=180 => Bucket::M6,
        _ => Bucket::M7Plus,
    };
    let class = match dpd {
        0..=3 => Classification::Normal,
        4..=90 => Classification::SpecialMention,
        91..=270 => Classification::Substandard,
        271..=360 => Classification::Doubtful,
        _ => Classification::Loss,
    };
    (bucket, class)
}

#[test]
fn unpaid_first_installment_day_by_day() {
    let terms = story_terms();
    let mut state = LoanState::disburse(&terms);
    let first_due = d("2026-02-15");
    let end = d("2027-02-12");
    let mut events = Vec::new();
    while state.as_of < end {
        let before = state.clone();
        let day = state.as_of.add_days(1);
        events.extend(state.advance(&terms, day).unwrap());
        // Nothing is paid, so the first installment is the oldest unpaid one and sets the DPD.
        let dpd = first_due.days_until(day).max(0) as u32;
        assert_eq!(state.dpd, dpd, "{day}: DPD");
        assert_eq!((state.bucket, state.class), expected_status(dpd), "{day}: bucket and class (DPD {dpd})");

        // Penalty and compound interest of one day, before the second installment falls due
        // and while the cap has room, per installment:
        //   1: penalty 766.80 × 27% / 365 = 0.5672 → 0.57; compound 150.00 × 27% / 365 = 0.1110 → 0.11
        //   2: penalty 778.30 × 27% / 365 = 0.5757 → 0.58; compound 138.50 × 27% / 365 = 0.1025 → 0.10
        // Installment 1's grace ends on 2026-02-18 (DPD 3): the first penalty day is 02-19, not
        // retroactive. Installment 2 (due 03-15) starts on 03-19.
        let delta = state.charged().minus(&before.charged());
        let within = |from: &str, to: &str| d(from) <= day && day <= d(to);
        let daily = if within("2026-01-16", "2026-02-18") {
            Some((0, 0))
        } else if within("2026-02-19", "2026-03-18") {
            Some((57, 11))
        } else if within("2026-03-19", "2026-04-18") {
            Some((57 + 58, 11 + 10))
        } else {
            None
        };
        if let Some((penalty, compound)) = daily {
            assert_eq!((delta.penalty, delta.compound), (Amount(penalty), Amount(compound)), "{day}: one day's charges");
        }
        let interest = if day == d("2026-02-15") {
            15_000
        } else if day == d("2026-03-15") {
            13_850
        } else {
            0
        };
        if day < d("2026-04-15") {
            assert_eq!(delta.interest, Amount(interest), "{day}: interest falls due with its installment");
        }
        assert_invariants(&terms, &state, &day.to_string());
    }
    // Totals on installment 1 at 2026-03-18: 28 penalty days (02-19..=03-18).
    let on_0318 = advanced(&terms, "2026-03-18");
    assert_eq!(on_0318.installments[0].charged.penalty, Amount(28 * 57));
    assert_eq!(on_0318.installments[0].charged.compound, Amount(28 * 11));
    assert_eq!(on_0318.installments[1].charged.penalty, Amount::ZERO, "installment 2 is still in grace");

    // Every move, with its date and DPD: due 2026-02-15, so DPD n falls on 02-15 + n days.
    let moves = [
        ("2026-02-16", 1, Bucket::M0, Bucket::M0Grace, Classification::Normal, Classification::Normal),
        ("2026-02-19", 4, Bucket::M0Grace, Bucket::M1, Classification::Normal, Classification::SpecialMention),
        ("2026-03-18", 31, Bucket::M1, Bucket::M2, Classification::SpecialMention, Classification::SpecialMention),
        ("2026-04-17", 61, Bucket::M2, Bucket::M3, Classification::SpecialMention, Classification::SpecialMention),
        ("2026-05-17", 91, Bucket::M3, Bucket::M4, Classification::SpecialMention, Classification::Substandard),
        ("2026-06-16", 121, Bucket::M4, Bucket::M5, Classification::Substandard, Classification::Substandard),
        ("2026-07-16", 151, Bucket::M5, Bucket::M6, Classification::Substandard, Classification::Substandard),
        ("2026-08-15", 181, Bucket::M6, Bucket::M7Plus, Classification::Substandard, Classification::Substandard),
        ("2026-11-13", 271, Bucket::M7Plus, Bucket::M7Plus, Classification::Substandard, Classification::Doubtful),
        ("2027-02-11", 361, Bucket::M7Plus, Bucket::M7Plus, Classification::Doubtful, Classification::Loss),
    ];
    let want: Vec<StatusChange> = moves
        .iter()
        .map(|&(date, dpd, from_bucket, to_bucket, from_class, to_class)| StatusChange {
            date: d(date),
            dpd,
            from_bucket,
            to_bucket,
            from_class,
            to_class,
        })
        .collect();
    assert_eq!(state.history, want);
    let announced: Vec<StatusChange> =
        events.iter().filter_map(|e| if let LoanEvent::StatusChanged(c) = e { Some(*c) } else { None }).collect();
    assert_eq!(announced, want, "every move is also an event");
    let due: Vec<(String, u32)> = events
        .iter()
        .filter_map(|e| if let LoanEvent::InstallmentDue { date, n, .. } = e { Some((date.to_string(), *n)) } else { None })
        .collect();
    assert_eq!(due.len(), 12, "every installment falls due once");
    assert_eq!(due[0], ("2026-02-15".to_owned(), 1));
    assert_eq!(due[11], ("2027-01-15".to_owned(), 12));
}

#[test]
fn paid_inside_grace_costs_nothing_and_leaves_no_mark() {
    let terms = story_terms();
    let mut state = advanced(&terms, "2026-02-17");
    assert_eq!((state.dpd, state.bucket, state.class), (2, Bucket::M0Grace, Classification::Normal));
    let (allocation, _) = state.apply_payment(&terms, d("2026-02-17"), amt("916.80")).unwrap();
    assert_eq!(allocation.total(), amt("916.80"));
    assert_eq!((state.dpd, state.bucket, state.class), (0, Bucket::M0, Classification::Normal));
    state.advance(&terms, d("2026-03-10")).unwrap();
    let charged = state.charged();
    assert_eq!((charged.penalty, charged.compound, charged.fee), (Amount::ZERO, Amount::ZERO, Amount::ZERO));
    assert_eq!(state.installments[0].settled_on, Some(d("2026-02-17")));
    let classes: Vec<_> = state.history.iter().map(|c| (c.date.to_string(), c.to_bucket, c.to_class)).collect();
    assert_eq!(
        classes,
        [
            ("2026-02-16".to_owned(), Bucket::M0Grace, Classification::Normal),
            ("2026-02-17".to_owned(), Bucket::M0, Classification::Normal)
        ]
    );
}

#[test]
fn a_cure_stops_penalty_and_moves_back_to_m0() {
    let terms = story_terms();
    let mut state = advanced(&terms, "2026-03-01");
    // 11 penalty days (02-19..=03-01): penalty 11 × 0.57 = 6.27, compound 11 × 0.11 = 1.21;
    // all due is 916.80 + 6.27 + 1.21 = 924.28.
    assert_eq!(state.due().total(), amt("924.28"));
    state.apply_payment(&terms, d("2026-03-01"), amt("924.28")).unwrap();
    assert_eq!((state.dpd, state.bucket, state.class), (0, Bucket::M0, Classification::Normal));
    let last = state.history.last().unwrap();
    assert_eq!((last.date, last.from_bucket, last.from_class), (d("2026-03-01"), Bucket::M1, Classification::SpecialMention));
    let charged_then = state.charged();
    state.advance(&terms, d("2026-03-14")).unwrap();
    assert_eq!(state.charged(), charged_then, "nothing accrues on a cured loan between due dates");
}

/// A late-fee case: the rule and its caps, and the fee each of installments 1..=4 gets.
struct FeeCase {
    name: &'static str,
    fee: LateFee,
    want: [&'static str; 4],
}

#[test]
fn late_fee_is_charged_once_when_grace_ends() {
    let fixed = |a: &str| LateFeeRule::Fixed(amt(a));
    let percent = |p: &str| LateFeeRule::PercentOfInstallment(pct(p));
    let cap = |a: &str| Some(amt(a));
    // Every installment's unpaid principal + interest when its grace ends is 916.80 (level
    // payments): 2% of it is 18.336 → 18.34, 5% is 45.84.
    let cases = [
        FeeCase {
            name: "fixed",
            fee: LateFee { rule: fixed("30"), cap_per_installment: None, cap_per_loan: None },
            want: ["30.00"; 4],
        },
        FeeCase {
            name: "fixed, per-installment cap",
            fee: LateFee { rule: fixed("30"), cap_per_installment: cap("20"), cap_per_loan: None },
            want: ["20.00"; 4],
        },
        FeeCase {
            name: "fixed, per-loan cap: 30 + 30 + the 10 left + nothing",
            fee: LateFee { rule: fixed("30"), cap_per_installment: None, cap_per_loan: cap("70") },
            want: ["30.00", "30.00", "10.00", "0.00"],
        },
        FeeCase {
            name: "percent",
            fee: LateFee { rule: percent("2"), cap_per_installment: None, cap_per_loan: None },
            want: ["18.34"; 4],
        },
        FeeCase {
            name: "percent, per-installment cap",
            fee: LateFee { rule: percent("5"), cap_per_installment: cap("40"), cap_per_loan: None },
            want: ["40.00"; 4],
        },
        FeeCase {
            name: "percent, both caps: 18.34 × 2, then 50 − 36.68 = 13.32, then nothing",
            fee: LateFee { rule: percent("2"), cap_per_installment: cap("25"), cap_per_loan: cap("50") },
            want: ["18.34", "18.34", "13.32", "0.00"],
        },
    ];
    // Grace ends on DPD 3; the fee is charged on DPD 4: due 02-15, 03-15, 04-15, 05-15.
    let fee_days = ["2026-02-19", "2026-03-19", "2026-04-19", "2026-05-19"];
    for case in cases {
        let mut input = story_input();
        input.rules.late_fee = case.fee;
        let terms = LoanTerms::new(input).unwrap();
        let mut state = LoanState::disburse(&terms);
        let mut expired = Vec::new();
        while state.as_of < d("2026-06-15") {
            let day = state.as_of.add_days(1);
            let before = state.clone();
            for event in state.advance(&terms, day).unwrap() {
                if let LoanEvent::GraceExpired { date, n, late_fee } = event {
                    expired.push((date.to_string(), n, late_fee.to_string()));
                }
            }
            let fee_today = state.charged().fee - before.charged().fee;
            let k = fee_days.iter().position(|f| *f == day.to_string().as_str());
            let want = k.map_or(Amount::ZERO, |k| amt(case.want[k]));
            assert_eq!(fee_today, want, "{}: fee charged on {day}", case.name);
            assert_invariants(&terms, &state, case.name);
        }
        let want_events: Vec<_> = (0..4).map(|k| (fee_days[k].to_owned(), k as u32 + 1, case.want[k].to_owned())).collect();
        assert_eq!(expired, want_events, "{}: one grace-expired event per installment", case.name);
        let per_installment: Vec<String> = state.installments[..4].iter().map(|i| i.charged.fee.to_string()).collect();
        assert_eq!(per_installment, case.want, "{}", case.name);
        assert!(state.installments[4..].iter().all(|i| i.charged.fee.is_zero() && !i.late_fee_charged));
        let total: Amount = case.want.iter().map(|a| amt(a)).sum();
        assert_eq!(state.late_fees_total, total, "{}", case.name);
        assert_eq!(state.cap.forgone, Amount::ZERO, "{}: the cap does not bite in this window", case.name);
    }
}

#[test]
fn no_late_fee_when_paid_before_grace_ends() {
    let mut input = story_input();
    input.rules.late_fee = LateFee { rule: LateFeeRule::Fixed(amt("30")), cap_per_installment: None, cap_per_loan: None };
    let terms = LoanTerms::new(input).unwrap();
    let mut state = advanced(&terms, "2026-02-18");
    state.apply_payment(&terms, d("2026-02-18"), amt("916.80")).unwrap();
    state.advance(&terms, d("2026-03-10")).unwrap();
    assert_eq!(state.charged().fee, Amount::ZERO);
    assert!(!state.installments[0].late_fee_charged);
}

#[test]
fn grace_zero_starts_penalty_the_day_after_the_due_date() {
    let mut input = story_input();
    input.rules.grace_days = 0;
    let terms = LoanTerms::new(input).unwrap();
    let on_due = advanced(&terms, "2026-02-15");
    assert_eq!((on_due.dpd, on_due.bucket), (0, Bucket::M0));
    let next = advanced(&terms, "2026-02-16");
    assert_eq!((next.dpd, next.bucket, next.class), (1, Bucket::M1, Classification::SpecialMention));
    assert_eq!((next.charged().penalty, next.charged().compound), (Amount(57), Amount(11)));
}

#[test]
fn compound_interest_switched_off_charges_only_penalty() {
    let mut input = story_input();
    input.rules.compound_interest = false;
    let terms = LoanTerms::new(input).unwrap();
    let state = advanced(&terms, "2026-03-18");
    assert_eq!(state.charged().penalty, Amount(28 * 57));
    assert_eq!(state.charged().compound, Amount::ZERO);
}

#[test]
fn what_the_borrower_is_asked_to_pay_follows_the_oldest_unpaid_installment() {
    let terms = story_terms();
    // Before installment 1 falls due: the whole installment, interest not yet charged included.
    let before = advanced(&terms, "2026-02-12");
    assert_eq!(before.reference_installment().map(|i| i.due_date), Some(d("2026-02-15")));
    assert_eq!(before.amount_to_pay(), amt("916.80"));
    // Overdue past grace: the installment plus the penalty and compound interest it accrued.
    let late = advanced(&terms, "2026-02-25");
    assert_eq!(late.reference_installment().map(|i| i.due_date), Some(d("2026-02-15")));
    assert_eq!(late.amount_to_pay(), late.due().total());
    assert!(late.amount_to_pay() > amt("916.80"));
    // Paid: the next installment becomes the reference.
    let mut paid = advanced(&terms, "2026-02-15");
    paid.apply_payment(&terms, d("2026-02-15"), amt("916.80")).unwrap();
    assert_eq!(paid.reference_installment().map(|i| i.due_date), Some(d("2026-03-15")));
    assert_eq!(paid.amount_to_pay(), amt("916.80"), "the level payment of installment 2");
    // Money paid ahead is netted: 100.00 held leaves 816.80 to ask for.
    paid.apply_payment(&terms, d("2026-02-15"), amt("100.00")).unwrap();
    assert_eq!(paid.amount_to_pay(), amt("816.80"));
}
