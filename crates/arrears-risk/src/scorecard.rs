//! The scorecard: monotone WOE bins per feature, an L2 logistic regression on the WOE values,
//! and points (600 at odds 50:1 good to bad, 20 points to double the odds). Every score is a
//! sum of table lookups a reviewer can check in the bin table.

use serde::{Deserialize, Serialize};

use crate::binning::{bin_feature, BinningOptions, FeatureBins};
use crate::features::{index_of, Reason};
use crate::logistic::{self, Logistic};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    pub base_points: f64,
    /// Odds good:bad at the base points.
    pub base_odds: f64,
    /// Points to double the odds.
    pub points_to_double: f64,
}

impl Default for Scaling {
    fn default() -> Self {
        Scaling { base_points: 600.0, base_odds: 50.0, points_to_double: 20.0 }
    }
}

impl Scaling {
    pub fn factor(&self) -> f64 {
        self.points_to_double / std::f64::consts::LN_2
    }

    /// Points for a log-odds of default.
    pub fn points(&self, logit_bad: f64) -> f64 {
        self.base_points - self.factor() * self.base_odds.ln() - self.factor() * logit_bad
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScorecardOptions {
    pub binning: BinningOptions,
    /// L2 penalty of the regression.
    pub l2: f64,
    /// Features with less information value are left out.
    pub min_iv: f64,
    pub scaling: Scaling,
}

impl Default for ScorecardOptions {
    fn default() -> Self {
        ScorecardOptions { binning: BinningOptions::default(), l2: 1.0, min_iv: 0.02, scaling: Scaling::default() }
    }
}

/// One feature of the card: its bins and the points of each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardFeature {
    pub bins: FeatureBins,
    pub coefficient: f64,
    pub points: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub scaling: Scaling,
    pub intercept: f64,
    /// Points every loan starts with (the intercept's share of the score).
    pub base_points: f64,
    pub features: Vec<CardFeature>,
    /// Features dropped, with why (low information value, or a sign against their WOE).
    pub dropped: Vec<String>,
    pub iterations: usize,
}

/// One line of the bin table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinRow {
    pub feature: String,
    pub bin: String,
    pub rows: u64,
    /// `None` for the base line.
    pub bad_rate: Option<f64>,
    pub woe: f64,
    pub points: f64,
}

impl Scorecard {
    /// Trains on feature rows (all features, in [`crate::features::FEATURES`] order) using the
    /// named features.
    pub fn train(rows: &[Vec<f64>], names: &[String], bad: &[bool], opts: &ScorecardOptions) -> Scorecard {
        let mut dropped = Vec::new();
        let mut candidates: Vec<FeatureBins> = Vec::new();
        for name in names {
            let k = index_of(name).expect("known feature");
            let values: Vec<f64> = rows.iter().map(|r| r[k]).collect();
            let bins = bin_feature(name, &values, bad, &opts.binning);
            if bins.iv < opts.min_iv || bins.bins.len() < 2 {
                dropped.push(format!("{name}: information value {:.4} below {}", bins.iv, opts.min_iv));
            } else {
                candidates.push(bins);
            }
        }
        // A scorecard whose points fall as a feature gets safer cannot be explained: refit
        // without the feature with the most wrong-signed coefficient until none is left.
        loop {
            let fit = fit_woe(rows, &candidates, bad, opts.l2);
            let worst = fit.coefficients.iter().enumerate().filter(|(_, &c)| c > 0.0).max_by(|a, b| a.1.total_cmp(b.1));
            match worst {
                Some((k, &c)) if candidates.len() > 1 => {
                    let gone = candidates.remove(k);
                    dropped.push(format!("{}: coefficient {c:.4} against its WOE (collinear with others)", gone.feature));
                }
                _ => return Scorecard::assemble(candidates, fit, dropped, opts.scaling),
            }
        }
    }

    fn assemble(bins: Vec<FeatureBins>, fit: Logistic, dropped: Vec<String>, scaling: Scaling) -> Scorecard {
        let factor = scaling.factor();
        let features = bins
            .into_iter()
            .zip(&fit.coefficients)
            .map(|(bins, &coefficient)| {
                let points = bins.bins.iter().map(|b| -factor * coefficient * b.woe).collect();
                CardFeature { bins, coefficient, points }
            })
            .collect();
        Scorecard {
            scaling,
            intercept: fit.intercept,
            base_points: scaling.points(fit.intercept),
            features,
            dropped,
            iterations: fit.iterations,
        }
    }

    /// Bins hit by one row of all features.
    fn bins_of(&self, row: &[f64]) -> Vec<usize> {
        self.features.iter().map(|f| f.bins.bin_of(row[index_of(&f.bins.feature).expect("known feature")])).collect()
    }

    /// Log-odds of default.
    pub fn logit(&self, row: &[f64]) -> f64 {
        let bins = self.bins_of(row);
        self.intercept + self.features.iter().zip(bins).map(|(f, k)| f.coefficient * f.bins.bins[k].woe).sum::<f64>()
    }

    /// The score in points (higher is safer), the sum of the bin table's lines.
    pub fn points(&self, row: &[f64]) -> f64 {
        let bins = self.bins_of(row);
        self.base_points + self.features.iter().zip(bins).map(|(f, k)| f.points[k]).sum::<f64>()
    }

    /// The three features whose points fall furthest below their best bin.
    pub fn reasons(&self, row: &[f64]) -> Vec<Reason> {
        let bins = self.bins_of(row);
        let mut gaps: Vec<(usize, f64, f64)> = self
            .features
            .iter()
            .zip(bins)
            .map(|(f, k)| {
                let idx = index_of(&f.bins.feature).expect("known feature");
                let best = f.points.iter().copied().fold(f64::MIN, f64::max);
                (idx, row[idx], best - f.points[k])
            })
            .filter(|g| g.2 > 1e-9)
            .collect();
        gaps.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        gaps.into_iter().take(3).map(|(idx, value, gap)| Reason::new(idx, value, gap)).collect()
    }

    /// The bin table for review: the base points first, then every bin of every feature.
    pub fn bin_table(&self) -> Vec<BinRow> {
        let mut out = vec![BinRow {
            feature: "(base)".into(),
            bin: "all".into(),
            rows: self.features.first().map_or(0, |f| f.bins.bins.iter().map(|b| b.rows).sum()),
            bad_rate: None,
            woe: 0.0,
            points: self.base_points,
        }];
        for f in &self.features {
            for (k, b) in f.bins.bins.iter().enumerate() {
                out.push(BinRow {
                    feature: f.bins.feature.clone(),
                    bin: f.bins.range_text(k),
                    rows: b.rows,
                    bad_rate: Some(b.bad_rate()),
                    woe: b.woe,
                    points: f.points[k],
                });
            }
        }
        out
    }

    /// Writes the bin table as CSV: feature, bin, rows, bad_rate, woe, points.
    pub fn write_bin_table<W: std::io::Write>(&self, out: W) -> Result<(), csv::Error> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(["feature", "bin", "rows", "bad_rate", "woe", "points"])?;
        for r in self.bin_table() {
            let bad_rate = r.bad_rate.map_or(String::new(), |b| format!("{b:.4}"));
            w.write_record([
                r.feature,
                r.bin,
                r.rows.to_string(),
                bad_rate,
                format!("{:.4}", r.woe),
                format!("{:.1}", r.points),
            ])?;
        }
        w.flush()?;
        Ok(())
    }
}

fn fit_woe(rows: &[Vec<f64>], bins: &[FeatureBins], bad: &[bool], l2: f64) -> Logistic {
    let idx: Vec<usize> = bins.iter().map(|b| index_of(&b.feature).expect("known feature")).collect();
    let mut x = Vec::with_capacity(rows.len() * bins.len());
    for row in rows {
        for (b, &k) in bins.iter().zip(&idx) {
            x.push(b.bins[b.bin_of(row[k])].woe);
        }
    }
    logistic::fit(&x, bins.len(), bad, l2)
}
