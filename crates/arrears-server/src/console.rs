//! Staff login and the console's first page. Passwords are checked by `arrears_app::auth`;
//! here are the cookies, CSRF and the rate limit.
//!
//! - The login form carries a CSRF token that must match a cookie set with the form (double
//!   submit: another site can post to /login but cannot read or set that cookie).
//! - A session lives in an HttpOnly, SameSite=Strict cookie (Secure behind TLS: `--secure-cookies`);
//!   every form of a session carries the session's own CSRF token.
//! - Failed logins are limited to 5 per name and 20 per client address in 15 minutes; beyond,
//!   429 with Retry-After, whatever the password.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use arrears_store::SessionRow;

use crate::pages::{escape, page, Lang};
use crate::Shared;

pub(crate) const SESSION_COOKIE: &str = "arrears_session";
pub(crate) const LOGIN_CSRF_COOKIE: &str = "arrears_login_csrf";
const WINDOW: Duration = Duration::from_secs(15 * 60);
const PER_NAME: usize = 5;
const PER_ADDRESS: usize = 20;
/// Keys the limiter holds before it forgets the stale ones.
const MAX_KEYS: usize = 10_000;

/// Failed logins in the last window, by name and by client address.
#[derive(Debug, Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    /// When stale keys were last forgotten.
    pruned: Mutex<Option<Instant>>,
}

impl Limiter {
    fn keys(name: &str, addr: &SocketAddr) -> [(String, usize); 2] {
        [(format!("name:{}", name.trim().to_lowercase()), PER_NAME), (format!("addr:{}", addr.ip()), PER_ADDRESS)]
    }

    /// Seconds until another try is allowed, if the limit is reached.
    fn blocked(&self, name: &str, addr: &SocketAddr, now: Instant) -> Option<u64> {
        let mut failures = self.failures.lock().expect("limiter");
        for (key, limit) in Self::keys(name, addr) {
            let Some(list) = failures.get_mut(&key) else { continue };
            list.retain(|t| now.duration_since(*t) < WINDOW);
            if list.is_empty() {
                failures.remove(&key);
            } else if list.len() >= limit {
                return Some((WINDOW - now.duration_since(list[0])).as_secs() + 1);
            }
        }
        None
    }

    fn failed(&self, name: &str, addr: &SocketAddr, now: Instant) {
        let mut failures = self.failures.lock().expect("limiter");
        for (key, _) in Self::keys(name, addr) {
            failures.entry(key).or_default().push(now);
        }
        // A flood of made-up names must not grow the map without end: past a bound, forget
        // every key whose failures are all older than the window (at most once a minute, so a
        // flood does not make every failure walk the whole map).
        let mut pruned = self.pruned.lock().expect("limiter");
        if failures.len() > MAX_KEYS && pruned.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(60)) {
            *pruned = Some(now);
            failures.retain(|_, list| {
                list.retain(|t| now.duration_since(*t) < WINDOW);
                !list.is_empty()
            });
        }
    }
}

/// The server's clock in seconds, for sessions (not a business date).
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

pub(crate) fn set_cookie(shared: &Shared, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if shared.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"))
        .expect("cookie characters")
}

fn login_page(shared: &Shared, lang: Lang, csrf: &str, name: &str, problem: Option<&str>) -> Html<String> {
    let problem = problem.map_or(String::new(), |p| format!("<p class=\"bad\">{}</p>", escape(p)));
    let body = format!(
        "<div class=\"card\">{problem}<form method=\"post\" action=\"/login?lang={code}\" class=\"stack\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label>{name_label}<input type=\"text\" name=\"name\" value=\"{name}\" autocomplete=\"username\" required></label>\
         <label>{password_label}<input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>\
         <button type=\"submit\">{submit}</button></form></div>",
        code = lang.code(),
        name = escape(name),
        name_label = lang.t("用户名", "Name"),
        password_label = lang.t("密码", "Password"),
        submit = lang.t("登录", "Log in"),
    );
    page(lang, crate::pages::lender(shared, lang), lang.t("员工登录", "Staff login"), "/login", &body)
}

/// `GET /login`: the form, with a fresh CSRF token in it and in its cookie.
pub async fn login_form(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let Ok(csrf) = arrears_app::auth::random_hex(16) else { return StatusCode::SERVICE_UNAVAILABLE.into_response() };
    let mut response = login_page(&shared, lang, &csrf, "", None).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&shared, LOGIN_CSRF_COOKIE, &csrf, "/login", 3600));
    response
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`.
pub async fn login(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || expected != form.csrf {
        return forbidden(&shared, lang);
    }
    let started = Instant::now();
    if let Some(wait) = shared.limiter.blocked(&form.name, &addr, started) {
        let text = lang.t("登录失败次数过多，请稍后再试。", "Too many failed logins: try again later.");
        let mut response =
            (StatusCode::TOO_MANY_REQUESTS, login_page(&shared, lang, expected, &form.name, Some(text)).into_response())
                .into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return response;
    }
    let (name, password) = (form.name.trim().to_owned(), form.password.clone());
    let made = shared.with_store(move |store| arrears_app::auth::login_staff(store, &name, &password, now())).await;
    match made {
        Ok(Some(session)) => {
            let mut response = Redirect::to(&format!("/console?lang={}", lang.code())).into_response();
            let max_age = session.row.expires_at - session.row.created_at;
            response.headers_mut().append(header::SET_COOKIE, set_cookie(&shared, SESSION_COOKIE, &session.token, "/", max_age));
            response.headers_mut().append(header::SET_COOKIE, set_cookie(&shared, LOGIN_CSRF_COOKIE, "", "/login", 0));
            response
        }
        Ok(None) => {
            shared.limiter.failed(&form.name, &addr, started);
            let text = lang.t("用户名或密码不正确。", "The name or password is wrong.");
            (StatusCode::UNAUTHORIZED, login_page(&shared, lang, expected, &form.name, Some(text)).into_response())
                .into_response()
        }
        Err(e) => unavailable("login", e),
    }
}

pub(crate) fn forbidden(shared: &Shared, lang: Lang) -> Response {
    let body = format!(
        "<div class=\"card\"><p class=\"bad\">{}</p><p><a href=\"/login?lang={}\">{}</a></p></div>",
        lang.t("表单已过期或来源不明，请重新打开页面。", "The form expired or did not come from this site: open the page again."),
        lang.code(),
        lang.t("重新登录", "Log in again"),
    );
    (StatusCode::FORBIDDEN, page(lang, crate::pages::lender(shared, lang), lang.t("请求被拒绝", "Refused"), "/login", &body))
        .into_response()
}

/// The live session of `kind` (`staff` or `borrower`) a request carries, or else the redirect
/// to that kind's login page.
pub(crate) async fn signed_in(shared: &Arc<Shared>, headers: &HeaderMap, kind: &str, lang: Lang) -> Result<SessionRow, Response> {
    let login = if kind == "staff" { "/login" } else { "/portal/login" };
    let to_login = || Redirect::to(&format!("{login}?lang={}", lang.code())).into_response();
    let token = cookie(headers, SESSION_COOKIE).ok_or_else(to_login)?.to_owned();
    let found = shared.with_store(move |store| arrears_app::auth::session(store, &token, now())).await;
    found.ok().flatten().filter(|s| s.kind == kind).ok_or_else(to_login)
}

/// [`signed_in`] for a form, which must also carry the session's CSRF token (else 403).
pub(crate) async fn signed_in_form(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    kind: &str,
    lang: Lang,
    csrf: &str,
) -> Result<SessionRow, Response> {
    let session = signed_in(shared, headers, kind, lang).await?;
    if session.csrf != csrf {
        return Err(forbidden(shared, lang));
    }
    Ok(session)
}

/// 503 for a request whose work failed, said in the server's log.
pub(crate) fn unavailable(what: &str, error: impl std::fmt::Display) -> Response {
    eprintln!("{what} failed: {error}");
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

/// A console page: `body` under the staff's bar (who is logged in, the pages their role opens,
/// and the logout form with the session's CSRF token).
pub(crate) fn staff_page(shared: &Shared, lang: Lang, session: &SessionRow, title: &str, here: &str, body: &str) -> Html<String> {
    let code = lang.code();
    let mut links = vec![("/console", lang.t("贷后管理台", "Console")), ("/console/dashboard", lang.t("经营看板", "Dashboard"))];
    let role = session.role.as_str();
    for (roles, href, label) in [
        (&crate::console_queues::HARDSHIP_DESK[..], "/console/hardship", lang.t("困难帮扶审批", "Hardship desk")),
        (&crate::console_views::LEGAL[..], "/console/legal", lang.t("法务", "Legal")),
        (&crate::console_views::COMPLIANCE[..], "/console/compliance", lang.t("合规", "Compliance")),
        (&crate::console_views::ADMIN[..], "/console/staff", lang.t("用户管理", "Users")),
    ] {
        if roles.contains(&role) {
            links.push((href, label));
        }
    }
    links.push(("/api/docs", lang.t("接口文档", "API documentation")));
    let links: String = links.iter().map(|(href, label)| format!("<a href=\"{href}?lang={code}\">{label}</a>")).collect();
    let bar = format!(
        "<nav class=\"staff\"><span><strong>{name}</strong> ({role})</span>{links}\
         <form method=\"post\" action=\"/logout?lang={code}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\">{logout}</button></form></nav>",
        name = escape(&session.subject),
        role = escape(&session.role),
        csrf = session.csrf,
        logout = lang.t("退出", "Log out"),
    );
    page(lang, crate::pages::lender(shared, lang), title, here, &format!("{bar}{body}"))
}

/// A staff session whose role is among `roles`, for a console page: another role is told the
/// page does not exist (404), as a visitor is sent to log in.
pub(crate) async fn staff_in(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    lang: Lang,
    roles: &[&str],
) -> Result<SessionRow, Response> {
    let session = signed_in(shared, headers, "staff", lang).await?;
    if roles.contains(&session.role.as_str()) {
        Ok(session)
    } else {
        Err(StatusCode::NOT_FOUND.into_response())
    }
}

/// A staff form's session, its CSRF token checked and its role among `roles`; another role is
/// refused (403) with a page that says so.
pub(crate) async fn staff_form_in(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    lang: Lang,
    csrf: &str,
    roles: &[&str],
) -> Result<SessionRow, Response> {
    let session = signed_in_form(shared, headers, "staff", lang, csrf).await?;
    if roles.contains(&session.role.as_str()) {
        return Ok(session);
    }
    let body = format!(
        "<div class=\"card\"><p class=\"bad\">{}</p></div>",
        escape(&format!("{} {}", session.role, lang.t("角色不能执行此操作。", "cannot do this."))),
    );
    Err((StatusCode::FORBIDDEN, staff_page(shared, lang, &session, lang.t("无权操作", "Not allowed"), "/console", &body))
        .into_response())
}

/// The page after a staff action: what was done, or why not (422, the rule's words), then
/// `extra` and the way back.
pub(crate) fn outcome_page(
    shared: &Shared,
    lang: Lang,
    session: &SessionRow,
    title: &str,
    outcome: Result<String, arrears_app::AppError>,
    extra: &str,
    back: (&str, &str),
) -> Response {
    use arrears_app::AppError;
    let (status, line) = match outcome {
        Ok(text) => (StatusCode::OK, format!("<p class=\"ok\">{}</p>", escape(&text))),
        Err(e @ (AppError::Invalid { .. } | AppError::Loan(_) | AppError::KeyReused { .. } | AppError::NotFound { .. })) => (
            if matches!(e, AppError::NotFound { .. }) { StatusCode::NOT_FOUND } else { StatusCode::UNPROCESSABLE_ENTITY },
            format!("<p class=\"bad\">{}{}</p>", lang.t("未能办理：", "Not done: "), escape(&e.to_string())),
        ),
        Err(e) => return unavailable(title, e),
    };
    let (href, label) = back;
    let body = format!("<div class=\"card\">{line}</div>{extra}<p><a href=\"{}\">{label}</a></p>", escape(href));
    (status, staff_page(shared, lang, session, title, href.split('?').next().unwrap_or(href), &body)).into_response()
}

/// `GET /console`: who is logged in, an agent's work queue, and the book by bucket.
pub async fn console(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in(&shared, &headers, "staff", lang).await {
        Ok(session) => session,
        Err(to_login) => return to_login,
    };
    let (agent, role) = (session.subject.clone(), session.role.clone());
    let book = shared
        .with_store(move |store| {
            let queue = if role == "agent" { crate::console_queues::work_queue(store, &agent, lang)? } else { String::new() };
            Ok((arrears_app::service::portfolio(store)?, queue))
        })
        .await;
    let Ok(((day, rows), queue)) = book else { return StatusCode::SERVICE_UNAVAILABLE.into_response() };
    let mut table = format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        lang.t("状态", "Status"),
        lang.t("逾期分档", "Bucket"),
        lang.t("五级分类", "Class"),
        lang.t("笔数", "Loans"),
        lang.t("欠款合计", "Total owed"),
    );
    for r in &rows {
        table.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&r.status),
            escape(&r.bucket),
            escape(&r.class),
            r.loans,
            r.total_outstanding.grouped()
        ));
    }
    table.push_str("</tbody></table>");
    let body = format!(
        "<div class=\"card\"><p>{who} <strong>{name}</strong> ({role}) · {day_label} {day}</p>\
         <form method=\"get\" action=\"/console/loans\"><input type=\"hidden\" name=\"lang\" value=\"{code}\">\
         <input type=\"text\" name=\"loan\" placeholder=\"L00000001\" aria-label=\"{find}\"><button type=\"submit\">{find}</button></form></div>\
         {queue}<div class=\"card\">{table}</div>",
        who = lang.t("已登录：", "Logged in:"),
        name = escape(&session.subject),
        role = escape(&session.role),
        day_label = lang.t("营业日", "business day"),
        day = day.map_or_else(|| "-".into(), |d| d.to_string()),
        code = lang.code(),
        find = lang.t("查找借款", "Find a loan"),
    );
    staff_page(&shared, lang, &session, lang.t("贷后管理台", "Console"), "/console", &body).into_response()
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session when the form carries its CSRF token.
pub async fn logout(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    if let Err(refused) = signed_in_form(&shared, &headers, "staff", lang, &form.csrf).await {
        return refused;
    }
    let token = cookie(&headers, SESSION_COOKIE).unwrap_or("").to_owned();
    if shared.with_store(move |store| arrears_app::auth::logout(store, &token, now())).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let mut response = Redirect::to(&format!("/login?lang={}", lang.code())).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&shared, SESSION_COOKIE, "", "/", 0));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_blocks_a_name_and_forgets_stale_keys() {
        let limiter = Limiter::default();
        let addr: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..PER_NAME {
            assert_eq!(limiter.blocked("wang", &addr, t0), None);
            limiter.failed("Wang ", &addr, t0);
        }
        assert!(limiter.blocked("wang", &addr, t0).is_some(), "the name, whatever its case and spaces");
        assert_eq!(limiter.blocked("wang", &addr, t0 + WINDOW), None, "the window passed");
        // A flood of names from many addresses (two keys each), then one more failure a
        // window later.
        for k in 0..MAX_KEYS / 2 + 1 {
            let other: SocketAddr = format!("10.1.{}.{}:1", k / 250, k % 250).parse().unwrap();
            limiter.failed(&format!("n{k}"), &other, t0);
        }
        assert!(limiter.failures.lock().unwrap().len() > MAX_KEYS);
        limiter.failed("li", &addr, t0 + WINDOW);
        assert_eq!(limiter.failures.lock().unwrap().len(), 2, "only the fresh keys are kept");
    }
}
