//! The same data and seed give the same model, byte for byte.

use arrears_risk::data::read_csv;
use arrears_risk::model::{ModelKind, Provenance, RiskModel, TrainOptions};

use crate::support::real_sample;

fn train(kind: ModelKind, seed: u64) -> String {
    let data = read_csv(real_sample(1_500).as_bytes()).unwrap();
    let mut opts = TrainOptions { seed, ..TrainOptions::new(kind) };
    opts.gbdt.max_trees = 60;
    let p = Provenance { data_file: "sample.csv".into(), data_sha256: "x".into(), trained_on: "2026-01-01".into() };
    RiskModel::train(&data, &opts, &p).unwrap().to_json()
}

#[test]
fn same_seed_same_bytes() {
    assert_eq!(train(ModelKind::Gbdt, 7), train(ModelKind::Gbdt, 7));
    assert_eq!(train(ModelKind::Scorecard, 7), train(ModelKind::Scorecard, 7));
}

#[test]
fn another_seed_another_forest() {
    assert_ne!(train(ModelKind::Gbdt, 7), train(ModelKind::Gbdt, 8));
}

#[test]
fn a_model_survives_its_json() {
    for kind in [ModelKind::Scorecard, ModelKind::Gbdt] {
        let json = train(kind, 3);
        let back = RiskModel::from_json(&json).unwrap();
        assert_eq!(back.to_json(), json);
    }
}

#[test]
fn a_damaged_model_file_is_refused() {
    let json = train(ModelKind::Gbdt, 3);
    // A child pointing back to the root would make a walk loop for ever.
    let damaged = json.replacen("\"l\":1,", "\"l\":0,", 1);
    assert_ne!(damaged, json);
    let err = RiskModel::from_json(&damaged).unwrap_err();
    assert!(err.to_string().contains("bad split"), "{err}");
    let (card, model) = json.split_at(json.find("\"model\":").unwrap());
    let renamed = format!("{card}{}", model.replacen("\"delay_current\"", "\"shoe_size\"", 1));
    assert!(RiskModel::from_json(&renamed).unwrap_err().to_string().contains("shoe_size"));
}
