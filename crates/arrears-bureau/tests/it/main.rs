//! The China record: month codes, the 24-month string, and the two exports read back.

mod metro2;

use arrears_bureau::{history_string, ChinaRecord, Csv, Furnisher, JsonLines, MonthCode, FORMAT};
use arrears_core::{Amount, Classification};

#[test]
fn days_past_due_become_the_report_codes_at_their_edges() {
    let cases = [
        (0, 'N'),
        (1, '1'),
        (30, '1'),
        (31, '2'),
        (60, '2'),
        (61, '3'),
        (150, '5'),
        (151, '6'),
        (180, '6'),
        (181, '7'),
        (900, '7'),
    ];
    for (dpd, code) in cases {
        assert_eq!(MonthCode::from_dpd(dpd).char(), code, "{dpd} days");
    }
    let others = [
        (MonthCode::Settled, 'C'),
        (MonthCode::EndedOther, 'G'),
        (MonthCode::BadDebt, 'B'),
        (MonthCode::PaidByGuarantor, 'D'),
        (MonthCode::PaidByAssets, 'Z'),
        (MonthCode::NothingDue, '*'),
        (MonthCode::PaidAmountUnknown, '#'),
        (MonthCode::NotOpened, '/'),
    ];
    for (code, c) in others {
        assert_eq!(code.char(), c);
    }
}

#[test]
fn the_history_is_24_months_oldest_first_with_unopened_months_as_slashes() {
    let months = [MonthCode::AsAgreed, MonthCode::Overdue(1), MonthCode::Overdue(2), MonthCode::AsAgreed, MonthCode::Settled];
    let s = history_string(&months);
    assert_eq!(s.len(), 24);
    assert_eq!(s, "///////////////////N12NC");
    let long: Vec<MonthCode> = (0..30).map(|k| if k < 6 { MonthCode::Overdue(7) } else { MonthCode::AsAgreed }).collect();
    assert_eq!(history_string(&long), "N".repeat(24), "only the last 24 months");
    assert_eq!(history_string(&[]), "/".repeat(24));
}

fn record() -> ChinaRecord {
    ChinaRecord {
        account: "L00000042".into(),
        borrower: "B, \"quoted\"".into(),
        month: "2026-05".into(),
        opened: "2026-01-15".into(),
        currency: "CNY".into(),
        principal: Amount(300_000),
        balance: Amount(257_831),
        overdue: Amount(52_012),
        months_overdue: 2,
        class: Classification::SpecialMention,
        status: '2',
        history: history_string(&[MonthCode::NothingDue, MonthCode::AsAgreed, MonthCode::Overdue(1), MonthCode::Overdue(2)]),
        disputed: true,
    }
}

#[test]
fn json_lines_name_the_format_and_read_back() {
    let mut out = Vec::new();
    let mut w = JsonLines::new(&mut out);
    w.record(&record()).unwrap();
    w.finish().unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), format!("{{\"format\":\"{FORMAT}\"}}"));
    let line = lines.next().unwrap();
    assert!(line.contains("\"balance\":\"2578.31\"") && line.contains("\"class\":\"special-mention\""), "{line}");
    let back: ChinaRecord = serde_json::from_str(line).unwrap();
    assert_eq!(back, record());
    assert_eq!(lines.next(), None);
}

#[test]
fn csv_has_a_header_and_quotes_what_needs_it() {
    let mut out = Vec::new();
    let mut w = Csv::new(&mut out);
    w.record(&record()).unwrap();
    w.finish().unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "format,account,borrower,month,opened,currency,principal,balance,overdue,months_overdue,class,status,history,disputed"
    );
    assert_eq!(
        lines[1],
        format!("{FORMAT},L00000042,\"B, \"\"quoted\"\"\",2026-05,2026-01-15,CNY,3000.00,2578.31,520.12,2,special-mention,2,////////////////////*N12,1")
    );
    let mut empty = Vec::new();
    Csv::new(&mut empty).finish().unwrap();
    assert_eq!(String::from_utf8(empty).unwrap().lines().count(), 1, "an empty month still has its header");
}

#[test]
fn a_mark_ages_out_five_years_after_the_overdue_ends() {
    let m = |k: &str, c: MonthCode| (k.to_owned(), c);
    let history = [
        m("2026-01", MonthCode::AsAgreed),
        m("2026-02", MonthCode::Overdue(1)),
        m("2026-03", MonthCode::Overdue(2)),
        m("2026-04", MonthCode::AsAgreed),
        m("2026-05", MonthCode::Overdue(1)),
    ];
    let marks = arrears_bureau::negative_marks(&history, 5);
    assert_eq!(marks.len(), 2);
    assert_eq!((marks[0].from.as_str(), marks[0].to.as_str(), marks[0].worst), ("2026-02", "2026-03", '2'));
    assert_eq!((marks[0].ended.as_deref(), marks[0].ages_out.as_deref()), (Some("2026-04"), Some("2031-04")));
    assert_eq!(
        (marks[1].from.as_str(), marks[1].ended.as_deref(), marks[1].ages_out.as_deref()),
        ("2026-05", None, None),
        "still overdue"
    );
    let settled = [m("2026-11", MonthCode::Overdue(3)), m("2026-12", MonthCode::Settled)];
    assert_eq!(
        arrears_bureau::negative_marks(&settled, 5)[0].ages_out.as_deref(),
        Some("2031-12"),
        "paid off: five years from then"
    );
}
