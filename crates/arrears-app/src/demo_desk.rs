//! The demo's collection desk: borrowers drawn to go with the demo's loans, and simulated
//! agents who work the call queue through the same use cases a real desk uses — every dial
//! through the policy pack, every outcome recorded — with answers that depend on how the
//! borrower behaves.

use std::collections::{BTreeMap, VecDeque};

use arrears_core::{Amount, Date};
use arrears_policy::LocalTime;
use arrears_store::{AgentRow, BorrowerRecord, Identity, Store};

use crate::calls::{self, CallOutcome, Dial};
use crate::collect::CollectConfig;
use crate::demo::{Behaviour, Rng};
use crate::outbox::{self, DeliverOptions, DeliverReport, Senders};
use crate::AppError;

/// What the demo's desk needs: the collection configuration and where messages go.
#[derive(Debug)]
pub struct Desk {
    pub config: CollectConfig,
    pub senders: Senders,
    /// The model the month-end step scores with.
    pub risk: crate::risk::RiskConfig,
}

/// What early warning did in the demo: outreach sent, and how high-risk current loans paid
/// their next installment in the arm with the outreach step (champion) and without (challenger),
/// counted once per loan and month-end score.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EarlyWarning {
    pub scored: usize,
    pub outreach: usize,
    /// `(loans, paid the next installment by its due date)` per arm.
    pub champion: (usize, usize),
    pub challenger: (usize, usize),
}

/// What the simulated agents did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStats {
    pub dialled: usize,
    pub allowed: usize,
    pub blocked: usize,
    pub connected: usize,
    pub promises: usize,
    pub disputes: usize,
}

const CN_SURNAMES: [&str; 16] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"];
const CN_GIVEN: [&str; 16] = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"];
const US_FIRST: [&str; 12] =
    ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Maria", "Daniel", "Susan"];
const US_LAST: [&str; 12] =
    ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Moore", "Taylor"];
/// Eastern, Central, Mountain and Pacific standard time.
const US_OFFSETS: [(i32, u64); 4] = [(-300, 45), (-360, 30), (-420, 8), (-480, 17)];

/// A borrower to go with a demo loan: Chinese for yuan loans, American for dollar loans.
pub fn draw_borrower(rng: &mut Rng, borrower_id: &str, us: bool) -> BorrowerRecord {
    let n = rng.range(0, 99_999_999);
    if us {
        let first = US_FIRST[rng.range(0, 11) as usize];
        let last = US_LAST[rng.range(0, 11) as usize];
        BorrowerRecord {
            borrower_id: borrower_id.to_owned(),
            name: format!("{first} {last}"),
            language: "en".into(),
            utc_offset_minutes: rng.pick(&US_OFFSETS),
            phone: Some(format!("+1{}{:07}", rng.range(201, 989), n % 10_000_000)),
            email: Some(format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), n % 1000)),
            emergency_name: None,
            emergency_phone: None,
            // About one in ten asked for no text messages.
            opted_out: if rng.chance(100) { "sms".into() } else { String::new() },
            segment: None,
        }
    } else {
        let name = format!("{}{}", CN_SURNAMES[rng.range(0, 15) as usize], CN_GIVEN[rng.range(0, 15) as usize]);
        BorrowerRecord {
            borrower_id: borrower_id.to_owned(),
            name,
            language: if rng.chance(30) { "en".into() } else { "zh".into() },
            utc_offset_minutes: 480,
            phone: Some(format!("1{}{:09}", rng.range(3, 9), n % 1_000_000_000)),
            email: rng.chance(600).then(|| format!("user{n}@example.cn")),
            emergency_name: Some(format!("{}{}", CN_SURNAMES[rng.range(0, 15) as usize], CN_GIVEN[rng.range(0, 15) as usize])),
            emergency_phone: Some(format!("1{}{:09}", rng.range(3, 9), (n * 7 + 3) % 1_000_000_000)),
            opted_out: String::new(),
            segment: None,
        }
    }
}

const US_PLACES: [(&str, &str, &str); 6] = [
    ("New York", "NY", "10001"),
    ("Chicago", "IL", "60601"),
    ("Houston", "TX", "77002"),
    ("Denver", "CO", "80202"),
    ("Seattle", "WA", "98101"),
    ("Atlanta", "GA", "30303"),
];
const US_STREETS: [&str; 6] = ["Elm St", "Oak Ave", "Maple Dr", "Pine St", "Cedar Ln", "Main St"];

/// The identity of an American demo borrower, for US furnishing: drawn from a generator of its
/// own (seeded by the borrower's id), so the rest of the demo draws what it always drew. The
/// SSNs are synthetic, of a valid form.
pub fn draw_identity(b: &BorrowerRecord) -> Identity {
    let seed = b.borrower_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, c| (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3));
    let mut rng = Rng::new(seed);
    let (first, last) = b.name.split_once(' ').unwrap_or((b.name.as_str(), b.name.as_str()));
    let area = rng.range(1, 665);
    let (city, state, zip) = US_PLACES[rng.range(0, US_PLACES.len() as i64 - 1) as usize];
    Identity {
        borrower_id: b.borrower_id.clone(),
        surname: last.to_owned(),
        first_name: first.to_owned(),
        ssn: format!("{area:03}{:02}{:04}", rng.range(1, 99), rng.range(1, 9999)),
        birth_date: Date::from_ymd(rng.range(1960, 2004) as i32, rng.range(1, 12) as u32, rng.range(1, 28) as u32)
            .expect("a day of a month"),
        address: format!("{} {}", rng.range(1, 999), US_STREETS[rng.range(0, US_STREETS.len() as i64 - 1) as usize]),
        city: city.to_owned(),
        state: state.to_owned(),
        zip: zip.to_owned(),
    }
}

/// The demo's agents: a China desk working Beijing hours (one of them into the evening) and a
/// US desk working New York hours.
pub fn agents() -> Vec<(AgentRow, i32, u16, u16)> {
    let agent = |id: &str, name: &str, desk: &str| AgentRow {
        agent_id: id.into(),
        name: name.into(),
        daily_cap: 40,
        desk: desk.into(),
        active: true,
    };
    vec![
        // (agent, the agent's UTC offset, shift start and end in the agent's minutes of day)
        (agent("cn-01", "刘洋", "CNY"), 480, 9 * 60, 18 * 60),
        (agent("cn-02", "陈静", "CNY"), 480, 9 * 60, 18 * 60),
        (agent("cn-03", "赵磊", "CNY"), 480, 9 * 60, 18 * 60),
        (agent("cn-04", "孙丽", "CNY"), 480, 13 * 60, 22 * 60 + 30),
        (agent("us-01", "Karen Hall", "USD"), -300, 8 * 60 + 30, 17 * 60 + 30),
        (agent("us-02", "Tom Reyes", "USD"), -300, 11 * 60, 20 * 60 + 30),
    ]
}

/// Registers the demo's agents.
pub fn hire(store: &mut Store) -> Result<(), AppError> {
    for (a, ..) in agents() {
        calls::save_agent(store, &a)?;
    }
    Ok(())
}

/// Sends what is due during `day` (UTC), one pass an hour.
pub fn deliver_day(store: &mut Store, senders: &Senders, day: Date) -> Result<DeliverReport, AppError> {
    let mut total = DeliverReport::default();
    let start = LocalTime::new(day, arrears_policy::TimeOfDay::MIDNIGHT).epoch_minutes();
    for hour in 0..24 {
        let r = outbox::deliver(
            store,
            senders,
            DeliverOptions { now_utc: start + hour * 60 + 30, limit: 100_000, crash_after_sends: None },
        )?;
        total.absorb(&r);
    }
    Ok(total)
}

/// What a promise will lead to: a payment the demo then makes on a day.
#[derive(Debug, Clone, Copy)]
pub struct PromisedPayment {
    pub loan_seq: i64,
    pub on: Date,
}

/// One working day of the desk: tasks assigned, each agent calling down their queue from
/// their shift's start, unanswered calls tried again an hour later (three tries a day).
pub fn work_day(
    store: &mut Store,
    desk: &Desk,
    day: Date,
    rng: &mut Rng,
    behaviour_of: &BTreeMap<i64, Behaviour>,
    stats: &mut CallStats,
) -> Result<Vec<PromisedPayment>, AppError> {
    calls::assign(store)?;
    let mut promised = Vec::new();
    for (agent, offset, shift_start, shift_end) in agents() {
        let tasks = store.read(|tx| tx.open_call_tasks(Some(&agent.agent_id), "", agent.daily_cap))?;
        let start =
            LocalTime::new(day, arrears_policy::TimeOfDay::from_minutes(shift_start)).utc_minutes(offset) + rng.range(0, 20);
        let end = LocalTime::new(day, arrears_policy::TimeOfDay::from_minutes(shift_end)).utc_minutes(offset);
        let mut clock = start;
        let mut queue: VecDeque<(i64, i64, u32)> = tasks.iter().map(|t| (t.id, t.loan_seq, 0)).collect();
        while let Some((task_id, loan_seq, tries)) = queue.pop_front() {
            let Some(task) = store.read(|tx| tx.call_task(task_id))? else { continue };
            if task.status != "open" {
                continue;
            }
            let at = clock.max(task.not_before);
            if at > end {
                continue;
            }
            stats.dialled += 1;
            match calls::dial(store, &desk.config, task_id, &agent.agent_id, at)? {
                Dial::Blocked { .. } => {
                    stats.blocked += 1;
                    let next = store.read(|tx| tx.call_task(task_id))?;
                    if next.is_some_and(|t| t.status == "open" && t.not_before <= end) {
                        queue.push_back((task_id, loan_seq, tries));
                    }
                }
                Dial::Allowed { contact_key, .. } => {
                    stats.allowed += 1;
                    let behaviour = behaviour_of.get(&loan_seq).copied().unwrap_or(Behaviour::Punctual);
                    let outcome = draw_outcome(rng, behaviour, day, Amount(task.amount_due));
                    if outcome.connected() {
                        stats.connected += 1;
                    }
                    match outcome {
                        CallOutcome::Promise { date, .. } => {
                            stats.promises += 1;
                            if rng.chance(keeps_promise(behaviour)) {
                                promised.push(PromisedPayment {
                                    loan_seq,
                                    on: day.add_days(rng.range(0, day.days_until(date) as i64) as i32),
                                });
                            }
                        }
                        CallOutcome::Dispute => stats.disputes += 1,
                        _ => {}
                    }
                    calls::record_outcome(store, task_id, &contact_key, &agent.agent_id, outcome, at + rng.range(2, 6))?;
                    if outcome == CallOutcome::NoAnswer && tries < 2 {
                        queue.push_back((task_id, loan_seq, tries + 1));
                    }
                }
            }
            clock = at + rng.range(3, 8);
        }
    }
    Ok(promised)
}

/// Chance, per mille, that a borrower of this behaviour pays what they promised.
fn keeps_promise(behaviour: Behaviour) -> u64 {
    match behaviour {
        Behaviour::Punctual | Behaviour::Prepayer => 900,
        Behaviour::Slow => 850,
        Behaviour::Curing => 750,
        Behaviour::Defaulting => 200,
    }
}

fn draw_outcome(rng: &mut Rng, behaviour: Behaviour, day: Date, due: Amount) -> CallOutcome {
    if rng.chance(10) {
        return CallOutcome::WrongNumber;
    }
    let answers = match behaviour {
        Behaviour::Punctual | Behaviour::Prepayer => 700,
        Behaviour::Slow => 600,
        Behaviour::Curing => 550,
        Behaviour::Defaulting => 350,
    };
    if !rng.chance(answers) {
        return CallOutcome::NoAnswer;
    }
    #[derive(Clone, Copy)]
    enum Kind {
        Promise,
        Reached,
        Refused,
        Hardship,
        Dispute,
    }
    let weights: [(Kind, u64); 5] = match behaviour {
        Behaviour::Punctual | Behaviour::Prepayer => {
            [(Kind::Promise, 70), (Kind::Reached, 25), (Kind::Refused, 5), (Kind::Hardship, 0), (Kind::Dispute, 0)]
        }
        Behaviour::Slow => {
            [(Kind::Promise, 60), (Kind::Reached, 25), (Kind::Refused, 10), (Kind::Hardship, 5), (Kind::Dispute, 0)]
        }
        Behaviour::Curing => {
            [(Kind::Promise, 55), (Kind::Reached, 20), (Kind::Refused, 10), (Kind::Hardship, 15), (Kind::Dispute, 0)]
        }
        Behaviour::Defaulting => {
            [(Kind::Promise, 20), (Kind::Reached, 10), (Kind::Refused, 35), (Kind::Hardship, 25), (Kind::Dispute, 10)]
        }
    };
    match rng.pick(&weights) {
        Kind::Promise => CallOutcome::Promise { date: day.add_days(rng.range(1, 7) as i32), amount: due.max(Amount(100)) },
        Kind::Reached => CallOutcome::Reached,
        Kind::Refused => CallOutcome::Refused,
        Kind::Hardship => CallOutcome::Hardship,
        Kind::Dispute => CallOutcome::Dispute,
    }
}
