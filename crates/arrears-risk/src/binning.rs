//! Monotone binning with weight of evidence: fine bins at quantiles, small bins merged, then
//! adjacent bins pooled (pool-adjacent-violators) until the bad rate rises or falls strictly
//! from bin to bin, in whichever direction keeps more information value.
//!
//! WOE here is ln(share of goods / share of bads): positive for safer-than-average bins.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BinningOptions {
    /// Fine bins before merging (quantiles; fewer when the feature has fewer distinct values).
    pub fine_bins: usize,
    /// The smallest bin, as a share of the rows.
    pub min_bin_share: f64,
}

impl Default for BinningOptions {
    fn default() -> Self {
        BinningOptions { fine_bins: 20, min_bin_share: 0.03 }
    }
}

/// One bin: values above the previous bin's upper bound and up to its own (`None` = no bound).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub upper: Option<f64>,
    pub rows: u64,
    pub bads: u64,
    pub woe: f64,
}

impl Bin {
    pub fn bad_rate(&self) -> f64 {
        self.bads as f64 / self.rows.max(1) as f64
    }
}

/// The bins of one feature, in increasing order of value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureBins {
    pub feature: String,
    pub bins: Vec<Bin>,
    /// Information value: Σ (share of goods − share of bads)·WOE.
    pub iv: f64,
}

impl FeatureBins {
    /// The bin a value falls into.
    pub fn bin_of(&self, x: f64) -> usize {
        self.bins[..self.bins.len() - 1].partition_point(|b| b.upper.is_some_and(|u| u < x))
    }

    /// "(lo, hi]" in plain numbers, for the bin table.
    pub fn range_text(&self, k: usize) -> String {
        let lo = if k == 0 { "-inf".to_string() } else { fmt_edge(self.bins[k - 1].upper) };
        let hi = fmt_edge(self.bins[k].upper);
        if self.bins[k].upper.is_none() {
            format!("({lo}, +inf)")
        } else {
            format!("({lo}, {hi}]")
        }
    }
}

fn fmt_edge(x: Option<f64>) -> String {
    match x {
        None => "+inf".into(),
        Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.4}"),
    }
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    upper: Option<f64>,
    rows: u64,
    bads: u64,
}

impl Tally {
    fn rate(&self) -> f64 {
        self.bads as f64 / self.rows.max(1) as f64
    }
    fn absorb(&mut self, right: Tally) {
        self.rows += right.rows;
        self.bads += right.bads;
        self.upper = right.upper;
    }
}

/// Monotone bins of one feature.
pub fn bin_feature(feature: &str, values: &[f64], bad: &[bool], opts: &BinningOptions) -> FeatureBins {
    assert_eq!(values.len(), bad.len(), "one outcome per value");
    assert!(!values.is_empty(), "binning needs rows");
    let mut tallies = fine_tallies(values, bad, opts.fine_bins.max(2));
    let min_rows = ((values.len() as f64 * opts.min_bin_share).ceil() as u64).max(1);
    merge_small(&mut tallies, min_rows);
    let up = pool(&tallies, true);
    let down = pool(&tallies, false);
    let total_bads = bad.iter().filter(|&&b| b).count() as u64;
    let (a, b) =
        (with_woe(feature, &up, values.len() as u64, total_bads), with_woe(feature, &down, values.len() as u64, total_bads));
    if b.iv > a.iv {
        b
    } else {
        a
    }
}

fn fine_tallies(values: &[f64], bad: &[bool], fine: usize) -> Vec<Tally> {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mut edges: Vec<f64> = (1..fine).map(|q| sorted[q * n / fine]).collect();
    edges.dedup();
    // A bin ends at its edge; the largest value belongs to the open last bin.
    edges.retain(|&e| e < sorted[n - 1]);
    let mut tallies: Vec<Tally> = edges.iter().map(|&e| Tally { upper: Some(e), rows: 0, bads: 0 }).collect();
    tallies.push(Tally { upper: None, rows: 0, bads: 0 });
    for (&x, &b) in values.iter().zip(bad) {
        let k = edges.partition_point(|&e| e < x);
        tallies[k].rows += 1;
        tallies[k].bads += u64::from(b);
    }
    tallies.retain(|t| t.rows > 0 || t.upper.is_none());
    tallies
}

/// Merges the smallest bin under `min_rows` into the neighbour with the closer bad rate, until
/// none is left (or one bin remains).
fn merge_small(tallies: &mut Vec<Tally>, min_rows: u64) {
    while tallies.len() > 1 {
        let Some(k) = (0..tallies.len()).filter(|&k| tallies[k].rows < min_rows).min_by_key(|&k| (tallies[k].rows, k)) else {
            break;
        };
        let left = if k == 0 {
            false
        } else if k + 1 == tallies.len() {
            true
        } else {
            let r = tallies[k].rate();
            (tallies[k - 1].rate() - r).abs() <= (tallies[k + 1].rate() - r).abs()
        };
        let at = if left { k - 1 } else { k };
        let right = tallies.remove(at + 1);
        tallies[at].absorb(right);
    }
}

/// Pool adjacent violators: bad rates strictly increasing (or decreasing) with the value.
fn pool(tallies: &[Tally], increasing: bool) -> Vec<Tally> {
    let mut out: Vec<Tally> = Vec::with_capacity(tallies.len());
    for &t in tallies {
        out.push(t);
        while out.len() > 1 {
            let (a, b) = (out[out.len() - 2].rate(), out[out.len() - 1].rate());
            let ordered = if increasing { a < b } else { a > b };
            if ordered {
                break;
            }
            let last = out.pop().expect("two bins");
            out.last_mut().expect("one bin").absorb(last);
        }
    }
    out
}

fn with_woe(feature: &str, tallies: &[Tally], rows: u64, bads: u64) -> FeatureBins {
    let goods = rows - bads;
    // Half a row added to each count keeps the WOE of a pure bin finite.
    let mut iv = 0.0;
    let bins = tallies
        .iter()
        .map(|t| {
            let good_share = ((t.rows - t.bads) as f64 + 0.5) / (goods as f64 + 0.5);
            let bad_share = (t.bads as f64 + 0.5) / (bads as f64 + 0.5);
            let woe = (good_share / bad_share).ln();
            iv += (good_share - bad_share) * woe;
            Bin { upper: t.upper, rows: t.rows, bads: t.bads, woe }
        })
        .collect();
    FeatureBins { feature: feature.to_string(), bins, iv }
}
