//! A strategy: steps keyed by days relative to the due date, filtered by bucket, risk band and
//! segment; and a challenger that a stable share of loans follows instead.

use arrears_core::{Bucket, Date};
use arrears_policy::{Channel, Party, TimeOfDay};
use serde::Deserialize;

use crate::config::ConfigError;
use crate::template::Templates;

/// Steps may fire from this many days before a due date …
pub const EARLIEST_DAY: i32 = -30;
/// … to this many days after it.
pub const LATEST_DAY: i32 = 720;
/// The most steps one arm may have.
pub const MAX_STEPS: usize = 200;
/// Messages leave at 10:00 local time unless the strategy says otherwise.
pub const DEFAULT_SEND_AT: TimeOfDay = TimeOfDay::from_minutes(10 * 60);
/// Agents call from 09:00 …
pub const DEFAULT_CALL_FROM: TimeOfDay = TimeOfDay::from_minutes(9 * 60);
/// … until 20:00 local time unless the strategy says otherwise.
pub const DEFAULT_CALL_UNTIL: TimeOfDay = TimeOfDay::from_minutes(20 * 60);

/// One action of a strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Days from the reference due date: -3 is three days before, 7 a week after.
    pub day: i32,
    pub channel: Channel,
    pub template: String,
    /// Who the step addresses: the debtor, or (to re-establish contact only) an emergency
    /// contact. Never anyone else.
    pub to: Party,
    /// Only loans in these buckets (all when empty).
    pub buckets: Vec<Bucket>,
    /// Only loans in these risk bands (all when empty).
    pub risk_bands: Vec<String>,
    /// Only loans in these segments (all when empty).
    pub segments: Vec<String>,
}

/// Which strategy a loan follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arm {
    Champion,
    Challenger,
}

/// A loaded, checked strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strategy {
    pub id: String,
    pub version: String,
    /// The products that follow this strategy; empty for the strategy of every other product.
    pub products: Vec<String>,
    /// When messages leave, in the borrower's local time.
    pub send_at: TimeOfDay,
    /// The hours, in the borrower's local time, the call queue plans a day's calls for. Only
    /// the policy pack forbids a call: a task may be dialled outside these hours when the pack
    /// allows it, and expires once its day's hours are over.
    pub call_from: TimeOfDay,
    pub call_until: TimeOfDay,
    pub steps: Vec<Step>,
    pub challenger: Option<Challenger>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenger {
    pub id: String,
    /// Percent of loans (1–99) that follow the challenger.
    pub share_percent: u32,
    pub steps: Vec<Step>,
}

/// What the strategy needs to know of a loan on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoanFacts<'a> {
    pub loan_no: &'a str,
    /// The due date steps count from: the oldest unpaid installment's when the loan is overdue,
    /// the next one's otherwise; `None` when nothing is left to fall due.
    pub reference_due: Option<Date>,
    pub bucket: Bucket,
    pub risk_band: Option<&'a str>,
    pub segment: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStrategy {
    id: String,
    version: String,
    #[serde(default)]
    products: Vec<String>,
    send_at: Option<TimeOfDay>,
    call_from: Option<TimeOfDay>,
    call_until: Option<TimeOfDay>,
    #[serde(default)]
    steps: Vec<toml::Spanned<RawStep>>,
    challenger: Option<toml::Spanned<RawChallenger>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChallenger {
    id: String,
    share_percent: u32,
    #[serde(default)]
    steps: Vec<toml::Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    day: i32,
    channel: Channel,
    template: String,
    to: Option<Party>,
    #[serde(default)]
    buckets: Vec<String>,
    #[serde(default)]
    risk_bands: Vec<String>,
    #[serde(default)]
    segments: Vec<String>,
}

fn check_steps(
    file: &str,
    text: &str,
    raw: Vec<toml::Spanned<RawStep>>,
    templates: &Templates,
) -> Result<Vec<Step>, ConfigError> {
    if raw.len() > MAX_STEPS {
        return Err(ConfigError::at(file, text, 0, format!("{} steps; at most {MAX_STEPS}", raw.len())));
    }
    let mut steps = Vec::with_capacity(raw.len());
    for spanned in raw {
        let at = spanned.span().start;
        let err = |m: String| ConfigError::at(file, text, at, m);
        let s = spanned.into_inner();
        if !(EARLIEST_DAY..=LATEST_DAY).contains(&s.day) {
            return Err(err(format!("day {} is outside {EARLIEST_DAY}..={LATEST_DAY}", s.day)));
        }
        let Some(template) = templates.get(&s.template) else {
            return Err(err(format!("unknown template `{}`", s.template)));
        };
        let to = s.to.unwrap_or(Party::Debtor);
        if to == Party::ThirdParty {
            return Err(err("a step may address the debtor or an emergency contact, never a third party".into()));
        }
        if to == Party::EmergencyContact && template.purpose != arrears_policy::Purpose::ReestablishContact {
            return Err(err(format!(
                "template `{}` is not a re-establish-contact message: an emergency contact is only ever asked to have the debtor get in touch",
                s.template
            )));
        }
        if s.channel == Channel::Call && to != Party::Debtor {
            return Err(err("call tasks are for the debtor".into()));
        }
        let buckets = s
            .buckets
            .iter()
            .map(|b| Bucket::parse(b).ok_or_else(|| err(format!("unknown bucket `{b}`: use M0, M0-grace, M1 … M6, M7+"))))
            .collect::<Result<Vec<_>, _>>()?;
        steps.push(Step {
            day: s.day,
            channel: s.channel,
            template: s.template,
            to,
            buckets,
            risk_bands: s.risk_bands,
            segments: s.segments,
        });
    }
    steps.sort_by_key(|s| s.day);
    Ok(steps)
}

/// FNV-1a: a small, stable hash, the same on every machine and in every release.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

impl Strategy {
    /// Loads a strategy and checks it against `templates`; an error names the line.
    pub fn from_toml(file: &str, text: &str, templates: &Templates) -> Result<Strategy, ConfigError> {
        let raw: RawStrategy = ConfigError::parse(file, text)?;
        let steps = check_steps(file, text, raw.steps, templates)?;
        let challenger = match raw.challenger {
            None => None,
            Some(spanned) => {
                let at = spanned.span().start;
                let c = spanned.into_inner();
                if !(1..=99).contains(&c.share_percent) {
                    return Err(ConfigError::at(
                        file,
                        text,
                        at,
                        format!("challenger share_percent {} must be 1 to 99", c.share_percent),
                    ));
                }
                Some(Challenger { id: c.id, share_percent: c.share_percent, steps: check_steps(file, text, c.steps, templates)? })
            }
        };
        let call_from = raw.call_from.unwrap_or(DEFAULT_CALL_FROM);
        let call_until = raw.call_until.unwrap_or(DEFAULT_CALL_UNTIL);
        if call_from >= call_until {
            return Err(ConfigError::at(file, text, 0, format!("call_from {call_from} must be before call_until {call_until}")));
        }
        Ok(Strategy {
            id: raw.id,
            version: raw.version,
            products: raw.products,
            send_at: raw.send_at.unwrap_or(DEFAULT_SEND_AT),
            call_from,
            call_until,
            steps,
            challenger,
        })
    }

    /// The strategy shipped with Arrears, on the shipped templates.
    pub fn shipped(templates: &Templates) -> Strategy {
        Strategy::from_toml("config/strategy.toml", crate::DEFAULT_STRATEGY, templates).expect("the shipped strategy is valid")
    }

    /// The step days of both arms, without repeats: the offsets from a due date on which
    /// something may fire, so a batch can select just the loans whose reference due date is
    /// `date − day` for one of them.
    pub fn step_days(&self) -> Vec<i32> {
        let mut days: Vec<i32> = self.steps.iter().chain(self.challenger.iter().flat_map(|c| &c.steps)).map(|s| s.day).collect();
        days.sort_unstable();
        days.dedup();
        days
    }

    /// Whether loans of `product` follow this strategy.
    pub fn covers(&self, product: &str) -> bool {
        self.products.iter().any(|p| p == product)
    }

    /// The arm a loan follows: the same loan always lands in the same arm of a strategy.
    pub fn arm_for(&self, loan_no: &str) -> Arm {
        match &self.challenger {
            Some(c) if stable_hash(&format!("{}/{loan_no}", self.id)) % 100 < c.share_percent as u64 => Arm::Challenger,
            _ => Arm::Champion,
        }
    }

    /// The steps of an arm.
    pub fn arm_steps(&self, arm: Arm) -> &[Step] {
        match (arm, &self.challenger) {
            (Arm::Challenger, Some(c)) => &c.steps,
            _ => &self.steps,
        }
    }

    /// The loan's arm and the steps that fire for it on `date`.
    pub fn steps_for(&self, loan: &LoanFacts<'_>, date: Date) -> (Arm, Vec<&Step>) {
        let arm = self.arm_for(loan.loan_no);
        let Some(due) = loan.reference_due else { return (arm, Vec::new()) };
        let day = due.days_until(date);
        let fits =
            |allowed: &[String], value: Option<&str>| allowed.is_empty() || value.is_some_and(|v| allowed.iter().any(|a| a == v));
        let steps = self
            .arm_steps(arm)
            .iter()
            .filter(|s| s.day == day)
            .filter(|s| s.buckets.is_empty() || s.buckets.contains(&loan.bucket))
            .filter(|s| fits(&s.risk_bands, loan.risk_band) && fits(&s.segments, loan.segment))
            .collect();
        (arm, steps)
    }
}
