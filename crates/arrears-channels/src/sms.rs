//! SMS through an HTTP gateway: each message is one signed JSON POST, retried with bounded
//! exponential backoff while the gateway answers 5xx or 429 or cannot be reached; and the
//! delivery-receipt callback the gateway posts back, verified with the same signature.
//!
//! The wire format (ours; a provider with another one gets its own adapter beside this one):
//! - request: `POST {url}` with `Content-Type: application/json`, [`HEADER_API_KEY`],
//!   [`HEADER_SIGNATURE`] (hex HMAC-SHA256 of the exact body with the shared secret) and
//!   [`HEADER_IDEMPOTENCY_KEY`]; body `{"to": "+8613800138000", "text": "…", "client_ref": "<idempotency id>"}`
//!   (plus `"sender_id"` when configured). Every retry sends the same bytes, so a gateway that
//!   dedupes on `client_ref` sends the SMS once however often we ask.
//! - answer: any 2xx with `{"message_id": "…"}` is accepted; 429 and 5xx are retried; any other
//!   status is a permanent failure carrying the gateway's words.
//! - receipt: body `{"message_id": "…", "status": "delivered"|"failed", "at": <unix seconds>,
//!   "error": "…"?}` with the signature header; see [`parse_receipt`].
//!
//! Why `ureq`: a blocking client fits the outbox worker (one message at a time, no async
//! runtime to start), and ureq 3 with only its `rustls` feature shares rustls, ring and the
//! Mozilla roots with `lettre`, adding five crates of its own (ureq, ureq-proto, http, httparse,
//! utf8-zero): about 6 s of the ~85 s CPU (43 s on 2 cores) that a clean debug build of this
//! crate's whole tree costs. reqwest, even its blocking client, would build tokio and hyper.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::sign::{sign_hex, verify_hex};
use crate::{Channel, Delivery, FailureKind, Message, Sender};

/// The header carrying the API key.
pub const HEADER_API_KEY: &str = "X-Api-Key";
/// The header carrying the hex HMAC-SHA256 of the body, on requests and receipts.
pub const HEADER_SIGNATURE: &str = "X-Signature";
/// The header repeating `client_ref`, for gateways that dedupe on a header.
pub const HEADER_IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Bounds on the configuration, so a typo cannot make a worker retry for an hour.
pub const ATTEMPTS_MAX: u32 = 10;
pub const TIMEOUT_MS_MAX: u64 = 60_000;
pub const TOTAL_MS_MAX: u64 = 300_000;
/// The most of a gateway's answer read and kept, in bytes.
pub const ANSWER_LEN_MAX: u64 = 16 * 1024;
/// The largest receipt body accepted, in bytes.
pub const RECEIPT_LEN_MAX: usize = 16 * 1024;

/// How often and how patiently to retry. The n-th wait (n from 0) is
/// `min(backoff_initial_ms × 2^n, backoff_max_ms)`, raised to the gateway's `Retry-After` when
/// it sends one (still at most `backoff_max_ms`); no attempt starts once `total_ms_max` would be
/// passed by its wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests per message, the first included: 1 to [`ATTEMPTS_MAX`].
    pub attempts_max: u32,
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    /// From the first request to the start of the last: at most [`TOTAL_MS_MAX`].
    pub total_ms_max: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts_max: 5, backoff_initial_ms: 500, backoff_max_ms: 8_000, total_ms_max: 30_000 }
    }
}

/// Where the gateway is and how to prove who we are.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsGatewayConfig {
    /// `http://` or `https://`.
    pub url: String,
    pub api_key: String,
    /// The shared secret for request and receipt signatures.
    pub secret: Vec<u8>,
    /// The sender name or short code, if the gateway wants one.
    pub sender_id: Option<String>,
    /// For one request, from connecting to the last byte of the answer: 1 to [`TIMEOUT_MS_MAX`].
    pub timeout_ms: u64,
    pub retry: RetryPolicy,
}

impl std::fmt::Debug for SmsGatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsGatewayConfig")
            .field("url", &self.url)
            .field("api_key", &"<redacted>")
            .field("secret", &"<redacted>")
            .field("sender_id", &self.sender_id)
            .field("timeout_ms", &self.timeout_ms)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Why an [`SmsGatewayConfig`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SmsConfigError {
    #[error("url: must start with http:// or https://, was {0:?}")]
    Url(String),
    #[error("api_key: must be non-empty printable ASCII")]
    ApiKey,
    #[error("secret: must not be empty")]
    Secret,
    #[error("timeout_ms: must be 1 to {TIMEOUT_MS_MAX}, was {0}")]
    Timeout(u64),
    #[error("retry.attempts_max: must be 1 to {ATTEMPTS_MAX}, was {0}")]
    Attempts(u32),
    #[error("retry: backoff_initial_ms ({initial}) must be at most backoff_max_ms ({max}), and total_ms_max ({total}) at most {TOTAL_MS_MAX}")]
    Backoff { initial: u64, max: u64, total: u64 },
}

/// Sends [`Message`]s (recipient and body; the subject is not sent) through the gateway.
#[derive(Debug)]
pub struct SmsGateway {
    config: SmsGatewayConfig,
    agent: ureq::Agent,
}

#[derive(Serialize)]
struct SendRequest<'a> {
    to: &'a str,
    text: &'a str,
    client_ref: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender_id: Option<&'a str>,
}

#[derive(Deserialize)]
struct SendAnswer {
    message_id: String,
}

/// One request's outcome: the gateway's id, or a classified failure with a wait it asked for.
type Attempt = Result<String, (FailureKind, String, Option<Duration>)>;

impl SmsGateway {
    pub fn new(config: SmsGatewayConfig) -> Result<SmsGateway, SmsConfigError> {
        if !(config.url.starts_with("http://") || config.url.starts_with("https://")) {
            return Err(SmsConfigError::Url(config.url));
        }
        if config.api_key.is_empty() || !config.api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SmsConfigError::ApiKey);
        }
        if config.secret.is_empty() {
            return Err(SmsConfigError::Secret);
        }
        if config.timeout_ms == 0 || config.timeout_ms > TIMEOUT_MS_MAX {
            return Err(SmsConfigError::Timeout(config.timeout_ms));
        }
        let r = config.retry;
        if r.attempts_max == 0 || r.attempts_max > ATTEMPTS_MAX {
            return Err(SmsConfigError::Attempts(r.attempts_max));
        }
        if r.backoff_initial_ms > r.backoff_max_ms || r.total_ms_max > TOTAL_MS_MAX {
            return Err(SmsConfigError::Backoff { initial: r.backoff_initial_ms, max: r.backoff_max_ms, total: r.total_ms_max });
        }
        let agent = ureq::Agent::config_builder()
            // Statuses are classified here, not turned into errors by the client.
            .http_status_as_error(false)
            // A gateway that redirects a POST is misconfigured; say so instead of following.
            .max_redirects(0)
            .user_agent(concat!("arrears-channels/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(SmsGateway { config, agent })
    }

    /// The exact bytes posted for a message (the same on every retry).
    pub fn request_body(&self, message: &Message) -> Vec<u8> {
        let request = SendRequest {
            to: message.to(),
            text: message.body(),
            client_ref: message.idempotency_id(),
            sender_id: self.config.sender_id.as_deref(),
        };
        serde_json::to_vec(&request).expect("a struct of strings always serialises")
    }

    fn attempt(&self, message: &Message, body: &[u8], signature: &str, timeout: Duration) -> Attempt {
        let sent = self
            .agent
            .post(&self.config.url)
            .config()
            .timeout_global(Some(timeout))
            .build()
            .header("Content-Type", "application/json")
            .header(HEADER_API_KEY, &self.config.api_key)
            .header(HEADER_SIGNATURE, signature)
            .header(HEADER_IDEMPOTENCY_KEY, message.idempotency_id())
            .send(body);
        let mut response = match sent {
            Ok(response) => response,
            Err(e) => return Err((classify_error(&e), format!("gateway unreachable: {e}"), None)),
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response.body_mut().with_config().limit(ANSWER_LEN_MAX).read_to_string().unwrap_or_default();
        match status {
            200..=299 => match serde_json::from_str::<SendAnswer>(&text) {
                Ok(answer) if !answer.message_id.is_empty() => Ok(answer.message_id),
                _ => Err((FailureKind::Permanent, format!("gateway said {status} without a message_id: {text}"), None)),
            },
            429 | 500..=599 => Err((FailureKind::Retryable, format!("gateway said {status}: {text}"), retry_after)),
            _ => Err((FailureKind::Permanent, format!("gateway said {status}: {text}"), None)),
        }
    }
}

/// Connection trouble and timeouts may pass; a malformed URL or request will not.
fn classify_error(e: &ureq::Error) -> FailureKind {
    match e {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl | ureq::Error::RedirectFailed => {
            FailureKind::Permanent
        }
        _ => FailureKind::Retryable,
    }
}

impl Sender for SmsGateway {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn send(&self, message: &Message) -> Delivery {
        let body = self.request_body(message);
        let signature = sign_hex(&self.config.secret, &body);
        let policy = self.config.retry;
        let total = Duration::from_millis(policy.total_ms_max);
        let started = Instant::now();
        let mut backoff = Duration::from_millis(policy.backoff_initial_ms);
        let mut attempts = 0;
        loop {
            attempts += 1;
            // A request never runs past the total budget (but gets at least a millisecond).
            let left = total.saturating_sub(started.elapsed()).max(Duration::from_millis(1));
            let timeout = Duration::from_millis(self.config.timeout_ms).min(left);
            let (kind, detail, asked) = match self.attempt(message, &body, &signature, timeout) {
                Ok(provider_id) => return Delivery::Accepted { provider_id, attempts },
                Err(failure) => failure,
            };
            let wait = asked.map_or(backoff, |a| a.max(backoff)).min(Duration::from_millis(policy.backoff_max_ms));
            let out_of_time = started.elapsed() + wait > total;
            if kind == FailureKind::Permanent || attempts >= policy.attempts_max || out_of_time {
                let detail = if kind == FailureKind::Retryable {
                    format!("gave up after {attempts} attempt(s) in {} ms: {detail}", started.elapsed().as_millis())
                } else {
                    detail
                };
                return Delivery::Failed { kind, detail, attempts };
            }
            std::thread::sleep(wait);
            backoff = (backoff * 2).min(Duration::from_millis(policy.backoff_max_ms));
        }
    }
}

/// What the gateway says became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptStatus {
    Delivered,
    Failed,
}

/// A verified delivery receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The gateway's id, as returned when the message was accepted.
    #[serde(rename = "message_id")]
    pub provider_id: String,
    pub status: ReceiptStatus,
    /// When the gateway saw it happen, in seconds since 1970 UTC.
    #[serde(rename = "at")]
    pub at_unix_s: i64,
    /// The gateway's reason for a failure, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why a receipt was refused. A web endpoint answers 401 to `Signature` and 400 to the rest.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReceiptError {
    #[error("receipt: the {HEADER_SIGNATURE} header does not match the body")]
    Signature,
    #[error("receipt: body is {0} bytes, more than {RECEIPT_LEN_MAX}")]
    TooLarge(usize),
    #[error("receipt: {0}")]
    Malformed(String),
}

/// Verifies a delivery-receipt callback's signature (`signature_hex`, the [`HEADER_SIGNATURE`]
/// value) against the raw body, then reads it. Nothing in an unverified body is looked at.
pub fn parse_receipt(secret: &[u8], body: &[u8], signature_hex: &str) -> Result<Receipt, ReceiptError> {
    if body.len() > RECEIPT_LEN_MAX {
        return Err(ReceiptError::TooLarge(body.len()));
    }
    if !verify_hex(secret, body, signature_hex) {
        return Err(ReceiptError::Signature);
    }
    let receipt: Receipt = serde_json::from_slice(body).map_err(|e| ReceiptError::Malformed(e.to_string()))?;
    if receipt.provider_id.is_empty() {
        return Err(ReceiptError::Malformed("message_id: must not be empty".into()));
    }
    if receipt.at_unix_s < 0 {
        return Err(ReceiptError::Malformed(format!("at: must be seconds since 1970, was {}", receipt.at_unix_s)));
    }
    Ok(receipt)
}
