//! Loan tapes: all or nothing, every bad row named by line and field.

use arrears_app::import::{import_csv, ImportReport};
use arrears_app::AppError;

use crate::story;
use crate::support::TestDb;

const HEADER: &str = "loan_no,borrower_id,product,principal,annual_rate,term_months,method,start_date,first_due_date\n";

fn loans(store: &mut arrears_store::Store) -> i64 {
    store.read(|tx| tx.next_loan_seq()).unwrap() - 1
}

story!(a_good_tape_imports_every_row, |db: &TestDb| {
    let mut store = db.init();
    let csv = format!(
        "{HEADER}A1,B1,CASH,5000.00,18,12,annuity,2026-01-15,\nA2,B2,CASH-FEE,800,7.2,3,equal-principal,2026-01-20,2026-03-01\n"
    );
    let mut report = ImportReport::default();
    import_csv(&mut store, csv.as_bytes(), false, &mut report).unwrap();
    assert_eq!((report.rows, report.imported), (2, 2));
    assert_eq!(loans(&mut store), 2);
});

story!(a_tape_with_bad_rows_imports_nothing_and_names_them, |db: &TestDb| {
    let mut store = db.init();
    let csv = format!(
        "{HEADER}A1,B1,CASH,5000.00,18,12,annuity,2026-01-15,\n\
         A2,B2,CASH,-5,18,12,annuity,2026-01-15,\n\
         A3,B3,CASH,5000.00,18,12,annuity,2026-02-30,\n\
         A4,B4,NOPE,5000.00,18,12,annuity,2026-01-15,\n\
         A5,B5,CASH,5000.00,30,12,annuity,2026-01-15,\n\
         A1,B6,CASH,5000.00,18,12,annuity,2026-01-15,\n\
         A7,B7,CASH,5000.00,18,12,weekly,2026-01-15,\n\
         A8,B8,CASH,5000.00,18,0,annuity,2026-01-15,\n\
         A9,B9,CASH,5000.00,0.072,12,annuity,2026-01-15,\n"
    );
    let mut report = ImportReport::default();
    let err = import_csv(&mut store, csv.as_bytes(), false, &mut report).unwrap_err();
    assert!(matches!(err, AppError::ImportRejected(8)), "{err}");
    let got: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "principal"),
            (4, "start_date"),
            (5, "product"),
            (6, "annual_rate"),
            (7, "loan_no"),
            (8, "method"),
            (9, "term_months"),
            (10, "annual_rate")
        ]
    );
    assert_eq!(loans(&mut store), 0, "all or nothing");

    let mut report = ImportReport::default();
    import_csv(&mut store, csv.as_bytes(), true, &mut report).unwrap();
    assert_eq!((report.imported, report.errors.len()), (1, 8));
    assert_eq!(loans(&mut store), 1);
    let mut rejects = Vec::new();
    arrears_app::import::write_rejects(&report, &mut rejects).unwrap();
    let rejects = String::from_utf8(rejects).unwrap();
    assert_eq!(rejects.lines().count(), 9, "a header and one line per bad row:\n{rejects}");
});

story!(a_loan_already_in_the_database_is_refused, |db: &TestDb| {
    let mut store = db.init();
    let csv = format!("{HEADER}A1,B1,CASH,5000.00,18,12,annuity,2026-01-15,\n");
    import_csv(&mut store, csv.as_bytes(), false, &mut ImportReport::default()).unwrap();
    let mut report = ImportReport::default();
    let err = import_csv(&mut store, csv.as_bytes(), false, &mut report).unwrap_err();
    assert!(matches!(err, AppError::ImportRejected(1)), "{err}");
    assert_eq!(report.errors[0].field, "loan_no");
    assert_eq!(loans(&mut store), 1);
});

story!(a_missing_column_is_named, |db: &TestDb| {
    let mut store = db.init();
    let err = import_csv(&mut store, "loan_no,borrower_id\nA,B\n".as_bytes(), false, &mut ImportReport::default()).unwrap_err();
    assert!(err.to_string().contains("missing column `product`"), "{err}");
});

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

story!(an_xlsx_tape_reads_numbers_dates_and_text_exactly, |db: &TestDb| {
    let mut store = db.init();
    let mut report = ImportReport::default();
    arrears_app::import::import_xlsx(&mut store, &fixture("loans.xlsx"), false, &mut report).unwrap();
    assert_eq!((report.rows, report.imported), (3, 3));
    let loans = store.read(|tx| tx.loans_page(0, 10)).unwrap();
    let got: Vec<String> = loans
        .iter()
        .map(|l| {
            let t = &l.terms;
            format!(
                "{} {} {} {} {} {} {} {}",
                l.loan_no,
                l.product,
                t.principal(),
                t.annual_rate(),
                t.term_months(),
                t.method(),
                t.start_date(),
                t.first_due_date()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "X1 CASH 5000.00 18% 12 annuity 2026-01-15 2026-02-15",
            "X2 CASH-FEE 800.50 7.2% 3 equal-principal 2026-01-20 2026-03-01",
            "X3 CASH 12000.00 12% 6 interest-only 2026-02-01 2026-03-01",
        ]
    );
});

story!(a_bad_xlsx_tape_imports_nothing_and_names_each_cell, |db: &TestDb| {
    let mut store = db.init();
    let mut report = ImportReport::default();
    let err = arrears_app::import::import_xlsx(&mut store, &fixture("loans-bad.xlsx"), false, &mut report).unwrap_err();
    assert!(matches!(err, AppError::ImportRejected(3)), "{err}");
    let got: Vec<(u64, &str)> = report.errors.iter().map(|e| (e.line, e.field.as_str())).collect();
    assert_eq!(got, [(3, "principal"), (4, "term_months"), (5, "start_date")]);
    assert!(report.errors[0].message.contains("100.123"), "the amount is refused, not rounded: {}", report.errors[0].message);
    assert_eq!(loans(&mut store), 0);
});
