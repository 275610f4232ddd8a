//! What a borrower does in the portal that changes something: pay, and ask for hardship relief
//! (file a request, follow it, accept the relief once approved). Each form carries the
//! session's CSRF token; each works only on the borrower's own loans (any other is 404).
//!
//! A payment goes through `service::pay_by`, the path of the CLI and the API, with an
//! idempotency key made when the form was shown: a form sent twice (a double tap, a reload)
//! posts one payment and shows it both times.

use std::collections::HashMap;
use std::sync::Arc;

use arrears_app::hardship;
use arrears_app::AppError;
use arrears_core::{Amount, LoanStatus};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::console::{signed_in, signed_in_form, unavailable};
use crate::hardship_form::HardshipFields;
use crate::pages::{escape, lender, page, Lang};
use crate::portal::owns;
use crate::Shared;

/// The pay form of an active loan, offering `suggested`.
pub(crate) fn pay_form(lang: Lang, loan_no: &str, currency: &str, suggested: Amount, csrf: &str) -> String {
    let key = arrears_app::auth::random_hex(16).unwrap_or_default();
    format!(
        "<form method=\"post\" action=\"/portal/pay?lang={code}\" class=\"stack\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"loan\" value=\"{loan}\">\
         <input type=\"hidden\" name=\"key\" value=\"{key}\">\
         <label>{label} ({cur})<input type=\"text\" name=\"amount\" inputmode=\"decimal\" value=\"{amount}\" required></label>\
         <button type=\"submit\">{submit}</button></form>",
        code = lang.code(),
        loan = escape(loan_no),
        label = lang.t("还款金额", "Amount to pay"),
        cur = escape(currency),
        amount = if suggested.is_zero() { String::new() } else { suggested.to_string() },
        submit = lang.t("还款", "Pay"),
    )
}

#[derive(Debug, Deserialize)]
pub struct PayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    loan: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    key: String,
}

/// A page that says one thing: done (`ok`) or refused (`bad`, 422), with the way back.
fn notice(shared: &Shared, lang: Lang, title: &str, here: &str, outcome: Result<String, String>) -> Response {
    let (status, class, text) = match outcome {
        Ok(text) => (StatusCode::OK, "ok", text),
        Err(text) => (StatusCode::UNPROCESSABLE_ENTITY, "bad", text),
    };
    let body = format!(
        "<div class=\"card\"><p class=\"{class}\">{}</p></div><p><a href=\"/portal?lang={}\">{}</a></p>",
        escape(&text),
        lang.code(),
        lang.t("← 我的借款", "← My loans")
    );
    (status, page(lang, lender(shared, lang), title, here, &body)).into_response()
}

/// A refusal in the borrower's words. The rules' own messages are English: the common
/// refusals are said in Chinese too, the rest are shown as the rules give them.
fn refusal(lang: Lang, e: &AppError) -> String {
    use arrears_core::LoanError;
    match (lang, e) {
        (Lang::Zh, AppError::Loan(LoanError::Overpayment { payoff, .. })) => {
            format!("金额超过了结清所需的{}，请按结清金额还款。", payoff.grouped())
        }
        (Lang::Zh, AppError::Loan(LoanError::NotActive(_))) => "这笔借款已结清或已核销，不再接受还款。".to_owned(),
        (Lang::Zh, AppError::Loan(LoanError::NonPositiveAmount(_))) => "还款金额须大于0。".to_owned(),
        (Lang::Zh, _) => format!("未能办理：{e}"),
        (Lang::En, _) => format!("This could not be done: {e}"),
    }
}

/// `POST /portal/pay`.
pub async fn pay(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<PayForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in_form(&shared, &headers, "borrower", lang, &form.csrf).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let title = lang.t("还款", "Pay");
    if !crate::pages::is_form_key(&form.key) {
        let text = lang.t("页面已过期，请返回“我的借款”重新还款。", "The page expired: go back to My loans and pay from there.");
        return notice(&shared, lang, title, "/portal/pay", Err(text.to_owned()));
    }
    let amount = match Amount::parse(&form.amount) {
        Ok(a) => a,
        Err(e) => return notice(&shared, lang, title, "/portal/pay", Err(format!("{}: {e}", lang.t("还款金额", "amount")))),
    };
    let borrower = session.subject.clone();
    let done = shared
        .with_store(move |store| {
            if !owns(store, &form.loan, &borrower)? {
                return Ok(None);
            }
            let key = format!("portal:{borrower}:{}", form.key);
            let paid = arrears_app::service::pay_by(store, &form.loan, amount, None, &key, &format!("borrower:{borrower}"))?;
            let view = arrears_app::service::loan_view(store, &form.loan, None)?;
            Ok(Some((paid, view)))
        })
        .await;
    let (paid, view) = match done {
        Ok(Some(done)) => done,
        Ok(None) => return crate::pages::not_found(State(shared), Query(q), headers).await,
        Err(e @ (AppError::Invalid { .. } | AppError::Loan(_) | AppError::KeyReused { .. })) => {
            return notice(&shared, lang, title, "/portal/pay", Err(refusal(lang, &e)))
        }
        Err(e) => return unavailable("portal payment", e),
    };
    let cur = view.record.terms.currency().code();
    let mut text = if paid.replayed {
        lang.t("这笔还款此前已经收到，没有重复扣款。", "This payment was received before; it was not taken again. ").to_owned()
    } else {
        String::new()
    };
    text += &match lang {
        Lang::Zh => format!("已收到您的还款{cur} {}（记账日{}）。", paid.amount.grouped(), lang.date(paid.value_date)),
        Lang::En => format!("Your payment of {cur} {} is received ({}).", paid.amount.grouped(), lang.date(paid.value_date)),
    };
    text.push_str(&if view.state.status == LoanStatus::PaidOff {
        lang.t(
            "这笔借款已还清，可在“我的借款”下载结清证明。",
            " The loan is paid off: its settlement certificate is under My loans.",
        )
        .to_owned()
    } else {
        match lang {
            Lang::Zh => format!("尚欠{cur} {}（含未到期本金）。", view.state.outstanding().total().grouped()),
            Lang::En => {
                format!(" Still owed: {cur} {} (principal not yet due included).", view.state.outstanding().total().grouped())
            }
        }
    });
    notice(&shared, lang, title, "/portal/pay", Ok(text))
}

/// A hardship status in plain words.
fn status_words(lang: Lang, status: &str) -> &'static str {
    match status {
        "submitted" => lang.t("已提交，等待审核", "submitted, waiting to be looked at"),
        "under-review" => lang.t("审核中：方案已拟定，等待复核", "under review: a relief is proposed and being checked"),
        "approved" => lang.t("已批准，等待您确认", "approved: waiting for you to accept it"),
        "rejected" => lang.t("未获批准", "not granted"),
        "active" => lang.t("方案执行中", "in force"),
        "completed" => lang.t("方案已完成", "completed"),
        "broken" => lang.t("方案未按期履行，已终止", "ended: a plan payment was missed"),
        _ => lang.t("未知", "unknown"),
    }
}

/// `GET /portal/hardship?loan=L`: the loan's requests and what became of them; an approved
/// relief's before-and-after, to accept; or, with no request open, the form to ask.
pub async fn hardship_page(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in(&shared, &headers, "borrower", lang).await {
        Ok(session) => session,
        Err(to_login) => return to_login,
    };
    let loan_no = q.get("loan").cloned().unwrap_or_default();
    let (borrower, wanted) = (session.subject.clone(), loan_no.clone());
    let found = shared
        .with_store(move |store| {
            if !owns(store, &wanted, &borrower)? {
                return Ok(None);
            }
            let (loan, requests) = hardship::of_loan(store, &wanted)?;
            let approved = match requests.iter().find(|h| h.status == "approved") {
                Some(h) => hardship::comparison_of(store, h.id)?.map(|c| (h.id, c)),
                None => None,
            };
            Ok(Some((loan, requests, approved)))
        })
        .await;
    let (loan, requests, approved) = match found {
        Ok(Some(found)) => found,
        Ok(None) => return crate::pages::not_found(State(shared), Query(q), headers).await,
        Err(e) => return unavailable("hardship page", e),
    };
    let code = lang.code();
    let mut body = format!("<div class=\"card\"><p><strong>{}</strong></p>", escape(&loan.loan_no));
    for h in requests.iter().rev() {
        body.push_str(&format!(
            "<p>{} {} · {}{}</p>",
            lang.t("申请", "Request"),
            h.id,
            status_words(lang, &h.status),
            h.decision_note.as_deref().map_or_else(String::new, |n| format!(" · {}", escape(n))),
        ));
    }
    body.push_str("</div>");
    if let Some((id, c)) = approved {
        let words = if lang == Lang::Zh { &c.words_zh } else { &c.words_en };
        body.push_str(&format!(
            "<div class=\"card\"><h2>{}</h2>{}<form method=\"post\" action=\"/portal/hardship/accept?lang={code}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"id\" value=\"{id}\">\
             <button type=\"submit\">{}</button></form></div>",
            lang.t("方案前后对比", "Before and after"),
            words.iter().map(|w| format!("<p>{}</p>", escape(w))).collect::<String>(),
            session.csrf,
            lang.t("我接受这个方案", "I accept this relief"),
        ));
    }
    let open = requests.iter().any(|h| ["submitted", "under-review", "approved", "active"].contains(&h.status.as_str()));
    if !open && loan.state.status == LoanStatus::Active {
        body.push_str(&filing_form(lang, &loan.loan_no, &session.csrf));
    }
    body.push_str(&format!("<p><a href=\"/portal?lang={code}\">{}</a></p>", lang.t("← 我的借款", "← My loans")));
    page(lang, lender(&shared, lang), lang.t("困难帮扶申请", "Hardship relief"), "/portal/hardship", &body).into_response()
}

fn filing_form(lang: Lang, loan_no: &str, csrf: &str) -> String {
    format!(
        "<div class=\"card\"><p>{intro}</p><form method=\"post\" action=\"/portal/hardship?lang={code}\" class=\"stack\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"loan\" value=\"{loan}\">\
         {inputs}<button type=\"submit\">{submit}</button></form></div>",
        intro = lang.t(
            "如您暂时还款困难，可申请延期、分期等帮扶。我们会根据您申报的收入和必要支出测算可负担的方案，审核期间不影响您随时还款。",
            "If you cannot pay for now, ask for more time or a plan. We work out what you can afford from the income and essential expenses you declare; you can still pay at any time while we look at it."
        ),
        code = lang.code(),
        loan = escape(loan_no),
        inputs = crate::hardship_form::inputs(lang),
        submit = lang.t("提交申请", "Send the request"),
    )
}

#[derive(Debug, Deserialize)]
pub struct HardshipForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    loan: String,
    #[serde(flatten)]
    fields: HardshipFields,
}

/// `POST /portal/hardship`: files a request on one of the borrower's loans.
pub async fn file_hardship(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<HardshipForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in_form(&shared, &headers, "borrower", lang, &form.csrf).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let title = lang.t("困难帮扶申请", "Hardship relief");
    let borrower = session.subject.clone();
    let loan = form.loan.clone();
    let filed = shared
        .with_store(move |store| {
            if !owns(store, &form.loan, &borrower)? {
                return Ok(None);
            }
            Ok(Some(form.fields.file(store, &form.loan, &format!("borrower:{borrower}"), "portal")?))
        })
        .await;
    match filed {
        Ok(Some(id)) => {
            let text = match lang {
                Lang::Zh => format!("申请已提交（编号{id}）。我们会尽快审核，结果可在本页查看，也会短信通知您。"),
                Lang::En => format!("Your request is sent (number {id}). We will look at it soon; follow it on this page."),
            };
            let body = format!(
                "<div class=\"card\"><p class=\"ok\">{}</p></div><p><a href=\"/portal/hardship?loan={}&amp;lang={}\">{}</a></p>",
                escape(&text),
                escape(&loan),
                lang.code(),
                lang.t("查看申请进度 →", "Follow the request →")
            );
            page(lang, lender(&shared, lang), title, "/portal/hardship", &body).into_response()
        }
        Ok(None) => crate::pages::not_found(State(shared), Query(q), headers).await,
        Err(e @ (AppError::Invalid { .. } | AppError::Loan(_))) => {
            notice(&shared, lang, title, "/portal/hardship", Err(refusal(lang, &e)))
        }
        Err(e) => unavailable("hardship request", e),
    }
}

#[derive(Debug, Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: i64,
}

/// `POST /portal/hardship/accept`: the borrower accepts an approved relief on their loan.
pub async fn accept_hardship(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<AcceptForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in_form(&shared, &headers, "borrower", lang, &form.csrf).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let borrower = session.subject.clone();
    let accepted = shared
        .with_store(move |store| {
            let theirs = store.read(|tx| {
                let Some(h) = tx.hardship(form.id)? else { return Ok::<_, AppError>(false) };
                Ok(tx.loan_by_seq(h.loan_seq)?.is_some_and(|l| l.borrower_id == borrower))
            })?;
            if !theirs {
                return Ok(None);
            }
            Ok(Some(hardship::accept(store, form.id, &format!("borrower:{borrower}"))?))
        })
        .await;
    let title = lang.t("困难帮扶申请", "Hardship relief");
    match accepted {
        Ok(Some(c)) => {
            let words = if lang == Lang::Zh { c.words_zh } else { c.words_en };
            let text = format!("{} {}", lang.t("方案已生效。", "The relief is in force."), words.join(" "));
            notice(&shared, lang, title, "/portal/hardship", Ok(text))
        }
        Ok(None) => crate::pages::not_found(State(shared), Query(q), headers).await,
        Err(e @ (AppError::Invalid { .. } | AppError::Loan(_))) => {
            notice(&shared, lang, title, "/portal/hardship", Err(refusal(lang, &e)))
        }
        Err(e) => unavailable("hardship acceptance", e),
    }
}
