//! Queries of the collection desk: borrowers, the loans a strategy step reaches on a date, the
//! communication record (append-only), the outbox, call tasks, agents and promises to pay.

use std::collections::BTreeMap;

use arrears_core::Date;

use crate::conn::{Row, Value};
use crate::{parse_date, RawLoan, StoreError, Tx, LOAN_COLUMNS};

/// A borrower and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BorrowerRecord {
    pub borrower_id: String,
    pub name: String,
    /// `zh` or `en`.
    pub language: String,
    /// Minutes the borrower's clock is ahead of UTC (China +480, New York −300).
    pub utc_offset_minutes: i32,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub emergency_name: Option<String>,
    pub emergency_phone: Option<String>,
    /// Channels the borrower opted out of, comma-separated (`sms,email`).
    pub opted_out: String,
    pub segment: Option<String>,
}

/// A contact to append to the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    pub contact_key: String,
    pub loan_seq: i64,
    pub borrower_id: String,
    pub business_date: Date,
    pub at_utc: i64,
    pub at_local: String,
    pub channel: String,
    pub party: String,
    pub purpose: String,
    pub template: String,
    pub strategy: String,
    pub arm: String,
    pub step_day: Option<i32>,
    pub collector: String,
    /// Masked: the record proves who was contacted without spreading the number.
    pub recipient: String,
    pub content: String,
    /// The message's facts and the loan's flags as the policy saw them (JSON).
    pub facts: String,
    pub flags: String,
    pub pack: String,
    /// `None` when allowed; the rule, reason and retry time when blocked.
    pub blocked: Option<(String, String, Option<String>)>,
}

/// A contact as recorded, with what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRow {
    pub contact_key: String,
    pub loan_seq: i64,
    pub borrower_id: String,
    pub business_date: Date,
    pub at_utc: i64,
    pub at_local: String,
    pub channel: String,
    pub party: String,
    pub purpose: String,
    pub template: String,
    pub strategy: String,
    pub arm: String,
    pub collector: String,
    pub recipient: String,
    pub content: String,
    pub facts: String,
    pub flags: String,
    pub pack: String,
    pub decision: String,
    pub rule: Option<String>,
    pub reason: Option<String>,
    pub retry_at: Option<String>,
    /// `event` values appended for this contact (sent, connected, no-answer …), in order.
    pub events: Vec<(String, i64, String)>,
}

/// A message waiting in (or done with) the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub contact_key: String,
    pub loan_seq: i64,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub send_after: i64,
    pub send_before: i64,
    pub status: String,
    pub attempts: i64,
    pub next_try: i64,
}

/// An agent's call task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallTask {
    pub id: i64,
    pub task_key: String,
    pub loan_seq: i64,
    pub borrower_id: String,
    pub business_date: Date,
    /// The desk whose agents take the task (the loan's currency: CNY, USD).
    pub desk: String,
    pub strategy: String,
    pub arm: String,
    pub step_day: i32,
    pub template: String,
    pub script: String,
    pub amount_due: i64,
    pub dpd: i64,
    pub priority: i64,
    pub window_from: i64,
    pub window_until: i64,
    pub not_before: i64,
    pub assigned_to: Option<String>,
    pub status: String,
    pub outcome: Option<String>,
    pub attempts: i64,
}

/// A promise to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseRow {
    pub id: i64,
    pub loan_seq: i64,
    pub contact_key: String,
    pub agent_id: String,
    pub made_on: Date,
    pub promised_date: Date,
    pub amount: i64,
    pub status: String,
    pub resolved_on: Option<Date>,
}

/// An agent of the collection desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRow {
    pub agent_id: String,
    pub name: String,
    /// Open tasks the agent may hold at once.
    pub daily_cap: i64,
    /// The desk whose tasks the agent takes (CNY, USD); empty for every desk.
    pub desk: String,
    pub active: bool,
}

/// A loan's collection standing kept outside its servicing state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagsRow {
    pub dispute_open_since: Option<Date>,
    pub unreachable_since: Option<Date>,
    /// An installment plan (or other relief) active and honoured since.
    pub plan_since: Option<Date>,
    /// The limitation period ran out on this day.
    pub time_barred_since: Option<Date>,
}

const BORROWER_COLUMNS: &str =
    "borrower_id, name, language, utc_offset_minutes, phone, email, emergency_name, emergency_phone, opted_out, segment";
const CONTACT_COLUMNS: &str =
    "contact_key, loan_seq, borrower_id, business_date, at_utc, at_local, channel, party, purpose, template, \
     strategy, arm, collector, recipient, content, facts, flags, pack, decision, rule, reason, retry_at";
const OUTBOX_COLUMNS: &str =
    "contact_key, loan_seq, channel, recipient, subject, body, send_after, send_before, status, attempts, next_try";
const TASK_COLUMNS: &str =
    "id, task_key, loan_seq, borrower_id, business_date, desk, strategy, arm, step_day, template, script, \
     amount_due, dpd, priority, window_from, window_until, not_before, assigned_to, status, outcome, attempts";
const PROMISE_COLUMNS: &str = "id, loan_seq, contact_key, agent_id, made_on, promised_date, amount, status, resolved_on";

/// `$first, $first+1, …` for `n` parameters.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Parameters per `IN (…)` list: well under both backends' limits.
pub(crate) const IN_CHUNK: usize = 500;

fn opt_date(row: &Row, i: usize) -> Result<Option<Date>, StoreError> {
    row.opt_text(i)?.map(parse_date).transpose()
}

fn borrower_from_row(r: &Row) -> Result<BorrowerRecord, StoreError> {
    Ok(BorrowerRecord {
        borrower_id: r.text(0)?.to_owned(),
        name: r.text(1)?.to_owned(),
        language: r.text(2)?.to_owned(),
        utc_offset_minutes: r.int(3)? as i32,
        phone: r.opt_text(4)?.map(str::to_owned),
        email: r.opt_text(5)?.map(str::to_owned),
        emergency_name: r.opt_text(6)?.map(str::to_owned),
        emergency_phone: r.opt_text(7)?.map(str::to_owned),
        opted_out: r.text(8)?.to_owned(),
        segment: r.opt_text(9)?.map(str::to_owned),
    })
}

fn contact_from_row(r: &Row) -> Result<ContactRow, StoreError> {
    contact_at(r, 0)
}

/// A contact from the columns of `r` starting at `base`.
fn contact_at(r: &Row, base: usize) -> Result<ContactRow, StoreError> {
    let s = |i: usize| r.text(base + i).map(str::to_owned);
    let o = |i: usize| r.opt_text(base + i).map(|v| v.map(str::to_owned));
    Ok(ContactRow {
        contact_key: s(0)?,
        loan_seq: r.int(base + 1)?,
        borrower_id: s(2)?,
        business_date: parse_date(r.text(base + 3)?)?,
        at_utc: r.int(base + 4)?,
        at_local: s(5)?,
        channel: s(6)?,
        party: s(7)?,
        purpose: s(8)?,
        template: s(9)?,
        strategy: s(10)?,
        arm: s(11)?,
        collector: s(12)?,
        recipient: s(13)?,
        content: s(14)?,
        facts: s(15)?,
        flags: s(16)?,
        pack: s(17)?,
        decision: s(18)?,
        rule: o(19)?,
        reason: o(20)?,
        retry_at: o(21)?,
        events: Vec::new(),
    })
}

fn outbox_from_row(r: &Row) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        contact_key: r.text(0)?.to_owned(),
        loan_seq: r.int(1)?,
        channel: r.text(2)?.to_owned(),
        recipient: r.text(3)?.to_owned(),
        subject: r.text(4)?.to_owned(),
        body: r.text(5)?.to_owned(),
        send_after: r.int(6)?,
        send_before: r.int(7)?,
        status: r.text(8)?.to_owned(),
        attempts: r.int(9)?,
        next_try: r.int(10)?,
    })
}

fn task_from_row(r: &Row) -> Result<CallTask, StoreError> {
    Ok(CallTask {
        id: r.int(0)?,
        task_key: r.text(1)?.to_owned(),
        loan_seq: r.int(2)?,
        borrower_id: r.text(3)?.to_owned(),
        business_date: parse_date(r.text(4)?)?,
        desk: r.text(5)?.to_owned(),
        strategy: r.text(6)?.to_owned(),
        arm: r.text(7)?.to_owned(),
        step_day: r.int(8)? as i32,
        template: r.text(9)?.to_owned(),
        script: r.text(10)?.to_owned(),
        amount_due: r.int(11)?,
        dpd: r.int(12)?,
        priority: r.int(13)?,
        window_from: r.int(14)?,
        window_until: r.int(15)?,
        not_before: r.int(16)?,
        assigned_to: r.opt_text(17)?.map(str::to_owned),
        status: r.text(18)?.to_owned(),
        outcome: r.opt_text(19)?.map(str::to_owned),
        attempts: r.int(20)?,
    })
}

fn promise_from_row(r: &Row) -> Result<PromiseRow, StoreError> {
    Ok(PromiseRow {
        id: r.int(0)?,
        loan_seq: r.int(1)?,
        contact_key: r.text(2)?.to_owned(),
        agent_id: r.text(3)?.to_owned(),
        made_on: parse_date(r.text(4)?)?,
        promised_date: parse_date(r.text(5)?)?,
        amount: r.int(6)?,
        status: r.text(7)?.to_owned(),
        resolved_on: opt_date(r, 8)?,
    })
}

impl Tx<'_> {
    /// Recomputes every loan's collection reference date (schema version 2 added the column).
    pub(crate) fn backfill_reference_due(&mut self) -> Result<(), StoreError> {
        let mut after = 0i64;
        loop {
            let rows = self.conn.query("SELECT seq, state FROM loans WHERE seq > $1 ORDER BY seq LIMIT 2000", &[after.into()])?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.int(0)?;
            for r in &rows {
                let seq = r.int(0)?;
                let state: arrears_core::LoanState = crate::from_json(&format!("state of loan {seq}"), r.text(1)?)?;
                let due = state.reference_installment().map(|i| i.due_date.to_string());
                self.conn.execute("UPDATE loans SET reference_due = $1 WHERE seq = $2", &[due.into(), seq.into()])?;
            }
        }
    }

    /// Runs one statement as given: for maintenance scripts and for tests that prove what the
    /// schema refuses (the communication record is append-only).
    #[doc(hidden)]
    pub fn execute_raw(&mut self, sql: &str) -> Result<u64, StoreError> {
        self.conn.execute(sql, &[])
    }

    /// Adds borrowers, or replaces the ones already there.
    pub fn upsert_borrowers(&mut self, borrowers: &[BorrowerRecord]) -> Result<(), StoreError> {
        let rows = borrowers
            .iter()
            .map(|b| {
                vec![
                    Value::from(b.borrower_id.as_str()),
                    Value::from(b.name.as_str()),
                    Value::from(b.language.as_str()),
                    Value::from(i64::from(b.utc_offset_minutes)),
                    Value::from(b.phone.clone()),
                    Value::from(b.email.clone()),
                    Value::from(b.emergency_name.clone()),
                    Value::from(b.emergency_phone.clone()),
                    Value::from(b.opted_out.as_str()),
                    Value::from(b.segment.clone()),
                ]
            })
            .collect();
        let columns: Vec<&str> = BORROWER_COLUMNS.split(", ").collect();
        let update = columns[1..].iter().map(|c| format!("{c} = excluded.{c}")).collect::<Vec<_>>().join(", ");
        self.insert_rows_with("borrowers", &columns, rows, &format!(" ON CONFLICT (borrower_id) DO UPDATE SET {update}"))
    }

    /// A borrower; in a write transaction on PostgreSQL the row is locked, so decisions about
    /// one debtor (the daily call cap, an opt-out) are taken one at a time.
    pub fn borrower(&mut self, borrower_id: &str) -> Result<Option<BorrowerRecord>, StoreError> {
        let lock = self.row_lock();
        let rows = self
            .conn
            .query(&format!("SELECT {BORROWER_COLUMNS} FROM borrowers WHERE borrower_id = $1{lock}"), &[borrower_id.into()])?;
        rows.first().map(borrower_from_row).transpose()
    }

    /// The borrowers with these ids, by id.
    pub fn borrowers(&mut self, ids: &[&str]) -> Result<BTreeMap<String, BorrowerRecord>, StoreError> {
        let mut out = BTreeMap::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let sql = format!("SELECT {BORROWER_COLUMNS} FROM borrowers WHERE borrower_id IN ({})", placeholders(1, chunk.len()));
            let params: Vec<Value> = chunk.iter().map(|&i| Value::from(i)).collect();
            for r in self.conn.query(&sql, &params)? {
                let b = borrower_from_row(&r)?;
                out.insert(b.borrower_id.clone(), b);
            }
        }
        Ok(out)
    }

    /// Records an opt-out of `channel` for a borrower (kept until they opt back in).
    pub fn add_opt_out(&mut self, borrower_id: &str, channel: &str) -> Result<(), StoreError> {
        let Some(b) = self.borrower(borrower_id)? else {
            return Err(StoreError::Conflict(format!("borrower {borrower_id} does not exist")));
        };
        let mut list: Vec<&str> = b.opted_out.split(',').filter(|c| !c.is_empty()).collect();
        if !list.contains(&channel) {
            list.push(channel);
        }
        self.conn.execute(
            "UPDATE borrowers SET opted_out = $1 WHERE borrower_id = $2",
            &[list.join(",").into(), borrower_id.into()],
        )?;
        Ok(())
    }

    /// Up to `limit` loans after `after_seq` whose reference due date is one of `dates`, in
    /// sequence order (a closed loan has none, so only active loans are found).
    pub fn loans_by_reference_due(&mut self, dates: &[Date], after_seq: i64, limit: i64) -> Result<Vec<RawLoan>, StoreError> {
        if dates.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {LOAN_COLUMNS} FROM loans WHERE reference_due IN ({}) AND seq > $1 ORDER BY seq LIMIT $2",
            placeholders(3, dates.len())
        );
        let mut params = vec![Value::from(after_seq), Value::from(limit)];
        params.extend(dates.iter().map(|d| Value::from(d.to_string())));
        Ok(self.conn.query(&sql, &params)?.into_iter().map(RawLoan).collect())
    }

    /// The collection flags of each loan in `seqs` that has any.
    pub fn collection_flags(&mut self, seqs: &[i64]) -> Result<BTreeMap<i64, FlagsRow>, StoreError> {
        let mut out = BTreeMap::new();
        for chunk in seqs.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT loan_seq, dispute_open_since, unreachable_since, plan_since, time_barred_since FROM collection_flags \
                 WHERE loan_seq IN ({})",
                placeholders(1, chunk.len())
            );
            let params: Vec<Value> = chunk.iter().map(|&s| Value::from(s)).collect();
            for r in self.conn.query(&sql, &params)? {
                let row = FlagsRow {
                    dispute_open_since: opt_date(&r, 1)?,
                    unreachable_since: opt_date(&r, 2)?,
                    plan_since: opt_date(&r, 3)?,
                    time_barred_since: opt_date(&r, 4)?,
                };
                out.insert(r.int(0)?, row);
            }
        }
        Ok(out)
    }

    pub fn set_collection_flags(&mut self, loan_seq: i64, flags: &FlagsRow) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO collection_flags (loan_seq, dispute_open_since, unreachable_since, plan_since, time_barred_since) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (loan_seq) DO UPDATE SET dispute_open_since = excluded.dispute_open_since, \
             unreachable_since = excluded.unreachable_since, plan_since = excluded.plan_since, \
             time_barred_since = excluded.time_barred_since",
            &[
                loan_seq.into(),
                flags.dispute_open_since.map(|d| d.to_string()).into(),
                flags.unreachable_since.map(|d| d.to_string()).into(),
                flags.plan_since.map(|d| d.to_string()).into(),
                flags.time_barred_since.map(|d| d.to_string()).into(),
            ],
        )?;
        Ok(())
    }

    /// Appends contacts; a contact whose key is already recorded is left as it was (a batch
    /// run again writes nothing twice). Returns the keys actually added: only their messages
    /// may be queued, since a key recorded earlier carries the verdict given then.
    pub fn append_contacts(&mut self, contacts: &[NewContact]) -> Result<Vec<String>, StoreError> {
        let columns = [
            "contact_key",
            "loan_seq",
            "borrower_id",
            "business_date",
            "at_utc",
            "at_local",
            "channel",
            "party",
            "purpose",
            "template",
            "strategy",
            "arm",
            "step_day",
            "collector",
            "recipient",
            "content",
            "facts",
            "flags",
            "pack",
            "decision",
            "rule",
            "reason",
            "retry_at",
        ];
        let rows = contacts
            .iter()
            .map(|c| {
                let (decision, rule, reason, retry) = match &c.blocked {
                    None => ("allowed", None, None, None),
                    Some((rule, reason, retry)) => ("blocked", Some(rule.clone()), Some(reason.clone()), retry.clone()),
                };
                vec![
                    Value::from(c.contact_key.as_str()),
                    Value::from(c.loan_seq),
                    Value::from(c.borrower_id.as_str()),
                    Value::from(c.business_date.to_string()),
                    Value::from(c.at_utc),
                    Value::from(c.at_local.as_str()),
                    Value::from(c.channel.as_str()),
                    Value::from(c.party.as_str()),
                    Value::from(c.purpose.as_str()),
                    Value::from(c.template.as_str()),
                    Value::from(c.strategy.as_str()),
                    Value::from(c.arm.as_str()),
                    Value::from(c.step_day.map(i64::from)),
                    Value::from(c.collector.as_str()),
                    Value::from(c.recipient.as_str()),
                    Value::from(c.content.as_str()),
                    Value::from(c.facts.as_str()),
                    Value::from(c.flags.as_str()),
                    Value::from(c.pack.as_str()),
                    Value::from(decision),
                    Value::from(rule),
                    Value::from(reason),
                    Value::from(retry),
                ]
            })
            .collect();
        self.insert_rows_returning("contacts", &columns, rows, " ON CONFLICT (contact_key) DO NOTHING RETURNING contact_key")
    }

    /// Appends what became of a contact; `false` if that event was already recorded (a
    /// delivery retried after a crash records its result once).
    pub fn append_contact_event(
        &mut self,
        contact_key: &str,
        event: &str,
        at_utc: i64,
        detail: &str,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT INTO contact_events (contact_key, event, at_utc, detail) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (contact_key, event) DO NOTHING",
            &[contact_key.into(), event.into(), at_utc.into(), detail.into()],
        )?;
        Ok(n == 1)
    }

    /// One contact by its key, without its events.
    pub fn contact(&mut self, contact_key: &str) -> Result<Option<ContactRow>, StoreError> {
        let rows =
            self.conn.query(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE contact_key = $1"), &[contact_key.into()])?;
        rows.first().map(contact_from_row).transpose()
    }

    /// The events recorded for a contact, in order.
    pub fn contact_events(&mut self, contact_key: &str) -> Result<Vec<String>, StoreError> {
        let rows =
            self.conn.query("SELECT event FROM contact_events WHERE contact_key = $1 ORDER BY id", &[contact_key.into()])?;
        rows.iter().map(|r| r.text(0).map(str::to_owned)).collect()
    }

    /// A loan's contacts, oldest first, with their events.
    pub fn contacts_of(&mut self, loan_seq: i64) -> Result<Vec<ContactRow>, StoreError> {
        let rows = self.conn.query(
            &format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE loan_seq = $1 ORDER BY at_utc, id"),
            &[loan_seq.into()],
        )?;
        let mut contacts: Vec<ContactRow> = rows.iter().map(contact_from_row).collect::<Result<_, _>>()?;
        let events = self.conn.query(
            "SELECT e.contact_key, e.event, e.at_utc, e.detail FROM contact_events e JOIN contacts c ON c.contact_key = e.contact_key \
             WHERE c.loan_seq = $1 ORDER BY e.id",
            &[loan_seq.into()],
        )?;
        let index: BTreeMap<String, usize> = contacts.iter().enumerate().map(|(i, c)| (c.contact_key.clone(), i)).collect();
        for e in events {
            if let Some(&i) = index.get(e.text(0)?) {
                contacts[i].events.push((e.text(1)?.to_owned(), e.int(2)?, e.text(3)?.to_owned()));
            }
        }
        Ok(contacts)
    }

    /// Contacts of the loans in `seqs` from `since_utc` on, and whatever older ones a rule
    /// still needs (each loan's first collection contact and its validation notices), each
    /// with whether a call connected: what the policy rules count.
    pub fn recent_contacts(&mut self, seqs: &[i64], since_utc: i64) -> Result<Vec<(i64, ContactSummary)>, StoreError> {
        let mut out = Vec::new();
        for chunk in seqs.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT c.loan_seq, c.at_utc, c.channel, c.party, c.purpose, \
                 CASE WHEN EXISTS (SELECT 1 FROM contact_events e WHERE e.contact_key = c.contact_key AND e.event = 'connected') THEN 1 ELSE 0 END \
                 FROM contacts c WHERE c.decision = 'allowed' AND c.loan_seq IN ({list}) AND {REACHED} AND (c.at_utc >= $1 \
                 OR c.purpose = 'validation-notice' \
                 OR c.id IN (SELECT MIN(f.id) FROM contacts f WHERE f.decision = 'allowed' AND f.purpose = 'collection' \
                    AND f.loan_seq IN ({list}) GROUP BY f.loan_seq)) \
                 ORDER BY c.at_utc, c.id",
                list = placeholders(2, chunk.len())
            );
            let mut params = vec![Value::from(since_utc)];
            params.extend(chunk.iter().map(|&s| Value::from(s)));
            for r in self.conn.query(&sql, &params)? {
                out.push((r.int(0)?, summary_from_row(&r, 1)?));
            }
        }
        Ok(out)
    }

    /// A borrower's allowed calls from `since_utc` on, across all their loans and collectors,
    /// each with its loan.
    pub fn borrower_calls(&mut self, borrower_id: &str, since_utc: i64) -> Result<Vec<(i64, ContactSummary)>, StoreError> {
        let rows = self.conn.query(
            "SELECT c.loan_seq, c.at_utc, c.channel, c.party, c.purpose, \
             CASE WHEN EXISTS (SELECT 1 FROM contact_events e WHERE e.contact_key = c.contact_key AND e.event = 'connected') THEN 1 ELSE 0 END \
             FROM contacts c WHERE c.borrower_id = $1 AND c.channel = 'call' AND c.decision = 'allowed' AND c.at_utc >= $2 \
             ORDER BY c.at_utc, c.id",
            &[borrower_id.into(), since_utc.into()],
        )?;
        rows.iter().map(|r| Ok((r.int(0)?, summary_from_row(r, 1)?))).collect()
    }

    /// Allowed and blocked contacts recorded for business dates `from..=to`, in record order,
    /// for the compliance report; `after_id` pages through them.
    pub fn contacts_between(
        &mut self,
        from: Date,
        to: Date,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<(i64, ContactRow)>, StoreError> {
        let rows = self.conn.query(
            &format!(
                "SELECT id, {CONTACT_COLUMNS} FROM contacts WHERE business_date >= $1 AND business_date <= $2 AND id > $3 \
                 ORDER BY id LIMIT $4"
            ),
            &[from.to_string().into(), to.to_string().into(), after_id.into(), limit.into()],
        )?;
        rows.iter()
            .map(|r| {
                let id = r.int(0)?;
                Ok((id, contact_at(r, 1)?))
            })
            .collect()
    }

    /// Keys of contacts of business dates `from..=to` that never reached anyone (see [`REACHED`]).
    pub fn unreached_keys(&mut self, from: Date, to: Date) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let rows = self.conn.query(
            "SELECT c.contact_key FROM contacts c WHERE c.business_date >= $1 AND c.business_date <= $2 AND NOT {REACHED}"
                .replace("{REACHED}", REACHED)
                .as_str(),
            &[from.to_string().into(), to.to_string().into()],
        )?;
        rows.iter().map(|r| r.text(0).map(str::to_owned)).collect()
    }

    /// Keys of contacts of business dates `from..=to` whose call connected.
    pub fn connected_keys(&mut self, from: Date, to: Date) -> Result<std::collections::BTreeSet<String>, StoreError> {
        let rows = self.conn.query(
            "SELECT e.contact_key FROM contact_events e JOIN contacts c ON c.contact_key = e.contact_key \
             WHERE e.event = 'connected' AND c.business_date >= $1 AND c.business_date <= $2",
            &[from.to_string().into(), to.to_string().into()],
        )?;
        rows.iter().map(|r| r.text(0).map(str::to_owned)).collect()
    }

    /// Counts of recorded contacts for `from..=to` by channel, decision and rule.
    pub fn contact_counts(&mut self, from: Date, to: Date) -> Result<Vec<ContactCount>, StoreError> {
        let rows = self.conn.query(
            "SELECT channel, decision, rule, count(*) FROM contacts WHERE business_date >= $1 AND business_date <= $2 \
             GROUP BY channel, decision, rule ORDER BY channel, decision, rule",
            &[from.to_string().into(), to.to_string().into()],
        )?;
        rows.iter()
            .map(|r| Ok((r.text(0)?.to_owned(), r.text(1)?.to_owned(), r.opt_text(2)?.map(str::to_owned), r.int(3)?)))
            .collect()
    }

    /// Counts of contact events for contacts of `from..=to`, by event.
    pub fn contact_event_counts(&mut self, from: Date, to: Date) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = self.conn.query(
            "SELECT e.event, count(*) FROM contact_events e JOIN contacts c ON c.contact_key = e.contact_key \
             WHERE c.business_date >= $1 AND c.business_date <= $2 GROUP BY e.event ORDER BY e.event",
            &[from.to_string().into(), to.to_string().into()],
        )?;
        rows.iter().map(|r| Ok((r.text(0)?.to_owned(), r.int(1)?))).collect()
    }

    /// Queues messages; a message already queued for its contact is left as it was.
    pub fn enqueue(&mut self, messages: &[OutboxRow]) -> Result<(), StoreError> {
        let columns: Vec<&str> = OUTBOX_COLUMNS.split(", ").collect();
        let rows = messages
            .iter()
            .map(|m| {
                vec![
                    Value::from(m.contact_key.as_str()),
                    Value::from(m.loan_seq),
                    Value::from(m.channel.as_str()),
                    Value::from(m.recipient.as_str()),
                    Value::from(m.subject.as_str()),
                    Value::from(m.body.as_str()),
                    Value::from(m.send_after),
                    Value::from(m.send_before),
                    Value::from(m.status.as_str()),
                    Value::from(m.attempts),
                    Value::from(m.next_try),
                ]
            })
            .collect();
        self.insert_rows_with("outbox", &columns, rows, " ON CONFLICT (contact_key) DO NOTHING")
    }

    /// Up to `limit` pending messages whose next try has come by `now_utc`, oldest first.
    pub fn outbox_due(&mut self, now_utc: i64, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let rows = self.conn.query(
            &format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = 'pending' AND next_try <= $1 ORDER BY next_try, contact_key LIMIT $2"
            ),
            &[now_utc.into(), limit.into()],
        )?;
        rows.iter().map(outbox_from_row).collect()
    }

    /// The contact a provider's message id belongs to.
    pub fn contact_by_provider_id(&mut self, provider_id: &str) -> Result<Option<String>, StoreError> {
        let rows = self.conn.query("SELECT contact_key FROM outbox WHERE provider_id = $1", &[provider_id.into()])?;
        rows.first().map(|r| r.text(0).map(str::to_owned)).transpose()
    }

    /// Loans of `seqs` that were sent a contact with `template` by `until_utc` (the time its
    /// provider took it): allowed, handed over, and not reported undelivered.
    pub fn told_with(&mut self, seqs: &[i64], template: &str, until_utc: i64) -> Result<Vec<i64>, StoreError> {
        let mut out = Vec::new();
        for chunk in seqs.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT DISTINCT c.loan_seq FROM contacts c WHERE c.template = $1 AND c.decision = 'allowed' \
                 AND EXISTS (SELECT 1 FROM contact_events s WHERE s.contact_key = c.contact_key AND s.event = 'sent' \
                   AND s.at_utc <= $2) \
                 AND {REACHED} AND c.loan_seq IN ({})",
                placeholders(3, chunk.len())
            );
            let mut params = vec![Value::from(template), Value::from(until_utc)];
            params.extend(chunk.iter().map(|&s| Value::from(s)));
            for r in self.conn.query(&sql, &params)? {
                out.push(r.int(0)?);
            }
        }
        Ok(out)
    }

    /// Loans sent an allowed contact with `template` for business date `date`.
    pub fn contacted_loans(&mut self, date: Date, template: &str) -> Result<Vec<i64>, StoreError> {
        let rows = self.conn.query(
            "SELECT DISTINCT loan_seq FROM contacts WHERE business_date = $1 AND template = $2 AND decision = 'allowed' ORDER BY loan_seq",
            &[date.to_string().into(), template.into()],
        )?;
        rows.iter().map(|r| r.int(0)).collect()
    }

    /// Messages by status.
    pub fn outbox_counts(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = self.conn.query("SELECT status, count(*) FROM outbox GROUP BY status ORDER BY status", &[])?;
        rows.iter().map(|r| Ok((r.text(0)?.to_owned(), r.int(1)?))).collect()
    }

    /// Settles a message: its new status, attempts so far, when to try next, and the
    /// provider's id or the last error.
    pub fn settle_outbox(
        &mut self,
        contact_key: &str,
        status: &str,
        attempts: i64,
        next_try: i64,
        provider_id: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE outbox SET status = $2, attempts = $3, next_try = $4, provider_id = $5, last_error = $6 WHERE contact_key = $1",
            &[
                contact_key.into(),
                status.into(),
                attempts.into(),
                next_try.into(),
                provider_id.map(str::to_owned).into(),
                error.map(str::to_owned).into(),
            ],
        )?;
        Ok(())
    }

    /// Adds call tasks; a task whose key exists is left as it was.
    pub fn add_call_tasks(&mut self, tasks: &[CallTask]) -> Result<(), StoreError> {
        let columns: Vec<&str> = TASK_COLUMNS.split(", ").skip(1).collect();
        let rows = tasks
            .iter()
            .map(|t| {
                vec![
                    Value::from(t.task_key.as_str()),
                    Value::from(t.loan_seq),
                    Value::from(t.borrower_id.as_str()),
                    Value::from(t.business_date.to_string()),
                    Value::from(t.desk.as_str()),
                    Value::from(t.strategy.as_str()),
                    Value::from(t.arm.as_str()),
                    Value::from(i64::from(t.step_day)),
                    Value::from(t.template.as_str()),
                    Value::from(t.script.as_str()),
                    Value::from(t.amount_due),
                    Value::from(t.dpd),
                    Value::from(t.priority),
                    Value::from(t.window_from),
                    Value::from(t.window_until),
                    Value::from(t.not_before),
                    Value::from(t.assigned_to.clone()),
                    Value::from(t.status.as_str()),
                    Value::from(t.outcome.clone()),
                    Value::from(t.attempts),
                ]
            })
            .collect();
        self.insert_rows_with("call_tasks", &columns, rows, " ON CONFLICT (task_key) DO NOTHING")
    }

    pub fn call_task(&mut self, id: i64) -> Result<Option<CallTask>, StoreError> {
        let lock = self.row_lock();
        let rows = self.conn.query(&format!("SELECT {TASK_COLUMNS} FROM call_tasks WHERE id = $1{lock}"), &[id.into()])?;
        rows.first().map(task_from_row).transpose()
    }

    /// Open tasks, highest priority first: `agent`'s when given, else the unassigned ones of
    /// `desk` (every desk when empty).
    pub fn open_call_tasks(&mut self, agent: Option<&str>, desk: &str, limit: i64) -> Result<Vec<CallTask>, StoreError> {
        let (filter, mut params) = match (agent, desk) {
            (Some(a), _) => (" AND assigned_to = $2", vec![Value::from(a)]),
            (None, "") => (" AND assigned_to IS NULL", vec![]),
            (None, d) => (" AND assigned_to IS NULL AND desk = $2", vec![Value::from(d)]),
        };
        params.insert(0, Value::from(limit));
        let rows = self.conn.query(
            &format!("SELECT {TASK_COLUMNS} FROM call_tasks WHERE status = 'open'{filter} ORDER BY priority DESC, id LIMIT $1"),
            &params,
        )?;
        rows.iter().map(task_from_row).collect()
    }

    /// Number of open tasks assigned to each agent.
    pub fn open_task_counts(&mut self) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows = self.conn.query(
            "SELECT assigned_to, count(*) FROM call_tasks WHERE status = 'open' AND assigned_to IS NOT NULL GROUP BY assigned_to",
            &[],
        )?;
        rows.iter().map(|r| Ok((r.text(0)?.to_owned(), r.int(1)?))).collect()
    }

    pub fn assign_task(&mut self, id: i64, agent: Option<&str>) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE call_tasks SET assigned_to = $2 WHERE id = $1", &[id.into(), agent.map(str::to_owned).into()])?;
        Ok(())
    }

    /// Updates a task after an attempt: its status, outcome, attempts and the earliest next try.
    pub fn update_task(
        &mut self,
        id: i64,
        status: &str,
        outcome: Option<&str>,
        attempts: i64,
        not_before: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE call_tasks SET status = $2, outcome = $3, attempts = $4, not_before = $5 WHERE id = $1",
            &[id.into(), status.into(), outcome.map(str::to_owned).into(), attempts.into(), not_before.into()],
        )?;
        Ok(())
    }

    /// Closes open tasks whose window ended before `now_utc`; returns how many.
    pub fn expire_tasks(&mut self, now_utc: i64) -> Result<u64, StoreError> {
        self.conn
            .execute("UPDATE call_tasks SET status = 'expired' WHERE status = 'open' AND window_until < $1", &[now_utc.into()])
    }

    pub fn upsert_agent(&mut self, agent: &AgentRow) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO agents (agent_id, name, daily_cap, desk, active) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (agent_id) DO UPDATE SET name = excluded.name, daily_cap = excluded.daily_cap, desk = excluded.desk, \
             active = excluded.active",
            &[
                agent.agent_id.as_str().into(),
                agent.name.as_str().into(),
                agent.daily_cap.into(),
                agent.desk.as_str().into(),
                i64::from(agent.active).into(),
            ],
        )?;
        Ok(())
    }

    pub fn agents(&mut self) -> Result<Vec<AgentRow>, StoreError> {
        let rows = self.conn.query("SELECT agent_id, name, daily_cap, desk, active FROM agents ORDER BY agent_id", &[])?;
        rows.iter()
            .map(|r| {
                Ok(AgentRow {
                    agent_id: r.text(0)?.to_owned(),
                    name: r.text(1)?.to_owned(),
                    daily_cap: r.int(2)?,
                    desk: r.text(3)?.to_owned(),
                    active: r.int(4)? != 0,
                })
            })
            .collect()
    }

    pub fn add_promise(&mut self, p: &PromiseRow) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO promises (loan_seq, contact_key, agent_id, made_on, promised_date, amount, status) \
             VALUES ($1, $2, $3, $4, $5, $6, 'open') ON CONFLICT (contact_key) DO NOTHING",
            &[
                p.loan_seq.into(),
                p.contact_key.as_str().into(),
                p.agent_id.as_str().into(),
                p.made_on.to_string().into(),
                p.promised_date.to_string().into(),
                p.amount.into(),
            ],
        )?;
        Ok(())
    }

    /// Open promises whose date is before `date`: the ones to judge kept or broken.
    pub fn promises_to_judge(&mut self, date: Date) -> Result<Vec<PromiseRow>, StoreError> {
        let rows = self.conn.query(
            &format!("SELECT {PROMISE_COLUMNS} FROM promises WHERE status = 'open' AND promised_date < $1 ORDER BY id"),
            &[date.to_string().into()],
        )?;
        rows.iter().map(promise_from_row).collect()
    }

    pub fn promises_of(&mut self, loan_seq: i64) -> Result<Vec<PromiseRow>, StoreError> {
        let rows = self
            .conn
            .query(&format!("SELECT {PROMISE_COLUMNS} FROM promises WHERE loan_seq = $1 ORDER BY id"), &[loan_seq.into()])?;
        rows.iter().map(promise_from_row).collect()
    }

    pub fn resolve_promise(&mut self, id: i64, status: &str, on: Date) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE promises SET status = $2, resolved_on = $3 WHERE id = $1 AND status = 'open'",
            &[id.into(), status.into(), on.to_string().into()],
        )?;
        Ok(())
    }

    /// Loans with a promise judged broken on a day in `since..=until`.
    pub fn broken_promise_loans(&mut self, seqs: &[i64], since: Date, until: Date) -> Result<Vec<i64>, StoreError> {
        let mut out = Vec::new();
        for chunk in seqs.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT DISTINCT loan_seq FROM promises WHERE status = 'broken' AND resolved_on >= $1 AND resolved_on <= $2 \
                 AND loan_seq IN ({})",
                placeholders(3, chunk.len())
            );
            let mut params = vec![Value::from(since.to_string()), Value::from(until.to_string())];
            params.extend(chunk.iter().map(|&s| Value::from(s)));
            for r in self.conn.query(&sql, &params)? {
                out.push(r.int(0)?);
            }
        }
        Ok(out)
    }

    /// Sum of posted payments on a loan with value dates in `from..=to`.
    pub fn paid_between(&mut self, loan_seq: i64, from: Date, to: Date) -> Result<i64, StoreError> {
        let rows = self.conn.query(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments WHERE loan_seq = $1 AND status = 'posted' AND value_date >= $2 AND value_date <= $3",
            &[loan_seq.into(), from.to_string().into(), to.to_string().into()],
        )?;
        rows[0].int(0)
    }

    pub fn collect_run(&mut self, date: Date) -> Result<Option<String>, StoreError> {
        let rows = self.conn.query("SELECT status FROM collect_runs WHERE business_date = $1", &[date.to_string().into()])?;
        rows.first().map(|r| r.text(0).map(str::to_owned)).transpose()
    }

    pub fn record_collect_run(
        &mut self,
        date: Date,
        status: &str,
        loans: i64,
        allowed: i64,
        blocked: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO collect_runs (business_date, status, loans, allowed, blocked) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (business_date) DO UPDATE SET status = excluded.status, loans = excluded.loans, \
             allowed = excluded.allowed, blocked = excluded.blocked",
            &[date.to_string().into(), status.into(), loans.into(), allowed.into(), blocked.into()],
        )?;
        Ok(())
    }

    /// Results per strategy arm for contacts of `from..=to`: loans contacted, contacts, and of
    /// those loans how many are now current (DPD 0 or closed) and how much they paid since.
    pub fn arm_results(&mut self, from: Date, to: Date) -> Result<Vec<ArmResult>, StoreError> {
        let rows = self.conn.query(
            "WITH touched AS (SELECT strategy, arm, loan_seq, MIN(business_date) AS first_day, count(*) AS n FROM contacts \
             WHERE business_date >= $1 AND business_date <= $2 AND decision = 'allowed' AND purpose = 'collection' \
             GROUP BY strategy, arm, loan_seq) \
             SELECT t.strategy, t.arm, count(*), CAST(SUM(t.n) AS BIGINT), \
             CAST(SUM(CASE WHEN (l.status = 'paid-off' AND l.bucket <> 'written-off') OR (l.status = 'active' AND l.bucket = 'M0') THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(COALESCE(SUM((SELECT COALESCE(SUM(p.amount), 0) FROM payments p WHERE p.loan_seq = t.loan_seq \
               AND p.status = 'posted' AND p.value_date >= t.first_day)), 0) AS BIGINT) \
             FROM touched t JOIN loans l ON l.seq = t.loan_seq GROUP BY t.strategy, t.arm ORDER BY t.strategy, t.arm",
            &[from.to_string().into(), to.to_string().into()],
        )?;
        rows.iter()
            .map(|r| {
                Ok(ArmResult {
                    strategy: r.text(0)?.to_owned(),
                    arm: r.text(1)?.to_owned(),
                    loans: r.int(2)?,
                    contacts: r.int(3)?,
                    cured: r.int(4)?,
                    recovered: r.int(5)?,
                })
            })
            .collect()
    }

    /// Results per agent for calls of `from..=to`: calls, conversations, promises, promises
    /// kept and broken.
    pub fn agent_results(&mut self, from: Date, to: Date) -> Result<Vec<AgentResult>, StoreError> {
        let rows = self.conn.query(
            "SELECT c.collector, count(*), \
             CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM contact_events e WHERE e.contact_key = c.contact_key \
               AND e.event = 'connected') THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN p.id IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN p.status = 'kept' THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN p.status = 'broken' THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN p.status = 'kept' THEN p.amount ELSE 0 END), 0) AS BIGINT) \
             FROM contacts c LEFT JOIN promises p ON p.contact_key = c.contact_key \
             WHERE c.channel = 'call' AND c.decision = 'allowed' AND c.business_date >= $1 AND c.business_date <= $2 \
             GROUP BY c.collector ORDER BY c.collector",
            &[from.to_string().into(), to.to_string().into()],
        )?;
        rows.iter()
            .map(|r| {
                Ok(AgentResult {
                    agent: r.text(0)?.to_owned(),
                    calls: r.int(1)?,
                    connected: r.int(2)?,
                    promises: r.int(3)?,
                    kept: r.int(4)?,
                    broken: r.int(5)?,
                    kept_amount: r.int(6)?,
                })
            })
            .collect()
    }
}

/// Contacts of one channel, decision and (when blocked) rule: `(channel, decision, rule, n)`.
pub type ContactCount = (String, String, Option<String>, i64);

/// The condition (on contacts `c`) that an allowed contact was not stopped on its way: a message
/// withdrawn, expired, failed or reported undelivered never reached anyone and is not counted
/// as made (a validation notice that never went out is not a notice).
pub const REACHED: &str = "NOT EXISTS (SELECT 1 FROM contact_events x WHERE x.contact_key = c.contact_key \
     AND x.event IN ('withdrawn', 'expired', 'failed', 'undelivered'))";

/// What a policy rule needs of a contact already made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSummary {
    pub at_utc: i64,
    pub channel: String,
    pub party: String,
    pub purpose: String,
    pub connected: bool,
}

fn summary_from_row(r: &Row, first: usize) -> Result<ContactSummary, StoreError> {
    Ok(ContactSummary {
        at_utc: r.int(first)?,
        channel: r.text(first + 1)?.to_owned(),
        party: r.text(first + 2)?.to_owned(),
        purpose: r.text(first + 3)?.to_owned(),
        connected: r.int(first + 4)? != 0,
    })
}

/// One strategy arm's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmResult {
    pub strategy: String,
    pub arm: String,
    pub loans: i64,
    pub contacts: i64,
    /// Loans now current or paid off (a written-off loan is not cured, even recovered in full).
    pub cured: i64,
    /// Payments (minor units) on those loans since their first contact in the period.
    pub recovered: i64,
}

/// One agent's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentResult {
    pub agent: String,
    pub calls: i64,
    pub connected: i64,
    pub promises: i64,
    pub kept: i64,
    pub broken: i64,
    pub kept_amount: i64,
}
