//! Delivery channels: how a rendered message leaves Arrears and what the provider said.
//!
//! A [`Message`] (recipient, subject, body, idempotency id; valid by construction) goes out
//! through a [`Sender`], which answers with a [`Delivery`]: accepted with the provider's message
//! id, or failed with a [`FailureKind`] (retryable or permanent) and the provider's own words.
//! Three senders:
//! - [`email::SmtpSender`]: email over SMTP with `lettre` (no TLS, STARTTLS or implicit TLS,
//!   all by rustls).
//! - [`sms::SmsGateway`]: SMS through an HTTP gateway: signed JSON, retries with bounded
//!   exponential backoff; [`sms::parse_receipt`] verifies and reads a delivery-receipt callback.
//! - [`file::FileSender`]: one JSON line per message in a file (letters for the print house,
//!   the app inbox feed, and the demo's stand-in for providers not configured).
//!
//! A sender does not decide whether a contact may be made (the compliance engine does) nor
//! record it (the communication record does); it only delivers and classifies.

pub mod email;
pub mod file;
mod sign;
pub mod sms;

pub use arrears_policy::Channel;
pub use sign::{sign_hex, verify_hex};

use thiserror::Error;

/// The longest idempotency id accepted, in bytes.
pub const IDEMPOTENCY_ID_LEN_MAX: usize = 128;
/// The longest recipient (address or phone number) accepted, in bytes.
pub const RECIPIENT_LEN_MAX: usize = 254;
/// The longest subject accepted, in bytes.
pub const SUBJECT_LEN_MAX: usize = 998;
/// The longest body accepted, in bytes.
pub const BODY_LEN_MAX: usize = 64 * 1024;

/// A message ready to leave: who it goes to, what it says, and the id that makes a second send
/// of the same message recognisable as a repeat (the outbox row's key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    idempotency_id: String,
    to: String,
    subject: String,
    body: String,
}

/// Why a [`Message`] could not be built. Stable variants, each naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MessageError {
    #[error("idempotency_id: must be 1 to {IDEMPOTENCY_ID_LEN_MAX} bytes of ASCII letters, digits, '-', '_', '.', ':' or '+'")]
    IdempotencyId,
    #[error("to: must be 1 to {RECIPIENT_LEN_MAX} bytes, not blank, with no line breaks or control characters")]
    Recipient,
    #[error("subject: must be at most {SUBJECT_LEN_MAX} bytes with no line breaks or control characters")]
    Subject,
    #[error("body: must be 1 to {BODY_LEN_MAX} bytes")]
    Body,
}

impl Message {
    /// Builds a message. The recipient and subject are refused if they hold line breaks or
    /// control characters (they end up in headers); the id is restricted to characters that are
    /// safe in a header and a JSON string without escaping.
    pub fn new(
        idempotency_id: impl Into<String>,
        to: impl Into<String>,
        subject: impl Into<String>,
        body: impl Into<String>,
    ) -> Result<Message, MessageError> {
        let (idempotency_id, to, subject, body) = (idempotency_id.into(), to.into(), subject.into(), body.into());
        let id_ok = !idempotency_id.is_empty()
            && idempotency_id.len() <= IDEMPOTENCY_ID_LEN_MAX
            && idempotency_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:+".contains(&b));
        if !id_ok {
            return Err(MessageError::IdempotencyId);
        }
        if to.trim().is_empty() || to.len() > RECIPIENT_LEN_MAX || to.chars().any(char::is_control) {
            return Err(MessageError::Recipient);
        }
        if subject.len() > SUBJECT_LEN_MAX || subject.chars().any(char::is_control) {
            return Err(MessageError::Subject);
        }
        if body.is_empty() || body.len() > BODY_LEN_MAX {
            return Err(MessageError::Body);
        }
        Ok(Message { idempotency_id, to, subject, body })
    }

    pub fn idempotency_id(&self) -> &str {
        &self.idempotency_id
    }
    /// An email address (optionally `Name <address>`) or a phone number, as the channel expects.
    pub fn to(&self) -> &str {
        &self.to
    }
    /// Unused by channels without one (SMS).
    pub fn subject(&self) -> &str {
        &self.subject
    }
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// Whether trying again later may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// The provider was unreachable, timed out, was overloaded or said "try later" (SMTP 4xx,
    /// HTTP 5xx or 429): the same message may be sent again with the same idempotency id.
    Retryable,
    /// The provider refused the message itself (SMTP 5xx, HTTP 4xx, a bad address, a TLS
    /// mismatch): sending it again will fail the same way.
    Permanent,
}

/// What became of one [`Sender::send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Accepted {
        /// The provider's id for the message (for SMTP, the `Message-ID` the server accepted).
        provider_id: String,
        /// Requests made, retries included.
        attempts: u32,
    },
    Failed {
        kind: FailureKind,
        /// The provider's words (status line and body, or SMTP reply), or the transport error.
        detail: String,
        /// Requests made, retries included.
        attempts: u32,
    },
}

impl Delivery {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Delivery::Accepted { .. })
    }

    pub fn attempts(&self) -> u32 {
        match self {
            Delivery::Accepted { attempts, .. } | Delivery::Failed { attempts, .. } => *attempts,
        }
    }

    /// The failure kind, if it failed.
    pub fn failure_kind(&self) -> Option<FailureKind> {
        match self {
            Delivery::Accepted { .. } => None,
            Delivery::Failed { kind, .. } => Some(*kind),
        }
    }
}

/// Something that delivers a [`Message`] on one [`Channel`]. Blocking; never panics on a
/// provider's answer: every outcome is a [`Delivery`].
pub trait Sender {
    fn channel(&self) -> Channel;
    fn send(&self, message: &Message) -> Delivery;
}
