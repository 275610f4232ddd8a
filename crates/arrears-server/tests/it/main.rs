//! The server over a real book on SQLite, asked over HTTP: health, the public check of a
//! certificate in both languages and as JSON, errors with stable codes, the OpenAPI document,
//! the metrics, and a graceful stop.

use arrears_app::eod::{self, EodOptions};
use arrears_app::{certificates, service};
use arrears_server::{Options, Server};

struct Book {
    url: String,
    path: std::path::PathBuf,
}

impl Drop for Book {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

/// A book with one loan paid off, and its settlement certificate's code.
fn book_with_a_certificate() -> (Book, String) {
    let path = std::env::temp_dir().join(format!("arrears-server-{}.db", std::process::id()));
    let book = Book { url: format!("sqlite://{}", path.display()), path };
    let (mut store, _) = arrears_app::init(&book.url).unwrap();
    let tape = "loan_no,borrower_id,product,principal,annual_rate,term_months,method,start_date\n\
                L1,B1,CASH,3000.00,12,3,annuity,2026-01-15\n";
    let mut report = arrears_app::import::ImportReport::default();
    arrears_app::import::import_csv(&mut store, tape.as_bytes(), false, &mut report).unwrap();
    eod::run_until(&mut store, "2026-02-01".parse().unwrap(), EodOptions::default(), |_, _| ()).unwrap();
    let payoff = service::loan_view(&mut store, "L1", Some("2026-02-02".parse().unwrap())).unwrap().payoff;
    service::pay(&mut store, "L1", payoff, None, "L1-off").unwrap();
    let code = certificates::issue(&mut store, "L1", "settlement", "officer").unwrap().code;
    (book, code)
}

fn get(base: &str, path: &str, accept_language: Option<&str>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
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
    let (book, code) = book_with_a_certificate();
    let server = Server::start(Options {
        db: book.url.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        lender: arrears_collect::Lender::default(),
    })
    .unwrap();
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
    let (status, body) = get(&base, "/api/v1/loans", None);
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
        lender: arrears_collect::Lender::default(),
    })
    .unwrap_err();
    assert!(!err.to_string().is_empty());
}
