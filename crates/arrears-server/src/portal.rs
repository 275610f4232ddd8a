//! The borrower's portal: login with the phone on file and a one-time code sent by SMS, then
//! the borrower's own loans in plain words — what is due when, and if late, what it costs each
//! day and what happens next. A borrower session sees only its borrower's loans.

use std::collections::HashMap;
use std::sync::Arc;

use arrears_core::{Amount, Date};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::console::{
    cookie, forbidden, now, set_cookie, signed_in, signed_in_form, unavailable, LOGIN_CSRF_COOKIE, SESSION_COOKIE,
};
use crate::pages::{escape, lender, page, Lang};
use crate::Shared;

fn phone_form(lang: Lang, csrf: &str, problem: Option<&str>) -> String {
    let problem = problem.map_or(String::new(), |p| format!("<p class=\"bad\">{}</p>", escape(p)));
    format!(
        "<div class=\"card\">{problem}<form method=\"post\" action=\"/portal/code?lang={code}\" class=\"stack\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>{label}<input type=\"tel\" name=\"phone\" autocomplete=\"tel\" inputmode=\"tel\" required></label>\
         <button type=\"submit\">{submit}</button></form></div>",
        code = lang.code(),
        label = lang.t("手机号", "Phone number"),
        submit = lang.t("获取验证码", "Send me a code"),
    )
}

/// `GET /portal/login`.
pub async fn login_form(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let Ok(csrf) = arrears_app::auth::random_hex(16) else { return StatusCode::SERVICE_UNAVAILABLE.into_response() };
    let body = phone_form(lang, &csrf, None);
    let mut response =
        page(lang, lender(&shared, lang), lang.t("登录我的借款", "Log in to my loans"), "/portal/login", &body).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&shared, LOGIN_CSRF_COOKIE, &csrf, "/portal", 3600));
    response
}

#[derive(Debug, Deserialize)]
pub struct PhoneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

fn csrf_ok(headers: &HeaderMap, form: &str) -> bool {
    let expected = cookie(headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    !expected.is_empty() && expected == form
}

fn code_form(lang: Lang, csrf: &str, phone: &str, problem: Option<&str>) -> String {
    let problem = problem.map_or(String::new(), |p| format!("<p class=\"bad\">{}</p>", escape(p)));
    format!(
        "<div class=\"card\">{problem}<p>{sent}</p><form method=\"post\" action=\"/portal/login?lang={code}\" class=\"stack\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"phone\" value=\"{phone}\">\
         <label>{label}<input type=\"text\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" maxlength=\"6\" required></label>\
         <button type=\"submit\">{submit}</button></form></div>",
        sent = lang.t(
            "如该手机号已在我行登记，验证码已通过短信发送，5分钟内有效。",
            "If this phone number is on file with us, a code was sent to it by text message; it is good for 5 minutes."
        ),
        code = lang.code(),
        phone = escape(phone),
        label = lang.t("短信验证码", "Code from the text message"),
        submit = lang.t("登录", "Log in"),
    )
}

/// `POST /portal/code`: sends a code when the phone is on file; answers the same either way.
pub async fn send_code(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<PhoneForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    if !csrf_ok(&headers, &form.csrf) {
        return forbidden(&shared, lang);
    }
    let phone = form.phone.clone();
    let requested = shared.with_store(move |store| arrears_app::auth::request_code(store, &phone, now())).await;
    let title = lang.t("登录我的借款", "Log in to my loans");
    match requested {
        Ok(found) => {
            if let Some(code) = found {
                deliver(&shared, &code).await;
            }
            page(lang, lender(&shared, lang), title, "/portal/login", &code_form(lang, &form.csrf, form.phone.trim(), None))
                .into_response()
        }
        Err(arrears_app::AppError::Invalid { .. }) => {
            let body = phone_form(lang, &form.csrf, Some(lang.t("请输入正确的手机号。", "Enter a phone number.")));
            (StatusCode::UNPROCESSABLE_ENTITY, page(lang, lender(&shared, lang), title, "/portal/login", &body)).into_response()
        }
        Err(e) => unavailable("login code", e),
    }
}

/// Sends the code by the SMS channel (and, in the demo, says it in the server's log).
async fn deliver(shared: &Arc<Shared>, code: &arrears_app::auth::CodeToSend) {
    // In the borrower's language on file, whatever the page's.
    let lang = if code.language == "en" { Lang::En } else { Lang::Zh };
    let text = match lang {
        Lang::Zh => format!(
            "【{}】您的登录验证码为{}，5分钟内有效。请勿告诉任何人，我行工作人员不会索要验证码。",
            shared.lender.name_zh, code.code
        ),
        Lang::En => format!(
            "{}: your login code is {}. It is good for 5 minutes. Never tell it to anyone; our staff never ask for it.",
            shared.lender.name_en, code.code
        ),
    };
    if shared.echo_codes {
        eprintln!("demo: login code {} sent to borrower {} by SMS", code.code, code.borrower_id);
    }
    let id = format!("login-{}-{}", code.borrower_id, now());
    let Ok(message) = arrears_channels::Message::new(id, code.phone.clone(), "", text) else { return };
    let shared = Arc::clone(shared);
    let _ = tokio::task::spawn_blocking(move || {
        let delivery = shared.sms.lock().expect("sms").send(&message);
        if !delivery.is_accepted() {
            eprintln!("a login code was not accepted by the SMS channel: {delivery:?}");
        }
    })
    .await;
}

/// `POST /portal/login`: the code; a session for the phone's borrower.
pub async fn login(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<PhoneForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    if !csrf_ok(&headers, &form.csrf) {
        return forbidden(&shared, lang);
    }
    let (phone, code) = (form.phone.clone(), form.code.clone());
    match shared.with_store(move |store| arrears_app::auth::login_borrower(store, &phone, &code, now())).await {
        Ok(Some(session)) => {
            let mut response = Redirect::to(&format!("/portal?lang={}", lang.code())).into_response();
            let max_age = session.row.expires_at - session.row.created_at;
            response.headers_mut().append(header::SET_COOKIE, set_cookie(&shared, SESSION_COOKIE, &session.token, "/", max_age));
            response
        }
        Ok(None) => {
            let problem = lang.t("验证码不正确或已失效。", "The code is wrong or no longer good.");
            let body = code_form(lang, &form.csrf, form.phone.trim(), Some(problem));
            (
                StatusCode::UNAUTHORIZED,
                page(lang, lender(&shared, lang), lang.t("登录我的借款", "Log in to my loans"), "/portal/login", &body),
            )
                .into_response()
        }
        Err(e) => unavailable("borrower login", e),
    }
}

/// One loan as the borrower reads it.
struct LoanWords {
    loan_no: String,
    currency: String,
    principal: Amount,
    status: arrears_core::LoanStatus,
    dpd: u32,
    due_now: Amount,
    next_due: Option<(Date, Amount)>,
    per_day: Amount,
    grace_days: u32,
    oldest_due: Option<Date>,
    /// Any payment posted, which a repayment certificate can certify.
    paid_any: bool,
}

fn loans_of(store: &mut arrears_store::Store, borrower_id: &str) -> Result<Vec<LoanWords>, arrears_app::AppError> {
    let loans = store.read(|tx| Ok::<_, arrears_app::AppError>(tx.loans_of_borrower(borrower_id)?))?;
    let mut out = Vec::new();
    for loan in loans {
        let view = arrears_app::service::loan_view(store, &loan.loan_no, None)?;
        let s = &view.state;
        let today = s.as_of;
        let per_day = if s.dpd > 0 {
            let now = arrears_app::legal::claim(store, &loan.loan_no, Some(today), arrears_legal::Procedure::Ordinary)?.total;
            let next =
                arrears_app::legal::claim(store, &loan.loan_no, Some(today.add_days(1)), arrears_legal::Procedure::Ordinary)?
                    .total;
            (next - now).max(Amount::ZERO)
        } else {
            Amount::ZERO
        };
        let next_due = s
            .installments
            .iter()
            .filter(|i| i.due_date > today)
            .map(|i| {
                let interest = if i.interest_charged { Amount::ZERO } else { i.scheduled_interest };
                (i.due_date, i.outstanding().total() + interest)
            })
            .find(|(_, amount)| !amount.is_zero());
        out.push(LoanWords {
            loan_no: loan.loan_no.clone(),
            currency: loan.terms.currency().code().to_owned(),
            principal: loan.terms.principal(),
            status: s.status,
            dpd: s.dpd,
            due_now: (s.due().total() - s.credit).max(Amount::ZERO),
            next_due,
            per_day,
            grace_days: loan.terms.grace_days(),
            oldest_due: s.oldest_unpaid_due(),
            paid_any: view.payments.iter().any(|p| p.status == arrears_store::PaymentStatus::Posted),
        });
    }
    Ok(out)
}

/// The button that downloads a certificate of `kind` (`settlement` or `repayment`).
fn certificate_form(lang: Lang, loan_no: &str, csrf: &str, kind: &str) -> String {
    let label = if kind == "settlement" {
        lang.t("下载结清证明（PDF）", "Download the settlement certificate (PDF)")
    } else {
        lang.t("下载还款证明（PDF，至今已还金额）", "Download a repayment certificate (PDF: what I have paid)")
    };
    format!(
        "<form method=\"post\" action=\"/portal/certificate?lang={}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"loan\" value=\"{}\"><input type=\"hidden\" name=\"kind\" value=\"{kind}\">\
         <button type=\"submit\">{label}</button></form>",
        lang.code(),
        escape(loan_no),
    )
}

fn describe(lang: Lang, l: &LoanWords, csrf: &str) -> String {
    let cur = &l.currency;
    let mut lines = Vec::new();
    let mut extra = String::new();
    match l.status {
        arrears_core::LoanStatus::PaidOff => {
            lines.push(lang.t("这笔借款已还清。", "This loan is paid off.").to_owned());
            extra = certificate_form(lang, &l.loan_no, csrf, "settlement");
        }
        _ if l.dpd > 0 => {
            let since = l.oldest_due.map_or_else(String::new, |d| lang.date(d));
            lines.push(match lang {
                Lang::Zh => format!("您有一期还款已逾期{}天（应还日{since}）。现在需还{cur} {}。", l.dpd, l.due_now.grouped()),
                Lang::En => format!(
                    "A payment is {} days late (it was due on {since}). To be up to date, pay {cur} {} now.",
                    l.dpd,
                    l.due_now.grouped()
                ),
            });
            if l.dpd <= l.grace_days {
                lines.push(match lang {
                    Lang::Zh => format!("您仍在{}天宽限期内：宽限期内还款不计罚息。", l.grace_days),
                    Lang::En => format!(
                        "You are within the {}-day grace period: pay within it and no penalty interest is charged.",
                        l.grace_days
                    ),
                });
            } else {
                lines.push(match lang {
                    Lang::Zh => format!("宽限期已过，按合同每天约增加罚息及复利{cur} {}，直至还清。", l.per_day.grouped()),
                    Lang::En => format!("The grace period is over: under the contract, penalty and compound interest add about {cur} {} each day until it is paid.", l.per_day.grouped()),
                });
            }
            lines.push(
                lang.t(
                    "逾期记录会报送征信系统；逾期较长时，我行可能依法通过诉讼追收。如您暂时有困难，请尽早申请延期或分期。",
                    "Late payments are reported to the credit bureau, and a debt long unpaid may be taken to court. If you are in difficulty, ask early for more time or a repayment plan.",
                )
                .to_owned(),
            );
        }
        _ => {
            lines.push(lang.t("您的还款正常，没有逾期。", "Your payments are up to date.").to_owned());
            if let Some((date, amount)) = l.next_due {
                lines.push(match lang {
                    Lang::Zh => format!("下一期：{} 应还约{cur} {}。", lang.date(date), amount.grouped()),
                    Lang::En => format!("Next payment: about {cur} {} on {}.", amount.grouped(), lang.date(date)),
                });
            }
        }
    }
    format!(
        "<div class=\"card\"><p><strong>{}</strong> · {} {}</p>{}<p><a href=\"/portal/explain?loan={}&amp;lang={}\">{}</a></p>{extra}</div>",
        escape(&l.loan_no),
        escape(cur),
        l.principal.grouped(),
        lines.iter().map(|t| format!("<p>{}</p>", escape(t))).collect::<String>(),
        escape(&l.loan_no),
        lang.code(),
        lang.t("看懂我的借款 →", "Explain my loan →"),
    ) + &format!(
        "<p><a href=\"/portal/credit?loan={}&amp;lang={}\">{}</a></p>",
        escape(&l.loan_no),
        lang.code(),
        lang.t("我的征信记录 →", "My credit record →")
    ) + &if l.status == arrears_core::LoanStatus::PaidOff {
        String::new()
    } else {
        let suggested = if l.due_now.is_zero() { l.next_due.map_or(Amount::ZERO, |(_, a)| a) } else { l.due_now };
        format!(
            "<p><a href=\"/portal/whatif?loan={loan}&amp;lang={code}\">{what_if}</a></p>\
             <p><a href=\"/portal/hardship?loan={loan}&amp;lang={code}\">{hardship}</a></p>{pay}",
            loan = escape(&l.loan_no),
            code = lang.code(),
            what_if = lang.t("如果我还一笔钱…（试算）", "What if I pay…"),
            hardship = lang.t("还款有困难？申请帮扶 →", "Finding it hard to pay? Ask for relief →"),
            pay = crate::portal_requests::pay_form(lang, &l.loan_no, cur, suggested, csrf),
        ) + &if l.paid_any { certificate_form(lang, &l.loan_no, csrf, "repayment") } else { String::new() }
    }
}

/// `GET /portal`: the borrower's loans.
pub async fn portal(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in(&shared, &headers, "borrower", lang).await {
        Ok(session) => session,
        Err(to_login) => return to_login,
    };
    let borrower = session.subject.clone();
    let Ok(loans) = shared.with_store(move |store| loans_of(store, &borrower)).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let mut body: String = loans.iter().map(|l| describe(lang, l, &session.csrf)).collect();
    if loans.is_empty() {
        body.push_str(&format!("<div class=\"card\"><p>{}</p></div>", lang.t("没有找到您的借款。", "No loans were found.")));
    }
    page(lang, lender(&shared, lang), lang.t("我的借款", "My loans"), "/portal", &body).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CertificateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    loan: String,
    /// `settlement` (the default) or `repayment`.
    #[serde(default)]
    kind: String,
}

/// `POST /portal/certificate`: a certificate of one of the borrower's loans, as PDF: the
/// settlement certificate of a loan paid off (issued the first time it is asked for), or a
/// repayment certificate of what was paid so far.
pub async fn certificate(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<CertificateForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in_form(&shared, &headers, "borrower", lang, &form.csrf).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let (borrower, loan, lender) = (session.subject.clone(), form.loan.clone(), shared.lender.clone());
    let kind = if form.kind == "repayment" { "repayment" } else { "settlement" };
    let verify = format!("{}/verify", shared.public_url);
    let docs_lang = if lang == Lang::En { arrears_docs::Lang::En } else { arrears_docs::Lang::Zh };
    let made = shared
        .with_store(move |store| {
            let code = arrears_app::certificates::for_borrower(store, &loan, &borrower, kind)?;
            arrears_app::documents::certificate(store, &lender, &code, Some(docs_lang), &verify)
        })
        .await;
    match made {
        Ok((c, pdf)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (header::CONTENT_DISPOSITION, crate::pages::attachment(&format!("{}-{}.pdf", c.statement.loan, c.kind))),
            ],
            pdf.bytes,
        )
            .into_response(),
        Err(arrears_app::AppError::NotFound { .. }) => StatusCode::NOT_FOUND.into_response(),
        Err(arrears_app::AppError::Invalid { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, message).into_response(),
        Err(e) => unavailable("certificate", e),
    }
}

/// `GET /portal/explain?loan=L`: the terms of one of the borrower's loans in plain words.
pub async fn explain(
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
    let borrower = session.subject.clone();
    let wanted = loan_no.clone();
    let terms = shared
        .with_store(move |store| Ok(store.read(|tx| tx.loan(&wanted))?.filter(|l| l.borrower_id == borrower).map(|l| l.terms)))
        .await;
    let Ok(Some(terms)) = terms else { return crate::pages::not_found(State(shared), Query(q), headers).await };
    let items: String =
        arrears_app::explain::explain(&terms).iter().map(|e| format!("<p>{}</p>", escape(lang.t(&e.zh, &e.en)))).collect();
    let body = format!(
        "<div class=\"card\"><p><strong>{}</strong></p>{items}</div><p><a href=\"/portal?lang={}\">{}</a></p>",
        escape(&loan_no),
        lang.code(),
        lang.t("← 我的借款", "← My loans")
    );
    page(lang, lender(&shared, lang), lang.t("看懂我的借款", "My loan explained"), "/portal/explain", &body).into_response()
}

/// `GET /portal/whatif?loan=L[&amount=X&date=D]`: what a payment would do, worked on a copy.
pub async fn what_if(
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
            let owned = store.read(|tx| tx.loan(&wanted))?.is_some_and(|l| l.borrower_id == borrower);
            if !owned {
                return Ok(None);
            }
            let view = arrears_app::service::loan_view(store, &wanted, None)?;
            Ok(Some((view.record.terms, view.state)))
        })
        .await;
    let Ok(Some((terms, state))) = found else { return crate::pages::not_found(State(shared), Query(q), headers).await };
    let cur = terms.currency().code();
    let amount_text = q.get("amount").map(|a| a.trim().to_owned()).unwrap_or_default();
    let date_text =
        q.get("date").map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()).unwrap_or_else(|| state.as_of.to_string());
    let mut result = String::new();
    if !amount_text.is_empty() {
        let amount = Amount::parse(&amount_text).ok().filter(|a| *a > Amount::ZERO);
        let date = date_text.parse::<Date>().ok().filter(|d| *d >= state.as_of && *d <= state.as_of.add_days(365));
        result = match (amount, date) {
            (None, _) => format!(
                "<p class=\"bad\">{}</p>",
                lang.t("金额：请输入大于0的金额，如 500.00。", "Amount: enter an amount above zero, such as 500.00.")
            ),
            (_, None) => format!(
                "<p class=\"bad\">{}</p>",
                escape(&match lang {
                    Lang::Zh => format!("日期：请输入{}至一年内的日期（YYYY-MM-DD）。", state.as_of),
                    Lang::En => format!("Date: enter a date from {} to a year on (YYYY-MM-DD).", state.as_of),
                })
            ),
            (Some(amount), Some(date)) => match arrears_app::explain::what_if(&terms, &state, date, amount) {
                Ok(w) => what_if_words(lang, cur, &w),
                Err(_) => format!(
                    "<p class=\"bad\">{}</p>",
                    lang.t("金额超过了当天结清所需的金额。", "That is more than it takes to pay the loan off on that day.")
                ),
            },
        };
    }
    let body = format!(
        "<div class=\"card\"><p><strong>{loan}</strong></p><form method=\"get\" action=\"/portal/whatif\" class=\"stack\">\
         <input type=\"hidden\" name=\"loan\" value=\"{loan}\"><input type=\"hidden\" name=\"lang\" value=\"{code}\">\
         <label>{amount_label} ({cur})<input type=\"text\" name=\"amount\" inputmode=\"decimal\" value=\"{amount}\"></label>\
         <label>{date_label}<input type=\"date\" name=\"date\" value=\"{date}\"></label>\
         <button type=\"submit\">{submit}</button></form>{result}</div>\
         <p class=\"muted\">{note}</p><p><a href=\"/portal?lang={code}\">{back}</a></p>",
        loan = escape(&loan_no),
        code = lang.code(),
        amount_label = lang.t("还款金额", "Amount"),
        amount = escape(&amount_text),
        date_label = lang.t("还款日期", "Date"),
        date = escape(&date_text),
        submit = lang.t("试算", "Work it out"),
        note = lang.t("试算不会产生任何还款，仅供参考。", "This only works it out: nothing is paid."),
        back = lang.t("← 我的借款", "← My loans"),
    );
    page(lang, lender(&shared, lang), lang.t("还款试算", "What if I pay"), "/portal/whatif", &body).into_response()
}

fn what_if_words(lang: Lang, cur: &str, w: &arrears_app::explain::WhatIf) -> String {
    let money = |a: Amount| format!("{cur} {}", a.grouped());
    let mut lines = vec![match lang {
        Lang::Zh => format!("如您于{}还款{}：", lang.date(w.date), money(w.amount)),
        Lang::En => format!("If you pay {} on {}:", money(w.amount), lang.date(w.date)),
    }];
    if w.paid_off {
        lines.push(lang.t("这笔借款将全部还清。", "the loan is paid off.").to_owned());
    } else {
        lines.push(match lang {
            Lang::Zh => format!("尚欠合计{}（含截至当天的利息）。", money(w.owed_after)),
            Lang::En => format!("{} is still owed in all (interest to that day included).", money(w.owed_after)),
        });
        if w.past_due_after.is_zero() {
            lines.push(lang.t("逾期款项已还清，借款恢复正常。", "nothing is late any more: the loan is up to date.").to_owned());
        } else {
            lines.push(match lang {
                Lang::Zh => {
                    format!("仍有{}逾期未还（逾期{}天），罚息会继续按日计收。", money(w.past_due_after), w.days_late_after)
                }
                Lang::En => format!(
                    "{} is still late ({} days), and penalty interest goes on each day until it is paid.",
                    money(w.past_due_after),
                    w.days_late_after
                ),
            });
        }
        if let Some((date, amount)) = w.next_due {
            lines.push(match lang {
                Lang::Zh => format!("下一期：{} 应还约{}。", lang.date(date), money(amount)),
                Lang::En => format!("Next: about {} due on {}.", money(amount), lang.date(date)),
            });
        }
    }
    lines.iter().map(|l| format!("<p>{}</p>", escape(l))).collect()
}

/// A month's code in the borrower's words.
fn month_words(lang: Lang, code: arrears_bureau::MonthCode) -> String {
    use arrears_bureau::MonthCode::*;
    match code {
        AsAgreed => lang.t("按时还款", "paid as agreed").to_owned(),
        Overdue(n) => match lang {
            Lang::Zh => format!(
                "逾期（第{n}档：{}）",
                ["", "1–30天", "31–60天", "61–90天", "91–120天", "121–150天", "151–180天", "180天以上"][n.min(7) as usize]
            ),
            Lang::En => format!(
                "late ({})",
                ["", "1–30 days", "31–60 days", "61–90 days", "91–120 days", "121–150 days", "151–180 days", "over 180 days"]
                    [n.min(7) as usize]
            ),
        },
        Settled => lang.t("已结清", "paid off").to_owned(),
        BadDebt => lang.t("呆账（已核销，仍须归还）", "written off (still owed)").to_owned(),
        NothingDue => lang.t("当月无应还款", "nothing due that month").to_owned(),
        other => format!("{}", other.char()),
    }
}

/// Whether the session's borrower owns `loan_no`.
pub(crate) fn owns(store: &mut arrears_store::Store, loan_no: &str, borrower_id: &str) -> Result<bool, arrears_app::AppError> {
    Ok(store.read(|tx| tx.loan(loan_no))?.is_some_and(|l| l.borrower_id == borrower_id))
}

/// `GET /portal/credit?loan=L`: what the credit bureau is told of the loan month by month, when
/// each late mark ages out, and a form to say something is wrong.
pub async fn credit(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
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
            Ok(Some(arrears_app::bureau::history(store, &wanted)?))
        })
        .await;
    let Ok(Some(history)) = found else { return crate::pages::not_found(State(shared), Query(q), headers).await };
    let months: String = history
        .months
        .iter()
        .rev()
        .map(|(m, c)| format!("<tr><td>{}</td><td>{}</td></tr>", escape(m), escape(&month_words(lang, *c))))
        .collect();
    let marks: String = if history.marks.is_empty() {
        format!("<p>{}</p>", lang.t("没有逾期记录。", "There is no late mark."))
    } else {
        history
            .marks
            .iter()
            .map(|m| {
                let text = match (lang, &m.ages_out) {
                    (Lang::Zh, Some(out)) => format!("{}至{}的逾期记录，将于{out}后不再展示。", m.from, m.to),
                    (Lang::Zh, None) => format!("{}至{}的逾期记录尚未结清；结清后保留{}年。", m.from, m.to, history.mark_years),
                    (Lang::En, Some(out)) => format!("The late months {} to {} stop showing after {out}.", m.from, m.to),
                    (Lang::En, None) => format!(
                        "The late months from {} to {} are not yet paid; once paid, the mark stays {} years.",
                        m.from, m.to, history.mark_years
                    ),
                };
                format!("<p>{}</p>", escape(&text))
            })
            .collect()
    };
    let body = format!(
        "<div class=\"card\"><p><strong>{loan}</strong></p>{marks}<table><thead><tr><th>{month}</th><th>{reported}</th></tr></thead><tbody>{months}</tbody></table></div>\
         <div class=\"card\"><p>{wrong}</p><form method=\"post\" action=\"/portal/dispute?lang={code}\" class=\"stack\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"loan\" value=\"{loan}\">\
         <label>{month_label}<input type=\"text\" name=\"month\" placeholder=\"2026-05\"></label>\
         <label>{reason_label}<input type=\"text\" name=\"reason\" required maxlength=\"2000\"></label>\
         <button type=\"submit\">{submit}</button></form></div><p><a href=\"/portal?lang={code}\">{back}</a></p>",
        loan = escape(&loan_no),
        month = lang.t("月份", "Month"),
        reported = lang.t("报送内容", "Reported"),
        wrong = lang.t(
            "如您认为报送有误，可在此提出异议。异议处理期间我们会暂停催收，并在20日内书面答复。",
            "If you think something reported is wrong, tell us here. Collection pauses while we look into it, and we answer in writing within 20 days."
        ),
        code = lang.code(),
        csrf = session.csrf,
        month_label = lang.t("有误的月份（可不填）", "The month that is wrong (optional)"),
        reason_label = lang.t("哪里有误", "What is wrong"),
        submit = lang.t("提出异议", "Raise a dispute"),
        back = lang.t("← 我的借款", "← My loans"),
    );
    page(lang, lender(&shared, lang), lang.t("我的征信记录", "My credit record"), "/portal/credit", &body).into_response()
}

#[derive(Debug, Deserialize)]
pub struct DisputeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    loan: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    reason: String,
}

/// `POST /portal/dispute`: the borrower disputes what was reported; collection pauses.
pub async fn dispute(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<DisputeForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in_form(&shared, &headers, "borrower", lang, &form.csrf).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let borrower = session.subject.clone();
    let loan = form.loan.clone();
    let opened = shared
        .with_store(move |store| {
            if !owns(store, &form.loan, &borrower)? {
                return Ok(None);
            }
            let month = Some(form.month.trim()).filter(|m| !m.is_empty());
            let actor = format!("borrower:{borrower}");
            let d = arrears_app::disputes::NewDispute {
                loan_no: &form.loan,
                month,
                amount: None,
                reason: &form.reason,
                channel: "portal",
                actor: &actor,
            };
            Ok(Some(arrears_app::disputes::open(store, &d)?))
        })
        .await;
    let text = match opened {
        Ok(Some(id)) => match lang {
            Lang::Zh => format!("异议已受理（编号{id}）。处理期间暂停催收，我们将在20日内书面答复。"),
            Lang::En => format!("Your dispute is received (number {id}). Collection pauses while we look into it; we answer in writing within 20 days."),
        },
        Ok(None) => return crate::pages::not_found(State(shared), Query(q), headers).await,
        Err(arrears_app::AppError::Invalid { field, message }) => {
            let body = format!("<div class=\"card\"><p class=\"bad\">{}: {}</p></div>", escape(field), escape(&message));
            return (StatusCode::UNPROCESSABLE_ENTITY, page(lang, lender(&shared, lang), lang.t("提出异议", "Raise a dispute"), "/portal/dispute", &body))
                .into_response();
        }
        Err(e) => return unavailable("dispute", e),
    };
    let body = format!(
        "<div class=\"card\"><p class=\"ok\">{}</p></div><p><a href=\"/portal/credit?loan={}&amp;lang={}\">{}</a></p>",
        escape(&text),
        escape(&loan),
        lang.code(),
        lang.t("← 我的征信记录", "← My credit record")
    );
    page(lang, lender(&shared, lang), lang.t("提出异议", "Raise a dispute"), "/portal/dispute", &body).into_response()
}
