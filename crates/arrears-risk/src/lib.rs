//! Risk early warning for Arrears: scores that say which loans are about to go bad while they
//! are still current, with the reasons in plain words.
//!
//! A loan's recent behaviour is a [`Snapshot`] (six monthly statuses, amounts due and paid, the
//! credit line, the borrower's age); [`features::compute`] turns it into the named features of
//! [`features::FEATURES`], the same way for the training file ([`data::read_csv`]) and for the
//! live book. Two models learn from them: a [`scorecard::Scorecard`] (monotone WOE bins,
//! L2 logistic regression, points) and gradient-boosted trees ([`gbdt::Gbdt`]). A trained
//! [`model::RiskModel`] carries its [`model::ModelCard`], serialises to JSON and scores a
//! snapshot into a [`model::Score`] with [`features::Reason`]s. [`metrics`] has AUC, KS, Gini,
//! calibration and PSI.
//!
//! The crate is pure: it reads only what a caller hands it, never the clock (the training date
//! is a parameter), and the same data and seed give the same model byte for byte.

pub mod binning;
pub mod data;
pub mod features;
pub mod gbdt;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod rng;
pub mod scorecard;
pub mod sha256;

pub use data::{DataError, Dataset, Record};
pub use features::{Delay, Month, Reason, Snapshot};
pub use model::{
    Distribution, Drift, ModelCard, ModelKind, Reference, RiskModel, Score, TrainError, TrainOptions, DRIFT_FEATURES,
};
