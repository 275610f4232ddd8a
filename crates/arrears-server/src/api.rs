//! The JSON API, `/api/v1`: errors carry a stable code and the field they concern; the OpenAPI
//! document describes every route. What is here needs no login: the public check of a
//! certificate. (The staff's and borrowers' routes come with their logins.)

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::Shared;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/certificates/{code}", get(certificate))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", None, "no such route in /api/v1") })
}

/// An error as every route answers one: `{"error": {"code", "field", "message"}}`.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    message: &'a str,
}

fn error(status: StatusCode, code: &str, field: Option<&str>, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": ErrorBody { code, field, message } }))).into_response()
}

/// What a certificate certifies, found by its code; nothing else about the borrower.
#[derive(Debug, Serialize)]
struct CertificateBody {
    code: String,
    kind: String,
    issued_on: String,
    loan: String,
    currency: String,
    principal: String,
    paid: String,
    still_owed: String,
    closed_on: Option<String>,
    statement_zh: String,
    statement_en: String,
}

async fn certificate(State(shared): State<Arc<Shared>>, Path(code): Path<String>) -> Response {
    let wanted = code.clone();
    match shared.with_store(move |store| arrears_app::certificates::verify(store, &wanted)).await {
        Ok(Some(c)) => {
            let s = c.statement;
            Json(CertificateBody {
                code: c.code,
                kind: c.kind,
                issued_on: c.issued_on.to_string(),
                loan: s.loan,
                currency: s.currency,
                principal: s.principal,
                paid: s.paid,
                still_owed: s.still_owed,
                closed_on: s.closed_on,
                statement_zh: s.words_zh,
                statement_en: s.words_en,
            })
            .into_response()
        }
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "certificate_not_found",
            Some("code"),
            "no certificate was issued with this verification code",
        ),
        Err(e) => {
            eprintln!("certificate check failed: {e}");
            error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", None, "the check cannot be made just now")
        }
    }
}

async fn openapi() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], include_str!("../assets/openapi.json"))
}
