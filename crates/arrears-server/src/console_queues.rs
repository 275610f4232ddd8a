//! The console's queues: an agent's work queue (their open call tasks, highest priority first)
//! and the hardship desk (requests waiting for a proposal, proposals waiting for a second
//! person's decision, reliefs approved and waiting for the borrower). The hardship decisions
//! are maker–checker through `arrears_app::hardship`: whoever proposed a relief cannot approve
//! it, and a balance above the threshold needs a supervisor — the rules refuse, not the page.

use std::collections::HashMap;
use std::sync::Arc;

use arrears_app::hardship::{self, Proposal};
use arrears_app::AppError;
use arrears_core::Amount;
use arrears_store::Store;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::console::{outcome_page, staff_form_in, staff_in, staff_page, unavailable};
use crate::pages::{escape, Lang};
use crate::Shared;

/// Roles that work the hardship desk.
pub(crate) const HARDSHIP_DESK: [&str; 3] = ["hardship-officer", "supervisor", "admin"];

/// An agent's open tasks with their loan numbers, as a table for the console's first page.
pub(crate) fn work_queue(store: &mut Store, agent: &str, lang: Lang) -> Result<String, AppError> {
    let rows = store.read(|tx| {
        let tasks = tx.open_call_tasks(Some(agent), "", 50)?;
        let mut rows = Vec::new();
        for t in tasks {
            let loan_no = tx.loan_no_of(t.loan_seq)?.unwrap_or_default();
            rows.push(format!(
                "<tr><td><a href=\"/console/loans/{loan}?lang={code}\">{loan}</a></td><td class=\"num\">{dpd}</td>\
                 <td class=\"num\">{due}</td><td>{arm}</td><td class=\"num\">{priority}</td></tr>",
                loan = escape(&loan_no),
                code = lang.code(),
                dpd = t.dpd,
                due = Amount(t.amount_due).grouped(),
                arm = escape(&format!("{}/{}", t.strategy, t.arm)),
                priority = t.priority,
            ));
        }
        Ok::<_, AppError>(rows)
    })?;
    if rows.is_empty() {
        return Ok(format!(
            "<div class=\"card\"><p>{}</p></div>",
            lang.t("今天没有待拨打的任务。", "No calls are waiting today.")
        ));
    }
    Ok(format!(
        "<div class=\"card\"><h2>{}</h2><table><tr><th>{}</th><th>DPD</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table></div>",
        lang.t("我的任务", "My work queue"),
        lang.t("借款", "Loan"),
        lang.t("应还", "Due"),
        lang.t("策略/组", "Strategy/arm"),
        lang.t("优先级", "Priority"),
        rows.concat()
    ))
}

/// `GET /console/hardship`: the hardship desk.
pub async fn hardship_desk(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match staff_in(&shared, &headers, lang, &HARDSHIP_DESK).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let found = shared
        .with_store(|store| {
            let mut out = Vec::new();
            for status in ["submitted", "under-review", "approved"] {
                for h in store.read(|tx| tx.hardship_in(status))? {
                    let loan_no = store.read(|tx| tx.loan_no_of(h.loan_seq))?.unwrap_or_default();
                    // A relief that no longer fits the loan (it changed since) shows no comparison;
                    // the decision will say why.
                    let comparison = match status {
                        "submitted" => None,
                        _ => match hardship::comparison_of(store, h.id) {
                            Err(AppError::Invalid { .. } | AppError::Loan(_)) => None,
                            found => found?,
                        },
                    };
                    out.push((h, loan_no, comparison));
                }
            }
            Ok(out)
        })
        .await;
    let requests = match found {
        Ok(r) => r,
        Err(e) => return unavailable("hardship desk", e),
    };
    let code = lang.code();
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", session.csrf);
    let mut body = String::new();
    for (h, loan_no, comparison) in &requests {
        let action = |what: &str| format!("/console/hardship/{}/{what}?lang={code}", h.id);
        let mut forms = String::new();
        match h.status.as_str() {
            "submitted" => forms.push_str(&format!(
                "<form method=\"post\" action=\"{}\">{csrf}<button type=\"submit\">{}</button></form>",
                action("propose"),
                lang.t("按可负担测算拟定方案", "Propose the plan the borrower can afford"),
            )),
            "under-review" => forms.push_str(&format!(
                "<form method=\"post\" action=\"{}\">{csrf}<button type=\"submit\">{}</button></form>",
                action("approve"),
                lang.t("复核通过", "Approve"),
            )),
            _ => {}
        }
        if h.status != "approved" {
            forms.push_str(&format!(
                "<form method=\"post\" action=\"{}\" class=\"stack\">{csrf}<label>{}<input type=\"text\" name=\"note\" maxlength=\"2000\" required></label>\
                 <button type=\"submit\">{}</button></form>",
                action("reject"),
                lang.t("不予批准的理由（会告知借款人）", "Why not (the borrower is told)"),
                lang.t("不予批准", "Reject"),
            ));
        }
        let words = comparison.as_ref().map_or_else(String::new, |c| {
            (if lang == Lang::Zh { &c.words_zh } else { &c.words_en }).iter().map(|w| format!("<p>{}</p>", escape(w))).collect()
        });
        body.push_str(&format!(
            "<div class=\"card\"><p><strong>#{id}</strong> · <a href=\"/console/loans/{loan}?lang={code}\">{loan}</a> · {status} · \
             {filed_label} {filed_on} {by} ({channel})</p><p>{reason} → {wanted} · {income_label} {income} · {expenses_label} {expenses}</p>\
             <p>{details}</p>{proposed}{words}{forms}</div>",
            id = h.id,
            loan = escape(loan_no),
            status = escape(&h.status),
            filed_label = lang.t("提交于", "filed"),
            filed_on = h.filed_on,
            by = escape(&h.filed_by),
            channel = escape(&h.channel),
            reason = escape(&h.reason),
            wanted = escape(&h.wanted),
            income_label = lang.t("月收入", "income"),
            income = Amount(h.monthly_income).grouped(),
            expenses_label = lang.t("月支出", "expenses"),
            expenses = Amount(h.monthly_expenses).grouped(),
            details = escape(&h.details),
            proposed = h.proposed_by.as_deref().map_or_else(String::new, |p| format!(
                "<p>{} {}</p>",
                lang.t("拟定人：", "Proposed by"),
                escape(p)
            )),
        ));
    }
    if requests.is_empty() {
        body.push_str(&format!("<div class=\"card\"><p>{}</p></div>", lang.t("没有待处理的申请。", "No request is waiting.")));
    }
    staff_page(&shared, lang, &session, lang.t("困难帮扶审批", "Hardship desk"), "/console/hardship", &body).into_response()
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/hardship/{id}/{propose|approve|reject}`.
pub async fn decide(
    State(shared): State<Arc<Shared>>,
    Path((id, what)): Path<(i64, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<DecisionForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match staff_form_in(&shared, &headers, lang, &form.csrf, &HARDSHIP_DESK).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let who = session.subject.clone();
    let done = shared
        .with_store(move |store| match what.as_str() {
            "propose" => hardship::propose(store, id, Proposal { relief: None, settle_amount: None }, &who).map(|_| "proposed"),
            "approve" => hardship::approve(store, id, &who).map(|()| "approved"),
            "reject" => hardship::reject(store, id, &form.note, &who).map(|()| "rejected"),
            _ => Err(AppError::NotFound { what: "decision", id: what.clone() }),
        })
        .await;
    let done = done.map(|done| format!("{} #{id}: {done}", lang.t("申请", "Request")));
    let back = format!("/console/hardship?lang={}", lang.code());
    let title = lang.t("困难帮扶审批", "Hardship desk");
    outcome_page(&shared, lang, &session, title, done, "", (&back, lang.t("← 困难帮扶审批", "← Hardship desk")))
}
