//! A sender that appends each message as one JSON line to a file: the hand-off to a print and
//! mail house for letters, the in-app inbox feed, and the demo's stand-in for providers that
//! are not configured.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::{Channel, Delivery, FailureKind, Message, Sender};

/// Appends messages of one channel to a JSON Lines file.
#[derive(Debug)]
pub struct FileSender {
    channel: Channel,
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileSender {
    pub fn new(channel: Channel, path: impl Into<PathBuf>) -> FileSender {
        FileSender { channel, path: path.into(), lock: Mutex::new(()) }
    }
}

impl Sender for FileSender {
    fn channel(&self) -> Channel {
        self.channel
    }

    fn send(&self, message: &Message) -> Delivery {
        let line = serde_json::json!({
            "id": message.idempotency_id(),
            "channel": self.channel,
            "to": message.to(),
            "subject": message.subject(),
            "body": message.body(),
        });
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| writeln!(f, "{line}").and_then(|()| f.flush()));
        match written {
            Ok(()) => Delivery::Accepted { provider_id: format!("file:{}", message.idempotency_id()), attempts: 1 },
            Err(e) => {
                Delivery::Failed { kind: FailureKind::Retryable, detail: format!("{}: {e}", self.path.display()), attempts: 1 }
            }
        }
    }
}
