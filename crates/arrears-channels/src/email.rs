//! Email over SMTP with `lettre`'s blocking transport: one connection per message (no pool),
//! TLS by rustls with the Mozilla roots, so nothing depends on OpenSSL or system certificates.
//!
//! The sender does not retry: an SMTP failure is classified (a 4xx reply, a refused or timed
//! out connection are retryable; a 5xx reply, a bad address, a TLS failure are permanent) and
//! the outbox decides when to try again.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{SmtpTransport, Transport};
use thiserror::Error;

use crate::{Channel, Delivery, FailureKind, Message, Sender};

/// The longest timeout accepted, so a stuck server cannot hold a worker for long.
pub const TIMEOUT_MS_MAX: u64 = 120_000;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text. Only for a relay on the same host or a test server.
    None,
    /// Connect in plain text and upgrade with STARTTLS; the send fails if the server does not
    /// offer it (never falls back to plain text). Usually port 587.
    StartTls,
    /// TLS from the first byte ("SMTPS"). Usually port 465.
    Implicit,
}

/// A user name and password for SMTP AUTH (PLAIN or LOGIN, as the server offers).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpCredentials").field("user", &self.user).field("password", &"<redacted>").finish()
    }
}

/// Where and how to send email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<SmtpCredentials>,
    /// The sender, e.g. `"某某小贷 催收部 <collections@lender.example>"`.
    pub from: String,
    /// The name given in EHLO; `None` sends the address literal `[127.0.0.1]`.
    pub helo_name: Option<String>,
    /// For connecting and for each command; at most [`TIMEOUT_MS_MAX`].
    pub timeout_ms: u64,
}

/// Why an [`SmtpConfig`] was refused.
#[derive(Debug, Error)]
pub enum SmtpConfigError {
    #[error("from: {0:?} is not a mailbox (expected `Name <user@domain>` or `user@domain`)")]
    From(String),
    #[error("host: must not be empty")]
    Host,
    #[error("timeout_ms: must be 1 to {TIMEOUT_MS_MAX}, was {0}")]
    Timeout(u64),
    #[error("tls: cannot set up TLS for host {host:?}: {source}")]
    Tls { host: String, source: lettre::transport::smtp::Error },
}

/// Sends [`Message`]s as UTF-8 plain-text email.
#[derive(Debug, Clone)]
pub struct SmtpSender {
    transport: SmtpTransport,
    from: Mailbox,
    /// The domain of `from`, for `Message-ID`s.
    from_domain: String,
}

impl SmtpSender {
    pub fn new(config: &SmtpConfig) -> Result<SmtpSender, SmtpConfigError> {
        if config.host.trim().is_empty() {
            return Err(SmtpConfigError::Host);
        }
        if config.timeout_ms == 0 || config.timeout_ms > TIMEOUT_MS_MAX {
            return Err(SmtpConfigError::Timeout(config.timeout_ms));
        }
        let from: Mailbox = config.from.parse().map_err(|_| SmtpConfigError::From(config.from.clone()))?;
        let from_domain = from.email.domain().to_owned();
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls => Tls::Required(tls_parameters(&config.host)?),
            TlsMode::Implicit => Tls::Wrapper(tls_parameters(&config.host)?),
        };
        let mut builder = SmtpTransport::builder_dangerous(config.host.as_str())
            .port(config.port)
            .tls(tls)
            .timeout(Some(Duration::from_millis(config.timeout_ms)));
        if let Some(name) = &config.helo_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        if let Some(c) = &config.credentials {
            builder = builder.credentials(Credentials::new(c.user.clone(), c.password.clone()));
        }
        Ok(SmtpSender { transport: builder.build(), from, from_domain })
    }

    /// The `Message-ID` a message is sent with: the idempotency id under the sender's domain,
    /// so a message sent twice carries the same id and a receiver can drop the repeat.
    pub fn message_id(&self, message: &Message) -> String {
        format!("<{}@{}>", message.idempotency_id(), self.from_domain)
    }

    fn build(&self, message: &Message) -> Result<lettre::Message, String> {
        let to: Mailbox = message.to().parse().map_err(|e| format!("to: {:?} is not an email address: {e}", message.to()))?;
        lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject())
            .message_id(Some(self.message_id(message)))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body().to_owned())
            .map_err(|e| format!("cannot build the email: {e}"))
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, SmtpConfigError> {
    TlsParameters::new(host.to_owned()).map_err(|source| SmtpConfigError::Tls { host: host.to_owned(), source })
}

/// Retryable: a 4xx reply, or the server could not be reached or timed out. Everything else
/// (a 5xx reply, a TLS failure, a malformed reply, a client-side refusal) is permanent.
fn classify(e: &lettre::transport::smtp::Error) -> FailureKind {
    if e.is_transient() || e.is_timeout() {
        return FailureKind::Retryable;
    }
    if e.is_permanent() || e.is_tls() || e.is_client() || e.is_response() {
        return FailureKind::Permanent;
    }
    // Connection and network errors: refused, reset, unreachable.
    FailureKind::Retryable
}

impl Sender for SmtpSender {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    fn send(&self, message: &Message) -> Delivery {
        let email = match self.build(message) {
            Ok(email) => email,
            Err(detail) => return Delivery::Failed { kind: FailureKind::Permanent, detail, attempts: 0 },
        };
        match self.transport.send(&email) {
            Ok(_reply) => Delivery::Accepted { provider_id: self.message_id(message), attempts: 1 },
            Err(e) => Delivery::Failed { kind: classify(&e), detail: e.to_string(), attempts: 1 },
        }
    }
}
