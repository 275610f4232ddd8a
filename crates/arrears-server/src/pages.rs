//! The public pages, in Chinese (the default) and English: the home page and the check of a
//! certificate by its verification code. The check says whether the certificate is genuine,
//! for which loan and what it certifies, and nothing else about the borrower.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::Shared;

/// The language of a page: `?lang=` first, then the browser's Accept-Language, else Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn of(query: &HashMap<String, String>, headers: &HeaderMap) -> Lang {
        match query.get("lang").map(String::as_str) {
            Some("en") => Lang::En,
            Some("zh" | "zh-CN") => Lang::Zh,
            _ => {
                let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
                if accept.trim_start().to_ascii_lowercase().starts_with("en") {
                    Lang::En
                } else {
                    Lang::Zh
                }
            }
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// A date as this language writes it: `2026年5月26日`, `26 May 2026`.
    pub fn date(self, date: arrears_core::Date) -> String {
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        match self {
            Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
            Lang::En => format!("{} {} {}", date.day(), MONTHS[(date.month() as usize).clamp(1, 12) - 1], date.year()),
        }
    }

    /// The text in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Whether `key` is a form's idempotency key as the server makes them: 32 hex digits (a
/// form sent without one, or with another, posts nothing).
pub(crate) fn is_form_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A Content-Disposition for a download named `name`: the characters other than letters,
/// digits, `-` and `.` become `_`, so no name can break the header.
pub(crate) fn attachment(name: &str) -> String {
    let safe: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
    format!("attachment; filename=\"{safe}\"")
}

/// A table of `rows` under `header`; the cells are HTML already (escaped by the caller).
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let head: String = header.iter().map(|h| format!("<th>{h}</th>")).collect();
    let body: String =
        rows.iter().map(|r| format!("<tr>{}</tr>", r.iter().map(|c| format!("<td>{c}</td>")).collect::<String>())).collect();
    format!("<table><tr>{head}</tr>{body}</table>")
}

/// Text made safe to place in HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page around `body` (already HTML), with the switch to the other language.
pub(crate) fn page(lang: Lang, lender: &str, title: &str, here: &str, body: &str) -> Html<String> {
    let (html_lang, other, other_label) = match lang {
        Lang::Zh => ("zh-CN", "en", "English"),
        Lang::En => ("en", "zh", "中文"),
    };
    Html(format!(
        "<!doctype html>\n<html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {lender}</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head>\
         <body><header><strong>{lender}</strong><a href=\"{here}?lang={other}\" lang=\"{other}\">{other_label}</a></header>\
         <main><h1>{title}</h1>{body}</main><footer>Arrears</footer></body></html>\n",
        title = escape(title),
        lender = escape(lender),
        here = escape(here),
    ))
}

pub(crate) fn lender(shared: &Shared, lang: Lang) -> &str {
    lang.t(&shared.lender.name_zh, &shared.lender.name_en)
}

pub async fn home(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Html<String> {
    let lang = Lang::of(&q, &headers);
    let body = format!(
        "<div class=\"card\"><p>{}</p><p><a href=\"/verify?lang={}\">{}</a></p><p><a href=\"/login?lang={}\">{}</a></p></div>",
        lang.t("还款证明、结清证明的真伪可在此核验。", "Repayment and settlement certificates can be checked here."),
        lang.code(),
        lang.t("核验证明 →", "Check a certificate →"),
        lang.code(),
        lang.t("员工登录 →", "Staff login →"),
    );
    page(lang, lender(&shared, lang), lang.t("借后服务", "Loan services"), "/", &body)
}

fn form(lang: Lang, code: &str) -> String {
    format!(
        "<form method=\"get\" action=\"/verify\"><input type=\"hidden\" name=\"lang\" value=\"{}\">\
         <input type=\"text\" name=\"code\" value=\"{}\" placeholder=\"XXXX-XXXX-XXXX-XXXX\" autocomplete=\"off\" \
         aria-label=\"{}\"><button type=\"submit\">{}</button></form>",
        lang.code(),
        escape(code),
        lang.t("验证码", "Verification code"),
        lang.t("核验", "Check"),
    )
}

/// `/verify`: the form, or with `?code=` the check.
pub async fn verify_form(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    match q.get("code").filter(|c| !c.trim().is_empty()) {
        Some(code) => check(shared, Lang::of(&q, &headers), code.clone()).await,
        None => {
            let lang = Lang::of(&q, &headers);
            let body = format!(
                "<div class=\"card\"><p>{}</p>{}</div>",
                lang.t(
                    "请输入证明上的16位验证码，或用手机扫描证明上的二维码。",
                    "Enter the 16-character verification code printed on the certificate, or scan its QR code."
                ),
                form(lang, "")
            );
            page(lang, lender(&shared, lang), lang.t("核验证明", "Check a certificate"), "/verify", &body).into_response()
        }
    }
}

/// `/verify/CODE`: the address a certificate's QR code holds.
pub async fn verify(
    State(shared): State<Arc<Shared>>,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    check(shared, Lang::of(&q, &headers), code).await
}

async fn check(shared: Arc<Shared>, lang: Lang, code: String) -> Response {
    let wanted = code.clone();
    let found = shared.with_store(move |store| arrears_app::certificates::verify(store, &wanted)).await;
    let here = format!("/verify/{}", code.trim());
    let title = lang.t("核验证明", "Check a certificate");
    match found {
        Ok(Some(c)) => {
            let kind = match c.kind.as_str() {
                "settlement" => lang.t("结清证明", "settlement certificate"),
                _ => lang.t("还款证明", "repayment certificate"),
            };
            let words = lang.t(&c.statement.words_zh, &c.statement.words_en);
            let body = format!(
                "<div class=\"card\"><p class=\"ok\">✓ {}</p><p>{}</p><dl>\
                 <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl></div>",
                escape(&match lang {
                    Lang::Zh => format!("真实有效：这是{}出具的{kind}。", lender(&shared, lang)),
                    Lang::En => format!("Genuine: a {kind} issued by {}.", lender(&shared, lang)),
                }),
                escape(words),
                lang.t("验证码", "Verification code"),
                escape(&c.code),
                lang.t("出具日期", "Issued on"),
                c.issued_on,
                lang.t("借款编号", "Loan"),
                escape(&c.statement.loan),
                lang.t("证明类型", "Kind"),
                escape(kind),
            );
            page(lang, lender(&shared, lang), title, &here, &body).into_response()
        }
        Ok(None) => {
            let body = format!(
                "<div class=\"card\"><p class=\"bad\">✗ {}</p><p>{}</p>{}</div>",
                lang.t("未找到该验证码对应的证明。", "No certificate was issued with this code."),
                lang.t(
                    "请核对验证码是否输入正确；如仍无法核验，该证明可能不是真实的，请联系出具机构。",
                    "Check that the code was typed correctly. If it still does not verify, the certificate may not be genuine: ask the lender who issued it."
                ),
                form(lang, &code)
            );
            (StatusCode::NOT_FOUND, page(lang, lender(&shared, lang), title, &here, &body)).into_response()
        }
        Err(e) => {
            eprintln!("certificate check failed: {e}");
            let body = format!(
                "<div class=\"card\"><p class=\"bad\">{}</p></div>",
                lang.t("暂时无法核验，请稍后再试。", "The check cannot be made just now; please try again later.")
            );
            (StatusCode::SERVICE_UNAVAILABLE, page(lang, lender(&shared, lang), title, &here, &body)).into_response()
        }
    }
}

pub async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../assets/style.css"),
    )
}

pub async fn not_found(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let body = format!("<div class=\"card\"><p><a href=\"/\">{}</a></p></div>", lang.t("返回首页", "Home"));
    (StatusCode::NOT_FOUND, page(lang, lender(&shared, lang), lang.t("页面不存在", "Page not found"), "/", &body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(escape("<script>\"a\" & 'b'</script>"), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
        assert_eq!(escape("王芳"), "王芳");
    }

    #[test]
    fn dates_are_written_as_each_language_writes_them() {
        let d: arrears_core::Date = "2026-05-06".parse().unwrap();
        assert_eq!(Lang::Zh.date(d), "2026年5月6日");
        assert_eq!(Lang::En.date(d), "6 May 2026");
        assert_eq!(Lang::En.date("2026-12-31".parse().unwrap()), "31 Dec 2026");
    }

    #[test]
    fn the_language_is_asked_for_then_the_browsers_then_chinese() {
        let mut headers = HeaderMap::new();
        let none = HashMap::new();
        assert_eq!(Lang::of(&none, &headers), Lang::Zh);
        headers.insert(header::ACCEPT_LANGUAGE, "en-US,en;q=0.9".parse().unwrap());
        assert_eq!(Lang::of(&none, &headers), Lang::En);
        let zh = HashMap::from([("lang".to_owned(), "zh".to_owned())]);
        assert_eq!(Lang::of(&zh, &headers), Lang::Zh);
    }
}
