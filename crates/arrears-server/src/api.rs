//! The JSON API, `/api/v1`: errors carry a stable code and the field they concern; the OpenAPI
//! document describes every route, and `/api/docs` shows it as a page.
//!
//! The public check of a certificate needs no key. Everything else is for the lender's other
//! systems, each with its own key (`arrears api-key add NAME --by ADMIN`) sent as
//! `Authorization: Bearer KEY`: loans, read a page at a time, and payments. A payment needs an
//! `Idempotency-Key` header: the same key again returns the first payment and posts nothing.
//! Keys are kept per client (`api:CLIENT:KEY`), so two systems cannot collide on one, and a
//! payment is posted by the same path as the CLI's and the portal's (`service::pay_by`),
//! audited under the client's name.

use std::collections::HashMap;
use std::sync::Arc;

use arrears_app::AppError;
use arrears_core::{Amount, Date, LoanError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use crate::pages::escape;
use crate::Shared;

pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/certificates/{code}", get(certificate))
        .route("/loans", get(loans))
        .route("/loans/{loan}", get(loan))
        .route("/loans/{loan}/payments", get(payments).post(post_payment))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", None, "no such route in /api/v1") })
}

/// A page of a list holds this many items unless asked, and at most [`MAX_LIMIT`].
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// An error as every route answers one: `{"error": {"code", "field", "message"}}`.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    message: &'a str,
}

fn error(status: StatusCode, code: &str, field: Option<&str>, message: &str) -> Response {
    (status, Json(json!({ "error": ErrorBody { code, field, message } }))).into_response()
}

/// A request's input at fault, before anything is done: answered with [`error`].
#[derive(Debug)]
struct BadInput {
    status: StatusCode,
    code: &'static str,
    field: Option<&'static str>,
    message: String,
}

impl BadInput {
    fn invalid(field: &'static str, message: impl Into<String>) -> BadInput {
        BadInput { status: StatusCode::UNPROCESSABLE_ENTITY, code: "invalid", field: Some(field), message: message.into() }
    }
}

impl IntoResponse for BadInput {
    fn into_response(self) -> Response {
        error(self.status, self.code, self.field, &self.message)
    }
}

/// The answer to a use case's error: the input at fault and a stable code, or 503 (logged)
/// when the fault is not the caller's.
fn app_error(e: &AppError) -> Response {
    let text = e.to_string();
    // Messages of invalid input start with the field they concern: `amount: ...`.
    let field = text.split_once(": ").map(|(f, _)| f).filter(|f| f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    match e {
        AppError::NotFound { .. } => error(StatusCode::NOT_FOUND, "not_found", None, &text),
        AppError::Invalid { field, message } => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", Some(field), message),
        AppError::KeyReused { .. } => error(StatusCode::CONFLICT, "idempotency_key_reused", Some("Idempotency-Key"), &text),
        AppError::Loan(LoanError::Overpayment { .. }) => error(StatusCode::UNPROCESSABLE_ENTITY, "overpayment", field, &text),
        AppError::Loan(LoanError::NotActive(_)) => error(StatusCode::UNPROCESSABLE_ENTITY, "loan_not_active", field, &text),
        AppError::Loan(_) | AppError::Terms(_) | AppError::BackInTime { .. } | AppError::SkipsDays { .. } => {
            error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", field, &text)
        }
        _ => {
            eprintln!("an API request failed: {e}");
            error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", None, "the request cannot be served just now")
        }
    }
}

/// The client whose key the request carries, or the 401 to answer.
async fn client(shared: &Arc<Shared>, headers: &HeaderMap) -> Result<String, Response> {
    let refused = || {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            Some("Authorization"),
            "send the system's API key as `Authorization: Bearer KEY`",
        );
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        r
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .ok_or_else(refused)?;
    match shared.with_store(move |store| arrears_app::auth::api_client(store, &token)).await {
        Ok(Some(name)) => Ok(name),
        Ok(None) => Err(refused()),
        Err(e) => Err(app_error(&e)),
    }
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
        Err(e) => app_error(&e),
    }
}

/// A status as the JSON says it: `active`, `paid-off`, `written-off`.
fn code_of(value: impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn components(c: &arrears_core::loan::Components) -> Value {
    json!({
        "principal": c.principal.to_string(),
        "interest": c.interest.to_string(),
        "penalty": c.penalty.to_string(),
        "compound": c.compound.to_string(),
        "fee": c.fee.to_string(),
        "total": c.total().to_string(),
    })
}

/// A loan in a list: who, how much and how late, as of its last closed business day.
fn summary(loan: &arrears_store::LoanRecord) -> Value {
    let (t, s) = (&loan.terms, &loan.state);
    json!({
        "loan": loan.loan_no,
        "borrower": loan.borrower_id,
        "product": loan.product,
        "currency": t.currency().code(),
        "principal": t.principal().to_string(),
        "status": code_of(s.status),
        "as_of": s.as_of.to_string(),
        "dpd": s.dpd,
        "bucket": s.bucket.to_string(),
        "class": s.class.to_string(),
        "outstanding": s.outstanding().total().to_string(),
    })
}

/// A bounded integer from the query.
fn bounded(q: &HashMap<String, String>, field: &'static str, default: i64, min: i64, max: i64) -> Result<i64, BadInput> {
    let Some(text) = q.get(field) else { return Ok(default) };
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(BadInput::invalid(field, format!("`{text}` must be a whole number from {min} to {max}"))),
    }
}

/// `GET /loans?limit=N&after=CURSOR`: the book in a stable order, a page at a time; `next` is
/// the cursor of the page after, or null on the last.
async fn loans(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    if let Err(refused) = client(&shared, &headers).await {
        return refused;
    }
    let (limit, after) = match (bounded(&q, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT), bounded(&q, "after", 0, 0, i64::MAX)) {
        (Ok(limit), Ok(after)) => (limit, after),
        (Err(bad), _) | (_, Err(bad)) => return bad.into_response(),
    };
    // One more than asked tells whether a next page exists.
    let found = shared.with_store(move |store| Ok(store.read(|tx| tx.loans_page(after, limit + 1))?)).await;
    match found {
        Ok(mut page) => {
            let more = page.len() as i64 > limit;
            page.truncate(limit as usize);
            let next = page.last().filter(|_| more).map(|l| l.seq.to_string());
            Json(json!({ "items": page.iter().map(summary).collect::<Vec<_>>(), "next": next })).into_response()
        }
        Err(e) => app_error(&e),
    }
}

/// `GET /loans/{loan}`: terms, standing, balances by component, payoff and the schedule.
async fn loan(State(shared): State<Arc<Shared>>, Path(loan_no): Path<String>, headers: HeaderMap) -> Response {
    if let Err(refused) = client(&shared, &headers).await {
        return refused;
    }
    match shared.with_store(move |store| arrears_app::service::loan_view(store, &loan_no, None)).await {
        Ok(view) => {
            let t = &view.record.terms;
            let s = &view.state;
            let mut body = summary(&view.record);
            body["as_of"] = json!(s.as_of.to_string());
            body["dpd"] = json!(s.dpd);
            body["status"] = code_of(s.status);
            body["outstanding"] = components(&s.outstanding());
            body["payoff"] = json!(view.payoff.to_string());
            body["terms"] = json!({
                "annual_rate": t.annual_rate().to_string(),
                "term_months": t.term_months(),
                "start_date": t.start_date().to_string(),
            });
            body["installments"] = s
                .installments
                .iter()
                .map(|i| {
                    json!({
                        "n": i.n,
                        "due_date": i.due_date.to_string(),
                        "charged": i.charged.total().to_string(),
                        "paid": i.paid.total().to_string(),
                        "outstanding": i.outstanding().total().to_string(),
                        "dpd": i.dpd_on(s.as_of),
                    })
                })
                .collect();
            Json(body).into_response()
        }
        Err(e) => app_error(&e),
    }
}

fn payment_json(p: &arrears_store::PaymentRecord, loan_no: &str) -> Value {
    json!({
        "id": p.id,
        "loan": loan_no,
        "amount": p.amount.to_string(),
        "value_date": p.value_date.to_string(),
        "status": p.status.code(),
    })
}

/// `GET /loans/{loan}/payments`: every payment on the loan, oldest first.
async fn payments(State(shared): State<Arc<Shared>>, Path(loan_no): Path<String>, headers: HeaderMap) -> Response {
    if let Err(refused) = client(&shared, &headers).await {
        return refused;
    }
    let wanted = loan_no.clone();
    let found = shared
        .with_store(move |store| {
            store.read(|tx| {
                let loan = tx.loan(&wanted)?.ok_or_else(|| AppError::NotFound { what: "loan", id: wanted.clone() })?;
                Ok(tx.payments_of(loan.seq)?)
            })
        })
        .await;
    match found {
        Ok(list) => Json(json!({ "items": list.iter().map(|p| payment_json(p, &loan_no)).collect::<Vec<_>>() })).into_response(),
        Err(e) => app_error(&e),
    }
}

/// The body of a payment: `{"amount": "916.80", "date": "2026-02-15"}` (the date optional:
/// the open business day).
fn payment_body(bytes: &[u8]) -> Result<(Amount, Option<Date>), BadInput> {
    let body: Value = serde_json::from_slice(bytes).map_err(|e| BadInput {
        status: StatusCode::BAD_REQUEST,
        code: "malformed_json",
        field: None,
        message: format!("the body is not JSON: {e}"),
    })?;
    let amount = match body.get("amount") {
        Some(Value::String(text)) => Amount::parse(text).map_err(|e| BadInput::invalid("amount", e.to_string()))?,
        _ => return Err(BadInput::invalid("amount", "give the amount as a decimal string, as \"916.80\"")),
    };
    let date = match body.get("date") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => {
            Some(text.parse::<Date>().map_err(|_| BadInput::invalid("date", format!("`{text}` is not a date (YYYY-MM-DD)")))?)
        }
        Some(_) => return Err(BadInput::invalid("date", "give the date as a string, YYYY-MM-DD")),
    };
    Ok((amount, date))
}

/// `POST /loans/{loan}/payments` with an `Idempotency-Key` header: 201 with the payment and
/// where it went, or 200 with the first payment when the key was used before.
async fn post_payment(
    State(shared): State<Arc<Shared>>,
    Path(loan_no): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let who = match client(&shared, &headers).await {
        Ok(who) => who,
        Err(refused) => return refused,
    };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
    if key.is_empty() || key.len() > 100 {
        return error(
            StatusCode::BAD_REQUEST,
            "idempotency_key_required",
            Some("Idempotency-Key"),
            "a payment needs an Idempotency-Key header of 1 to 100 characters, new for each payment",
        );
    }
    let (amount, date) = match payment_body(&body) {
        Ok(found) => found,
        Err(bad) => return bad.into_response(),
    };
    let (stored_key, actor) = (format!("api:{who}:{key}"), format!("api:{who}"));
    let posted =
        shared.with_store(move |store| arrears_app::service::pay_by(store, &loan_no, amount, date, &stored_key, &actor)).await;
    match posted {
        Ok(p) => {
            let status = if p.replayed { StatusCode::OK } else { StatusCode::CREATED };
            let body = json!({
                "id": p.payment_id,
                "loan": p.loan_no,
                "amount": p.amount.to_string(),
                "value_date": p.value_date.to_string(),
                "replayed": p.replayed,
                "reversed": p.reversed,
                "paid_off": p.allocation.paid_off,
                "held": p.allocation.held.to_string(),
                "allocation": p.allocation.lines.iter().map(|l| json!({
                    "installment": l.n,
                    "component": l.component.name(),
                    "amount": l.amount.to_string(),
                })).collect::<Vec<_>>(),
            });
            (status, Json(body)).into_response()
        }
        Err(e) => app_error(&e),
    }
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

const OPENAPI: &str = include_str!("../assets/openapi.json");

/// `GET /api/docs`: the OpenAPI document as a page to read: each route with its parameters,
/// answers and the shapes they carry.
pub async fn docs() -> Response {
    let Ok(doc) = serde_json::from_str::<Value>(OPENAPI) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let text = |v: &Value| v.as_str().map(escape).unwrap_or_default();
    let mut body = format!(
        "<div class=\"card\"><p>{}</p><p><a href=\"/api/v1/openapi.json\">openapi.json</a></p></div>",
        text(&doc["info"]["description"])
    );
    if let Some(paths) = doc["paths"].as_object() {
        for (path, methods) in paths {
            for (method, op) in methods.as_object().into_iter().flatten() {
                body.push_str(&format!(
                    "<div class=\"card\" id=\"{id}\"><h2><code>{m} {p}</code></h2><p><strong>{summary}</strong></p><p>{description}</p>",
                    id = escape(&format!("{method}-{path}")),
                    m = method.to_uppercase(),
                    p = escape(path),
                    summary = text(&op["summary"]),
                    description = text(&op["description"]),
                ));
                let params: Vec<String> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        format!(
                            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                            text(&p["name"]),
                            text(&p["in"]),
                            if p["required"].as_bool() == Some(true) { "required" } else { "" },
                            text(&p["description"]),
                        )
                    })
                    .collect();
                if !params.is_empty() {
                    body.push_str(&format!(
                        "<table><tr><th>name</th><th>in</th><th></th><th></th></tr>{}</table>",
                        params.concat()
                    ));
                }
                if let Some(schema) = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str() {
                    body.push_str(&format!(
                        "<p>body: <a href=\"#{0}\">{0}</a></p>",
                        escape(schema.rsplit('/').next().unwrap_or(""))
                    ));
                }
                let answers: String = op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, r)| format!("<li><code>{}</code> {}</li>", escape(status), text(&r["description"])))
                    .collect();
                body.push_str(&format!("<ul>{answers}</ul></div>"));
            }
        }
    }
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let pretty = serde_json::to_string_pretty(schema).unwrap_or_default();
            body.push_str(&format!(
                "<div class=\"card\" id=\"{0}\"><h2>{0}</h2><pre>{1}</pre></div>",
                escape(name),
                escape(&pretty)
            ));
        }
    }
    let title = text(&doc["info"]["title"]);
    Html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body><main><h1>{title}</h1>{body}</main></body></html>\n"
    ))
    .into_response()
}
