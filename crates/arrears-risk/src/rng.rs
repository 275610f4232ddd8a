//! A small seeded random number generator (SplitMix64) and the seeded splits built on it, so
//! that a seed means the same rows and the same model on every machine.

/// SplitMix64: tiny, fast and fully specified, so results never depend on a crate's version.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform index below `n` (`n` > 0), by rejection so that no index is favoured.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0)");
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Stratified fold assignment: the rows of each class, in file order, are shuffled with the
/// seed and dealt round-robin into `k` folds, so each fold holds the same share of each class
/// (to within one row). Returns the fold (0..k) of every row.
pub fn stratified_folds(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    assert!(k >= 2, "at least two folds");
    let mut folds = vec![0; labels.len()];
    let mut rng = Rng::new(seed);
    let mut dealt = 0;
    for class in [false, true] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rng.shuffle(&mut rows);
        for row in rows {
            folds[row] = dealt % k;
            dealt += 1;
        }
    }
    folds
}

/// Group fold assignment: rows sharing a group (the same loan, across its months) always land
/// in the same fold, so a model is never tested on a loan it saw in training. Groups are
/// shuffled with the seed and dealt round-robin, those with a positive row first, so each fold
/// gets a share of them. Returns the fold (0..k) of every row.
pub fn group_folds(groups: &[&str], labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    assert!(k >= 2, "at least two folds");
    let mut order: Vec<&str> = Vec::new();
    let mut positive = std::collections::BTreeSet::new();
    for (g, &bad) in groups.iter().zip(labels) {
        if !order.contains(g) {
            order.push(g);
        }
        if bad {
            positive.insert(*g);
        }
    }
    let mut rng = Rng::new(seed);
    let mut fold_of = std::collections::BTreeMap::new();
    let mut dealt = 0;
    for with_positive in [true, false] {
        let mut these: Vec<&str> = order.iter().copied().filter(|g| positive.contains(g) == with_positive).collect();
        rng.shuffle(&mut these);
        for g in these {
            fold_of.insert(g, dealt % k);
            dealt += 1;
        }
    }
    groups.iter().map(|g| fold_of[g]).collect()
}

/// A stratified holdout: about `fraction` of each class is marked `true` (held out).
pub fn stratified_holdout(labels: &[bool], fraction: f64, seed: u64) -> Vec<bool> {
    let mut held = vec![false; labels.len()];
    let mut rng = Rng::new(seed);
    for class in [false, true] {
        let mut rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        rng.shuffle(&mut rows);
        let take = (rows.len() as f64 * fraction).round() as usize;
        for &row in rows.iter().take(take) {
            held[row] = true;
        }
    }
    held
}
