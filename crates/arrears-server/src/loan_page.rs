//! The console's loan page: terms, standing, balances by component, the actions the member's
//! role may take, the early-warning score with its reasons, the schedule with each
//! installment's status, payments, promises, hardship requests, legal cases, documents, the
//! DPD and status history, the ledger and the communication record of one loan.
//!
//! Who may see it: supervisors and the hardship, legal, compliance and admin roles any loan;
//! an agent a loan with a call task assigned to them that is open or of the last 30 days
//! (their staff name is their agent id); anyone else, or a loan that does not exist, 404.
//! Phones are masked on this page for every role.

use std::collections::HashMap;
use std::sync::Arc;

use arrears_core::Amount;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use arrears_store::{SessionRow, StoreError};

use crate::console::{signed_in, staff_page, unavailable};
use crate::pages::{escape, table, Lang};
use crate::Shared;

/// An agent keeps a loan this many days after their last call task on it (to follow up a
/// promise or a hardship request), and for as long as a task of theirs is open.
pub const AGENT_DAYS: i32 = 30;

/// Roles that see every loan.
const SEE_ALL: [&str; 5] = ["supervisor", "hardship-officer", "legal-officer", "compliance-officer", "admin"];

/// `138****5678`: the first three and last four digits of a phone, the rest hidden.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let (head, tail) = (&chars[..3], &chars[chars.len() - 4..]);
    format!("{}{}{}", head.iter().collect::<String>(), "*".repeat(chars.len() - 7), tail.iter().collect::<String>())
}

/// `GET /console/loans?loan=L`: the search box's answer.
pub async fn find(Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let lang = Lang::of(&q, &headers);
    let loan = q.get("loan").map(|l| l.trim().to_owned()).unwrap_or_default();
    let encoded: String = loan.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    Redirect::to(&format!("/console/loans/{encoded}?lang={}", lang.code())).into_response()
}

/// What a loan page shows beside the loan itself.
struct Extra {
    contacts: Vec<arrears_store::ContactRow>,
    borrower: Option<arrears_store::BorrowerRecord>,
    tasks: Vec<i64>,
    promises: Vec<arrears_store::PromiseRow>,
    hardship: Vec<arrears_store::HardshipRow>,
    cases: Vec<arrears_store::CaseRow>,
    documents: Vec<arrears_store::DocumentRow>,
}

/// Whether `session` may see the loan `loan_no` (false too when there is no such loan).
pub(crate) fn may_see(tx: &mut arrears_store::Tx<'_>, loan_no: &str, session: &SessionRow) -> Result<bool, StoreError> {
    let Some(loan) = tx.loan(loan_no)? else { return Ok(false) };
    if session.kind != "staff" {
        return Ok(false);
    }
    Ok(SEE_ALL.contains(&session.role.as_str())
        || (session.role == "agent" && {
            let since = tx.business_date()?.map_or(arrears_core::Date::from_days_since_epoch(0), |d| d.add_days(-AGENT_DAYS));
            tx.assigned_to_agent(loan.seq, &session.subject, since)?
        }))
}

/// `GET /console/loans/{loan}`.
pub async fn show(
    State(shared): State<Arc<Shared>>,
    Path(loan_no): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in(&shared, &headers, "staff", lang).await {
        Ok(session) => session,
        Err(to_login) => return to_login,
    };
    let (who, wanted) = (session.clone(), loan_no.clone());
    let found = shared
        .with_store(move |store| {
            if !store.read(|tx| may_see(tx, &wanted, &who))? {
                return Ok(None);
            }
            let view = arrears_app::service::loan_view(store, &wanted, None)?;
            let seq = view.record.seq;
            let extra = store.read(|tx| {
                Ok::<_, arrears_app::AppError>(Extra {
                    contacts: tx.contacts_of(seq)?,
                    borrower: tx.borrower(&view.record.borrower_id)?,
                    tasks: if who.role == "agent" { tx.open_tasks_for(seq, &who.subject)? } else { Vec::new() },
                    promises: tx.promises_of(seq)?,
                    hardship: tx.hardship_of(seq)?,
                    cases: tx.cases_of(seq)?,
                    documents: tx.documents_of(seq, false)?,
                })
            })?;
            Ok(Some((view, extra)))
        })
        .await;
    let (view, extra) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return crate::pages::not_found(State(shared), Query(q), headers).await,
        Err(e) => return unavailable("loan page", e),
    };
    let Extra { contacts, borrower, tasks, promises, hardship, cases, documents } = extra;
    let t = &view.record.terms;
    let s = &view.state;
    let cur = t.currency().code();
    let o = s.outstanding();
    let mut body = format!(
        "<div class=\"card\"><p><strong>{loan}</strong> · {borrower} · {phone}</p><p>{cur} {principal} · {rate} · {months} {months_label} · {start}</p>\
         <p>{status_label}: {status} · DPD {dpd} · {bucket} · {class}</p></div>",
        loan = escape(&view.record.loan_no),
        borrower = escape(&borrower.as_ref().map_or_else(|| view.record.borrower_id.clone(), |b| b.name.clone())),
        phone = escape(&borrower.and_then(|b| b.phone).map_or_else(String::new, |p| mask_phone(&p))),
        principal = t.principal().grouped(),
        rate = t.annual_rate(),
        months = t.term_months(),
        months_label = lang.t("个月", "months"),
        start = t.start_date(),
        status_label = lang.t("状态", "Status"),
        status = escape(&format!("{:?}", s.status).to_lowercase()),
        dpd = s.dpd,
        bucket = escape(&s.bucket.to_string()),
        class = escape(&s.class.to_string()),
    );
    body.push_str(&format!(
        "<div class=\"card\">{}</div>",
        table(
            &[
                lang.t("本金", "Principal"),
                lang.t("利息", "Interest"),
                lang.t("罚息", "Penalty"),
                lang.t("复利", "Compound"),
                lang.t("费用", "Fees"),
                lang.t("结清金额", "Payoff")
            ],
            &[vec![
                o.principal.grouped(),
                o.interest.grouped(),
                o.penalty.grouped(),
                o.compound.grouped(),
                o.fee.grouped(),
                view.payoff.grouped()
            ]],
        )
    ));
    body.push_str(&crate::loan_actions::forms(lang, &session, &view.record.loan_no, cur, &tasks));
    if let Some(r) = &view.risk {
        let reasons: Vec<serde_json::Value> = serde_json::from_str(&r.reasons).unwrap_or_default();
        let words: String =
            reasons.iter().filter_map(|x| x[lang.code()].as_str()).map(|w| format!("<li>{}</li>", escape(w))).collect();
        body.push_str(&format!(
            "<div class=\"card\"><h2>{}</h2><p>{} · {} {} · PD {:.2}% · {}</p><ul>{words}</ul></div>",
            lang.t("风险预警", "Early warning"),
            escape(&r.band),
            r.points,
            lang.t("分", "points"),
            r.pd_ppm as f64 / 10_000.0,
            r.scored_on,
        ));
    }
    let schedule_head = [
        "#",
        lang.t("应还日", "Due"),
        lang.t("应还", "Charged"),
        lang.t("已还", "Paid"),
        lang.t("未还", "Owed"),
        "DPD",
        lang.t("状态", "Status"),
    ];
    let mut schedule = Vec::new();
    for i in &s.installments {
        let status = if i.is_settled() {
            lang.t("已还清", "paid")
        } else if i.dpd_on(s.as_of) > 0 {
            lang.t("逾期", "late")
        } else if i.due_date <= s.as_of {
            lang.t("到期未还", "due")
        } else {
            lang.t("未到期", "to come")
        };
        schedule.push(vec![
            i.n.to_string(),
            i.due_date.to_string(),
            i.charged.total().grouped(),
            i.paid.total().grouped(),
            i.outstanding().total().grouped(),
            i.dpd_on(s.as_of).to_string(),
            status.to_owned(),
        ]);
    }
    let card = |title: &str, table: String| format!("<div class=\"card\"><h2>{title}</h2>{table}</div>");
    body.push_str(&card(lang.t("还款计划", "Schedule"), table(&schedule_head, &schedule)));
    let payments: Vec<Vec<String>> =
        view.payments.iter().map(|p| vec![p.value_date.to_string(), p.amount.grouped(), escape(p.status.code())]).collect();
    body.push_str(&card(
        lang.t("还款记录", "Payments"),
        table(&[lang.t("日期", "Date"), lang.t("金额", "Amount"), lang.t("状态", "Status")], &payments),
    ));
    // The sections below are left out when they have nothing to show.
    let section = |title: &str, header: &[&str], rows: Vec<Vec<String>>| {
        if rows.is_empty() {
            String::new()
        } else {
            card(title, table(header, &rows))
        }
    };
    body.push_str(&section(
        lang.t("还款承诺", "Promises"),
        &[
            lang.t("承诺日", "Made"),
            lang.t("还款日", "By"),
            lang.t("金额", "Amount"),
            lang.t("状态", "Status"),
            lang.t("催收员", "Agent"),
        ],
        promises
            .iter()
            .map(|p| {
                vec![
                    p.made_on.to_string(),
                    p.promised_date.to_string(),
                    Amount(p.amount).grouped(),
                    escape(&p.status),
                    escape(&p.agent_id),
                ]
            })
            .collect(),
    ));
    body.push_str(&section(
        lang.t("困难帮扶", "Hardship"),
        &["#", lang.t("提交", "Filed"), lang.t("原因", "Reason"), lang.t("申请", "Wanted"), lang.t("状态", "Status")],
        hardship
            .iter()
            .map(|h| vec![h.id.to_string(), h.filed_on.to_string(), escape(&h.reason), escape(&h.wanted), escape(&h.status)])
            .collect(),
    ));
    body.push_str(&section(
        lang.t("法务案件", "Legal cases"),
        &["#", lang.t("立案", "Opened"), lang.t("阶段", "Stage"), lang.t("法院", "Court"), lang.t("案号", "Case no.")],
        cases
            .iter()
            .map(|c| {
                vec![
                    c.id.to_string(),
                    c.opened_on.to_string(),
                    escape(&c.stage),
                    escape(c.court.as_deref().unwrap_or("")),
                    escape(c.case_no.as_deref().unwrap_or("")),
                ]
            })
            .collect(),
    ));
    body.push_str(&section(
        lang.t("文书", "Documents"),
        &[lang.t("日期", "Date"), lang.t("类型", "Kind"), lang.t("语言", "Language"), lang.t("制作", "By"), "SHA-256"],
        documents
            .iter()
            .map(|d| {
                vec![
                    d.made_on.to_string(),
                    escape(&d.kind),
                    escape(&d.lang),
                    escape(&d.made_by),
                    escape(d.sha256.get(..16).unwrap_or(&d.sha256)),
                ]
            })
            .collect(),
    ));
    body.push_str(&section(
        lang.t("逾期状态变化", "DPD and status history"),
        &[lang.t("日期", "Date"), "DPD", lang.t("分档", "Bucket"), lang.t("五级分类", "Class"), lang.t("来源", "Source")],
        view.history
            .iter()
            .rev()
            .map(|(c, source)| {
                vec![
                    c.date.to_string(),
                    c.dpd.to_string(),
                    escape(&format!("{} → {}", c.from_bucket, c.to_bucket)),
                    escape(&format!("{} → {}", c.from_class, c.to_class)),
                    escape(source),
                ]
            })
            .collect(),
    ));
    body.push_str(&section(
        lang.t("分户账（最近50笔，借+贷-）", "Ledger (last 50 entries; debit +, credit -)"),
        &["#", lang.t("日期", "Date"), lang.t("类型", "Kind"), lang.t("凭据", "Reference"), lang.t("分录", "Lines")],
        view.ledger
            .iter()
            .rev()
            .take(50)
            .map(|e| {
                let lines: Vec<String> = e.entry.lines.iter().map(|l| format!("{} {}", l.account, l.amount)).collect();
                vec![
                    e.entry_no.to_string(),
                    e.entry.date.to_string(),
                    escape(e.entry.kind.code()),
                    escape(&e.reference),
                    escape(&lines.join("; ")),
                ]
            })
            .collect(),
    ));
    let record_head = [
        lang.t("时间", "When"),
        lang.t("渠道", "Channel"),
        lang.t("对象", "Party"),
        lang.t("决定", "Decision"),
        lang.t("规则", "Rule"),
    ];
    let mut record = Vec::new();
    for c in contacts.iter().rev().take(50) {
        record.push(vec![
            escape(&c.at_local),
            escape(&c.channel),
            escape(&c.party),
            escape(&c.decision),
            escape(c.rule.as_deref().unwrap_or("")),
        ]);
    }
    let title = format!("{} ({})", lang.t("沟通记录（最近50条）", "Communication record (last 50)"), contacts.len());
    body.push_str(&card(&title, table(&record_head, &record)));
    staff_page(&shared, lang, &session, &format!("{} {}", lang.t("借款", "Loan"), view.record.loan_no), "/console/loans", &body)
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn phones_are_masked_in_the_middle() {
        assert_eq!(super::mask_phone("13812345678"), "138****5678");
        assert_eq!(super::mask_phone("+12125550100"), "+12*****0100");
        assert_eq!(super::mask_phone("1234567"), "*******");
    }
}
