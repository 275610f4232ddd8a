//! Gradient-boosted decision trees for the logistic loss, written out here: features cut into
//! at most [`MAX_BINS`] quantile bins, histograms per node (the larger child by subtraction),
//! trees grown best leaf first under a leaf and depth limit, shrinkage, L2 on leaf values,
//! minimum child hessian and rows, row and feature subsampling from a seeded [`Rng`], and early
//! stopping on a stratified validation split. Reason codes come from path attribution: each
//! split on the way to a leaf moves the node value, and the move is credited to its feature.

use serde::{Deserialize, Serialize};

use crate::features::{index_of, Reason};
use crate::logistic::sigmoid;
use crate::rng::{stratified_holdout, Rng};

/// Most bins per feature (bin indices are `u8`).
pub const MAX_BINS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GbdtOptions {
    pub max_trees: usize,
    pub learning_rate: f64,
    pub max_leaves: usize,
    pub max_depth: usize,
    /// Least hessian (Σ p(1−p)) in a child.
    pub min_child_weight: f64,
    pub min_rows_in_leaf: usize,
    pub l2: f64,
    /// Share of rows drawn for each tree.
    pub row_sample: f64,
    /// Share of features drawn for each tree.
    pub feature_sample: f64,
    pub max_bins: usize,
    /// Share of the training rows held out (stratified) to decide when to stop.
    pub validation_share: f64,
    /// Stop after this many trees without a better validation log-loss.
    pub early_stopping_rounds: usize,
}

impl Default for GbdtOptions {
    fn default() -> Self {
        GbdtOptions {
            max_trees: 2000,
            learning_rate: 0.03,
            max_leaves: 15,
            max_depth: 5,
            min_child_weight: 5.0,
            min_rows_in_leaf: 40,
            l2: 1.0,
            row_sample: 0.8,
            feature_sample: 0.8,
            max_bins: 64,
            validation_share: 0.15,
            early_stopping_rounds: 100,
        }
    }
}

/// A node: a split when `feature` is `Some` (go left when the value ≤ `threshold`), else a leaf.
/// `value` is the node's shrunken Newton step, kept on inner nodes for attribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    #[serde(rename = "f", skip_serializing_if = "Option::is_none", default)]
    pub feature: Option<u16>,
    #[serde(rename = "t", default, skip_serializing_if = "is_zero_f64")]
    pub threshold: f64,
    #[serde(rename = "l", default, skip_serializing_if = "is_zero_u32")]
    pub left: u32,
    #[serde(rename = "r", default, skip_serializing_if = "is_zero_u32")]
    pub right: u32,
    #[serde(rename = "v")]
    pub value: f64,
}

// Zeros are left out of the file (a leaf's threshold and children, a split at 0.0): reading
// them back as the default zero gives the same node.
fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0 && x.is_sign_positive()
}

fn is_zero_u32(x: &u32) -> bool {
    *x == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    fn leaf_value(&self, x: &[f64]) -> f64 {
        let mut k = 0;
        loop {
            let n = &self.nodes[k];
            match n.feature {
                None => return n.value,
                Some(f) => k = if x[usize::from(f)] <= n.threshold { n.left } else { n.right } as usize,
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gbdt {
    /// The features trees split on, by name; `Node::feature` indexes this list.
    pub features: Vec<String>,
    pub base_logit: f64,
    pub trees: Vec<Tree>,
    /// Validation log-loss at the kept number of trees.
    pub validation_logloss: f64,
    pub validation_rows: usize,
}

impl Gbdt {
    fn local(&self, row: &[f64]) -> Vec<f64> {
        self.features.iter().map(|n| row[index_of(n).expect("known feature")]).collect()
    }

    /// Refuses a forest a walk could leave: a split on a feature the model does not have, or a
    /// child that is not a later node of the same tree (which also rules out cycles).
    pub fn check(&self) -> Result<(), String> {
        for (t, tree) in self.trees.iter().enumerate() {
            if tree.nodes.is_empty() {
                return Err(format!("tree {t} has no nodes"));
            }
            for (k, n) in tree.nodes.iter().enumerate() {
                let Some(f) = n.feature else { continue };
                let children_ok = [n.left, n.right].iter().all(|&c| (c as usize) > k && (c as usize) < tree.nodes.len());
                if usize::from(f) >= self.features.len() || !children_ok || !n.threshold.is_finite() {
                    return Err(format!("tree {t}, node {k}: bad split"));
                }
            }
        }
        Ok(())
    }

    /// Log-odds of default for one row of all features.
    pub fn logit(&self, row: &[f64]) -> f64 {
        let x = self.local(row);
        self.base_logit + self.trees.iter().map(|t| t.leaf_value(&x)).sum::<f64>()
    }

    /// Each feature's share of the log-odds, beside the bias (base plus every root's value):
    /// bias + Σ contributions = logit.
    pub fn contributions(&self, row: &[f64]) -> (f64, Vec<f64>) {
        let x = self.local(row);
        let mut bias = self.base_logit;
        let mut contrib = vec![0.0; self.features.len()];
        for t in &self.trees {
            let mut k = 0;
            bias += t.nodes[0].value;
            while let Some(f) = t.nodes[k].feature {
                let n = &t.nodes[k];
                let next = if x[usize::from(f)] <= n.threshold { n.left } else { n.right } as usize;
                contrib[usize::from(f)] += t.nodes[next].value - n.value;
                k = next;
            }
        }
        (bias, contrib)
    }

    /// The three features that pushed this row's risk up the most.
    pub fn reasons(&self, row: &[f64]) -> Vec<Reason> {
        let (_, contrib) = self.contributions(row);
        let mut up: Vec<(usize, f64)> = contrib.into_iter().enumerate().filter(|c| c.1 > 1e-9).collect();
        up.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        up.into_iter()
            .take(3)
            .map(|(f, c)| {
                let idx = index_of(&self.features[f]).expect("known feature");
                Reason::new(idx, row[idx], c)
            })
            .collect()
    }

    /// Trains on rows of all features using the named ones; `seed` drives the validation
    /// split and the subsampling.
    pub fn train(rows: &[Vec<f64>], names: &[String], bad: &[bool], opts: &GbdtOptions, seed: u64) -> Gbdt {
        let cols: Vec<usize> = names.iter().map(|n| index_of(n).expect("known feature")).collect();
        let held = stratified_holdout(bad, opts.validation_share, seed);
        let pick = |keep: bool| -> (Vec<Vec<f64>>, Vec<bool>) {
            let idx: Vec<usize> = (0..rows.len()).filter(|&i| held[i] != keep).collect();
            (idx.iter().map(|&i| cols.iter().map(|&c| rows[i][c]).collect()).collect(), idx.iter().map(|&i| bad[i]).collect())
        };
        let (train_x, train_y) = pick(true);
        let (valid_x, valid_y) = pick(false);
        let p = cols.len();
        let max_bins = opts.max_bins.clamp(2, MAX_BINS);
        let cuts: Vec<Vec<f64>> = (0..p).map(|f| cut_points(train_x.iter().map(|r| r[f]), max_bins)).collect();
        let binned: Vec<Vec<u8>> =
            (0..p).map(|f| train_x.iter().map(|r| cuts[f].partition_point(|&c| c < r[f]) as u8).collect()).collect();
        let layout = Layout::new(&cuts);

        let rate = train_y.iter().filter(|&&b| b).count() as f64 / train_y.len().max(1) as f64;
        let base_logit = (rate.clamp(1e-6, 1.0 - 1e-6) / (1.0 - rate.clamp(1e-6, 1.0 - 1e-6))).ln();
        let mut f_train = vec![base_logit; train_x.len()];
        let mut f_valid = vec![base_logit; valid_x.len()];
        let mut rng = Rng::new(seed ^ 0x6762_6474);
        let mut trees = Vec::new();
        let (mut best_loss, mut best_len) = (logloss(&f_valid, &valid_y), 0);
        let mut grad = vec![0.0; train_x.len()];
        let mut hess = vec![0.0; train_x.len()];
        for _ in 0..opts.max_trees {
            for i in 0..train_x.len() {
                let mu = sigmoid(f_train[i]);
                grad[i] = mu - f64::from(u8::from(train_y[i]));
                hess[i] = (mu * (1.0 - mu)).max(1e-16);
            }
            let sample: Vec<u32> =
                (0..train_x.len() as u32).filter(|_| opts.row_sample >= 1.0 || rng.next_f64() < opts.row_sample).collect();
            let mut feats: Vec<usize> = (0..p).collect();
            rng.shuffle(&mut feats);
            feats.truncate(((p as f64 * opts.feature_sample).ceil() as usize).clamp(1, p));
            feats.sort_unstable();
            let grower = Grower { binned: &binned, cuts: &cuts, layout: &layout, grad: &grad, hess: &hess, opts, feats: &feats };
            let tree = grower.grow(sample);
            for (f, x) in f_train.iter_mut().zip(&train_x) {
                *f += tree.leaf_value(x);
            }
            for (f, x) in f_valid.iter_mut().zip(&valid_x) {
                *f += tree.leaf_value(x);
            }
            trees.push(tree);
            let loss = logloss(&f_valid, &valid_y);
            if loss < best_loss {
                (best_loss, best_len) = (loss, trees.len());
            } else if valid_x.is_empty() {
                best_len = trees.len();
            } else if trees.len() - best_len >= opts.early_stopping_rounds {
                break;
            }
        }
        trees.truncate(best_len);
        Gbdt { features: names.to_vec(), base_logit, trees, validation_logloss: best_loss, validation_rows: valid_x.len() }
    }
}

fn logloss(logits: &[f64], y: &[bool]) -> f64 {
    if y.is_empty() {
        return 0.0;
    }
    let s: f64 = logits
        .iter()
        .zip(y)
        .map(|(&z, &b)| {
            let softplus = if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() };
            if b {
                softplus - z
            } else {
                softplus
            }
        })
        .sum();
    s / y.len() as f64
}

/// Upper bounds of all bins but the last: every distinct value when there are few, else quantiles.
fn cut_points(values: impl Iterator<Item = f64>, max_bins: usize) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.collect();
    if sorted.is_empty() {
        return Vec::new();
    }
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    let mut cuts = if distinct.len() <= max_bins {
        distinct
    } else {
        let n = sorted.len();
        let mut c: Vec<f64> = (1..max_bins).map(|q| sorted[q * n / max_bins]).collect();
        c.dedup();
        c
    };
    let top = sorted[sorted.len() - 1];
    cuts.retain(|&c| c < top);
    cuts
}

/// Where each feature's bins start in a flat histogram.
struct Layout {
    offset: Vec<usize>,
    bins: Vec<usize>,
    total: usize,
}

impl Layout {
    fn new(cuts: &[Vec<f64>]) -> Layout {
        let bins: Vec<usize> = cuts.iter().map(|c| c.len() + 1).collect();
        let mut offset = Vec::with_capacity(bins.len());
        let mut total = 0;
        for &b in &bins {
            offset.push(total);
            total += b;
        }
        Layout { offset, bins, total }
    }
}

/// Σ gradient, Σ hessian and rows of one histogram cell (or node).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    g: f64,
    h: f64,
    n: f64,
}

impl Sums {
    fn minus(self, o: Sums) -> Sums {
        Sums { g: self.g - o.g, h: self.h - o.h, n: self.n - o.n }
    }
}

#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: usize,
    left: Sums,
}

struct Leaf {
    node: usize,
    depth: usize,
    rows: Vec<u32>,
    hist: Vec<Sums>,
    total: Sums,
    split: Option<Split>,
}

struct Grower<'a> {
    binned: &'a [Vec<u8>],
    cuts: &'a [Vec<f64>],
    layout: &'a Layout,
    grad: &'a [f64],
    hess: &'a [f64],
    opts: &'a GbdtOptions,
    feats: &'a [usize],
}

impl Grower<'_> {
    fn value(&self, s: Sums) -> f64 {
        -s.g / (s.h + self.opts.l2) * self.opts.learning_rate
    }

    fn score(&self, s: Sums) -> f64 {
        s.g * s.g / (s.h + self.opts.l2)
    }

    fn histogram(&self, rows: &[u32]) -> Vec<Sums> {
        let mut hist = vec![Sums::default(); self.layout.total];
        for &f in self.feats {
            let col = &self.binned[f];
            let cells = &mut hist[self.layout.offset[f]..self.layout.offset[f] + self.layout.bins[f]];
            for &r in rows {
                let c = &mut cells[usize::from(col[r as usize])];
                c.g += self.grad[r as usize];
                c.h += self.hess[r as usize];
                c.n += 1.0;
            }
        }
        hist
    }

    fn best_split(&self, hist: &[Sums], total: Sums, depth: usize) -> Option<Split> {
        if depth >= self.opts.max_depth {
            return None;
        }
        let parent = self.score(total);
        let min_rows = self.opts.min_rows_in_leaf as f64;
        let mut best: Option<Split> = None;
        for &f in self.feats {
            let cells = &hist[self.layout.offset[f]..self.layout.offset[f] + self.layout.bins[f]];
            let mut left = Sums::default();
            for (bin, c) in cells.iter().enumerate().take(cells.len() - 1) {
                left.g += c.g;
                left.h += c.h;
                left.n += c.n;
                let right = total.minus(left);
                if left.n < min_rows || right.n < min_rows {
                    continue;
                }
                if left.h < self.opts.min_child_weight || right.h < self.opts.min_child_weight {
                    continue;
                }
                let gain = self.score(left) + self.score(right) - parent;
                if gain > 1e-12 && best.is_none_or(|b| gain > b.gain) {
                    best = Some(Split { gain, feature: f, bin, left });
                }
            }
        }
        best
    }

    fn grow(&self, rows: Vec<u32>) -> Tree {
        let mut nodes = Vec::new();
        let hist = self.histogram(&rows);
        let total = rows.iter().fold(Sums::default(), |s, &r| Sums {
            g: s.g + self.grad[r as usize],
            h: s.h + self.hess[r as usize],
            n: s.n + 1.0,
        });
        nodes.push(Node { feature: None, threshold: 0.0, left: 0, right: 0, value: self.value(total) });
        let split = self.best_split(&hist, total, 0);
        let mut leaves = vec![Leaf { node: 0, depth: 0, rows, hist, total, split }];
        let mut n_leaves = 1;
        while n_leaves < self.opts.max_leaves {
            // The leaf with the largest gain; the earliest among equals.
            let Some(pick) = (0..leaves.len()).filter(|&k| leaves[k].split.is_some()).reduce(|a, b| {
                if leaves[b].split.expect("split").gain > leaves[a].split.expect("split").gain {
                    b
                } else {
                    a
                }
            }) else {
                break;
            };
            let leaf = leaves.swap_remove(pick);
            let s = leaf.split.expect("split");
            let col = &self.binned[s.feature];
            let (left_rows, right_rows): (Vec<u32>, Vec<u32>) =
                leaf.rows.iter().partition(|&&r| usize::from(col[r as usize]) <= s.bin);
            let right_total = leaf.total.minus(s.left);
            let (small_hist, small_is_left) = if left_rows.len() <= right_rows.len() {
                (self.histogram(&left_rows), true)
            } else {
                (self.histogram(&right_rows), false)
            };
            let large_hist: Vec<Sums> = leaf.hist.iter().zip(&small_hist).map(|(p, c)| p.minus(*c)).collect();
            let (left_hist, right_hist) = if small_is_left { (small_hist, large_hist) } else { (large_hist, small_hist) };
            let (li, ri) = (nodes.len(), nodes.len() + 1);
            nodes.push(Node { feature: None, threshold: 0.0, left: 0, right: 0, value: self.value(s.left) });
            nodes.push(Node { feature: None, threshold: 0.0, left: 0, right: 0, value: self.value(right_total) });
            let parent = &mut nodes[leaf.node];
            parent.feature = Some(s.feature as u16);
            parent.threshold = self.cuts[s.feature][s.bin];
            parent.left = li as u32;
            parent.right = ri as u32;
            let depth = leaf.depth + 1;
            for (node, rows, hist, total) in [(li, left_rows, left_hist, s.left), (ri, right_rows, right_hist, right_total)] {
                let split = self.best_split(&hist, total, depth);
                leaves.push(Leaf { node, depth, rows, hist, total, split });
            }
            // Keep the candidates in node order so that ties resolve the same way every run.
            leaves.sort_by_key(|l| l.node);
            n_leaves += 1;
        }
        Tree { nodes }
    }
}
