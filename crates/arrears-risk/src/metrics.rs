//! How good a score is: ROC AUC (ties count a half), KS, Gini, a calibration table by decile,
//! and the population stability index between two samples. Scores are "higher means riskier"
//! (a probability of default); outcomes are `true` for a default.

use serde::{Deserialize, Serialize};

/// The share floor of a PSI bin, so that an empty bin gives a large but finite term.
pub const PSI_FLOOR: f64 = 1e-4;

/// ROC AUC by the Mann–Whitney statistic with average ranks for ties; `None` without both classes.
pub fn auc(scores: &[f64], bad: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), bad.len(), "one outcome per score");
    let n_bad = bad.iter().filter(|&&b| b).count();
    let n_good = bad.len() - n_bad;
    if n_bad == 0 || n_good == 0 {
        return None;
    }
    let order = sorted_ascending(scores);
    let mut rank_sum_bad = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1..=j+1 share their average.
        let rank = (i + j + 2) as f64 / 2.0;
        rank_sum_bad += rank * order[i..=j].iter().filter(|&&k| bad[k]).count() as f64;
        i = j + 1;
    }
    let n_bad = n_bad as f64;
    Some((rank_sum_bad - n_bad * (n_bad + 1.0) / 2.0) / (n_bad * n_good as f64))
}

/// Gini coefficient (accuracy ratio) = 2·AUC − 1.
pub fn gini(auc: f64) -> f64 {
    2.0 * auc - 1.0
}

/// Kolmogorov–Smirnov statistic: the largest gap between the cumulative shares of bads and of
/// goods, cutting only between distinct scores.
pub fn ks(scores: &[f64], bad: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), bad.len(), "one outcome per score");
    let n_bad = bad.iter().filter(|&&b| b).count() as f64;
    let n_good = bad.len() as f64 - n_bad;
    if n_bad == 0.0 || n_good == 0.0 {
        return None;
    }
    let mut order = sorted_ascending(scores);
    order.reverse();
    let (mut cum_bad, mut cum_good, mut best) = (0.0, 0.0, 0.0f64);
    for (pos, &k) in order.iter().enumerate() {
        if bad[k] {
            cum_bad += 1.0;
        } else {
            cum_good += 1.0;
        }
        let last_of_tie = order.get(pos + 1).is_none_or(|&next| scores[next] != scores[k]);
        if last_of_tie {
            best = best.max((cum_bad / n_bad - cum_good / n_good).abs());
        }
    }
    Some(best)
}

/// AUC, KS and Gini of one scored sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub rows: usize,
    pub auc: f64,
    pub ks: f64,
    pub gini: f64,
}

/// The summary of a sample with both classes.
pub fn summary(scores: &[f64], bad: &[bool]) -> Option<Summary> {
    let auc = auc(scores, bad)?;
    Some(Summary { rows: scores.len(), auc, ks: ks(scores, bad)?, gini: gini(auc) })
}

/// One decile of a calibration table, lowest predicted risk first.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    pub decile: usize,
    pub rows: usize,
    pub predicted_min: f64,
    pub predicted_max: f64,
    pub predicted_mean: f64,
    pub observed_rate: f64,
}

/// Rows sorted by predicted probability (file order among equals) and cut into ten groups as
/// equal as whole rows allow; each group's mean prediction beside its observed default rate.
pub fn calibration(predicted: &[f64], bad: &[bool]) -> Vec<CalibrationRow> {
    assert_eq!(predicted.len(), bad.len(), "one outcome per score");
    let order = sorted_ascending(predicted);
    let n = order.len();
    (0..10)
        .filter_map(|d| {
            let rows = &order[d * n / 10..(d + 1) * n / 10];
            let first = *rows.first()?;
            let last = *rows.last()?;
            let m = rows.len() as f64;
            Some(CalibrationRow {
                decile: d + 1,
                rows: rows.len(),
                predicted_min: predicted[first],
                predicted_max: predicted[last],
                predicted_mean: rows.iter().map(|&k| predicted[k]).sum::<f64>() / m,
                observed_rate: rows.iter().filter(|&&k| bad[k]).count() as f64 / m,
            })
        })
        .collect()
}

/// Decile edges of a reference sample (upper bounds of the first nine bins), duplicates removed.
pub fn decile_edges(reference: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = reference.iter().copied().filter(|x| !x.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..10).filter_map(|d| sorted.get(d * sorted.len() / 10).copied()).collect();
    edges.dedup();
    edges
}

/// Population stability index of `actual` against `expected` over the bins cut by `edges`
/// (bin k holds values ≤ edges[k] and above the edge before; the last bin everything above):
/// Σ (a − e)·ln(a / e) over the bins' shares, each share floored at [`PSI_FLOOR`].
pub fn psi_with_edges(expected: &[f64], actual: &[f64], edges: &[f64]) -> f64 {
    psi_of_shares(&bin_shares(expected, edges), &bin_shares(actual, edges))
}

/// The share of `xs` in each bin cut by `edges` (see [`psi_with_edges`]), unfloored.
pub fn bin_shares(xs: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len() + 1];
    for &x in xs {
        counts[edges.partition_point(|&e| e < x)] += 1;
    }
    let n = xs.len().max(1) as f64;
    counts.into_iter().map(|c| c as f64 / n).collect()
}

/// PSI between two lists of bin shares (each share floored at [`PSI_FLOOR`]).
pub fn psi_of_shares(expected: &[f64], actual: &[f64]) -> f64 {
    expected
        .iter()
        .zip(actual)
        .map(|(&e, &a)| {
            let (e, a) = (e.max(PSI_FLOOR), a.max(PSI_FLOOR));
            (a - e) * (a / e).ln()
        })
        .sum()
}

/// PSI over the deciles of the expected sample. Above 0.25 is a shift worth acting on.
pub fn psi(expected: &[f64], actual: &[f64]) -> f64 {
    psi_with_edges(expected, actual, &decile_edges(expected))
}

/// Indices sorted by value, ascending; equal values keep their order (NaN last).
fn sorted_ascending(values: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    order
}
