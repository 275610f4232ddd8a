//! A bad training file is refused with the column and the line named.

use arrears_risk::data::{read_csv, DataError, TARGET};
use arrears_risk::model::{ModelKind, Provenance, RiskModel, TrainOptions};

use crate::support::{synthetic_csv, HEADER};

#[test]
fn a_missing_column_is_named() {
    let text = synthetic_csv(5, 0).replacen("BILL_AMT3", "BILL3", 1);
    let err = read_csv(text.as_bytes()).unwrap_err();
    assert_eq!(err, DataError::MissingColumn { column: "BILL_AMT3".into() });
    assert!(err.to_string().contains("`BILL_AMT3`"), "{err}");
}

#[test]
fn a_non_numeric_value_names_column_and_line() {
    let mut lines: Vec<String> = synthetic_csv(5, 0).lines().map(String::from).collect();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[13] = "n/a".into(); // BILL_AMT2
    lines[3] = cells.join(",");
    let err = read_csv(lines.join("\n").as_bytes()).unwrap_err();
    match &err {
        DataError::BadValue { line, column, value, .. } => {
            assert_eq!((*line, column.as_str(), value.as_str()), (4, "BILL_AMT2", "n/a"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().starts_with("line 4, column `BILL_AMT2`: `n/a` is not"), "{err}");
}

#[test]
fn a_status_out_of_range_and_a_fractional_amount_are_refused() {
    let row = |status: &str, paid: &str| format!("{HEADER}\n1,1000,1,2,1,30,{status},0,0,0,0,0,1,1,1,1,1,1,{paid},0,0,0,0,0,1\n");
    let err = read_csv(row("12", "0").as_bytes()).unwrap_err();
    assert!(matches!(&err, DataError::BadValue { line: 2, column, .. } if column == "PAY_0"), "{err}");
    let err = read_csv(row("0", "10.5").as_bytes()).unwrap_err();
    assert!(matches!(&err, DataError::BadValue { line: 2, column, .. } if column == "PAY_AMT1"), "{err}");
    // A whole amount written with a decimal point is fine.
    assert!(read_csv(format!("{}2,1000,1,2,1,30,1,0,0,0,0,0,1,1,1,1,1,1,5.0,0,0,0,0,0,0\n", row("0", "0")).as_bytes()).is_ok());
}

#[test]
fn a_short_row_names_its_line() {
    let text = format!("{HEADER}\n1,1000,1,2,1,30\n");
    match read_csv(text.as_bytes()).unwrap_err() {
        DataError::Csv { line, .. } => assert_eq!(line, 2),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_single_class_is_refused_naming_the_target() {
    // Every row good: the noise-free synthetic book with every current status at most zero.
    let text: String = synthetic_csv(200, 0)
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.ends_with(",0"))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let err = read_csv(text.as_bytes()).unwrap_err();
    assert_eq!(err, DataError::SingleClass { column: TARGET.into(), class: 0 });
    assert!(err.to_string().contains(TARGET), "{err}");
    // Training refuses it as well, whatever the reader allowed.
    let data = arrears_risk::data::read_csv_any_classes(text.as_bytes()).unwrap();
    let p = Provenance { data_file: "t.csv".into(), data_sha256: String::new(), trained_on: "2026-01-01".into() };
    assert!(RiskModel::train(&data, &TrainOptions::new(ModelKind::Scorecard), &p).is_err());
}

#[test]
fn an_empty_file_is_refused() {
    assert_eq!(read_csv(format!("{HEADER}\n").as_bytes()).unwrap_err(), DataError::Empty);
}
