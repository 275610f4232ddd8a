//! A loan's terms in plain words, each in one sentence with a worked example from the
//! borrower's own numbers: what was borrowed and how it is repaid, the interest rate, the
//! all-in cost cap, the grace period, penalty interest and the late fee. Much overdue debt
//! starts with terms nobody understood; the borrower's portal shows this.
//!
//! Pure: the figures come from the core (the schedule, and a copy of the loan serviced with its
//! first installment unpaid for the penalty and the late fee), so the examples are what the
//! servicing would charge.

use arrears_core::{schedule, Amount, Date, LateFeeRule, LoanError, LoanState, LoanStatus, LoanTerms, RepaymentMethod};
use serde::Serialize;

/// One term explained, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explained {
    /// `borrowed`, `method`, `rate`, `cost-cap`, `grace`, `penalty`, `late-fee`.
    pub key: &'static str,
    pub zh: String,
    pub en: String,
}

/// The days late in the penalty example.
pub const EXAMPLE_DAYS_LATE: u32 = 10;

fn explained(key: &'static str, zh: String, en: String) -> Explained {
    Explained { key, zh, en }
}

/// The terms of a loan in plain words.
pub fn explain(terms: &LoanTerms) -> Vec<Explained> {
    let plan = schedule(terms);
    let cur = terms.currency().code();
    let money = |a: Amount| format!("{cur} {}", a.grouped());
    let first = plan.first().expect("a loan has at least one installment");
    let n = plan.len();
    let rules = terms.rules();
    let mut out = vec![explained(
        "borrowed",
        format!(
            "您于{}借款{}，分{n}期归还，最后一期的还款日是{}。",
            terms.start_date(),
            money(terms.principal()),
            terms.last_due_date()
        ),
        format!(
            "You borrowed {} on {}, to repay in {n} installment{}, the last due on {}.",
            money(terms.principal()),
            terms.start_date(),
            if n == 1 { "" } else { "s" },
            terms.last_due_date()
        ),
    )];
    out.push(match terms.method() {
        RepaymentMethod::Annuity => explained(
            "method",
            format!("等额本息：每期还款额大致相同，约{}；前期利息多、本金少，之后利息逐期减少。", money(first.total())),
            format!(
                "Equal installments: each payment is about the same, some {}; early ones are mostly interest, later ones mostly principal.",
                money(first.total())
            ),
        ),
        RepaymentMethod::EqualPrincipal => explained(
            "method",
            format!("等额本金：每期归还相同的本金{}，再加当期利息，所以每期还款额逐期减少；第1期为{}。", money(first.principal), money(first.total())),
            format!(
                "Equal principal: each payment returns {} of principal plus that period's interest, so payments fall over time; the first is {}.",
                money(first.principal),
                money(first.total())
            ),
        ),
        RepaymentMethod::InterestOnly => explained(
            "method",
            format!("先息后本：每期只付利息（约{}），全部本金在最后一期{}一次还清。", money(first.interest), terms.last_due_date()),
            format!(
                "Interest first: each payment is interest only (about {}), and all the principal is due with the last one, on {}.",
                money(first.interest),
                terms.last_due_date()
            ),
        ),
        RepaymentMethod::Bullet => explained(
            "method",
            format!("到期一次还本付息：{}应还{}。", first.due_date, money(first.total())),
            format!("One repayment: {} of principal and interest is due on {}.", money(first.total()), first.due_date),
        ),
    });
    out.push(explained(
        "rate",
        format!(
            "年利率{}：利息只按尚未归还的本金计算。例如第1期（{}），利息为{}。",
            terms.annual_rate(),
            first.due_date,
            money(first.interest)
        ),
        format!(
            "The interest rate is {} a year, charged only on the principal still owed. Your first installment ({}) carries {} of interest.",
            terms.annual_rate(),
            first.due_date,
            money(first.interest)
        ),
    ));
    out.push(explained(
        "cost-cap",
        format!("所有利息、罚息和费用合计，年化不超过{}（法定上限），超出部分不会收取。", rules.cost_cap_annual),
        format!(
            "All interest, penalty interest and fees together never exceed {} a year (the legal cap); anything above it is not charged.",
            rules.cost_cap_annual
        ),
    ));
    let grace = terms.grace_days();
    let grace_end = first.due_date.add_days(grace as i32);
    out.push(explained(
        "grace",
        format!(
            "宽限期{grace}天：应还日后{grace}天内还清，不收罚息。例如第1期{}应还{}，在{}前还清就没有罚息。",
            first.due_date,
            money(first.total()),
            grace_end
        ),
        format!(
            "Grace period of {grace} days: pay within {grace} days after a due date and no penalty is charged. Your first installment of {} is due on {}; paid by {}, it costs nothing more.",
            money(first.total()),
            first.due_date,
            grace_end
        ),
    ));
    // The first installment left unpaid, serviced by the core: what it charges is the example.
    let late = |days: u32| {
        let mut copy = LoanState::disburse(terms);
        copy.advance(terms, first.due_date.add_days(days as i32)).expect("servicing a new loan forward");
        copy.installments[0].charged
    };
    let rate = terms.penalty_rate();
    let (charged, day_before) = (late(EXAMPLE_DAYS_LATE), late(EXAMPLE_DAYS_LATE - 1));
    let total = charged.penalty + charged.compound;
    let per_day = total - (day_before.penalty + day_before.compound);
    let days = EXAMPLE_DAYS_LATE.saturating_sub(grace);
    let (also_zh, also_en) = if rules.compound_interest {
        ("及逾期利息（复利）", " and on the late interest (compound interest)")
    } else {
        ("", "")
    };
    out.push(explained(
        "penalty",
        format!(
            "罚息：宽限期过后，从次日起按年利率{rate}（合同利率上浮{}）对逾期本金{also_zh}按日计收。例如第1期晚还{EXAMPLE_DAYS_LATE}天，宽限期外{days}天，每天约{}，共约{}。",
            rules.penalty_surcharge,
            money(per_day),
            money(total)
        ),
        format!(
            "Penalty interest: from the day after the grace period, {rate} a year (the contract rate plus {}) is charged each day on the late principal{also_en}. If your first installment were {EXAMPLE_DAYS_LATE} days late, {days} days fall after the grace period: about {} a day, {} in all.",
            rules.penalty_surcharge,
            money(per_day),
            money(total)
        ),
    ));
    let cap = |a: Option<Amount>| a.map(money);
    out.push(match rules.late_fee.rule {
        LateFeeRule::None => explained("late-fee", "不收逾期手续费。".into(), "There is no late fee.".into()),
        LateFeeRule::Fixed(fee) => explained(
            "late-fee",
            format!(
                "逾期手续费：某期在宽限期结束时仍未还清，收取{}{}。",
                money(fee),
                cap(rules.late_fee.cap_per_loan).map_or(String::new(), |c| format!("，整笔借款合计不超过{c}"))
            ),
            format!(
                "Late fee: {} for each installment still unpaid when its grace period ends{}.",
                money(fee),
                cap(rules.late_fee.cap_per_loan).map_or(String::new(), |c| format!(", at most {c} over the loan"))
            ),
        ),
        LateFeeRule::PercentOfInstallment(share) => {
            let example = charged.fee;
            explained(
                "late-fee",
                format!("逾期手续费：某期在宽限期结束时仍未还清，按该期未还金额的{share}收取；例如第1期全额未还，约{}。", money(example)),
                format!(
                    "Late fee: {share} of what is unpaid of an installment when its grace period ends; for your whole first installment, about {}.",
                    money(example)
                ),
            )
        }
    });
    out
}

/// What paying `amount` on `date` would do, worked on a copy of the loan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhatIf {
    pub date: Date,
    pub amount: Amount,
    /// Owed on the day before paying (all components, interest to the day), and after.
    pub owed_before: Amount,
    pub owed_after: Amount,
    /// Past due before paying, and still past due after (nothing when the loan is current).
    pub past_due_before: Amount,
    pub past_due_after: Amount,
    pub days_late_after: u32,
    /// The loan is closed by the payment.
    pub paid_off: bool,
    /// The next due date after paying, and what falls due on it.
    pub next_due: Option<(Date, Amount)>,
}

/// Pays `amount` on `date` (the loan's day or later) on a copy of the loan: nothing is stored.
pub fn what_if(terms: &LoanTerms, state: &LoanState, date: Date, amount: Amount) -> Result<WhatIf, LoanError> {
    let mut s = state.clone();
    s.advance(terms, date.max(s.as_of))?;
    let past_due = |s: &LoanState| (s.due().total() - s.credit).max(Amount::ZERO);
    let owed = |s: &LoanState| if s.status == LoanStatus::PaidOff { Amount::ZERO } else { s.payoff_amount(terms) };
    let (owed_before, past_due_before) = (owed(&s), past_due(&s));
    s.apply_payment(terms, s.as_of, amount)?;
    let next_due = s
        .installments
        .iter()
        .filter(|i| i.due_date > s.as_of)
        .map(|i| (i.due_date, i.outstanding().total() + if i.interest_charged { Amount::ZERO } else { i.scheduled_interest }))
        .find(|(_, a)| !a.is_zero());
    Ok(WhatIf {
        date: s.as_of,
        amount,
        owed_before,
        owed_after: owed(&s),
        past_due_before,
        past_due_after: past_due(&s),
        days_late_after: s.dpd,
        paid_off: s.status == LoanStatus::PaidOff,
        next_due: if s.status == LoanStatus::PaidOff { None } else { next_due },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrears_core::loan::daily_amount;
    use arrears_core::{ProductRules, Rate, TermsInput};

    fn terms(principal: i64, rate_bp: i64, method: RepaymentMethod, rules: ProductRules) -> LoanTerms {
        LoanTerms::new(TermsInput {
            principal: Amount(principal),
            annual_rate: Rate::from_bp(rate_bp),
            term_months: 6,
            method,
            start_date: "2026-01-10".parse().unwrap(),
            first_due_date: None,
            rules,
        })
        .unwrap()
    }

    fn find<'a>(all: &'a [Explained], key: &str) -> &'a Explained {
        all.iter().find(|e| e.key == key).unwrap_or_else(|| panic!("no {key}"))
    }

    #[test]
    fn the_examples_are_the_borrowers_own_numbers() {
        let t = terms(1_200_000, 1_800, RepaymentMethod::Annuity, ProductRules::default());
        let plan = schedule(&t);
        let all = explain(&t);
        assert_eq!(
            all.iter().map(|e| e.key).collect::<Vec<_>>(),
            ["borrowed", "method", "rate", "cost-cap", "grace", "penalty", "late-fee"]
        );
        assert_eq!(find(&all, "borrowed").zh, "您于2026-01-10借款CNY 12,000.00，分6期归还，最后一期的还款日是2026-07-10。");
        let first = &plan[0];
        assert!(find(&all, "method").en.contains(&first.total().grouped()), "{:?}", find(&all, "method"));
        assert!(find(&all, "rate").zh.contains(&format!("利息为CNY {}", first.interest.grouped())));
        assert!(find(&all, "grace").en.contains("paid by 2026-02-13"), "{:?}", find(&all, "grace"));
        // Penalty: 27% a year (18% plus 50%), ACT/365, on the first installment's principal and
        // (compound) interest; 10 days late less 3 days' grace is 7 days.
        let rate = Rate::from_bp(2_700);
        let per_day = daily_amount(first.principal, rate, 365) + daily_amount(first.interest, rate, 365);
        let penalty = find(&all, "penalty");
        assert!(
            penalty.zh.contains(&format!(
                "宽限期外7天，每天约CNY {}，共约CNY {}",
                per_day.grouped(),
                Amount(per_day.0 * 7).grouped()
            )),
            "{}",
            penalty.zh
        );
        assert!(penalty.en.contains("27% a year") && penalty.en.contains("compound interest"), "{}", penalty.en);
        assert_eq!(find(&all, "late-fee").en, "There is no late fee.");
    }

    #[test]
    fn what_if_pays_a_copy_and_says_whether_the_loan_is_current_again() {
        let t = terms(1_200_000, 1_800, RepaymentMethod::Annuity, ProductRules::default());
        let mut state = LoanState::disburse(&t);
        // Nothing paid: on 2026-03-01 the first installment (due 2026-02-10) is 19 days late.
        let day = "2026-03-01".parse().unwrap();
        state.advance(&t, day).unwrap();
        let late = (state.due().total() - state.credit).max(Amount::ZERO);
        assert!(state.dpd == 19 && late > Amount::ZERO);
        let half = what_if(&t, &state, day, Amount(late.0 / 2)).unwrap();
        assert!(half.past_due_after > Amount::ZERO && half.days_late_after > 0 && !half.paid_off, "{half:?}");
        assert_eq!(half.owed_before - half.owed_after, Amount(late.0 / 2), "what is paid comes off what is owed");
        let all = what_if(&t, &state, day, late).unwrap();
        assert_eq!((all.past_due_after, all.days_late_after), (Amount::ZERO, 0), "current again");
        assert_eq!(all.next_due.map(|(d, _)| d), Some("2026-03-10".parse().unwrap()));
        let off = what_if(&t, &state, day, all.owed_before).unwrap();
        assert!(off.paid_off && off.owed_after.is_zero() && off.next_due.is_none());
        assert!(what_if(&t, &state, day, Amount(all.owed_before.0 + 1)).is_err(), "more than the payoff is refused");
        assert_eq!(state.as_of, day, "the loan itself is untouched");
    }

    #[test]
    fn a_fee_and_no_compound_interest_are_said_as_they_are() {
        let rules = ProductRules {
            compound_interest: false,
            late_fee: arrears_core::LateFee {
                rule: LateFeeRule::PercentOfInstallment(Rate::from_bp(500)),
                cap_per_installment: Some(Amount(5_000)),
                cap_per_loan: None,
            },
            ..ProductRules::default()
        };
        let t = terms(300_000, 1_200, RepaymentMethod::EqualPrincipal, rules);
        let all = explain(&t);
        assert!(!find(&all, "penalty").en.contains("compound"));
        let first = schedule(&t)[0].total();
        let fee = Amount((first.0 * 5 + 50) / 100).min(Amount(5_000));
        assert!(find(&all, "late-fee").zh.contains(&format!("约CNY {}", fee.grouped())), "{:?}", find(&all, "late-fee"));
        assert!(find(&all, "method").zh.starts_with("等额本金：每期归还相同的本金CNY 500.00"), "{:?}", find(&all, "method"));
    }
}
