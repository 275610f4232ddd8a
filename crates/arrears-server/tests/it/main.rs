//! The server over a real book, asked over HTTP: health, the public check of a certificate in
//! both languages and as JSON, errors with stable codes, the OpenAPI document, the metrics, and
//! a graceful stop; logins; and (`web.rs`) every role's pages and actions and the API, on
//! SQLite and, when `ARREARS_TEST_PG_URL` names a server, on PostgreSQL.

mod web;

use arrears_app::eod::{self, EodOptions};
use arrears_app::{certificates, service};
use arrears_server::{Options, Server};

mod dashboard;

struct Book {
    url: String,
    /// Beside the book: its SMS channel's file (and the book itself on SQLite).
    path: std::path::PathBuf,
    /// On PostgreSQL: the server's URL and the book's schema, dropped with the book.
    pg: Option<(String, String)>,
}

impl Drop for Book {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
        let _ = std::fs::remove_file(self.path.with_extension("sms.jsonl"));
        if let Some((base, schema)) = &self.pg {
            if let Ok(mut client) = postgres::Client::connect(base, postgres::NoTls) {
                let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

/// A new, empty book named `name` on SQLite, or on PostgreSQL in a schema of its own (`None`,
/// said on stderr, when `ARREARS_TEST_PG_URL` names no server).
fn new_book(name: &str, on_postgres: bool) -> Option<Book> {
    let path = std::env::temp_dir().join(format!("arrears-server-{}-{name}.db", std::process::id()));
    if !on_postgres {
        return Some(Book { url: format!("sqlite://{}", path.display()), path, pg: None });
    }
    let Ok(base) = std::env::var("ARREARS_TEST_PG_URL") else {
        eprintln!("note: the PostgreSQL run of `{name}` was skipped; set ARREARS_TEST_PG_URL to run it");
        return None;
    };
    let schema = format!("srv_{}_{}", std::process::id(), name.replace('-', "_"));
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(Book { url: format!("{base}{sep}schema={schema}"), path, pg: Some((base, schema)) })
}

/// A book with one loan paid off, and its settlement certificate's code.
fn book_with_a_certificate(name: &str) -> (Book, String) {
    certificate_on(new_book(name, false).expect("SQLite is always there"))
}

/// [`book_with_a_certificate`] on `book`.
fn certificate_on(book: Book) -> (Book, String) {
    let (mut store, _) = arrears_app::init(&book.url).unwrap();
    let tape = "loan_no,borrower_id,product,principal,annual_rate,term_months,method,start_date\n\
                L1,B1,CASH,3000.00,12,3,annuity,2026-01-15\n\
                L2,B2,CASH,2000.00,18,6,annuity,2026-01-10\n";
    let mut report = arrears_app::import::ImportReport::default();
    arrears_app::import::import_csv(&mut store, tape.as_bytes(), false, &mut report).unwrap();
    eod::run_until(&mut store, "2026-02-01".parse().unwrap(), EodOptions::default(), |_, _| ()).unwrap();
    let payoff = service::loan_view(&mut store, "L1", Some("2026-02-02".parse().unwrap())).unwrap().payoff;
    service::pay(&mut store, "L1", payoff, None, "L1-off").unwrap();
    let code = certificates::issue(&mut store, "L1", "settlement", "officer").unwrap().code;
    (book, code)
}

/// The server on `book`, on a free port, its SMS channel writing beside the book.
fn serve(book: &Book) -> Server {
    Server::start(Options {
        db: book.url.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        config: arrears_app::collect::CollectConfig::shipped(),
        secure_cookies: false,
        sms: sms_file(&book.path.with_extension("sms.jsonl")),
        echo_codes: false,
        public_url: None,
    })
    .unwrap()
}

/// The SMS channel writing to a file, as the demo's does.
fn sms_file(path: &std::path::Path) -> Box<dyn arrears_channels::Sender + Send> {
    Box::new(arrears_channels::file::FileSender::new(arrears_channels::Channel::Sms, path))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into()
}

fn get(base: &str, path: &str, accept_language: Option<&str>) -> (u16, String) {
    let agent = agent();
    let mut request = agent.get(&format!("{base}{path}"));
    if let Some(lang) = accept_language {
        request = request.header("Accept-Language", lang);
    }
    let mut response = request.call().unwrap();
    let status = response.status().as_u16();
    (status, response.body_mut().read_to_string().unwrap())
}

#[test]
fn the_public_check_of_a_certificate_over_http() {
    let (book, code) = book_with_a_certificate("verify");
    let server = serve(&book);
    let base = format!("http://{}", server.addr);

    assert_eq!(get(&base, "/healthz", None), (200, "ok\n".to_owned()));

    // The address the QR code holds, in Chinese by default and in English when asked.
    let (status, page) = get(&base, &format!("/verify/{code}"), None);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("真实有效：这是示例银行出具的结清证明。") && page.contains("L1") && page.contains(&code), "{page}");
    assert!(!page.contains("B1"), "no personal data: {page}");
    let (_, page) = get(&base, &format!("/verify/{code}"), Some("en-US,en;q=0.9"));
    assert!(page.contains("Genuine: a settlement certificate issued by Example Bank.") && page.contains("lang=\"en\""), "{page}");
    let (_, page) = get(&base, &format!("/verify/{code}?lang=zh"), Some("en"));
    assert!(page.contains("真实有效"), "?lang= wins over the browser: {page}");
    // Typed by hand: lower case, no dashes; or through the form.
    let (status, _) = get(&base, &format!("/verify/{}", code.to_lowercase().replace('-', "")), None);
    assert_eq!(status, 200);
    let (status, page) = get(&base, &format!("/verify?code={code}&lang=en"), None);
    assert!(status == 200 && page.contains("Genuine"), "{page}");
    let (status, page) = get(&base, "/verify", None);
    assert!(status == 200 && page.contains("<form"), "{page}");

    // A code never issued, and one that is not a code at all (escaped, never markup).
    let (status, page) = get(&base, "/verify/0000-0000-0000-0000", None);
    assert!(status == 404 && page.contains("未找到该验证码对应的证明"), "{page}");
    let (status, page) = get(&base, "/verify?code=%3Cscript%3Ealert(1)%3C%2Fscript%3E", None);
    assert_eq!(status, 404);
    assert!(!page.contains("<script>") && page.contains("&lt;script&gt;"), "{page}");

    // The JSON API.
    let (status, body) = get(&base, &format!("/api/v1/certificates/{code}"), None);
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (json["kind"].as_str(), json["loan"].as_str(), json["still_owed"].as_str()),
        (Some("settlement"), Some("L1"), Some("0.00"))
    );
    assert!(json["statement_en"].as_str().unwrap().contains("settled in full"), "{body}");
    let (status, body) = get(&base, "/api/v1/certificates/nothing", None);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (status, json["error"]["code"].as_str(), json["error"]["field"].as_str()),
        (404, Some("certificate_not_found"), Some("code"))
    );
    let (status, body) = get(&base, "/api/v1/nothing", None);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, json["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, body) = get(&base, "/api/v1/openapi.json", None);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 200);
    assert!(doc["paths"]["/api/v1/certificates/{code}"]["get"].is_object(), "{body}");

    // Unknown pages, the stylesheet, and the metrics by route pattern (never a code).
    assert_eq!(get(&base, "/nowhere", None).0, 404);
    assert!(get(&base, "/assets/style.css", None).1.contains("--ink"));
    let (status, metrics) = get(&base, "/metrics", None);
    assert_eq!(status, 200);
    assert!(metrics.contains("arrears_http_requests_total{route=\"/verify/{code}\",status=\"200\"} 4"), "{metrics}");
    assert!(metrics.contains("arrears_http_requests_total{route=\"/verify/{code}\",status=\"404\"} 1"), "{metrics}");
    assert!(metrics.contains("business_date=\"2026-02-01\""), "{metrics}");
    assert!(!metrics.contains(&code), "{metrics}");

    server.stop().unwrap();
}

#[test]
fn a_server_on_a_missing_database_does_not_start() {
    let err = Server::start(Options {
        db: "sqlite:///nonexistent-dir/none.db".into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        config: arrears_app::collect::CollectConfig::shipped(),
        secure_cookies: false,
        sms: sms_file(&std::env::temp_dir().join("none.sms.jsonl")),
        echo_codes: false,
        public_url: None,
    })
    .unwrap_err();
    assert!(!err.to_string().is_empty());
}

/// What a response said: status, the Set-Cookie and Location headers, the body.
struct Answer {
    status: u16,
    cookies: Vec<String>,
    location: String,
    retry_after: String,
    frame_options: String,
    body: String,
}

fn send(base: &str, method: &str, path: &str, cookie: &str, form: &str) -> Answer {
    let agent = agent();
    let url = format!("{base}{path}");
    let mut response = if method == "POST" {
        agent
            .post(&url)
            .header("Cookie", cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(form.as_bytes())
            .unwrap()
    } else {
        agent.get(&url).header("Cookie", cookie).call().unwrap()
    };
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (location, retry_after, frame_options) = (header("location"), header("retry-after"), header("x-frame-options"));
    let cookies = response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
    Answer {
        status: response.status().as_u16(),
        cookies,
        location,
        retry_after,
        frame_options,
        body: response.body_mut().read_to_string().unwrap(),
    }
}

/// The value of cookie `name` among Set-Cookie headers.
fn cookie_value(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap().to_owned()))
        .unwrap_or_else(|| panic!("no {name} in {cookies:?}"))
}

/// The hidden csrf field of a page.
fn csrf_field(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let at = page.find(marker).unwrap_or_else(|| panic!("no csrf field in {page}")) + marker.len();
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

#[test]
fn staff_log_in_with_csrf_a_rate_limit_and_log_out() {
    let (book, _) = book_with_a_certificate("login");
    let mut store = arrears_app::open(&book.url).unwrap();
    arrears_app::hardship::add_staff(&mut store, "wang", "agent").unwrap();
    arrears_app::hardship::add_staff(&mut store, "li", "supervisor").unwrap();
    arrears_app::auth::set_password(&mut store, "wang", "correct-horse-battery", "admin").unwrap();
    arrears_app::auth::set_password(&mut store, "li", "another-long-passphrase", "admin").unwrap();
    let err = arrears_app::auth::set_password(&mut store, "li", "short", "admin").unwrap_err();
    assert!(err.to_string().starts_with("password: 12 to 200 characters"), "{err}");
    let server = serve(&book);
    let base = format!("http://{}", server.addr);

    // No session: the console sends to the login page.
    let a = send(&base, "GET", "/console", "", "");
    assert_eq!((a.status, a.location.as_str(), a.frame_options.as_str()), (303, "/login?lang=zh", "DENY"));

    // The login form sets its CSRF cookie; a post without it, or with another token, is refused.
    let form = send(&base, "GET", "/login", "", "");
    let login_csrf = cookie_value(&form.cookies, "arrears_login_csrf");
    assert_eq!(csrf_field(&form.body), login_csrf);
    assert!(form.cookies[0].contains("HttpOnly") && form.cookies[0].contains("SameSite=Strict"), "{:?}", form.cookies);
    let good = format!("csrf={login_csrf}&name=wang&password=correct-horse-battery");
    assert_eq!(send(&base, "POST", "/login", "", &good).status, 403, "no cookie");
    let jar = format!("arrears_login_csrf={login_csrf}");
    assert_eq!(send(&base, "POST", "/login", &jar, "csrf=0000&name=wang&password=correct-horse-battery").status, 403);

    // Five wrong passwords, then even the right one waits.
    for _ in 0..5 {
        let a = send(&base, "POST", "/login", &jar, &format!("csrf={login_csrf}&name=wang&password=wrong-password-1"));
        assert!(a.status == 401 && a.body.contains("用户名或密码不正确"), "{}", a.body);
    }
    let a = send(&base, "POST", "/login", &jar, &good);
    assert_eq!(a.status, 429);
    assert!(a.retry_after.parse::<u64>().unwrap() > 800, "{}", a.retry_after);
    let a = send(&base, "POST", "/login", &jar, &format!("csrf={login_csrf}&name=nobody&password=correct-horse-battery"));
    assert_eq!(a.status, 401, "an unknown name is answered as a wrong password");

    // Another member logs in: a session cookie, and the console.
    let a = send(&base, "POST", "/login?lang=en", &jar, &format!("csrf={login_csrf}&name=li&password=another-long-passphrase"));
    assert_eq!((a.status, a.location.as_str()), (303, "/console?lang=en"));
    let token = cookie_value(&a.cookies, "arrears_session");
    assert_eq!(token.len(), 64);
    let set = a.cookies.iter().find(|c| c.starts_with("arrears_session=")).unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Max-Age=28800"), "{set}");
    let session = format!("arrears_session={token}");
    let console = send(&base, "GET", "/console?lang=en", &session, "");
    assert_eq!(console.status, 200, "{}", console.body);
    assert!(console.body.contains("<strong>li</strong> (supervisor)") && console.body.contains("paid-off"), "{}", console.body);
    let csrf = csrf_field(&console.body);
    assert_ne!(csrf, login_csrf);
    assert_eq!(send(&base, "GET", "/console", "arrears_session=00", "").status, 303, "a made-up token is no session");

    // Logging out needs the session's CSRF token, and ends the session.
    assert_eq!(send(&base, "POST", "/logout", &session, "csrf=nope").status, 403);
    let a = send(&base, "POST", "/logout", &session, &format!("csrf={csrf}"));
    assert_eq!((a.status, cookie_value(&a.cookies, "arrears_session").as_str()), (303, ""));
    assert_eq!(send(&base, "GET", "/console", &session, "").status, 303, "the session ended");

    // A new password ends the member's sessions.
    let a = send(&base, "POST", "/login", &jar, &format!("csrf={login_csrf}&name=li&password=another-long-passphrase"));
    let session = format!("arrears_session={}", cookie_value(&a.cookies, "arrears_session"));
    assert_eq!(send(&base, "GET", "/console", &session, "").status, 200);
    arrears_app::auth::set_password(&mut store, "li", "a-third-long-passphrase", "admin").unwrap();
    assert_eq!(send(&base, "GET", "/console", &session, "").status, 303);
    server.stop().unwrap();
}

/// A borrower in Beijing who reads Chinese, with a phone on file.
fn borrower(id: &str, phone: &str) -> arrears_store::BorrowerRecord {
    arrears_store::BorrowerRecord {
        borrower_id: id.into(),
        name: "王芳".into(),
        language: "zh".into(),
        utc_offset_minutes: 480,
        phone: Some(phone.into()),
        email: None,
        emergency_name: None,
        emergency_phone: None,
        opted_out: String::new(),
        segment: None,
    }
}

/// The login codes the SMS channel was given, newest last.
fn codes_sent(book: &Book) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(book.path.with_extension("sms.jsonl")).unwrap_or_default();
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let body = v["body"].as_str().unwrap();
            // The code is the message's one run of six digits.
            let code = body
                .split(|c: char| !c.is_ascii_digit())
                .find(|run| run.len() == 6)
                .unwrap_or_else(|| panic!("no code in {body}"))
                .to_owned();
            (v["to"].as_str().unwrap().to_owned(), code)
        })
        .collect()
}

#[test]
fn a_borrower_logs_in_with_a_code_by_sms_and_sees_only_their_own_loans() {
    let (book, first_code) = book_with_a_certificate("portal");
    let mut store = arrears_app::open(&book.url).unwrap();
    let english = |id: &str, phone: &str| arrears_store::BorrowerRecord { language: "en".into(), ..borrower(id, phone) };
    store
        .transaction(|tx| {
            tx.upsert_borrowers(&[borrower("B1", "13800000001"), borrower("B2", "13800000002"), english("B3", "13800000003")])
        })
        .unwrap();
    // L2 (B2's) fell due on 2026-02-10 and is unpaid; the book stands on 2026-03-01, with
    // February's month-end record (what the credit bureau is told).
    let risk = arrears_app::risk::RiskConfig::shipped();
    eod::run_days(&mut store, "2026-03-01".parse().unwrap(), EodOptions::default(), |store, day, _| {
        arrears_app::risk::month_end(store, day, &risk)?;
        Ok(())
    })
    .unwrap();
    let server = serve(&book);
    let base = format!("http://{}", server.addr);
    assert_eq!(send(&base, "GET", "/portal", "", "").location, "/portal/login?lang=zh");
    let form = send(&base, "GET", "/portal/login", "", "");
    let csrf = cookie_value(&form.cookies, "arrears_login_csrf");
    let jar = format!("arrears_login_csrf={csrf}");
    assert_eq!(send(&base, "POST", "/portal/code", "", &format!("csrf={csrf}&phone=13800000002")).status, 403, "no CSRF cookie");

    // A phone not on file gets the same answer, and no text.
    let unknown = send(&base, "POST", "/portal/code", &jar, &format!("csrf={csrf}&phone=13900000009"));
    let known = send(&base, "POST", "/portal/code", &jar, &format!("csrf={csrf}&phone=138-0000-0002"));
    assert_eq!((unknown.status, known.status), (200, 200));
    assert_eq!(
        unknown.body.replace("13900000009", "X"),
        known.body.replace("138-0000-0002", "X"),
        "the pages tell nothing apart"
    );
    let sent = codes_sent(&book);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (to, code) = sent[0].clone();
    assert_eq!((to.as_str(), code.len()), ("13800000002", 6), "a six-digit code to the phone on file");
    // Asked again within a minute: no second text.
    send(&base, "POST", "/portal/code", &jar, &format!("csrf={csrf}&phone=13800000002"));
    assert_eq!(codes_sent(&book).len(), 1);

    // A wrong code, then the right one.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let a = send(&base, "POST", "/portal/login", &jar, &format!("csrf={csrf}&phone=13800000002&code={wrong}"));
    assert!(a.status == 401 && a.body.contains("验证码不正确或已失效"), "{}", a.body);
    let a = send(&base, "POST", "/portal/login", &jar, &format!("csrf={csrf}&phone=13800000002&code={code}"));
    assert_eq!((a.status, a.location.as_str()), (303, "/portal?lang=zh"), "{}", a.body);
    let session = format!("arrears_session={}", cookie_value(&a.cookies, "arrears_session"));
    let again = send(&base, "POST", "/portal/login", &jar, &format!("csrf={csrf}&phone=13800000002&code={code}"));
    assert_eq!(again.status, 401, "a code is used once");

    // Their own loan, in plain words; never another borrower's; never the staff console.
    let mine = send(&base, "GET", "/portal", &session, "");
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert!(mine.body.contains("L2") && !mine.body.contains("L1"), "{}", mine.body);
    assert!(mine.body.contains("您有一期还款已逾期") && mine.body.contains("宽限期已过"), "{}", mine.body);
    let en = send(&base, "GET", "/portal?lang=en", &session, "");
    assert!(en.body.contains("days late") && en.body.contains("credit bureau"), "{}", en.body);
    assert_eq!(send(&base, "GET", "/console", &session, "").status, 303, "a borrower is not staff");
    let explained = send(&base, "GET", "/portal/explain?loan=L2", &session, "");
    assert!(
        explained.status == 200 && explained.body.contains("宽限期3天") && explained.body.contains("等额本息"),
        "{}",
        explained.body
    );
    assert_eq!(send(&base, "GET", "/portal/explain?loan=L1", &session, "").status, 404, "another borrower's loan is not found");
    // What if: paying part leaves it late; paying enough brings it up to date; nothing is paid.
    let part = send(&base, "GET", "/portal/whatif?loan=L2&amount=10.00", &session, "");
    assert!(part.status == 200 && part.body.contains("逾期未还"), "{}", part.body);
    let enough = send(&base, "GET", "/portal/whatif?loan=L2&amount=500.00&lang=en", &session, "");
    assert!(enough.body.contains("the loan is up to date"), "{}", enough.body);
    let bad = send(&base, "GET", "/portal/whatif?loan=L2&amount=ten", &session, "");
    assert!(bad.body.contains("金额：请输入大于0的金额"), "{}", bad.body);
    let too_much = send(&base, "GET", "/portal/whatif?loan=L2&amount=99999.00", &session, "");
    assert!(too_much.body.contains("超过了当天结清所需的金额"), "{}", too_much.body);
    assert_eq!(send(&base, "GET", "/portal/whatif?loan=L1&amount=1.00", &session, "").status, 404);
    let seq2 = store.read(|tx| tx.loan("L2")).unwrap().unwrap().seq;
    assert!(store.read(|tx| tx.payments_of(seq2)).unwrap().is_empty(), "a what-if pays nothing");

    // The credit record: what was reported at February's end, and a dispute raised from it.
    let credit = send(&base, "GET", "/portal/credit?loan=L2", &session, "");
    assert!(
        credit.status == 200 && credit.body.contains("2026-02") && credit.body.contains("逾期（第1档：1–30天）"),
        "{}",
        credit.body
    );
    assert!(credit.body.contains("尚未结清"), "{}", credit.body);
    assert_eq!(send(&base, "GET", "/portal/credit?loan=L1", &session, "").status, 404);
    let csrf_b2 = csrf_field(&credit.body);
    assert_eq!(send(&base, "POST", "/portal/dispute", &session, "csrf=x&loan=L2&reason=wrong").status, 403);
    let empty = send(&base, "POST", "/portal/dispute", &session, &format!("csrf={csrf_b2}&loan=L2&reason="));
    assert!(empty.status == 422 && empty.body.contains("reason"), "{}", empty.body);
    let other = send(&base, "POST", "/portal/dispute", &session, &format!("csrf={csrf_b2}&loan=L1&reason=not+mine"));
    assert_eq!(other.status, 404, "another borrower's loan");
    let raised =
        send(&base, "POST", "/portal/dispute", &session, &format!("csrf={csrf_b2}&loan=L2&month=2026-02&reason=I+paid+on+time"));
    assert!(raised.status == 200 && raised.body.contains("异议已受理"), "{}", raised.body);
    let open = arrears_app::disputes::open_disputes(&mut store).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].0.channel.as_str(), open[0].0.month.as_deref()), ("portal", Some("2026-02")));

    // Five wrong tries kill a code.
    send(&base, "POST", "/portal/code", &jar, &format!("csrf={csrf}&phone=13800000003"));
    let (_, code) = codes_sent(&book).pop().unwrap();
    let texts = std::fs::read_to_string(book.path.with_extension("sms.jsonl")).unwrap();
    assert!(texts.lines().last().unwrap().contains("your login code is"), "in the borrower's language: {texts}");
    assert!(texts.lines().next().unwrap().contains("您的登录验证码为"), "{texts}");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let login =
        |phone: &str, code: &str| send(&base, "POST", "/portal/login", &jar, &format!("csrf={csrf}&phone={phone}&code={code}"));
    for _ in 0..5 {
        assert_eq!(login("13800000003", wrong).status, 401);
    }
    assert_eq!(login("13800000003", &code).status, 401);

    // B1 paid L1 off: the settlement certificate, as PDF, already issued (the same code).
    send(&base, "POST", "/portal/code", &jar, &format!("csrf={csrf}&phone=13800000001"));
    let (_, code) = codes_sent(&book).pop().unwrap();
    let session = format!("arrears_session={}", cookie_value(&login("13800000001", &code).cookies, "arrears_session"));
    let mine = send(&base, "GET", "/portal", &session, "");
    assert!(mine.body.contains("这笔借款已还清") && mine.body.contains("/portal/certificate"), "{}", mine.body);
    let csrf_b1 = csrf_field(&mine.body);
    assert_eq!(send(&base, "POST", "/portal/certificate", &session, "csrf=x&loan=L1").status, 403);
    assert_eq!(
        send(&base, "POST", "/portal/certificate", &session, &format!("csrf={csrf_b1}&loan=L2")).status,
        404,
        "not theirs"
    );
    let mut response = agent()
        .post(&format!("{base}/portal/certificate"))
        .header("Cookie", &session)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(format!("csrf={csrf_b1}&loan=L1").as_bytes())
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers().get("content-type").unwrap().to_str().unwrap(), "application/pdf");
    let pdf = response.body_mut().with_config().limit(10_000_000).read_to_vec().unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let seq = store.read(|tx| tx.loan("L1")).unwrap().unwrap().seq;
    assert_eq!(
        store.read(|tx| tx.certificates_of(seq, "settlement")).unwrap(),
        vec![first_code.clone()],
        "no second certificate"
    );
    server.stop().unwrap();
}

#[test]
fn an_agent_sees_only_the_loans_assigned_to_them_and_a_supervisor_any() {
    let (book, _) = book_with_a_certificate("roles");
    let mut store = arrears_app::open(&book.url).unwrap();
    for (name, role) in [("ag1", "agent"), ("ag2", "agent"), ("sup", "supervisor")] {
        arrears_app::hardship::add_staff(&mut store, name, role).unwrap();
        arrears_app::auth::set_password(&mut store, name, "a-long-enough-password", "admin").unwrap();
    }
    let l2 = store.read(|tx| tx.loan("L2")).unwrap().unwrap();
    store
        .transaction(|tx| {
            tx.upsert_agent(&arrears_store::AgentRow {
                agent_id: "ag1".into(),
                name: "ag1".into(),
                daily_cap: 50,
                desk: String::new(),
                active: true,
            })?;
            tx.add_call_tasks(&[arrears_store::CallTask {
                id: 0,
                task_key: "t-L2".into(),
                loan_seq: l2.seq,
                borrower_id: "B2".into(),
                business_date: "2026-02-01".parse().unwrap(),
                desk: "CNY".into(),
                strategy: "s".into(),
                arm: "a".into(),
                step_day: 1,
                template: "call".into(),
                script: "".into(),
                amount_due: 100,
                dpd: 1,
                priority: 1,
                window_from: 0,
                window_until: i64::MAX,
                not_before: 0,
                assigned_to: Some("ag1".into()),
                status: "open".into(),
                outcome: None,
                attempts: 0,
            }])
        })
        .unwrap();
    let server = serve(&book);
    let base = format!("http://{}", server.addr);
    let session_of = |name: &str| {
        let form = send(&base, "GET", "/login", "", "");
        let csrf = cookie_value(&form.cookies, "arrears_login_csrf");
        let jar = format!("arrears_login_csrf={csrf}");
        let a = send(&base, "POST", "/login", &jar, &format!("csrf={csrf}&name={name}&password=a-long-enough-password"));
        format!("arrears_session={}", cookie_value(&a.cookies, "arrears_session"))
    };
    let (ag1, ag2, sup) = (session_of("ag1"), session_of("ag2"), session_of("sup"));
    let page = send(&base, "GET", "/console/loans/L2", &ag1, "");
    assert!(page.status == 200 && page.body.contains("L2") && page.body.contains("还款计划"), "{}", page.body);
    assert_eq!(send(&base, "GET", "/console/loans/L1", &ag1, "").status, 404, "not assigned to ag1");
    assert_eq!(send(&base, "GET", "/console/loans/L2", &ag2, "").status, 404, "another agent's loan");
    assert_eq!(send(&base, "GET", "/console/loans/L1", &sup, "").status, 200, "a supervisor sees any loan");
    assert_eq!(send(&base, "GET", "/console/loans/L9", &sup, "").status, 404);
    assert_eq!(send(&base, "GET", "/console/loans/L1", "", "").status, 303, "no session: to the login page");
    let found = send(&base, "GET", "/console/loans?loan=L2", &sup, "");
    assert_eq!((found.status, found.location.as_str()), (303, "/console/loans/L2?lang=zh"));
    server.stop().unwrap();
}
