//! Feature values of a snapshot computed by hand, and SHA-256 test vectors.

use arrears_risk::features::{compute, index_of};
use arrears_risk::sha256::hex_digest;

use crate::support::snapshot;

#[test]
fn features_of_a_snapshot_by_hand() {
    let s = snapshot([2, 1, 0, -1, -2, 0], [5_000, 4_000, 3_000, 2_000, 0, 1_000], [0, 400, 3_000, 2_000, 0, 500], 10_000, 30);
    let f = compute(&s);
    let v = |name: &str| f[index_of(name).expect(name)];
    assert_eq!(v("delay_current"), 2.0);
    assert_eq!(v("delay_worst_6m"), 2.0);
    assert_eq!(v("months_late_6m"), 2.0);
    assert_eq!(v("months_late_3m"), 2.0);
    assert_eq!(v("delay_change_3m"), 3.0); // 2 − (−1)
    assert_eq!(v("months_paid_full_6m"), 1.0);
    assert_eq!(v("months_nothing_due_6m"), 1.0);
    assert_eq!(v("months_revolving_6m"), 2.0);
    assert_eq!(v("pay_ratio_last"), 0.0); // nothing paid against 4,000
                                          // Paid 0 + 400 + 3,000 against 4,000 + 3,000 + 2,000.
    assert!((v("pay_ratio_3m") - 3_400.0 / 9_000.0).abs() < 1e-12);
    // Under 10% of the statement before: 0 of 4,000 and 0 of 1,000; 2,000 against nothing due does not count.
    assert_eq!(v("months_underpaid_6m"), 2.0);
    assert_eq!(v("utilisation"), 0.5);
    assert_eq!(v("utilisation_max_6m"), 0.5);
    assert!((v("balance_trend_3m") - 0.2).abs() < 1e-12); // (5,000 − 3,000) / 10,000
    assert_eq!(v("available_credit"), 5_000.0);
    assert_eq!(v("age"), 30.0);
}

#[test]
fn sha256_known_vectors() {
    assert_eq!(hex_digest(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(hex_digest(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let long = vec![b'a'; 1_000];
    assert_eq!(hex_digest(&long), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}
