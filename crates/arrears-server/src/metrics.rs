//! Prometheus metrics in the text exposition format: requests by route and status, their
//! time, and the business day the book stands on.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::Shared;

/// Requests seen, by (route pattern, status): how many, and their time in microseconds.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), (u64, u64)>>,
}

impl Metrics {
    pub fn record(&self, route: &str, status: u16, took: Duration) {
        let mut requests = self.requests.lock().expect("metrics");
        let entry = requests.entry((route.to_owned(), status)).or_default();
        entry.0 += 1;
        entry.1 += took.as_micros() as u64;
    }

    fn render(&self, business_date: Option<String>) -> String {
        let mut out = String::new();
        out.push_str("# HELP arrears_http_requests_total HTTP requests answered, by route pattern and status.\n");
        out.push_str("# TYPE arrears_http_requests_total counter\n");
        let requests = self.requests.lock().expect("metrics");
        for ((route, status), (count, _)) in requests.iter() {
            let _ = writeln!(out, "arrears_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}");
        }
        out.push_str("# HELP arrears_http_request_seconds_total Time spent answering, by route pattern and status.\n");
        out.push_str("# TYPE arrears_http_request_seconds_total counter\n");
        for ((route, status), (_, micros)) in requests.iter() {
            let _ = writeln!(
                out,
                "arrears_http_request_seconds_total{{route=\"{route}\",status=\"{status}\"}} {}.{:06}",
                micros / 1_000_000,
                micros % 1_000_000
            );
        }
        out.push_str("# HELP arrears_info The running build, and the last business day closed.\n");
        out.push_str("# TYPE arrears_info gauge\n");
        let _ = writeln!(
            out,
            "arrears_info{{version=\"{}\",business_date=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            business_date.unwrap_or_default()
        );
        out
    }
}

pub async fn scrape(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let day = shared.with_store(|store| Ok(store.read(|tx| tx.business_date())?)).await.ok().flatten();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], shared.metrics.render(day.map(|d| d.to_string())))
}
