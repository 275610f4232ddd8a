//! Metro 2: written, parsed back, compared; fields at their fixed positions; the trailer's
//! totals recomputed; damaged files refused.

use arrears_bureau::metro2::{
    base_record, history_code, history_profile, parse_file, status_by_dpd, write_file, BaseSegment, Header, Metro2Error,
    Standing, RECORD_LEN,
};
use arrears_core::{Amount, Date};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn header() -> Header {
    Header {
        cycle: "01".into(),
        equifax_id: "EFX1234567".into(),
        experian_id: "EXP12".into(),
        transunion_id: "TU12345678".into(),
        activity_date: d("2026-06-30"),
        date_created: d("2026-07-01"),
        reporter_name: "EXAMPLE BANK".into(),
        reporter_address: "1 MAIN ST, NEW YORK, NY 10001".into(),
        reporter_phone: "2125550100".into(),
        software_vendor: "ARREARS".into(),
        software_version: "0.1".into(),
    }
}

fn account(n: u32, dpd: u32) -> BaseSegment {
    BaseSegment {
        time_stamp: "06302026235959".into(),
        identification_number: "ARREARS0001".into(),
        cycle: "01".into(),
        account_number: format!("U{n:08}"),
        portfolio_type: 'I',
        account_type: "01".into(),
        date_opened: d("2026-01-15"),
        highest_credit: Amount(300_099),
        terms_duration: 6,
        terms_frequency: 'M',
        scheduled_payment: Amount(52_012),
        actual_payment: Amount(if dpd == 0 { 52_012 } else { 0 }),
        account_status: status_by_dpd(dpd).into(),
        payment_rating: ' ',
        history: history_profile(&[Some(history_code(dpd.saturating_sub(30))), Some('0')], 5),
        special_comment: String::new(),
        compliance_condition: if n == 2 { "XB".into() } else { String::new() },
        current_balance: Amount(257_831),
        amount_past_due: Amount(if dpd == 0 { 0 } else { 52_099 }),
        original_charge_off: Amount::ZERO,
        date_account_information: d("2026-06-30"),
        date_first_delinquency: (dpd > 0).then(|| d("2026-05-15")),
        date_closed: None,
        date_last_payment: Some(d("2026-04-15")),
        surname: "SMITH".into(),
        first_name: "MARY".into(),
        ssn: if n == 3 { "000000000".into() } else { format!("{:09}", 123_450_000 + n) },
        date_birth: (n != 3).then(|| d("1990-02-01")),
        telephone: "2125550123".into(),
        ecoa: '1',
        address: "12 ELM ST".into(),
        city: "NEW YORK".into(),
        state: "NY".into(),
        zip: "10001".into(),
    }
}

#[test]
fn status_and_history_codes_by_days_past_due() {
    let cases = [
        (0, "11", '0'),
        (29, "11", '0'),
        (30, "71", '1'),
        (59, "71", '1'),
        (60, "78", '2'),
        (90, "80", '3'),
        (120, "82", '4'),
        (150, "83", '5'),
        (179, "83", '5'),
        (180, "84", '6'),
        (999, "84", '6'),
    ];
    for (dpd, status, code) in cases {
        assert_eq!((status_by_dpd(dpd), history_code(dpd)), (status, code), "{dpd} days");
    }
    assert_eq!(history_profile(&[Some('1'), None, Some('0')], 4), format!("1D0D{}", "B".repeat(20)));
}

#[test]
fn a_charge_off_reads_97_then_64_rated_l() {
    let cases = [
        (Standing::Open { dpd: 0 }, "11", ' ', '0'),
        (Standing::Open { dpd: 95 }, "80", ' ', '3'),
        (Standing::Paid, "13", '0', '0'),
        (Standing::ChargedOff, "97", 'L', 'L'),
        (Standing::PaidAfterChargeOff, "64", 'L', 'L'),
    ];
    for (standing, status, rating, code) in cases {
        assert_eq!(
            (standing.account_status(), standing.payment_rating(), standing.history_code()),
            (status, rating, code),
            "{standing:?}"
        );
    }
    // The status reaches the file and the trailer's count of it.
    let mut charged_off = account(1, 200);
    charged_off.account_status = "97".into();
    charged_off.payment_rating = 'L';
    let mut recovered = account(2, 0);
    recovered.account_status = "64".into();
    recovered.payment_rating = 'L';
    let parsed = parse_file(&write_file(&header(), &[charged_off, recovered])).unwrap();
    let read: Vec<(&str, char)> = parsed.bases.iter().map(|b| (b.account_status.as_str(), b.payment_rating)).collect();
    assert_eq!(read, [("97", 'L'), ("64", 'L')]);
    assert_eq!((parsed.totals.by_status.get("97"), parsed.totals.by_status.get("64")), (Some(&1), Some(&1)));
}

#[test]
fn fields_sit_at_their_positions() {
    let r = base_record(&account(1, 45));
    assert_eq!(r.len(), RECORD_LEN);
    let at = |pos: usize, len: usize| &r[pos - 1..pos - 1 + len];
    assert_eq!(at(1, 4), "0426");
    assert_eq!(at(5, 1), "1");
    assert_eq!(at(43, 30).trim_end(), "U00000001");
    assert_eq!(at(73, 1), "I");
    assert_eq!(at(76, 8), "01152026");
    assert_eq!(at(93, 9), "000003000", "highest credit in whole dollars, cents dropped");
    assert_eq!(at(102, 3), "006");
    assert_eq!(at(124, 2), "71");
    assert_eq!(at(127, 24), format!("00{}", "D".repeat(3)) + &"B".repeat(19));
    assert_eq!(at(155, 9), "000002578");
    assert_eq!(at(164, 9), "000000520");
    assert_eq!(at(182, 8), "06302026");
    assert_eq!(at(190, 8), "05152026");
    assert_eq!(at(198, 8), "00000000");
    assert_eq!(at(232, 25).trim_end(), "SMITH");
    assert_eq!(at(298, 9), "123450001");
    assert_eq!(at(325, 1), "1");
    assert_eq!(at(414, 2), "NY");
    let disputed = base_record(&account(2, 0));
    assert_eq!(&disputed[152..154], "XB");
}

#[test]
fn a_file_reads_back_as_written_with_its_trailer_recomputed() {
    let bases = vec![account(1, 0), account(2, 45), account(3, 95), account(4, 0)];
    let text = write_file(&header(), &bases);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6);
    assert!(lines.iter().all(|l| l.len() == RECORD_LEN));
    assert!(lines[0][4..10] == *"HEADER" && lines[5][4..11] == *"TRAILER");
    let file = parse_file(&text).unwrap();
    assert_eq!(file.header, header());
    // Money comes back in whole dollars, as the format keeps it.
    let whole = |a: Amount| Amount(a.0 / 100 * 100);
    for (read, wrote) in file.bases.iter().zip(&bases) {
        let mut expected = wrote.clone();
        expected.highest_credit = whole(wrote.highest_credit);
        expected.scheduled_payment = whole(wrote.scheduled_payment);
        expected.actual_payment = whole(wrote.actual_payment);
        expected.current_balance = whole(wrote.current_balance);
        expected.amount_past_due = whole(wrote.amount_past_due);
        assert_eq!(read, &expected);
    }
    let t = &file.totals;
    assert_eq!((t.base_records, t.blocks, t.ssns, t.births, t.phones), (4, 6, 3, 3, 4));
    assert_eq!(t.by_status.get("11"), Some(&2));
    assert_eq!(&lines[5][83..92], "000000002", "status 11 total at position 84");
    assert_eq!(&lines[5][146..155], "000000001", "status 71 total at position 147");
    assert_eq!(&lines[5][164..173], "000000001", "status 80 total at position 165");
}

#[test]
fn damaged_files_are_refused_naming_what_is_wrong() {
    let text = write_file(&header(), &[account(1, 0), account(2, 30)]);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // A trailer that does not add up.
    let mut wrong = lines.clone();
    wrong[3].replace_range(11..20, "000000009");
    let err = parse_file(&wrong.join("\n")).unwrap_err();
    assert_eq!(err, Metro2Error::Totals { field: "total base records".into(), found: 9, expected: 2 });
    // A short record.
    let mut short = lines.clone();
    short[1].truncate(400);
    assert_eq!(parse_file(&short.join("\n")).unwrap_err(), Metro2Error::Length { record: 2, len: 400 });
    // A bad date names its position.
    lines[1].replace_range(75..83, "13402026");
    let err = parse_file(&lines.join("\n")).unwrap_err();
    assert!(matches!(err, Metro2Error::Field { record: 2, position: 76, .. }), "{err}");
    assert_eq!(parse_file("").unwrap_err(), Metro2Error::Missing("header"));
}

#[test]
fn identifiers_are_read_the_same_way_by_the_writer_and_the_trailer() {
    use arrears_bureau::metro2::digits;
    assert_eq!(digits("123-45-6789", 9), Some(123_456_789));
    assert_eq!(digits("+1 (212) 555-0123", 11), Some(12_125_550_123));
    assert_eq!((digits("12a", 9), digits("", 9), digits("1234567890123", 10)), (None, None, None));
    let mut dashed = account(1, 0);
    dashed.ssn = "123-45-0001".into();
    dashed.telephone = "+86 138 1234 5678 90".into();
    let text = write_file(&header(), &[dashed]);
    let file = parse_file(&text).unwrap();
    assert_eq!(file.bases[0].ssn, "123450001");
    assert_eq!(
        (file.totals.ssns, file.totals.phones),
        (1, 0),
        "a number too long for the field is not counted, and is written as zeros"
    );
}
