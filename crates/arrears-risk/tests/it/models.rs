//! WOE monotonicity, the logistic regression, boosted trees learning a rule, reason codes,
//! and an AUC sanity threshold on unseen rows of the real data.

use arrears_risk::binning::{bin_feature, BinningOptions};
use arrears_risk::data::read_csv;
use arrears_risk::features::{compute, index_of};
use arrears_risk::logistic::fit;
use arrears_risk::model::{ModelKind, Provenance, RiskModel, TrainOptions};
use arrears_risk::Dataset;

use crate::support::{real_sample, snapshot, synthetic_csv};

fn provenance() -> Provenance {
    Provenance { data_file: "test.csv".into(), data_sha256: String::new(), trained_on: "2026-01-01".into() }
}

fn split(data: &Dataset, first: usize) -> (Dataset, Dataset) {
    let n = data.len();
    (data.subset(&(0..first).collect::<Vec<_>>()), data.subset(&(first..n).collect::<Vec<_>>()))
}

#[test]
fn woe_bins_are_monotone_on_real_features() {
    let data = read_csv(real_sample(3_000).as_bytes()).unwrap();
    let bad = data.labels();
    let rows: Vec<_> = data.records.iter().map(|r| compute(&r.snapshot)).collect();
    for name in ["delay_current", "pay_ratio_3m", "utilisation", "credit_line", "age"] {
        let k = index_of(name).unwrap();
        let values: Vec<f64> = rows.iter().map(|r| r[k]).collect();
        let bins = bin_feature(name, &values, &bad, &BinningOptions::default());
        let rates: Vec<f64> = bins.bins.iter().map(|b| b.bad_rate()).collect();
        let up = rates.windows(2).all(|w| w[0] < w[1]);
        let down = rates.windows(2).all(|w| w[0] > w[1]);
        assert!(up || down, "{name}: bad rates {rates:?} are not monotone");
        // WOE runs against the bad rate: ln(good share / bad share).
        let woe_down = bins.bins.windows(2).all(|w| w[0].woe > w[1].woe);
        assert_eq!(up, woe_down, "{name}");
        assert!(bins.bins.iter().all(|b| b.rows >= 90), "{name}: a bin under 3% of 3,000 rows");
        assert_eq!(bins.bins.iter().map(|b| b.rows).sum::<u64>(), 3_000);
    }
}

#[test]
fn logistic_regression_matches_the_closed_form() {
    // x = 0: 1 bad in 4; x = 1: 3 bad in 4. Unpenalised MLE: intercept ln(1/3), slope 2·ln 3.
    let x = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
    let y = [true, false, false, false, true, true, true, false];
    let m = fit(&x, 1, &y, 0.0);
    assert!(m.converged);
    assert!((m.intercept - (1.0f64 / 3.0).ln()).abs() < 1e-6, "{m:?}");
    assert!((m.coefficients[0] - 2.0 * 3.0f64.ln()).abs() < 1e-6, "{m:?}");
    // A penalty pulls the slope towards zero.
    assert!(fit(&x, 1, &y, 1.0).coefficients[0] < m.coefficients[0]);
}

#[test]
fn logistic_regression_on_separable_data_stays_finite_with_l2() {
    let x = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0];
    let y = [false, false, false, true, true, true];
    let m = fit(&x, 1, &y, 0.1);
    assert!(m.converged && m.coefficients[0].is_finite() && m.coefficients[0] > 1.0, "{m:?}");
    let p = |v: f64| m.logit(&[v]);
    assert!(p(-0.5) < 0.0 && p(0.5) > 0.0);
}

#[test]
fn gbdt_learns_a_rule() {
    // Default when the current delay is a month or more, with 1 row in 25 flipped.
    let data = read_csv(synthetic_csv(2_000, 25).as_bytes()).unwrap();
    let (train, test) = split(&data, 1_500);
    let mut opts = TrainOptions::new(ModelKind::Gbdt);
    opts.gbdt.max_trees = 100;
    opts.gbdt.learning_rate = 0.1;
    let m = RiskModel::train(&train, &opts, &provenance()).unwrap();
    let e = m.evaluate(&test).unwrap();
    assert!(e.summary.auc > 0.93, "AUC {}", e.summary.auc);
    let late = snapshot([2, 0, 0, 0, 0, 0], [9_000; 6], [0; 6], 100_000, 40);
    let fine = snapshot([-1, 0, 0, 0, 0, 0], [9_000; 6], [900; 6], 100_000, 40);
    assert!(m.probability(&late) > 0.8 && m.probability(&fine) < 0.2);
    let s = m.score(&late);
    assert_eq!(s.reasons[0].feature.split('_').next(), Some("delay"), "{:?}", s.reasons);
}

#[test]
fn models_rank_unseen_real_rows() {
    let data = read_csv(real_sample(4_000).as_bytes()).unwrap();
    let (train, test) = split(&data, 3_000);
    for kind in [ModelKind::Scorecard, ModelKind::Gbdt] {
        let mut opts = TrainOptions::new(kind);
        opts.gbdt.max_trees = 300;
        let m = RiskModel::train(&train, &opts, &provenance()).unwrap();
        let e = m.evaluate(&test).unwrap();
        assert!(e.summary.auc > 0.70, "{kind:?}: AUC {} on 1,000 unseen rows", e.summary.auc);
        assert_eq!(m.card.excluded_attributes, ["sex", "marriage"]);
        assert!(!m.card.features.iter().any(|f| f == "sex" || f == "marriage"));
    }
}

#[test]
fn protected_attributes_only_on_request() {
    let data = read_csv(real_sample(1_000).as_bytes()).unwrap();
    let opts = TrainOptions { include_protected: true, ..TrainOptions::new(ModelKind::Gbdt) };
    let m = RiskModel::train(&data, &opts, &provenance()).unwrap();
    assert!(m.card.excluded_attributes.is_empty());
}

#[test]
fn scorecard_points_and_reasons() {
    let data = read_csv(real_sample(3_000).as_bytes()).unwrap();
    let m = RiskModel::train(&data, &TrainOptions::new(ModelKind::Scorecard), &provenance()).unwrap();
    let card = m.scorecard().unwrap();
    // Points fall as risk rises, and the score is the sum of the bin table's lines.
    let late = snapshot([2, 2, 2, 0, 0, 0], [9_000; 6], [0; 6], 20_000, 40);
    let fine = snapshot([-1, -1, -1, -1, -1, -1], [1_000; 6], [1_000; 6], 200_000, 40);
    let (sl, sf) = (m.score(&late), m.score(&fine));
    assert!(sl.points < sf.points && sl.probability > sf.probability, "{sl:?} {sf:?}");
    // 600 points at odds 50:1, 20 to double: points = 600 + 20/ln2 · ln(odds / 50).
    let odds = (1.0 - sl.probability) / sl.probability;
    let expected = 600.0 + 20.0 / std::f64::consts::LN_2 * (odds / 50.0).ln();
    assert!((sl.points as f64 - expected).abs() <= 0.5 + 1e-6, "{} vs {expected}", sl.points);
    assert!(sl.reasons.len() == 3 && sl.reasons.windows(2).all(|w| w[0].impact >= w[1].impact));
    assert!(sl.reasons.iter().any(|r| r.feature.starts_with("delay") || r.feature.starts_with("months_late")), "{sl:?}");
    assert!(sl.reasons[0].en.contains(':') && sl.reasons[0].zh.contains('：'), "{:?}", sl.reasons[0]);
    // The bin table: a CSV with a header and every bin.
    let mut csv = Vec::new();
    card.write_bin_table(&mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("feature,bin,rows,bad_rate,woe,points\n(base),all,3000,"), "{csv}");
    let bins: usize = card.features.iter().map(|f| f.bins.bins.len()).sum();
    assert_eq!(csv.lines().count(), 2 + bins);
}

#[test]
fn gbdt_reasons_add_up_to_the_score() {
    let data = read_csv(real_sample(2_000).as_bytes()).unwrap();
    let mut opts = TrainOptions::new(ModelKind::Gbdt);
    opts.gbdt.max_trees = 80;
    let m = RiskModel::train(&data, &opts, &provenance()).unwrap();
    let arrears_risk::model::Body::Gbdt(g) = &m.model else { panic!("a forest") };
    for r in data.records.iter().take(50) {
        let row = compute(&r.snapshot);
        let (bias, contrib) = g.contributions(&row);
        assert!((bias + contrib.iter().sum::<f64>() - g.logit(&row)).abs() < 1e-9);
    }
    let late = snapshot([3, 2, 2, 2, 0, 0], [9_000; 6], [0; 6], 20_000, 40);
    let reasons = m.score(&late).reasons;
    assert!(!reasons.is_empty() && reasons.len() <= 3);
    assert!(reasons.iter().all(|r| r.impact > 0.0 && !r.en.is_empty() && !r.zh.is_empty()));
}

#[test]
fn drift_is_small_on_the_training_population_and_flagged_on_a_shifted_one() {
    let data = read_csv(real_sample(3_000).as_bytes()).unwrap();
    let model = RiskModel::train(&data, &TrainOptions::new(ModelKind::Scorecard), &provenance()).unwrap();
    let reference = model.reference.as_ref().expect("training records the reference");
    assert_eq!(reference.features.len(), arrears_risk::DRIFT_FEATURES.len());
    let score_all = |d: &Dataset| -> (Vec<f64>, Vec<Vec<f64>>) {
        let rows: Vec<Vec<f64>> = d.records.iter().map(|r| compute(&r.snapshot).to_vec()).collect();
        let points = d.records.iter().map(|r| model.score(&r.snapshot).points as f64).collect();
        (points, rows)
    };
    let (points, rows) = score_all(&data);
    let same = model.drift(&points, &rows).unwrap();
    assert!(same.points_psi < 0.01 && !same.flagged(), "{same:?}");
    // Everyone two months late with nothing paid: a population the model never saw.
    let shifted: Vec<_> = data
        .records
        .iter()
        .map(|r| {
            let mut s = r.snapshot.clone();
            for m in &mut s.months {
                m.status = arrears_risk::Delay::new(2).unwrap();
                m.paid_minor = 0;
            }
            s
        })
        .collect();
    let rows: Vec<Vec<f64>> = shifted.iter().map(|s| compute(s).to_vec()).collect();
    let points: Vec<f64> = shifted.iter().map(|s| model.score(s).points as f64).collect();
    let moved = model.drift(&points, &rows).unwrap();
    assert!(moved.flagged() && moved.points_psi > 0.25, "{moved:?}");
    let delay = moved.features_psi.iter().find(|(n, _)| n == "delay_current").unwrap().1;
    assert!(delay > 0.25, "{moved:?}");
    // The reference survives the model file.
    let again = RiskModel::from_json(&model.to_json()).unwrap();
    assert_eq!(again.reference, model.reference);
}
