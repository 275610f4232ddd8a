//! The console's dashboard over HTTP: staff see it and download each chart's numbers as CSV;
//! without a session, or with a borrower's, they are sent to the staff login.

use arrears_app::eod::{self, EodOptions};

use super::{agent, book_with_a_certificate, cookie_value, send, serve};

/// Status, content type, content disposition, cache control and body of a GET.
fn fetch(base: &str, path: &str, cookie: &str) -> (u16, String, String, String, String) {
    let mut response = agent().get(&format!("{base}{path}")).header("Cookie", cookie).call().unwrap();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (kind, disposition, cache) = (header("content-type"), header("content-disposition"), header("cache-control"));
    let body = response.body_mut().with_config().limit(10_000_000).read_to_string().unwrap();
    (response.status().as_u16(), kind, disposition, cache, body)
}

#[test]
fn staff_see_the_dashboard_and_download_its_numbers() {
    let (book, _) = book_with_a_certificate("dashboard");
    let mut store = arrears_app::open(&book.url).unwrap();
    // January's month end, run late: L1 was paid off on 2 February, so only L2 has a row
    // (current); then the days through February: L2 (due 10 February, unpaid) is late at its end.
    let risk = arrears_app::risk::RiskConfig::shipped();
    arrears_app::risk::month_end(&mut store, "2026-01-31".parse().unwrap(), &risk).unwrap();
    eod::run_days(&mut store, "2026-03-01".parse().unwrap(), EodOptions::default(), |store, day, _| {
        arrears_app::risk::month_end(store, day, &risk)?;
        Ok(())
    })
    .unwrap();
    arrears_app::hardship::add_staff(&mut store, "ag", "agent").unwrap();
    arrears_app::auth::set_password(&mut store, "ag", "a-long-enough-password", "admin").unwrap();
    store
        .transaction(|tx| {
            tx.upsert_borrowers(&[arrears_store::BorrowerRecord {
                borrower_id: "B2".into(),
                name: "王芳".into(),
                language: "zh".into(),
                utc_offset_minutes: 480,
                phone: Some("13800000002".into()),
                email: None,
                emergency_name: None,
                emergency_phone: None,
                opted_out: String::new(),
                segment: None,
            }])
        })
        .unwrap();
    let server = serve(&book);
    let base = format!("http://{}", server.addr);

    // No session: to the staff login, for the page and for every file.
    let a = send(&base, "GET", "/console/dashboard?lang=en", "", "");
    assert_eq!((a.status, a.location.as_str()), (303, "/login?lang=en"));
    assert_eq!(send(&base, "GET", "/console/dashboard/roll.csv", "", "").location, "/login?lang=zh");

    // A borrower's session is no staff session.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let code = arrears_app::auth::request_code(&mut store, "13800000002", now).unwrap().unwrap().code;
    let borrower = arrears_app::auth::login_borrower(&mut store, "13800000002", &code, now).unwrap().unwrap();
    let borrower = format!("arrears_session={}", borrower.token);
    assert_eq!(send(&base, "GET", "/portal", &borrower, "").status, 200, "a live borrower session");
    for path in ["/console/dashboard", "/console/dashboard/book.csv"] {
        let a = send(&base, "GET", path, &borrower, "");
        assert_eq!((a.status, a.location.as_str()), (303, "/login?lang=zh"), "{path}");
    }

    // An agent (any role) sees the page: every chart, its data as JSON, its CSV link; no
    // script or style in the markup itself.
    let form = send(&base, "GET", "/login", "", "");
    let csrf = cookie_value(&form.cookies, "arrears_login_csrf");
    let a = send(
        &base,
        "POST",
        "/login",
        &format!("arrears_login_csrf={csrf}"),
        &format!("csrf={csrf}&name=ag&password=a-long-enough-password"),
    );
    let staff = format!("arrears_session={}", cookie_value(&a.cookies, "arrears_session"));
    let console = send(&base, "GET", "/console", &staff, "");
    assert!(console.body.contains("href=\"/console/dashboard?lang=zh\""), "{}", console.body);
    let (status, _, _, _, page) = fetch(&base, "/console/dashboard", &staff);
    assert_eq!(status, 200, "{page}");
    for chart in ["book", "overdue", "roll", "vintage", "cure", "recovery", "funnel", "arms"] {
        let link =
            format!("href=\"/console/dashboard/{chart}.csv?lang=zh&amp;currency=CNY&amp;from=2026-02-01&amp;to=2026-03-02\"");
        assert!(page.contains(&link), "{chart}: the contacts of the last 30 days to the open day: {page}");
    }
    // The funnel's and the arms' period: both dates or neither, in order.
    for bad in ["from=2026-02-01", "from=someday&to=2026-03-01", "from=2026-03-01&to=2026-02-01"] {
        let (status, _, _, _, body) = fetch(&base, &format!("/console/dashboard?{bad}"), &staff);
        assert!(status == 422 && (body.contains("from") || body.contains("to")), "{bad}: {status} {body}");
    }
    let (status, _, _, _, whole) = fetch(&base, "/console/dashboard?from=2000-01-01&to=2026-03-02", &staff);
    assert!(status == 200 && whole.contains("value=\"2000-01-01\""), "{whole}");
    for chart in ["book", "overdue", "roll", "vintage"] {
        assert!(page.contains(&format!("<script type=\"application/json\" id=\"data-{chart}\">")), "{chart}: {page}");
        assert!(page.contains(&format!("id=\"chart-{chart}\"")), "{chart}");
    }
    assert!(page.contains("迁徙率矩阵") && page.contains("营业日 2026-03-01"), "{page}");
    assert!(!page.contains(" style=") && !page.contains("<script>"), "nothing inline: {page}");
    assert_eq!(page.matches("<script").count(), page.matches("application/json").count() + 2, "two scripts by address");
    let data = page.split("id=\"data-roll\">").nth(1).unwrap().split("</script>").next().unwrap();
    let roll: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(roll["kind"], "heatmap");
    assert_eq!((roll["yName"].as_str(), roll["xName"].as_str()), (Some("2026-01"), Some("2026-02")));
    let (_, _, _, _, english) = fetch(&base, "/console/dashboard?lang=en", &staff);
    assert!(english.contains("Roll-rate matrix") && english.contains("Download CSV"), "{english}");

    // Each chart's numbers as CSV: a header row, CRLF, amounts in major units.
    for chart in ["book", "overdue", "roll", "vintage", "cure", "recovery", "funnel", "arms"] {
        let (status, kind, disposition, _, body) = fetch(&base, &format!("/console/dashboard/{chart}.csv?lang=en"), &staff);
        assert_eq!(status, 200, "{chart}: {body}");
        assert_eq!(kind, "text/csv; charset=utf-8");
        assert_eq!(disposition, format!("attachment; filename=\"{chart}-CNY-2026-03-01.csv\""));
        assert!(body.ends_with("\r\n") && body.lines().count() >= 1, "{chart}: {body:?}");
    }
    // And as a workbook: one sheet, named for the chart.
    for chart in ["book", "roll", "funnel"] {
        let mut response =
            agent().get(&format!("{base}/console/dashboard/{chart}.xlsx?lang=en")).header("Cookie", &staff).call().unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let kind = response.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
        assert_eq!(kind, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let bytes = response.body_mut().read_to_vec().unwrap();
        // Read back, the sheet holds what the CSV does: the same headers and cells.
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range(chart).unwrap();
        let (_, _, _, _, csv) = fetch(&base, &format!("/console/dashboard/{chart}.csv?lang=en"), &staff);
        let lines: Vec<Vec<String>> = csv.lines().map(|l| l.split(',').map(str::to_owned).collect()).collect();
        let cells: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(cells.len(), lines.len(), "{chart}: {cells:?} against {lines:?}");
        for (cells, line) in cells.iter().zip(&lines) {
            assert_eq!(cells.len(), line.len(), "{chart}: {cells:?} against {line:?}");
            for (cell, field) in cells.iter().zip(line) {
                let same_number = cell.parse::<f64>().ok().is_some_and(|c| field.parse::<f64>().ok() == Some(c));
                assert!(cell == field || same_number, "{chart}: {cell} against {field}");
            }
        }
    }
    assert!(page.contains("book.xlsx?lang=zh&amp;currency=CNY"), "the page links the workbook");
    let (_, _, _, _, book_csv) = fetch(&base, "/console/dashboard/book.csv?lang=en", &staff);
    let l2 = store.read(|tx| tx.loan("L2")).unwrap().unwrap();
    let owed = arrears_core::Amount(l2.state.outstanding().total().0);
    assert_eq!(
        book_csv,
        format!(
            "Status,Loans,Principal owed,Total owed\r\nactive,1,{},{owed}\r\npaid off,1,0.00,0.00\r\n",
            l2.state.outstanding().principal
        )
    );
    let (_, _, _, _, roll_csv) = fetch(&base, "/console/dashboard/roll.csv?lang=en", &staff);
    assert_eq!(
        roll_csv,
        "Bucket at first month end,Bucket at latest month end,Loans,Row share %\r\n\
         2026-01 M0,2026-02 M1,1,100.00\r\n"
    );
    assert_eq!(send(&base, "GET", "/console/dashboard/nothing.csv", &staff, "").status, 404);
    assert_eq!(send(&base, "GET", "/console/dashboard/roll.txt", &staff, "").status, 404);

    // The scripts, served from the binary.
    let (status, kind, _, cache, echarts) = fetch(&base, "/assets/echarts.min.js", "");
    assert_eq!((status, kind.as_str()), (200, "text/javascript; charset=utf-8"));
    assert!(cache.contains("max-age=31536000") && echarts.contains("Apache Software Foundation"), "{cache}");
    let (status, _, _, _, script) = fetch(&base, "/assets/dashboard.js", "");
    assert!(status == 200 && script.contains("echarts.init"));
    server.stop().unwrap();
}
