//! A trained risk model with its model card: training ([`RiskModel::train`]), scoring one
//! snapshot into a [`Score`] with reasons, evaluation on a labelled [`Dataset`], and JSON.

use serde::{Deserialize, Serialize};

use crate::data::{DataError, Dataset};
use crate::features::{self, index_of, Reason, Snapshot, FEATURES};
use crate::gbdt::{Gbdt, GbdtOptions};
use crate::metrics::{self, CalibrationRow, Summary};
use crate::scorecard::{Scaling, Scorecard, ScorecardOptions};

/// Version of the model file format; a reader refuses other versions.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Scorecard,
    Gbdt,
}

impl std::str::FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<ModelKind, String> {
        match s {
            "scorecard" => Ok(ModelKind::Scorecard),
            "gbdt" => Ok(ModelKind::Gbdt),
            _ => Err(format!("`{s}` is not a model kind; use scorecard or gbdt")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    pub kind: ModelKind,
    pub seed: u64,
    /// Use sex and marital status (only to measure what leaving them out costs).
    pub include_protected: bool,
    pub scorecard: ScorecardOptions,
    pub gbdt: GbdtOptions,
}

impl TrainOptions {
    pub fn new(kind: ModelKind) -> TrainOptions {
        TrainOptions {
            kind,
            seed: 1,
            include_protected: false,
            scorecard: ScorecardOptions::default(),
            gbdt: GbdtOptions::default(),
        }
    }
}

/// Where the training data came from and when the model was trained, as the caller knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    pub data_file: String,
    pub data_sha256: String,
    /// The training date, passed in (the crate reads no clock).
    pub trained_on: String,
}

/// What a reviewer needs to know about a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    pub format_version: u32,
    pub kind: ModelKind,
    pub purpose: String,
    pub data_file: String,
    pub data_sha256: String,
    pub rows: usize,
    pub defaults: usize,
    pub trained_on: String,
    pub seed: u64,
    pub features: Vec<String>,
    pub excluded_attributes: Vec<String>,
    /// Metrics on the rows the model was fitted on (optimistic).
    pub training_metrics: Summary,
    /// Metrics on the boosted model's held-out early-stopping rows, when there are any.
    pub validation_metrics: Option<Summary>,
    pub parameters: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Body {
    Scorecard(Scorecard),
    Gbdt(Gbdt),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskModel {
    pub card: ModelCard,
    pub model: Body,
    /// The training population's distributions, for drift; absent in files from before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
}

/// The features whose drift is reported beside the score's.
pub const DRIFT_FEATURES: [&str; 5] = ["delay_current", "months_late_6m", "pay_ratio_3m", "utilisation", "credit_line"];

/// A distribution as decile bins of a reference sample: the edges and each bin's share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    pub edges: Vec<f64>,
    pub shares: Vec<f64>,
}

impl Distribution {
    pub fn of(sample: &[f64]) -> Distribution {
        let edges = metrics::decile_edges(sample);
        let shares = metrics::bin_shares(sample, &edges);
        Distribution { edges, shares }
    }

    /// PSI of `actual` against this distribution.
    pub fn psi(&self, actual: &[f64]) -> f64 {
        metrics::psi_of_shares(&self.shares, &metrics::bin_shares(actual, &self.edges))
    }
}

/// What the training population looked like: its points and its key features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub points: Distribution,
    /// By feature name, in [`DRIFT_FEATURES`] order.
    pub features: Vec<(String, Distribution)>,
}

/// How far a scored population has moved from the training one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    pub rows: usize,
    pub points_psi: f64,
    pub features_psi: Vec<(String, f64)>,
}

impl Drift {
    /// The usual threshold of a shift worth acting on.
    pub const FLAG: f64 = 0.25;

    /// Whether the score or any key feature drifted past [`Drift::FLAG`].
    pub fn flagged(&self) -> bool {
        self.points_psi > Self::FLAG || self.features_psi.iter().any(|(_, p)| *p > Self::FLAG)
    }
}

/// A loan's score: probability of default, points (higher is safer, 600 at odds 50:1, 20 to
/// double; rounded half away from zero) and up to three reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub probability: f64,
    pub points: i64,
    pub reasons: Vec<Reason>,
}

/// Evaluation of a model on labelled rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    #[serde(flatten)]
    pub summary: Summary,
    pub defaults: usize,
    pub calibration: Vec<CalibrationRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("{rows} rows are too few to train on; at least {min} are needed")]
    TooFewRows { rows: usize, min: usize },
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a model file: {0}")]
    Json(#[from] serde_json::Error),
    #[error("model file format {found}; this program reads format {FORMAT_VERSION}")]
    Version { found: u32 },
    #[error("the model uses feature `{0}`, which this program does not compute")]
    UnknownFeature(String),
    #[error("malformed model: {0}")]
    Malformed(String),
}

/// The fewest rows a model is trained on.
pub const MIN_TRAINING_ROWS: usize = 50;

/// Feature rows of a dataset, in [`FEATURES`] order.
pub fn feature_rows(data: &Dataset) -> Vec<Vec<f64>> {
    data.records.iter().map(|r| features::compute(&r.snapshot).to_vec()).collect()
}

impl RiskModel {
    pub fn train(data: &Dataset, opts: &TrainOptions, provenance: &Provenance) -> Result<RiskModel, TrainError> {
        data.check_two_classes()?;
        if data.len() < MIN_TRAINING_ROWS {
            return Err(TrainError::TooFewRows { rows: data.len(), min: MIN_TRAINING_ROWS });
        }
        let rows = feature_rows(data);
        let bad = data.labels();
        let names = features::selected(opts.include_protected);
        let (model, parameters) = match opts.kind {
            ModelKind::Scorecard => (
                Body::Scorecard(Scorecard::train(&rows, &names, &bad, &opts.scorecard)),
                serde_json::to_value(opts.scorecard).expect("options serialise"),
            ),
            ModelKind::Gbdt => (
                Body::Gbdt(Gbdt::train(&rows, &names, &bad, &opts.gbdt, opts.seed)),
                serde_json::to_value(opts.gbdt).expect("options serialise"),
            ),
        };
        let excluded = FEATURES.iter().filter(|f| !names.iter().any(|n| n == f.name)).map(|f| f.name.to_string()).collect();
        let used = match &model {
            Body::Scorecard(s) => s.features.iter().map(|f| f.bins.feature.clone()).collect(),
            Body::Gbdt(g) => g.features.clone(),
        };
        let mut m = RiskModel {
            card: ModelCard {
                format_version: FORMAT_VERSION,
                kind: opts.kind,
                purpose: "Probability that a loan defaults next month, from its last six months of behaviour.".into(),
                data_file: provenance.data_file.clone(),
                data_sha256: provenance.data_sha256.clone(),
                rows: data.len(),
                defaults: bad.iter().filter(|&&b| b).count(),
                trained_on: provenance.trained_on.clone(),
                seed: opts.seed,
                features: used,
                excluded_attributes: excluded,
                training_metrics: Summary { rows: 0, auc: 0.0, ks: 0.0, gini: 0.0 },
                validation_metrics: None,
                parameters,
            },
            model,
            reference: None,
        };
        let points: Vec<f64> = rows.iter().map(|r| m.points_of(r) as f64).collect();
        m.reference = Some(Reference {
            points: Distribution::of(&points),
            features: DRIFT_FEATURES
                .iter()
                .map(|name| {
                    let k = features::index_of(name).expect("drift features are features");
                    let column: Vec<f64> = rows.iter().map(|r| r[k]).collect();
                    ((*name).to_owned(), Distribution::of(&column))
                })
                .collect(),
        });
        let scores: Vec<f64> = rows.iter().map(|r| m.probability_of(r)).collect();
        m.card.training_metrics = metrics::summary(&scores, &bad).expect("two classes checked");
        if let Body::Gbdt(g) = &m.model {
            let held = crate::rng::stratified_holdout(&bad, opts.gbdt.validation_share, opts.seed);
            let idx: Vec<usize> = (0..rows.len()).filter(|&i| held[i]).collect();
            let s: Vec<f64> = idx.iter().map(|&i| crate::logistic::sigmoid(g.logit(&rows[i]))).collect();
            let b: Vec<bool> = idx.iter().map(|&i| bad[i]).collect();
            m.card.validation_metrics = metrics::summary(&s, &b);
        }
        Ok(m)
    }

    fn logit_of(&self, row: &[f64]) -> f64 {
        match &self.model {
            Body::Scorecard(s) => s.logit(row),
            Body::Gbdt(g) => g.logit(row),
        }
    }

    fn probability_of(&self, row: &[f64]) -> f64 {
        crate::logistic::sigmoid(self.logit_of(row))
    }

    /// Probability of default of one snapshot.
    pub fn probability(&self, snapshot: &Snapshot) -> f64 {
        self.probability_of(&features::compute(snapshot))
    }

    fn points_of(&self, row: &[f64]) -> i64 {
        let points = match &self.model {
            Body::Scorecard(s) => s.points(row),
            Body::Gbdt(_) => Scaling::default().points(self.logit_of(row)),
        };
        points.round() as i64
    }

    /// Drift of a scored population (its points and feature rows, in [`FEATURES`] order)
    /// against the training population; `None` for a model without a reference or no rows.
    pub fn drift(&self, points: &[f64], rows: &[Vec<f64>]) -> Option<Drift> {
        let columns = DRIFT_FEATURES
            .iter()
            .filter_map(|name| {
                let k = features::index_of(name)?;
                Some(((*name).to_owned(), rows.iter().map(|r| r[k]).collect()))
            })
            .collect();
        self.drift_of_columns(points, &columns)
    }

    /// [`RiskModel::drift`] from the scored points and the [`DRIFT_FEATURES`] columns by name
    /// (a caller that keeps only those need not keep whole feature rows).
    pub fn drift_of_columns(&self, points: &[f64], columns: &std::collections::BTreeMap<String, Vec<f64>>) -> Option<Drift> {
        let reference = self.reference.as_ref()?;
        if points.is_empty() {
            return None;
        }
        let features_psi =
            reference.features.iter().filter_map(|(name, dist)| Some((name.clone(), dist.psi(columns.get(name)?)))).collect();
        Some(Drift { rows: points.len(), points_psi: reference.points.psi(points), features_psi })
    }

    /// The values of the [`DRIFT_FEATURES`] in a feature row, in that order.
    pub fn drift_values(row: &[f64]) -> Vec<f64> {
        DRIFT_FEATURES.iter().map(|name| features::index_of(name).map_or(f64::NAN, |k| row[k])).collect()
    }

    /// Probability, points and reasons of one snapshot.
    pub fn score(&self, snapshot: &Snapshot) -> Score {
        let row = features::compute(snapshot);
        let reasons = match &self.model {
            Body::Scorecard(s) => s.reasons(&row),
            Body::Gbdt(g) => g.reasons(&row),
        };
        Score { probability: self.probability_of(&row), points: self.points_of(&row), reasons }
    }

    /// AUC, KS, Gini and the calibration table on labelled rows; `None` with a single class.
    pub fn evaluate(&self, data: &Dataset) -> Option<Evaluation> {
        let scores: Vec<f64> = data.records.iter().map(|r| self.probability(&r.snapshot)).collect();
        let bad = data.labels();
        Some(Evaluation {
            summary: metrics::summary(&scores, &bad)?,
            defaults: bad.iter().filter(|&&b| b).count(),
            calibration: metrics::calibration(&scores, &bad),
        })
    }

    /// The scorecard, when this is one.
    pub fn scorecard(&self) -> Option<&Scorecard> {
        match &self.model {
            Body::Scorecard(s) => Some(s),
            Body::Gbdt(_) => None,
        }
    }

    /// The model file: pretty JSON for a scorecard (to be read in review), compact for trees.
    pub fn to_json(&self) -> String {
        let mut s = match self.model {
            Body::Scorecard(_) => serde_json::to_string_pretty(self),
            Body::Gbdt(_) => serde_json::to_string(self),
        }
        .expect("a model serialises");
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> Result<RiskModel, ModelError> {
        let m: RiskModel = serde_json::from_str(text)?;
        if m.card.format_version != FORMAT_VERSION {
            return Err(ModelError::Version { found: m.card.format_version });
        }
        let names: Vec<&String> = match &m.model {
            Body::Scorecard(s) => s.features.iter().map(|f| &f.bins.feature).collect(),
            Body::Gbdt(g) => g.features.iter().collect(),
        };
        if let Some(n) = names.into_iter().find(|n| index_of(n).is_none()) {
            return Err(ModelError::UnknownFeature(n.clone()));
        }
        if let Body::Gbdt(g) = &m.model {
            g.check().map_err(ModelError::Malformed)?;
        }
        Ok(m)
    }
}
