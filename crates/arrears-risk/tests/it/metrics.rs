//! Metrics against cases computed by hand.

use arrears_risk::metrics::{auc, calibration, gini, ks, psi, psi_with_edges};

const SCORES: [f64; 4] = [0.1, 0.4, 0.4, 0.8];
const BAD: [bool; 4] = [false, false, true, true];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn auc_counts_a_tie_as_half() {
    // Pairs (bad, good): 0.4>0.1 → 1, 0.4=0.4 → ½, 0.8>0.1 → 1, 0.8>0.4 → 1: 3.5 of 4.
    assert!(close(auc(&SCORES, &BAD).unwrap(), 0.875));
    assert!(close(gini(0.875), 0.75));
    assert!(close(auc(&[0.1, 0.2, 0.3], &[false, false, true]).unwrap(), 1.0));
    assert!(close(auc(&[0.5, 0.5, 0.5], &[false, true, false]).unwrap(), 0.5));
    assert!(auc(&[0.1, 0.2], &[true, true]).is_none());
}

#[test]
fn ks_cuts_only_between_distinct_scores() {
    // From the top: 0.8 → bads ½, goods 0 (gap ½); the tie at 0.4 together → bads 1,
    // goods ½ (gap ½). Splitting the tie would wrongly give 1.
    assert!(close(ks(&SCORES, &BAD).unwrap(), 0.5));
    assert!(close(ks(&[0.1, 0.2, 0.3, 0.4], &[false, false, true, true]).unwrap(), 1.0));
    assert!(ks(&[0.3], &[false]).is_none());
}

#[test]
fn psi_by_hand() {
    // Shares ≤ 2.5 / above: expected ½ ½, actual ¾ ¼.
    let v = psi_with_edges(&[1.0, 2.0, 3.0, 4.0], &[1.0, 1.0, 1.0, 4.0], &[2.5]);
    let by_hand = 0.25 * 1.5f64.ln() + (-0.25) * 0.5f64.ln();
    assert!(close(v, by_hand), "{v} vs {by_hand}");
    let same: Vec<f64> = (0..100).map(f64::from).collect();
    assert!(close(psi(&same, &same), 0.0));
    let shifted: Vec<f64> = (0..100).map(|x| f64::from(x) + 50.0).collect();
    assert!(psi(&same, &shifted) > 0.25);
}

#[test]
fn calibration_has_ten_deciles_of_the_sorted_rows() {
    let p: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
    let bad: Vec<bool> = (0..100).map(|i| i >= 80).collect();
    let t = calibration(&p, &bad);
    assert_eq!(t.len(), 10);
    assert!(t.iter().all(|r| r.rows == 10));
    assert!(close(t[0].predicted_mean, 0.045));
    assert!(close(t[7].observed_rate, 0.0));
    assert!(close(t[8].observed_rate, 1.0));
    assert!(close(t[9].predicted_max, 0.99));
}

#[test]
fn group_folds_keep_a_loans_months_together_and_spread_the_positive_loans() {
    let groups: Vec<String> = (0..200).flat_map(|g| (0..3).map(move |_| format!("L{g}"))).collect();
    let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    let labels: Vec<bool> = (0..600).map(|i| (i / 3) % 10 == 0 && i % 3 == 2).collect();
    let folds = arrears_risk::rng::group_folds(&refs, &labels, 5, 1);
    for g in 0..200 {
        let f: Vec<usize> = (0..3).map(|k| folds[g * 3 + k]).collect();
        assert!(f.iter().all(|&x| x == f[0]), "loan {g} split across folds: {f:?}");
    }
    for k in 0..5 {
        let positives = (0..600).filter(|&i| labels[i] && folds[i] == k).count();
        assert_eq!(positives, 4, "20 positive loans dealt over 5 folds");
    }
    assert_eq!(folds, arrears_risk::rng::group_folds(&refs, &labels, 5, 1), "the same seed, the same folds");
}
