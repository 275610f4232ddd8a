//! Builders for snapshots and training files, and the real data file.

use arrears_risk::{Delay, Month, Snapshot};

pub const HEADER: &str = "ID,LIMIT_BAL,SEX,EDUCATION,MARRIAGE,AGE,PAY_0,PAY_2,PAY_3,PAY_4,PAY_5,PAY_6,BILL_AMT1,BILL_AMT2,BILL_AMT3,BILL_AMT4,BILL_AMT5,BILL_AMT6,PAY_AMT1,PAY_AMT2,PAY_AMT3,PAY_AMT4,PAY_AMT5,PAY_AMT6,default.payment.next.month";

/// A snapshot from statuses, amounts due and amounts paid (most recent first).
pub fn snapshot(status: [i8; 6], due: [i64; 6], paid: [i64; 6], line: i64, age: u32) -> Snapshot {
    let mut months = [Month { status: Delay::REVOLVING, due_minor: 0, paid_minor: 0 }; 6];
    for k in 0..6 {
        months[k] = Month { status: Delay::new(status[k]).expect("valid status"), due_minor: due[k], paid_minor: paid[k] };
    }
    Snapshot { months, credit_line_minor: line, age_years: age, sex: Some(1), marriage: Some(1) }
}

/// One CSV line of the training format.
pub fn csv_line(id: usize, s: &Snapshot, defaulted: bool) -> String {
    let mut f = vec![
        id.to_string(),
        s.credit_line_minor.to_string(),
        s.sex.unwrap_or(0).to_string(),
        "2".into(),
        s.marriage.unwrap_or(0).to_string(),
        s.age_years.to_string(),
    ];
    f.extend(s.months.iter().map(|m| m.status.code().to_string()));
    f.extend(s.months.iter().map(|m| m.due_minor.to_string()));
    f.extend(s.months.iter().map(|m| m.paid_minor.to_string()));
    f.push(u8::from(defaulted).to_string());
    f.join(",")
}

/// A synthetic book where default follows a rule on the current delay, with noise from a
/// simple deterministic generator.
pub fn synthetic_csv(rows: usize, noise_every: usize) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for i in 0..rows {
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33;
        let status0 = (h % 5) as i8 - 2; // -2..=2
        let older = ((h >> 8) % 3) as i8 - 1;
        let due = 1_000 + (h >> 16) as i64 % 50_000;
        let paid = due / 10;
        let s = snapshot(
            [status0, older, older, 0, 0, 0],
            [due, due, due, due, due, due],
            [paid, paid, paid, paid, paid, paid],
            100_000 + ((h >> 24) % 5) as i64 * 50_000,
            25 + (h % 30) as u32,
        );
        let mut bad = status0 >= 1;
        if noise_every > 0 && i % noise_every == 0 {
            bad = !bad;
        }
        out.push_str(&csv_line(i + 1, &s, bad));
        out.push('\n');
    }
    out
}

/// The first `rows` data rows of the shipped training file, with its header.
pub fn real_sample(rows: usize) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/taiwan_credit_default_train.csv");
    let text = std::fs::read_to_string(path).expect("data/taiwan_credit_default_train.csv is in the repository");
    text.lines().take(rows + 1).map(|l| format!("{l}\n")).collect()
}
