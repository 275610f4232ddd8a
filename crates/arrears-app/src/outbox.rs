//! Delivery of the outbox: messages committed with the contact that decided them leave through
//! their channel's sender, at least once; what became of each is recorded exactly once.
//!
//! A message is sent, then its result written. If the process dies between the two, the
//! message is still pending and goes again with the same idempotency id (the provider can tell
//! the repeat); the record of its delivery is appended once, whatever the number of sends.

use arrears_channels::sms::{Receipt, ReceiptStatus};
use arrears_channels::{Delivery, FailureKind, Message, Sender};
use arrears_policy::{Channel, Purpose};
use arrears_store::{OutboxRow, Store};

use crate::AppError;

/// Minutes to wait before trying a message again after a retryable failure: 1, 2, 4, 8, 16,
/// then every 30 minutes until the message's send window closes.
pub fn backoff_minutes(attempts: i64) -> i64 {
    (1i64 << (attempts.clamp(1, 6) - 1)).min(30)
}

/// The senders of each channel; a channel without one keeps its messages pending.
#[derive(Default)]
pub struct Senders {
    by_channel: Vec<(Channel, Box<dyn Sender>)>,
}

impl Senders {
    pub fn with(mut self, sender: Box<dyn Sender>) -> Senders {
        let channel = sender.channel();
        self.by_channel.retain(|(c, _)| *c != channel);
        self.by_channel.push((channel, sender));
        self
    }

    fn get(&self, channel: Channel) -> Option<&dyn Sender> {
        self.by_channel.iter().find(|(c, _)| *c == channel).map(|(_, s)| s.as_ref())
    }

    pub fn channels(&self) -> Vec<Channel> {
        self.by_channel.iter().map(|(c, _)| *c).collect()
    }
}

impl std::fmt::Debug for Senders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.channels().iter().map(|c| c.code())).finish()
    }
}

/// How to run one delivery pass.
#[derive(Debug, Clone, Copy)]
pub struct DeliverOptions {
    /// The moment of delivery, UTC minutes since 1970 (the edge reads the clock; tests and the
    /// demo pass simulated time).
    pub now_utc: i64,
    /// The most messages this pass sends.
    pub limit: usize,
    /// Stop, as if killed, after sending this many messages and before recording the last
    /// one's result: for tests of the outbox's guarantee.
    pub crash_after_sends: Option<usize>,
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliverReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub expired: usize,
    pub withdrawn: usize,
    /// Pending messages of channels with no sender configured.
    pub no_sender: usize,
}

impl DeliverReport {
    pub fn absorb(&mut self, other: &DeliverReport) {
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.failed += other.failed;
        self.expired += other.expired;
        self.withdrawn += other.withdrawn;
        self.no_sender += other.no_sender;
    }
}

/// Sends the messages due by `options.now_utc`.
pub fn deliver(store: &mut Store, senders: &Senders, options: DeliverOptions) -> Result<DeliverReport, AppError> {
    let now = options.now_utc;
    let due = store.read(|tx| tx.outbox_due(now, options.limit.max(1) as i64))?;
    let mut report = DeliverReport::default();
    let mut sends = 0usize;
    for message in due {
        let Some(channel) = Channel::parse(&message.channel) else {
            return Err(AppError::invalid("outbox.channel", format!("unknown channel `{}` in the outbox", message.channel)));
        };
        // What changed since the message was planned and stops it now: a dispute opened, a
        // relief accepted or a write-off (for a message asking for payment), or an opt-out of
        // its channel.
        let withdraw = store.read(|tx| {
            let Some(contact) = tx.contact(&message.contact_key)? else {
                return Ok::<_, AppError>(Some("its contact is not in the record"));
            };
            if contact.decision != "allowed" {
                return Ok(Some("the record shows its contact blocked"));
            }
            let flags = tx.collection_flags(&[message.loan_seq])?;
            let disputed = flags.get(&message.loan_seq).is_some_and(|f| f.dispute_open_since.is_some());
            let asks_for_payment = Purpose::parse(&contact.purpose).is_some_and(Purpose::asks_for_payment);
            if disputed && asks_for_payment {
                return Ok(Some("a dispute was opened after it was planned"));
            }
            let under_plan = flags.get(&message.loan_seq).is_some_and(|f| f.plan_since.is_some());
            if under_plan && asks_for_payment {
                return Ok(Some("a hardship relief was accepted after it was planned"));
            }
            if asks_for_payment && tx.loan_status(message.loan_seq)?.as_deref() == Some("written-off") {
                return Ok(Some("the loan was written off after it was planned"));
            }
            let borrower = tx.borrower(&contact.borrower_id)?;
            if channel.is_electronic() && borrower.is_some_and(|b| b.opted_out.split(',').any(|c| c == channel.code())) {
                return Ok(Some("the borrower opted out of this channel after it was planned"));
            }
            Ok(None)
        })?;
        if let Some(why) = withdraw {
            finish(store, &message, "withdrawn", message.attempts, None, "withdrawn", now, why)?;
            report.withdrawn += 1;
            continue;
        }
        if now > message.send_before {
            finish(
                store,
                &message,
                "expired",
                message.attempts,
                None,
                "expired",
                now,
                "its send window passed before a provider took it",
            )?;
            report.expired += 1;
            continue;
        }
        let Some(sender) = senders.get(channel) else {
            report.no_sender += 1;
            continue;
        };
        let outgoing = Message::new(idempotency_id(&message.contact_key), &message.recipient, &message.subject, &message.body)
            .map_err(|e| AppError::invalid("outbox", format!("message {}: {e}", message.contact_key)))?;
        let delivery = sender.send(&outgoing);
        sends += 1;
        if options.crash_after_sends.is_some_and(|n| sends >= n) {
            return Err(AppError::Interrupted { partitions: sends });
        }
        let attempts = message.attempts + i64::from(delivery.attempts());
        match delivery {
            Delivery::Accepted { provider_id, .. } => {
                finish(store, &message, "sent", attempts, Some(&provider_id), "sent", now, &provider_id)?;
                report.sent += 1;
            }
            Delivery::Failed { kind, detail, .. } => {
                // Providers often echo the address in their errors: the record keeps it masked.
                let detail = detail.replace(&message.recipient, &crate::collect::mask(&message.recipient));
                let next = now + backoff_minutes(attempts);
                if kind == FailureKind::Retryable && next <= message.send_before {
                    store.transaction(|tx| {
                        tx.settle_outbox(&message.contact_key, "pending", attempts, next, None, Some(&detail))
                    })?;
                    report.retrying += 1;
                } else {
                    finish(store, &message, "failed", attempts, None, "failed", now, &detail)?;
                    report.failed += 1;
                }
            }
        }
    }
    Ok(report)
}

/// What a delivery receipt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptOutcome {
    pub contact_key: String,
    /// `false` when the same receipt had been recorded already (gateways repeat callbacks).
    pub recorded: bool,
}

/// Records a verified delivery receipt from the SMS gateway against the contact whose message
/// the gateway accepted under that id: `delivered`, or `undelivered` with the gateway's reason.
pub fn record_receipt(store: &mut Store, receipt: &Receipt) -> Result<ReceiptOutcome, AppError> {
    store.transaction(|tx| {
        let contact_key = tx
            .contact_by_provider_id(&receipt.provider_id)?
            .ok_or_else(|| AppError::NotFound { what: "message with provider id", id: receipt.provider_id.clone() })?;
        let (event, detail) = match receipt.status {
            ReceiptStatus::Delivered => ("delivered", String::new()),
            ReceiptStatus::Failed => ("undelivered", receipt.error.clone().unwrap_or_default()),
        };
        let recorded = tx.append_contact_event(&contact_key, event, receipt.at_unix_s.div_euclid(60), &detail)?;
        Ok(ReceiptOutcome { contact_key, recorded })
    })
}

/// Settles a message and appends its outcome to the record, in one transaction.
#[allow(clippy::too_many_arguments)]
fn finish(
    store: &mut Store,
    message: &OutboxRow,
    status: &str,
    attempts: i64,
    provider_id: Option<&str>,
    event: &str,
    now: i64,
    detail: &str,
) -> Result<(), AppError> {
    store.transaction(|tx| {
        tx.settle_outbox(
            &message.contact_key,
            status,
            attempts,
            message.next_try,
            provider_id,
            (status != "sent").then_some(detail),
        )?;
        tx.append_contact_event(&message.contact_key, event, now, detail)?;
        Ok::<_, AppError>(())
    })
}

/// The idempotency id of an outbox message: its contact key in the characters a header and a
/// JSON string carry unescaped, with a digest of the original key whenever a character had to
/// change or the key had to be cut, so two keys never share an id.
pub fn idempotency_id(contact_key: &str) -> String {
    let max = arrears_channels::IDEMPOTENCY_ID_LEN_MAX;
    let mapped: String =
        contact_key.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.:+".contains(c) { c } else { '.' }).collect();
    if mapped == contact_key && mapped.len() <= max {
        return mapped;
    }
    let digest = stable_hash(contact_key);
    let keep = mapped.len().min(max - 17);
    format!("{}.{digest:016x}", &mapped[..keep])
}

/// FNV-1a: stable across runs, machines and releases.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}
