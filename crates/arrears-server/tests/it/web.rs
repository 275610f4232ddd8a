//! Every role's allowed and forbidden actions over HTTP, on one book: the loan page and its
//! actions (call, payment, hardship, legal), the hardship desk's maker–checker, the borrower's
//! payment and hardship request, and the JSON API with its keys, pages and idempotency.

use super::{borrower, certificate_on, codes_sent, cookie_value, csrf_field, new_book, send, serve, Book};

/// Declares a test on a book once on SQLite and once on PostgreSQL.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(super::new_book(concat!(stringify!($name), "-sqlite"), false).unwrap());
            }
            #[test]
            fn postgres() {
                if let Some(book) = super::new_book(stringify!($name), true) {
                    super::$name(book);
                }
            }
        }
    };
}

on_both!(each_role_does_what_it_may_on_a_loan_and_nothing_else);
on_both!(the_api_needs_a_key_pages_its_lists_and_posts_a_payment_once_per_key);
on_both!(officers_and_admins_have_their_pages_and_no_one_else_does);
use arrears_core::Amount;

const PASSWORD: &str = "a-long-enough-passphrase";

/// Logs `name` in and returns their session cookie.
fn staff_session(base: &str, name: &str) -> String {
    let form = send(base, "GET", "/login", "", "");
    let csrf = cookie_value(&form.cookies, "arrears_login_csrf");
    let a = send(
        base,
        "POST",
        "/login",
        &format!("arrears_login_csrf={csrf}"),
        &format!("csrf={csrf}&name={name}&password={PASSWORD}"),
    );
    assert_eq!(a.status, 303, "{name} logs in: {}", a.body);
    format!("arrears_session={}", cookie_value(&a.cookies, "arrears_session"))
}

/// Logs the borrower with `phone` in through a code by SMS.
fn borrower_session(base: &str, book: &Book, phone: &str) -> String {
    let form = send(base, "GET", "/portal/login", "", "");
    let csrf = cookie_value(&form.cookies, "arrears_login_csrf");
    let jar = format!("arrears_login_csrf={csrf}");
    send(base, "POST", "/portal/code", &jar, &format!("csrf={csrf}&phone={phone}"));
    let code = codes_sent(book).into_iter().rev().find(|(to, _)| to == phone).expect("a code was sent").1;
    let a = send(base, "POST", "/portal/login", &jar, &format!("csrf={csrf}&phone={phone}&code={code}"));
    assert_eq!(a.status, 303, "{}", a.body);
    format!("arrears_session={}", cookie_value(&a.cookies, "arrears_session"))
}

/// The session's CSRF token, read off a page it is shown.
fn csrf_of(base: &str, session: &str, page: &str) -> String {
    csrf_field(&send(base, "GET", page, session, "").body)
}

fn api(base: &str, method: &str, path: &str, key: Option<&str>, idem: Option<&str>, body: &str) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let url = format!("{base}{path}");
    let mut response = if method == "POST" {
        let mut r = agent.post(&url).header("Content-Type", "application/json");
        if let Some(key) = key {
            r = r.header("Authorization", &format!("Bearer {key}"));
        }
        if let Some(idem) = idem {
            r = r.header("Idempotency-Key", idem);
        }
        r.send(body.as_bytes()).unwrap()
    } else {
        let mut r = agent.get(&url);
        if let Some(key) = key {
            r = r.header("Authorization", &format!("Bearer {key}"));
        }
        r.call().unwrap()
    };
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")))
}

/// The book of `book_with_a_certificate` with borrowers on file, staff of every role, and a
/// call task on L2 (late since 2026-02-10) assigned to the agent `ag1`.
fn staffed_book(book: Book) -> Book {
    let (book, _) = certificate_on(book);
    let mut store = arrears_app::open(&book.url).unwrap();
    store.transaction(|tx| tx.upsert_borrowers(&[borrower("B1", "13800000001"), borrower("B2", "13800000002")])).unwrap();
    arrears_app::eod::run_until(&mut store, "2026-03-01".parse().unwrap(), arrears_app::eod::EodOptions::default(), |_, _| ())
        .unwrap();
    for (name, role) in [
        ("ag1", "agent"),
        ("ag2", "agent"),
        ("sup", "supervisor"),
        ("ho", "hardship-officer"),
        ("lo", "legal-officer"),
        ("co", "compliance-officer"),
        ("adm", "admin"),
    ] {
        arrears_app::hardship::add_staff(&mut store, name, role).unwrap();
        arrears_app::auth::set_password(&mut store, name, PASSWORD, "adm").unwrap();
    }
    for id in ["ag1", "ag2"] {
        let agent =
            arrears_store::AgentRow { agent_id: id.into(), name: id.into(), daily_cap: 50, desk: "CNY".into(), active: true };
        arrears_app::calls::save_agent(&mut store, &agent).unwrap();
    }
    let seq = store.read(|tx| tx.loan("L2")).unwrap().unwrap().seq;
    let task = arrears_store::CallTask {
        id: 0,
        task_key: "L2/call".into(),
        loan_seq: seq,
        borrower_id: "B2".into(),
        business_date: "2026-03-02".parse().unwrap(),
        desk: "CNY".into(),
        strategy: "cn-standard".into(),
        arm: "champion".into(),
        step_day: 5,
        template: "call-script".into(),
        script: "您好，这里是示例银行。".into(),
        amount_due: 10_000,
        dpd: 19,
        priority: 10,
        window_from: 0,
        window_until: i64::MAX / 2,
        not_before: 0,
        assigned_to: Some("ag1".into()),
        status: "open".into(),
        outcome: None,
        attempts: 0,
    };
    store.transaction(|tx| tx.add_call_tasks(&[task])).unwrap();
    book
}

fn posted_payments(book: &Book, loan: &str) -> usize {
    let mut store = arrears_app::open(&book.url).unwrap();
    let seq = store.read(|tx| tx.loan(loan)).unwrap().unwrap().seq;
    store.read(|tx| tx.payments_of(seq)).unwrap().len()
}

fn each_role_does_what_it_may_on_a_loan_and_nothing_else(book: Book) {
    let book = staffed_book(book);
    let server = serve(&book);
    let base = format!("http://{}", server.addr);
    let [ag1, ag2, sup, ho, lo, co] = ["ag1", "ag2", "sup", "ho", "lo", "co"].map(|n| staff_session(&base, n));

    // Who sees which loan: the agent only the loan of their task; another agent, 404.
    let page = send(&base, "GET", "/console/loans/L2?lang=en", &ag1, "");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Call the debtor (task") && !page.body.contains("Post a payment"), "{}", page.body);
    assert!(page.body.contains("138****0002") && !page.body.contains("13800000002"), "the phone is masked: {}", page.body);
    let queue = send(&base, "GET", "/console?lang=en", &ag1, "");
    assert!(queue.body.contains("My work queue") && queue.body.contains("/console/loans/L2"), "{}", queue.body);
    assert_eq!(send(&base, "GET", "/console/loans/L1", &ag1, "").status, 404, "not the agent's loan");
    assert_eq!(send(&base, "GET", "/console/loans/L2", &ag2, "").status, 404, "another agent's loan");
    assert_eq!(send(&base, "GET", "/console/loans/NOPE", &sup, "").status, 404);
    let compliance = send(&base, "GET", "/console/loans/L2?lang=en", &co, "");
    assert!(compliance.status == 200 && !compliance.body.contains("Actions"), "compliance looks, does not act");
    let supervisor = send(&base, "GET", "/console/loans/L2?lang=en", &sup, "");
    assert!(supervisor.body.contains("Post a payment") && supervisor.body.contains("Escalate to legal"), "{}", supervisor.body);
    for part in [
        "Schedule",
        "late",
        "to come",
        "DPD and status history",
        "M0-grace → M1",
        "Ledger (last 50",
        "disbursement",
        "Communication record",
    ] {
        assert!(supervisor.body.contains(part), "the loan page shows {part}: {}", supervisor.body);
    }
    let ag1_csrf = csrf_field(&page.body);

    // Calls: only the assigned agent dials; the pack decides (by the clock, so either answer).
    let dial = send(&base, "POST", "/console/loans/L2/dial?lang=en", &ag1, &format!("csrf={ag1_csrf}&task=1"));
    assert!(dial.status == 200 && (dial.body.contains("Allowed") || dial.body.contains("Blocked by")), "{}", dial.body);
    if dial.body.contains("Allowed") {
        assert!(dial.body.contains("13800000002"), "the agent sees the number for an allowed call: {}", dial.body);
        let contact = {
            let marker = "name=\"contact\" value=\"";
            let at = dial.body.find(marker).unwrap() + marker.len();
            dial.body[at..at + dial.body[at..].find('"').unwrap()].to_owned()
        };
        let bad = send(
            &base,
            "POST",
            "/console/loans/L2/outcome?lang=en",
            &ag1,
            &format!("csrf={ag1_csrf}&task=1&contact={contact}&outcome=promise&promise_date=&promise_amount=50.00"),
        );
        assert!(bad.status == 422 && bad.body.contains("promise_date"), "{}", bad.body);
        let ok = send(
            &base,
            "POST",
            "/console/loans/L2/outcome?lang=en",
            &ag1,
            &format!("csrf={ag1_csrf}&task=1&contact={contact}&outcome=no-answer"),
        );
        assert!(ok.status == 200 && ok.body.contains("Outcome recorded: no-answer"), "{}", ok.body);
    }
    let sup_csrf = csrf_field(&supervisor.body);
    assert_eq!(send(&base, "POST", "/console/loans/L2/dial", &sup, &format!("csrf={sup_csrf}&task=1")).status, 403);
    let ag2_csrf = csrf_of(&base, &ag2, "/console");
    assert_eq!(send(&base, "POST", "/console/loans/L2/dial", &ag2, &format!("csrf={ag2_csrf}&task=1")).status, 404);

    // Payments: a supervisor posts, once per form; an agent may not; a bad amount is named.
    assert_eq!(
        send(
            &base,
            "POST",
            "/console/loans/L2/pay",
            &ag1,
            &format!("csrf={ag1_csrf}&key=0123456789abcdef0123456789abcdef&amount=10.00")
        )
        .status,
        403
    );
    assert_eq!(
        send(&base, "POST", "/console/loans/L2/pay", &sup, "csrf=forged&key=0123456789abcdef0123456789abcdef&amount=10.00")
            .status,
        403,
        "CSRF"
    );
    let bad = send(
        &base,
        "POST",
        "/console/loans/L2/pay?lang=en",
        &sup,
        &format!("csrf={sup_csrf}&key=0123456789abcdef0123456789abcdef&amount=ten"),
    );
    assert!(bad.status == 422 && bad.body.contains("amount"), "{}", bad.body);
    let form = format!("csrf={sup_csrf}&key=0123456789abcdef0123456789abcdef&amount=10.00");
    let paid = send(&base, "POST", "/console/loans/L2/pay?lang=en", &sup, &form);
    assert!(paid.status == 200 && paid.body.contains("Payment posted: 10.00"), "{}", paid.body);
    let again = send(&base, "POST", "/console/loans/L2/pay?lang=en", &sup, &form);
    assert!(again.status == 200 && again.body.contains("posted before, and not again"), "{}", again.body);
    assert_eq!(posted_payments(&book, "L2"), 1, "the same form twice posts once");
    let keyless = send(&base, "POST", "/console/loans/L2/pay?lang=en", &sup, &format!("csrf={sup_csrf}&key=&amount=10.00"));
    assert!(keyless.status == 422 && keyless.body.contains("payment key"), "{}", keyless.body);
    assert_eq!(posted_payments(&book, "L2"), 1, "a form without its key posts nothing");

    // Hardship: the agent files for the borrower; the desk is closed to agents; the officer
    // proposes, cannot approve their own proposal; a supervisor approves.
    let filed = send(
        &base,
        "POST",
        "/console/loans/L2/hardship?lang=en",
        &ag1,
        &format!("csrf={ag1_csrf}&reason=job-loss&wanted=plan&income=6000.00&expenses=3000.00&details=lost+job"),
    );
    assert!(filed.status == 200 && filed.body.contains("Hardship request filed"), "{}", filed.body);
    assert_eq!(send(&base, "GET", "/console/hardship", &ag1, "").status, 404);
    let desk = send(&base, "GET", "/console/hardship?lang=en", &ho, "");
    assert!(desk.status == 200 && desk.body.contains("job-loss") && desk.body.contains("Propose"), "{}", desk.body);
    let ho_csrf = csrf_field(&desk.body);
    let id = {
        let at = desk.body.find("/console/hardship/").unwrap() + "/console/hardship/".len();
        desk.body[at..at + desk.body[at..].find('/').unwrap()].to_owned()
    };
    let proposed = send(&base, "POST", &format!("/console/hardship/{id}/propose?lang=en"), &ho, &format!("csrf={ho_csrf}"));
    assert!(proposed.status == 200 && proposed.body.contains("proposed"), "{}", proposed.body);
    let own = send(&base, "POST", &format!("/console/hardship/{id}/approve?lang=en"), &ho, &format!("csrf={ho_csrf}"));
    assert!(own.status == 422 && own.body.contains("another person must approve"), "maker–checker: {}", own.body);
    let approved = send(&base, "POST", &format!("/console/hardship/{id}/approve?lang=en"), &sup, &format!("csrf={sup_csrf}"));
    assert!(approved.status == 200 && approved.body.contains("approved"), "{}", approved.body);

    // Legal: the legal officer opens a case, once; a hardship officer may not.
    let ho_on_loan = send(&base, "POST", "/console/loans/L2/legal", &ho, &format!("csrf={ho_csrf}&note=x"));
    assert_eq!(ho_on_loan.status, 403);
    let lo_csrf = csrf_of(&base, &lo, "/console/loans/L2");
    let opened = send(&base, "POST", "/console/loans/L2/legal?lang=en", &lo, &format!("csrf={lo_csrf}&note=90+days"));
    assert!(opened.status == 200 && opened.body.contains("Case opened"), "{}", opened.body);
    let twice = send(&base, "POST", "/console/loans/L2/legal?lang=en", &lo, &format!("csrf={lo_csrf}&note=again"));
    assert!(twice.status == 422 && twice.body.contains("already has case"), "{}", twice.body);
    let page = send(&base, "GET", "/console/loans/L2?lang=en", &sup, "");
    assert!(
        page.body.contains("Legal cases") && page.body.contains("Hardship") && page.body.contains("approved"),
        "{}",
        page.body
    );

    // Every change is audited under who made it.
    let mut store = arrears_app::open(&book.url).unwrap();
    let audit = store.read(|tx| tx.audit_of("L2")).unwrap();
    for (actor, action) in [
        ("sup", "payment"),
        ("ag1", "hardship-request"),
        ("ho", "hardship-propose"),
        ("sup", "hardship-approve"),
        ("lo", "legal-case-open"),
    ] {
        assert!(audit.iter().any(|(a, what)| a == actor && what == action), "{actor} {action} in {audit:?}");
    }

    // The borrower follows the request, accepts the relief, and pays once per form; never
    // another borrower's loan.
    let me = borrower_session(&base, &book, "13800000002");
    let follow = send(&base, "GET", "/portal/hardship?loan=L2&lang=en", &me, "");
    assert!(follow.status == 200 && follow.body.contains("I accept this relief"), "{}", follow.body);
    assert_eq!(send(&base, "GET", "/portal/hardship?loan=L1", &me, "").status, 404);
    let csrf = csrf_field(&follow.body);
    let accepted = send(&base, "POST", "/portal/hardship/accept?lang=en", &me, &format!("csrf={csrf}&id={id}"));
    assert!(accepted.status == 200 && accepted.body.contains("The relief is in force."), "{}", accepted.body);
    let mine = send(&base, "GET", "/portal?lang=en", &me, "");
    let key = {
        let marker = "name=\"key\" value=\"";
        let at = mine.body.find(marker).expect("a pay form") + marker.len();
        mine.body[at..at + 32].to_owned()
    };
    let pay = format!("csrf={csrf}&loan=L2&key={key}&amount=20.00");
    let paid = send(&base, "POST", "/portal/pay?lang=en", &me, &pay);
    assert!(paid.status == 200 && paid.body.contains("Your payment of CNY 20.00 is received"), "{}", paid.body);
    let again = send(&base, "POST", "/portal/pay?lang=en", &me, &pay);
    assert!(again.status == 200 && again.body.contains("received before; it was not taken again"), "sent again: {}", again.body);
    let keyless = send(&base, "POST", "/portal/pay?lang=en", &me, &format!("csrf={csrf}&loan=L2&amount=20.00"));
    assert!(keyless.status == 422 && keyless.body.contains("The page expired"), "{}", keyless.body);
    assert_eq!(posted_payments(&book, "L2"), 2, "one payment by the portal, one by the supervisor");
    assert_eq!(
        send(&base, "POST", "/portal/pay", &me, &format!("csrf={csrf}&loan=L1&key=11112222333344445555666677778888&amount=1.00"))
            .status,
        404
    );
    let zh = send(
        &base,
        "POST",
        "/portal/pay",
        &me,
        &format!("csrf={csrf}&loan=L2&key=99998888777766665555444433332222&amount=99999.00"),
    );
    assert!(zh.status == 422 && zh.body.contains("金额超过了结清所需的"), "{}", zh.body);
    assert_eq!(send(&base, "POST", "/portal/pay", &me, "csrf=forged&loan=L2&key=k8&amount=1.00").status, 403);
    assert_eq!(send(&base, "GET", "/console/loans/L2", &me, "").status, 303, "a borrower is not staff");

    // An agent keeps a loan while a task of theirs is open or for 30 days after; then 404.
    assert_eq!(send(&base, "GET", "/console/loans/L2", &ag1, "").status, 200);
    let mut store = arrears_app::open(&book.url).unwrap();
    store.transaction(|tx| tx.execute_raw("UPDATE call_tasks SET status = 'done', business_date = '2026-01-20'")).unwrap();
    assert_eq!(send(&base, "GET", "/console/loans/L2", &ag1, "").status, 404, "a task done 40 days ago");
    let late_filing = send(
        &base,
        "POST",
        "/console/loans/L2/hardship",
        &ag1,
        &format!("csrf={ag1_csrf}&reason=other&wanted=plan&income=1.00&expenses=0.00"),
    );
    assert_eq!(late_filing.status, 404);

    // A repayment certificate of what was paid so far, as PDF; each one a new certificate.
    assert!(mine.body.contains("kind\" value=\"repayment\""), "{}", mine.body);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    for _ in 0..2 {
        let mut pdf = agent
            .post(&format!("{base}/portal/certificate"))
            .header("Cookie", &me)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(format!("csrf={csrf}&loan=L2&kind=repayment").as_bytes())
            .unwrap();
        assert_eq!(pdf.status().as_u16(), 200);
        let name = pdf.headers().get("content-disposition").unwrap().to_str().unwrap().to_owned();
        assert!(name.contains("L2-repayment.pdf"), "{name}");
        assert!(pdf.body_mut().read_to_vec().unwrap().starts_with(b"%PDF-"));
    }
    let mut store = arrears_app::open(&book.url).unwrap();
    let seq = store.read(|tx| tx.loan("L2")).unwrap().unwrap().seq;
    assert_eq!(store.read(|tx| tx.certificates_of(seq, "repayment")).unwrap().len(), 2);
    server.stop().unwrap();
}

fn the_api_needs_a_key_pages_its_lists_and_posts_a_payment_once_per_key(book: Book) {
    let book = staffed_book(book);
    let mut store = arrears_app::open(&book.url).unwrap();
    let err = arrears_app::auth::create_api_key(&mut store, "core-banking", "sup", 1).unwrap_err();
    assert!(err.to_string().contains("admin"), "{err}");
    let key = arrears_app::auth::create_api_key(&mut store, "core-banking", "adm", 1).unwrap();
    let server = serve(&book);
    let base = format!("http://{}", server.addr);

    let (status, body) = api(&base, "GET", "/api/v1/loans", None, None, "");
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    let (status, _) = api(&base, "GET", "/api/v1/loans", Some(&"0".repeat(64)), None, "");
    assert_eq!(status, 401, "a made-up key");

    // Pages: one loan at a time, then the next, then none; bounds are named.
    let (status, first) = api(&base, "GET", "/api/v1/loans?limit=1", Some(&key), None, "");
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["items"].as_array().unwrap().len(), first["items"][0]["loan"].as_str()), (1, Some("L1")));
    let next = first["next"].as_str().unwrap().to_owned();
    let (_, second) = api(&base, "GET", &format!("/api/v1/loans?limit=1&after={next}"), Some(&key), None, "");
    assert_eq!(second["items"][0]["loan"].as_str(), Some("L2"));
    assert!(second["next"].is_null(), "the last page: {second}");
    assert_eq!(second["items"][0]["status"].as_str(), Some("active"));
    for bad in ["limit=0", "limit=201", "limit=x", "after=-1"] {
        let (status, body) = api(&base, "GET", &format!("/api/v1/loans?{bad}"), Some(&key), None, "");
        let field = bad.split('=').next().unwrap();
        assert_eq!(
            (status, body["error"]["code"].as_str(), body["error"]["field"].as_str()),
            (422, Some("invalid"), Some(field))
        );
    }
    let (status, loan) = api(&base, "GET", "/api/v1/loans/L2", Some(&key), None, "");
    assert_eq!(status, 200);
    assert_eq!(loan["installments"].as_array().unwrap().len(), 6);
    assert!(loan["dpd"].as_u64().unwrap() > 0 && loan["outstanding"]["penalty"].is_string(), "{loan}");
    let (status, body) = api(&base, "GET", "/api/v1/loans/NOPE", Some(&key), None, "");
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));

    // A payment: the key is required; bad input is named; once per key; a key reused for
    // another payment is a conflict; more than the payoff is refused.
    let (status, body) = api(&base, "POST", "/api/v1/loans/L2/payments", Some(&key), None, r#"{"amount":"100.00"}"#);
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("idempotency_key_required")));
    let (status, body) = api(&base, "POST", "/api/v1/loans/L2/payments", Some(&key), Some("p1"), r#"{"amount":"ten"}"#);
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("amount")));
    let (status, body) = api(&base, "POST", "/api/v1/loans/L2/payments", Some(&key), Some("p1"), "not json");
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("malformed_json")));
    let (status, body) =
        api(&base, "POST", "/api/v1/loans/L2/payments", Some(&key), Some("p1"), r#"{"amount":"100.00","date":"2026-02-30"}"#);
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("date")));
    let (status, first) = api(&base, "POST", "/api/v1/loans/L2/payments", Some(&key), Some("p1"), r#"{"amount":"100.00"}"#);
    assert_eq!(status, 201, "{first}");
    assert_eq!((first["amount"].as_str(), first["replayed"].as_bool()), (Some("100.00"), Some(false)));
    let total: i64 = first["allocation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| Amount::parse(l["amount"].as_str().unwrap()).unwrap().0)
        .sum::<i64>()
        + Amount::parse(first["held"].as_str().unwrap()).unwrap().0;
    assert_eq!(total, 10_000, "the allocation accounts for every cent: {first}");
    let (status, again) = api(&base, "POST", "/api/v1/loans/L2/payments", Some(&key), Some("p1"), r#"{"amount":"100.00"}"#);
    assert_eq!((status, again["id"].clone(), again["replayed"].as_bool()), (200, first["id"].clone(), Some(true)));
    let (status, body) = api(&base, "POST", "/api/v1/loans/L2/payments", Some(&key), Some("p1"), r#"{"amount":"90.00"}"#);
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("idempotency_key_reused")));
    let (status, body) = api(&base, "POST", "/api/v1/loans/L2/payments", Some(&key), Some("p2"), r#"{"amount":"99999.00"}"#);
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("overpayment")));
    let (status, body) = api(&base, "POST", "/api/v1/loans/L1/payments", Some(&key), Some("p3"), r#"{"amount":"1.00"}"#);
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("loan_not_active")));
    let (_, list) = api(&base, "GET", "/api/v1/loans/L2/payments", Some(&key), None, "");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(posted_payments(&book, "L2"), 1);
    let audit = store.read(|tx| tx.audit_of("L2")).unwrap();
    assert!(audit.iter().any(|(a, what)| a == "api:core-banking" && what == "payment"), "{audit:?}");

    // The document and its page describe these routes; a revoked key opens nothing.
    let (_, doc) = api(&base, "GET", "/api/v1/openapi.json", None, None, "");
    assert!(doc["paths"]["/api/v1/loans/{loan}/payments"]["post"].is_object());
    let docs = send(&base, "GET", "/api/docs", "", "");
    assert!(docs.status == 200 && docs.body.contains("POST /api/v1/loans/{loan}/payments"), "{}", docs.body);
    arrears_app::auth::revoke_api_key(&mut store, "core-banking", "adm", 2).unwrap();
    assert_eq!(api(&base, "GET", "/api/v1/loans", Some(&key), None, "").0, 401);
    server.stop().unwrap();
}

/// The value of the first `<code>` on a page.
fn code_on(page: &str) -> String {
    let at = page.find("<code>").unwrap_or_else(|| panic!("no <code> in {page}")) + "<code>".len();
    page[at..at + page[at..].find('<').unwrap()].to_owned()
}

fn officers_and_admins_have_their_pages_and_no_one_else_does(book: Book) {
    let book = staffed_book(book);
    let server = serve(&book);
    let base = format!("http://{}", server.addr);
    let [ag1, sup, lo, co, adm] = ["ag1", "sup", "lo", "co", "adm"].map(|n| staff_session(&base, n));

    // Compliance: the record of a period, audited; closed to agents; a bad date is named.
    let page = send(&base, "GET", "/console/compliance?lang=en&from=2026-01-01&to=2026-03-01", &co, "");
    assert!(page.status == 200 && page.body.contains("Blocked by rule") && page.body.contains("audited again"), "{}", page.body);
    assert!(page.body.contains("The audit found no breach."), "{}", page.body);
    assert_eq!(send(&base, "GET", "/console/compliance", &ag1, "").status, 404);
    let bad = send(&base, "GET", "/console/compliance?lang=en&from=someday", &co, "");
    assert!(bad.status == 422 && bad.body.contains("from"), "{}", bad.body);
    let bar = send(&base, "GET", "/console?lang=en", &co, "");
    assert!(bar.body.contains("/console/compliance") && !bar.body.contains("/console/staff"), "the bar shows the role's pages");

    // Legal: a case opened on the loan page appears, and moves forward by the rules.
    let lo_csrf = csrf_of(&base, &lo, "/console/loans/L2");
    send(&base, "POST", "/console/loans/L2/legal", &lo, &format!("csrf={lo_csrf}&note=x"));
    let legal = send(&base, "GET", "/console/legal?lang=en", &lo, "");
    assert!(
        legal.status == 200 && legal.body.contains("Open cases") && legal.body.contains("/console/legal/1/advance"),
        "{}",
        legal.body
    );
    assert_eq!(send(&base, "GET", "/console/legal", &co, "").status, 404);
    let moved =
        send(&base, "POST", "/console/legal/1/advance?lang=en", &lo, &format!("csrf={lo_csrf}&stage=demand-letter&note=sent"));
    assert!(moved.status == 200 && moved.body.contains("Case 1: demand-letter"), "{}", moved.body);
    let no_court = send(&base, "POST", "/console/legal/1/advance?lang=en", &lo, &format!("csrf={lo_csrf}&stage=filed&note=x"));
    assert!(no_court.status == 422 && no_court.body.contains("court"), "{}", no_court.body);
    let co_csrf = csrf_field(&bar.body);
    assert_eq!(send(&base, "POST", "/console/legal/1/advance", &co, &format!("csrf={co_csrf}&stage=closed")).status, 403);

    // Users: only the admin; a member added, given a password, disabled; a role change ends
    // the member's session; an API key shown once, then revoked.
    assert_eq!(send(&base, "GET", "/console/staff", &sup, "").status, 404);
    let users = send(&base, "GET", "/console/staff?lang=en", &adm, "");
    assert!(users.status == 200 && users.body.contains("ag1") && users.body.contains("API keys"), "{}", users.body);
    let csrf = csrf_field(&users.body);
    let sup_csrf = csrf_of(&base, &sup, "/console");
    assert_eq!(send(&base, "POST", "/console/staff/add", &sup, &format!("csrf={sup_csrf}&name=x&role=admin")).status, 403);
    let added = send(&base, "POST", "/console/staff/add?lang=en", &adm, &format!("csrf={csrf}&name=ag3&role=agent"));
    assert!(added.status == 200 && added.body.contains("ag3: agent"), "{}", added.body);
    let bad_role = send(&base, "POST", "/console/staff/add?lang=en", &adm, &format!("csrf={csrf}&name=ag4&role=boss"));
    assert!(bad_role.status == 422 && bad_role.body.contains("role"), "{}", bad_role.body);
    let short = send(&base, "POST", "/console/staff/password?lang=en", &adm, &format!("csrf={csrf}&name=ag3&password=short"));
    assert!(short.status == 422 && short.body.contains("password"), "{}", short.body);
    let set = send(&base, "POST", "/console/staff/password?lang=en", &adm, &format!("csrf={csrf}&name=ag3&password={PASSWORD}"));
    assert_eq!(set.status, 200, "{}", set.body);
    let ag3 = staff_session(&base, "ag3");
    assert_eq!(send(&base, "GET", "/console", &ag3, "").status, 200);
    send(&base, "POST", "/console/staff/disable", &adm, &format!("csrf={csrf}&name=ag3"));
    assert_eq!(send(&base, "GET", "/console", &ag3, "").status, 303, "a disabled login ends the session");
    send(&base, "POST", "/console/staff/add", &adm, &format!("csrf={csrf}&name=sup&role=agent"));
    assert_eq!(send(&base, "GET", "/console", &sup, "").status, 303, "a changed role ends the session");
    let made = send(&base, "POST", "/console/staff/api-key?lang=en", &adm, &format!("csrf={csrf}&name=erp"));
    let key = code_on(&made.body);
    assert_eq!(key.len(), 64, "{}", made.body);
    assert_eq!(api(&base, "GET", "/api/v1/loans", Some(&key), None, "").0, 200);
    assert!(!send(&base, "GET", "/console/staff", &adm, "").body.contains(&key), "the key is not shown again");
    send(&base, "POST", "/console/staff/revoke-api-key", &adm, &format!("csrf={csrf}&name=erp"));
    assert_eq!(api(&base, "GET", "/api/v1/loans", Some(&key), None, "").0, 401);
    let mut store = arrears_app::open(&book.url).unwrap();
    for (subject, action) in
        [("ag3", "staff"), ("ag3", "password"), ("ag3", "login-disabled"), ("erp", "api-key-create"), ("erp", "api-key-revoke")]
    {
        let audit = store.read(|tx| tx.audit_of(subject)).unwrap();
        assert!(audit.iter().any(|(a, what)| a == "adm" && what == action), "adm {action} {subject}: {audit:?}");
    }
    server.stop().unwrap();
}
