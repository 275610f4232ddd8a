//! Court fees at every bracket edge, post-judgment interest, and the limitation period.

use arrears_core::{Amount, Date};
use arrears_legal::{acceptance_fee, enforcement_fee, late_performance_interest, preservation_fee, Limitation, Procedure};

fn amt(s: &str) -> Amount {
    Amount::parse(s).unwrap()
}

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn the_acceptance_fee_at_every_bracket_edge() {
    // (claim, ordinary fee): 50 up to 10,000; then each part at its rate, cumulatively.
    let cases = [
        ("0.01", "50.00"),
        ("10000.00", "50.00"),
        ("10000.01", "50.00"),
        ("10000.02", "50.00"),
        ("10001.00", "50.03"),
        ("50000.00", "1050.00"),
        ("100000.00", "2300.00"),
        ("100000.01", "2300.00"),
        ("200000.00", "4300.00"),
        ("500000.00", "8800.00"),
        ("1000000.00", "13800.00"),
        ("2000000.00", "22800.00"),
        ("5000000.00", "46800.00"),
        ("10000000.00", "81800.00"),
        ("20000000.00", "141800.00"),
        ("20000001.00", "141800.01"),
        ("30000000.00", "191800.00"),
    ];
    for (claim, fee) in cases {
        assert_eq!(acceptance_fee(amt(claim), Procedure::Ordinary), amt(fee), "claim {claim}");
    }
}

#[test]
fn summary_mediation_and_payment_orders_pay_less() {
    let claim = amt("50000.00");
    assert_eq!(acceptance_fee(claim, Procedure::Summary), amt("525.00"));
    assert_eq!(acceptance_fee(claim, Procedure::Mediation), amt("525.00"));
    assert_eq!(acceptance_fee(claim, Procedure::PaymentOrder), amt("350.00"));
    // Halving an odd fen rounds half up.
    assert_eq!(acceptance_fee(amt("10001.00"), Procedure::Summary), amt("25.02"));
    for p in Procedure::ALL {
        assert_eq!(Procedure::parse(p.code()), Some(p));
    }
    assert_eq!(Procedure::parse("fast"), None);
}

#[test]
fn preservation_is_capped_and_enforcement_scales() {
    assert_eq!(preservation_fee(amt("800.00")), amt("30.00"));
    assert_eq!(preservation_fee(amt("1000.00")), amt("30.00"));
    assert_eq!(preservation_fee(amt("100000.00")), amt("1020.00"));
    assert_eq!(preservation_fee(amt("500000.00")), amt("3020.00"));
    assert_eq!(preservation_fee(amt("2000000.00")), amt("5000.00"), "at most 5,000");
    assert_eq!(enforcement_fee(amt("10000.00")), amt("50.00"));
    assert_eq!(enforcement_fee(amt("500000.00")), amt("7400.00"));
    assert_eq!(enforcement_fee(amt("5000000.00")), amt("52400.00"));
    assert_eq!(enforcement_fee(amt("10000000.00")), amt("77400.00"));
    assert_eq!(enforcement_fee(amt("20000000.00")), amt("87400.00"));
}

#[test]
fn judgment_money_paid_late_bears_0_0175_percent_a_day() {
    // 100,000.00 for 30 days: 100,000 × 0.000175 × 30 = 525.00.
    assert_eq!(late_performance_interest(amt("100000.00"), d("2026-06-30"), d("2026-07-30")), amt("525.00"));
    assert_eq!(late_performance_interest(amt("100000.00"), d("2026-06-30"), d("2026-06-30")), Amount::ZERO);
    assert_eq!(late_performance_interest(amt("100000.00"), d("2026-06-30"), d("2026-06-01")), Amount::ZERO);
    // 1,234.56 for one day: 0.216048 → 0.22.
    assert_eq!(late_performance_interest(amt("1234.56"), d("2026-06-30"), d("2026-07-01")), amt("0.22"));
}

#[test]
fn the_limitation_period_runs_three_years_from_the_last_due_date_or_its_restart() {
    let last_due = d("2026-06-15");
    let plain = Limitation::on(last_due, &[], d("2029-06-15"));
    assert_eq!((plain.expires, plain.time_barred, plain.days_left, plain.alert), (d("2029-06-15"), false, 0, Some(30)));
    assert!(Limitation::on(last_due, &[], d("2029-06-16")).time_barred);
    assert_eq!(Limitation::on(last_due, &[], d("2029-03-17")).alert, Some(90));
    assert_eq!(Limitation::on(last_due, &[], d("2029-03-16")).alert, None);
    assert_eq!(Limitation::on(last_due, &[], d("2029-05-16")).alert, Some(30));
    // A demand a year later starts it again; one before the last due date does not count, nor
    // one in the future.
    let restarted = Limitation::on(last_due, &[d("2026-03-01"), d("2027-06-20"), d("2031-01-01")], d("2029-07-01"));
    assert_eq!(
        (restarted.runs_from, restarted.restarted, restarted.expires, restarted.time_barred),
        (d("2027-06-20"), true, d("2030-06-20"), false)
    );
    // Once run out, a later demand does not revive it.
    let late = Limitation::on(last_due, &[d("2029-08-01")], d("2029-09-01"));
    assert_eq!((late.runs_from, late.restarted, late.time_barred), (last_due, false, true));
}

mod bundle {
    use std::io::{Cursor, Read, Write};

    use arrears_legal::bundle::{new_key, pack, public_key, verify, BundleError, BundleFile, MANIFEST, SIGNATURE};

    use super::d;

    fn files() -> Vec<BundleFile> {
        vec![
            BundleFile { name: "contract.json".into(), bytes: br#"{"principal":"3000.00"}"#.to_vec() },
            BundleFile {
                name: "repayment-ledger.csv".into(),
                bytes: "date,account,amount\n2026-01-15,funding,-3000.00\n".into(),
            },
            BundleFile { name: "demand-letters.txt".into(), bytes: "催收函：王芳您好……".as_bytes().to_vec() },
        ]
    }

    /// The entries of a zip, to rebuild it with one change.
    fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut f = archive.by_index(i).unwrap();
                let name = f.name().unwrap().into_owned();
                let mut data = Vec::new();
                f.read_to_end(&mut data).unwrap();
                (name, data)
            })
            .collect()
    }

    fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_bundle_verifies_and_any_change_is_found() {
        let key = new_key().unwrap();
        let lender = public_key(&key).unwrap();
        let bytes = pack("L1", d("2026-06-01"), &files(), &key).unwrap();
        let manifest = verify(&bytes, Some(&lender)).unwrap();
        assert_eq!((manifest.loan.as_str(), manifest.files.len(), manifest.public_key.as_str()), ("L1", 3, lender.as_str()));
        assert_eq!(manifest.files[0].sha256.len(), 64);

        // One byte changed anywhere in the zip, data or records: refused.
        for at in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[at] ^= 0x01;
            assert!(verify(&changed, Some(&lender)).is_err(), "a change at byte {at} was not found");
        }
        // The same files always make the same bundle.
        assert_eq!(pack("L1", d("2026-06-01"), &files(), &key).unwrap(), bytes);
        let good = entries(&bytes);
        // A file altered, removed, or added, the manifest kept.
        let mut altered = good.clone();
        altered[1].1.push(b'\n');
        assert_eq!(verify(&rezip(&altered), None), Err(BundleError::Altered("repayment-ledger.csv".into())));
        let removed: Vec<_> = good.iter().filter(|(n, _)| n != "contract.json").cloned().collect();
        assert_eq!(verify(&rezip(&removed), None), Err(BundleError::Missing("contract.json".into())));
        let mut added = good.clone();
        added.push(("receipt.txt".into(), b"paid".to_vec()));
        assert_eq!(verify(&rezip(&added), None), Err(BundleError::Added("receipt.txt".into())));
        // The manifest changed to match an altered file: its signature no longer verifies.
        let mut forged = altered.clone();
        let m = forged.iter_mut().find(|(n, _)| n == MANIFEST).unwrap();
        let text = String::from_utf8(m.1.clone()).unwrap();
        let old = super::sha_of(&good[1].1);
        m.1 = text.replace(&old, &super::sha_of(&altered[1].1)).into_bytes();
        assert_eq!(verify(&rezip(&forged), None), Err(BundleError::BadSignature));
        // Signed by another key: genuine, but not the lender's.
        let other = pack("L1", d("2026-06-01"), &files(), &new_key().unwrap()).unwrap();
        assert!(verify(&other, None).is_ok());
        assert!(matches!(verify(&other, Some(&lender)), Err(BundleError::WrongKey { .. })));
        // Not a bundle at all.
        let plain: Vec<_> = good.iter().filter(|(n, _)| n != SIGNATURE).cloned().collect();
        assert_eq!(verify(&rezip(&plain), None), Err(BundleError::NotABundle(SIGNATURE)));
        assert!(matches!(verify(b"not a zip", None), Err(BundleError::Zip(_))));
    }

    #[test]
    fn bad_names_and_keys_are_refused() {
        let key = new_key().unwrap();
        let bad = [BundleFile { name: "../etc/passwd".into(), bytes: vec![] }];
        assert_eq!(pack("L1", d("2026-06-01"), &bad, &key), Err(BundleError::Name("../etc/passwd".into())));
        let named_manifest = [BundleFile { name: MANIFEST.into(), bytes: vec![] }];
        assert!(pack("L1", d("2026-06-01"), &named_manifest, &key).is_err());
        assert_eq!(public_key("abc").unwrap_err().to_string(), "key: a signing key is 64 hex digits");
    }
}

/// The SHA-256 of bytes, hex (for the forged manifest).
fn sha_of(bytes: &[u8]) -> String {
    arrears_legal::bundle::sha256(bytes)
}
