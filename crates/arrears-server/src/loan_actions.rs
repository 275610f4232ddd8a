//! What staff do on a loan page, each through the use case the CLI calls, so the same rules
//! hold: call the debtor (the policy pack decides first; the attempt is recorded either way)
//! and record what came of it, a promise included; post a payment; file a hardship request for
//! the borrower; open a legal case. Every form carries the session's CSRF token; a role that
//! may not do a thing gets 403, a loan the member of staff may not see 404; the use cases audit
//! each change under the staff name.
//!
//! Who does what: calls, the agent the loan's open call task is assigned to (who alone sees
//! the debtor's whole phone number, for an allowed call); payments, a supervisor or admin;
//! hardship requests, an agent who may see the loan (a task of theirs open or of the last 30
//! days), a hardship officer, a supervisor or admin; legal cases, a legal officer, a
//! supervisor or admin. A payment form's idempotency key is 32 hex digits made with the form.

use std::collections::HashMap;
use std::sync::Arc;

use arrears_app::calls::{self, CallOutcome, Dial};
use arrears_app::AppError;
use arrears_core::{Amount, Date};
use arrears_store::SessionRow;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::console::{outcome_page, staff_form_in};
use crate::loan_page::may_see;
use crate::pages::{escape, Lang};
use crate::Shared;

pub const PAY_ROLES: [&str; 2] = ["supervisor", "admin"];
pub const HARDSHIP_ROLES: [&str; 4] = ["agent", "hardship-officer", "supervisor", "admin"];
pub const LEGAL_ROLES: [&str; 3] = ["legal-officer", "supervisor", "admin"];

/// The forms a loan page offers `session`: only what its role may do.
pub(crate) fn forms(lang: Lang, session: &SessionRow, loan_no: &str, currency: &str, tasks: &[i64]) -> String {
    let action = |what: &str| format!("/console/loans/{}/{what}?lang={}", escape(loan_no), lang.code());
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", session.csrf);
    let role = session.role.as_str();
    let mut out = String::new();
    if role == "agent" {
        for task in tasks {
            out.push_str(&format!(
                "<form method=\"post\" action=\"{}\">{csrf}<input type=\"hidden\" name=\"task\" value=\"{task}\">\
                 <button type=\"submit\">{} ({} {task})</button></form>",
                action("dial"),
                lang.t("拨打电话", "Call the debtor"),
                lang.t("任务", "task"),
            ));
        }
    }
    if PAY_ROLES.contains(&role) {
        let key = arrears_app::auth::random_hex(16).unwrap_or_default();
        out.push_str(&format!(
            "<form method=\"post\" action=\"{}\" class=\"stack\">{csrf}<input type=\"hidden\" name=\"key\" value=\"{key}\">\
             <h3>{}</h3><label>{} ({})<input type=\"text\" name=\"amount\" inputmode=\"decimal\" required></label>\
             <label>{}<input type=\"date\" name=\"date\"></label><button type=\"submit\">{}</button></form>",
            action("pay"),
            lang.t("登记还款", "Post a payment"),
            lang.t("金额", "Amount"),
            escape(currency),
            lang.t("到账日（默认营业日）", "Value date (the business day if empty)"),
            lang.t("登记", "Post"),
        ));
    }
    if HARDSHIP_ROLES.contains(&role) {
        out.push_str(&format!(
            "<form method=\"post\" action=\"{}\" class=\"stack\">{csrf}<h3>{}</h3>{}<button type=\"submit\">{}</button></form>",
            action("hardship"),
            lang.t("代借款人提交困难帮扶申请", "File a hardship request for the borrower"),
            crate::hardship_form::inputs(lang),
            lang.t("提交", "File"),
        ));
    }
    if LEGAL_ROLES.contains(&role) {
        out.push_str(&format!(
            "<form method=\"post\" action=\"{}\" class=\"stack\">{csrf}<h3>{}</h3>\
             <label>{}<input type=\"text\" name=\"note\" maxlength=\"500\"></label><button type=\"submit\">{}</button></form>",
            action("legal"),
            lang.t("转法务（立案）", "Escalate to legal (open a case)"),
            lang.t("备注", "Note"),
            lang.t("立案", "Open the case"),
        ));
    }
    if out.is_empty() {
        return out;
    }
    format!("<div class=\"card\"><h2>{}</h2>{out}</div>", lang.t("操作", "Actions"))
}

/// The member of staff acting on a loan: signed in, the form's CSRF token theirs, their role
/// among `roles` (else 403), and the loan one they may see (else 404).
async fn acting(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    lang: Lang,
    loan_no: &str,
    csrf: &str,
    roles: &[&str],
) -> Result<SessionRow, Response> {
    let session = staff_form_in(shared, headers, lang, csrf, roles).await?;
    let (wanted, who) = (loan_no.to_owned(), session.clone());
    match shared.with_store(move |store| Ok(store.read(|tx| may_see(tx, &wanted, &who))?)).await {
        Ok(true) => Ok(session),
        Ok(false) => Err(StatusCode::NOT_FOUND.into_response()),
        Err(e) => Err(crate::console::unavailable("loan action", e)),
    }
}

/// The page after an action on a loan, with the way back to it.
fn result(
    shared: &Shared,
    lang: Lang,
    session: &SessionRow,
    loan_no: &str,
    outcome: Result<String, AppError>,
    extra: &str,
) -> Response {
    let title = format!("{} {loan_no}", lang.t("借款", "Loan"));
    let back = format!("/console/loans/{loan_no}?lang={}", lang.code());
    outcome_page(shared, lang, session, &title, outcome, extra, (&back, lang.t("← 返回借款", "← Back to the loan")))
}

/// The staff's clock in whole minutes (UTC), as calls are recorded.
fn now_minutes() -> i64 {
    crate::console::now() / 60
}

#[derive(Debug, Deserialize)]
pub struct DialForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    task: i64,
}

/// `POST /console/loans/{loan}/dial`: the agent asks to call; allowed, the number and the
/// script, and the form for the outcome; blocked, the rule and when to try again.
pub async fn dial(
    State(shared): State<Arc<Shared>>,
    Path(loan_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<DialForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match acting(&shared, &headers, lang, &loan_no, &form.csrf, &["agent"]).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let (agent, task, loan) = (session.subject.clone(), form.task, loan_no.clone());
    let config = Arc::clone(&shared);
    let dialled = shared
        .with_store(move |store| {
            // The task must be this loan's: the page would otherwise show another debtor's number.
            let of_loan = store.read(|tx| {
                let (Some(t), Some(l)) = (tx.call_task(task)?, tx.loan(&loan)?) else { return Ok::<_, AppError>(false) };
                Ok(t.loan_seq == l.seq)
            })?;
            if !of_loan {
                return Err(AppError::NotFound { what: "call task of this loan", id: task.to_string() });
            }
            calls::dial(store, &config.config, task, &agent, now_minutes())
        })
        .await;
    match dialled {
        Ok(Dial::Allowed { contact_key, phone, script }) => {
            let codes: String = CallOutcome::CODES.iter().map(|c| format!("<option>{c}</option>")).collect();
            let extra = format!(
                "<div class=\"card\"><p>{phone_label}: <strong>{phone}</strong></p><p>{script}</p>\
                 <form method=\"post\" action=\"/console/loans/{loan}/outcome?lang={code}\" class=\"stack\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"task\" value=\"{task}\">\
                 <input type=\"hidden\" name=\"contact\" value=\"{contact}\">\
                 <label>{outcome_label}<select name=\"outcome\">{codes}</select></label>\
                 <label>{date_label}<input type=\"date\" name=\"promise_date\"></label>\
                 <label>{amount_label}<input type=\"text\" name=\"promise_amount\" inputmode=\"decimal\"></label>\
                 <button type=\"submit\">{submit}</button></form></div>",
                phone_label = lang.t("电话", "Phone"),
                phone = escape(&phone),
                script = escape(&script),
                loan = escape(&loan_no),
                code = lang.code(),
                csrf = session.csrf,
                contact = escape(&contact_key),
                outcome_label = lang.t("通话结果", "Outcome"),
                date_label = lang.t("承诺还款日（承诺时填）", "Promised by (for a promise)"),
                amount_label = lang.t("承诺金额（承诺时填）", "Amount promised (for a promise)"),
                submit = lang.t("记录结果", "Record the outcome"),
            );
            result(
                &shared,
                lang,
                &session,
                &loan_no,
                Ok(lang.t("可以拨打：通话已记录。", "Allowed: the call is recorded.").to_owned()),
                &extra,
            )
        }
        Ok(Dial::Blocked { rule, reason, retry_at }) => {
            let text = format!(
                "{} {rule}: {reason}{}",
                lang.t("不能拨打，规则", "Blocked by"),
                retry_at
                    .map(|t| format!(" ({} {t})", lang.t("可于借款人当地时间再试：", "try again at the borrower's")))
                    .unwrap_or_default()
            );
            result(&shared, lang, &session, &loan_no, Ok(text), "")
        }
        Err(e) => result(&shared, lang, &session, &loan_no, Err(e), ""),
    }
}

#[derive(Debug, Deserialize)]
pub struct OutcomeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    task: i64,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    promise_date: String,
    #[serde(default)]
    promise_amount: String,
}

/// `POST /console/loans/{loan}/outcome`: what came of an allowed call.
pub async fn outcome(
    State(shared): State<Arc<Shared>>,
    Path(loan_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<OutcomeForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match acting(&shared, &headers, lang, &loan_no, &form.csrf, &["agent"]).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let promise = if form.outcome == "promise" {
        let date = form.promise_date.parse::<Date>().map_err(|_| AppError::invalid("promise_date", "a promise needs its date"));
        let amount = Amount::parse(&form.promise_amount).map_err(|e| AppError::invalid("promise_amount", e.to_string()));
        match (date, amount) {
            (Ok(d), Ok(a)) => Some((d, a)),
            (Err(e), _) | (_, Err(e)) => return result(&shared, lang, &session, &loan_no, Err(e), ""),
        }
    } else {
        None
    };
    let Some(outcome) = CallOutcome::parse(&form.outcome, promise) else {
        let e = AppError::invalid("outcome", format!("`{}` is not one of {}", form.outcome, CallOutcome::CODES.join(", ")));
        return result(&shared, lang, &session, &loan_no, Err(e), "");
    };
    let agent = session.subject.clone();
    let recorded = shared
        .with_store(move |store| calls::record_outcome(store, form.task, &form.contact, &agent, outcome, now_minutes()))
        .await
        .map(|()| format!("{} {}", lang.t("已记录通话结果：", "Outcome recorded:"), outcome.code()));
    result(&shared, lang, &session, &loan_no, recorded, "")
}

#[derive(Debug, Deserialize)]
pub struct PayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    date: String,
}

/// `POST /console/loans/{loan}/pay`: a payment received elsewhere (a transfer, a counter),
/// posted once per form.
pub async fn pay(
    State(shared): State<Arc<Shared>>,
    Path(loan_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<PayForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match acting(&shared, &headers, lang, &loan_no, &form.csrf, &PAY_ROLES).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    if !crate::pages::is_form_key(&form.key) {
        let e = AppError::invalid("key", "the form has no payment key: open the loan page again");
        return result(&shared, lang, &session, &loan_no, Err(e), "");
    }
    let amount = match Amount::parse(&form.amount) {
        Ok(a) => a,
        Err(e) => return result(&shared, lang, &session, &loan_no, Err(AppError::invalid("amount", e.to_string())), ""),
    };
    let date = match form.date.trim() {
        "" => None,
        text => match text.parse::<Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                return result(
                    &shared,
                    lang,
                    &session,
                    &loan_no,
                    Err(AppError::invalid("date", format!("`{text}` is not a date"))),
                    "",
                )
            }
        },
    };
    let (who, loan) = (session.subject.clone(), loan_no.clone());
    let posted = shared
        .with_store(move |store| {
            let key = format!("console:{who}:{}", form.key);
            arrears_app::service::pay_by(store, &loan, amount, date, &key, &who)
        })
        .await
        .map(|p| {
            format!(
                "{} {} ({} {}){}",
                if p.replayed {
                    lang.t("这笔还款此前已登记，未重复入账：", "This payment was posted before, and not again:")
                } else {
                    lang.t("已登记还款", "Payment posted:")
                },
                p.amount.grouped(),
                lang.t("到账日", "value date"),
                p.value_date,
                if p.allocation.paid_off { lang.t("；借款已结清。", "; the loan is paid off.") } else { "" }
            )
        });
    result(&shared, lang, &session, &loan_no, posted, "")
}

#[derive(Debug, Deserialize)]
pub struct HardshipForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: crate::hardship_form::HardshipFields,
}

/// `POST /console/loans/{loan}/hardship`: a request filed for the borrower (by phone).
pub async fn hardship(
    State(shared): State<Arc<Shared>>,
    Path(loan_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<HardshipForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match acting(&shared, &headers, lang, &loan_no, &form.csrf, &HARDSHIP_ROLES).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let (who, loan) = (session.subject.clone(), loan_no.clone());
    let filed = shared
        .with_store(move |store| form.fields.file(store, &loan, &who, "phone"))
        .await
        .map(|id| format!("{} {id}", lang.t("已提交困难帮扶申请，编号", "Hardship request filed: number")));
    result(&shared, lang, &session, &loan_no, filed, "")
}

#[derive(Debug, Deserialize)]
pub struct LegalForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/loans/{loan}/legal`: opens a legal case (refused for a time-barred debt, a
/// loan paid off, or one with a case open).
pub async fn legal(
    State(shared): State<Arc<Shared>>,
    Path(loan_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<LegalForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match acting(&shared, &headers, lang, &loan_no, &form.csrf, &LEGAL_ROLES).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let (who, loan) = (session.subject.clone(), loan_no.clone());
    let opened = shared
        .with_store(move |store| arrears_app::legal::open_case(store, &loan, &who, form.note.trim()))
        .await
        .map(|id| format!("{} {id}", lang.t("已立案，案件编号", "Case opened: number")));
    result(&shared, lang, &session, &loan_no, opened, "")
}
