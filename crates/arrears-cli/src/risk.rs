//! `arrears risk`: train, evaluate, cross-validate and inspect the early-warning models of
//! `arrears-risk`. This is the edge: it reads files, hashes them, times training and asks the
//! clock for today's date when `--trained-on` is not given.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use arrears_core::Date;
use arrears_risk::model::{Evaluation, ModelKind, Provenance, RiskModel, TrainOptions};
use arrears_risk::{data, metrics, rng, sha256, Dataset};
use clap::{Subcommand, ValueEnum};

use crate::DocFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Scorecard,
    Gbdt,
}

impl From<Kind> for ModelKind {
    fn from(k: Kind) -> ModelKind {
        match k {
            Kind::Scorecard => ModelKind::Scorecard,
            Kind::Gbdt => ModelKind::Gbdt,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum RiskWhat {
    /// Train a model on a file with the columns of the Taiwan credit data and write it as JSON.
    Train {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        model_out: PathBuf,
        #[arg(long, value_enum, default_value = "scorecard")]
        kind: Kind,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also use sex and marital status (only to measure what leaving them out costs).
        #[arg(long)]
        include_protected: bool,
        /// Training date for the model card, YYYY-MM-DD; today (UTC) by default.
        #[arg(long)]
        trained_on: Option<String>,
    },
    /// AUC, KS, Gini and calibration by decile of a model on labelled rows.
    Evaluate {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long, value_enum, default_value = "table")]
        format: DocFormat,
    },
    /// The scorecard's bin table as CSV: feature, bin, rows, bad_rate, woe, points.
    Bins {
        #[arg(long)]
        model: PathBuf,
    },
    /// Score rows of a file: probability, points and the three main reasons.
    Score {
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Reasons in Chinese instead of English.
        #[arg(long)]
        zh: bool,
    },
    /// Stratified, seeded k-fold cross-validation: AUC and KS per fold and training time.
    Cv {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, value_enum, default_value = "scorecard")]
        kind: Kind,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        include_protected: bool,
        /// Write each row's fold (`ID,fold`) here, for other tools to use the same folds.
        #[arg(long)]
        folds_out: Option<PathBuf>,
        /// Keep all rows of one loan in one fold: the group is the ID up to its last
        /// `-YYYY-MM` (as `risk export` writes them), so months of a loan never leak across folds.
        #[arg(long)]
        group_by_loan: bool,
        #[arg(long, value_enum, default_value = "table")]
        format: DocFormat,
    },
    /// The book's monthly scoring runs: loans scored and the drift of the score and key
    /// features against the training population (flagged above 0.25).
    Drift {
        #[arg(long, value_enum, default_value = "table")]
        format: DocFormat,
    },
    /// How often the nightly batch scores the book: every N months, at month end.
    Schedule {
        #[arg(long)]
        every_months: u32,
    },
    /// Write the book's own month-end history as a training file (the Taiwan columns; the
    /// target is being late at the next month's end), to retrain the model on the lender's loans.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the month-end step (month rows, scores, drift) for a closed month-end date now;
    /// the nightly batch runs it by itself.
    ScoreBook {
        #[arg(long)]
        date: String,
    },
    /// Population stability index between the scores of two files under one model.
    Psi {
        #[arg(long)]
        model: PathBuf,
        /// The reference sample (for example the training file).
        #[arg(long)]
        expected: PathBuf,
        #[arg(long)]
        actual: PathBuf,
    },
}

pub fn run(db: &str, risk_model: Option<&std::path::Path>, what: RiskWhat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match what {
        RiskWhat::Drift { format } => {
            let mut store = arrears_app::open(db)?;
            let runs = store.read(|tx| tx.risk_runs())?;
            drift_table(&runs, format, &mut out)?;
        }
        RiskWhat::Schedule { every_months } => {
            anyhow::ensure!((1..=12).contains(&every_months), "--every-months: {every_months} must be 1 to 12");
            let mut store = arrears_app::open(db)?;
            store.transaction(|tx| tx.set_meta(arrears_app::risk::EVERY_MONTHS_KEY, &every_months.to_string()))?;
            writeln!(out, "the book is scored every {every_months} month(s), at month end")?;
        }
        RiskWhat::Export { out: path } => {
            let mut store = arrears_app::open(db)?;
            let file = std::fs::File::create(&path).with_context(|| format!("--out: cannot write {}", path.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let rows = arrears_app::risk::export_training(&mut store, &mut writer)?;
            writer.flush()?;
            writeln!(out, "wrote {rows} rows to {}", path.display())?;
        }
        RiskWhat::ScoreBook { date } => {
            let date = crate::parse_date("date", &date)?;
            let mut store = arrears_app::open(db)?;
            let business = store.read(|tx| tx.business_date())?;
            anyhow::ensure!(business.is_some_and(|b| b >= date), "--date: {date} is not closed yet; run `arrears eod` first");
            anyhow::ensure!(arrears_app::risk::is_month_end(date), "--date: {date} is not the last day of a month");
            let started = std::time::Instant::now();
            let report = arrears_app::risk::month_end(&mut store, date, &risk_config(risk_model)?)?;
            print_month_end(&report);
            writeln!(out, "  in {:.1?}", started.elapsed())?;
        }
        RiskWhat::Train { data, model_out, kind, seed, include_protected, trained_on } => {
            let bytes = std::fs::read(&data).with_context(|| format!("cannot read {}", data.display()))?;
            let dataset = read(&bytes, &data, true)?;
            let trained_on = match trained_on {
                Some(d) => crate::parse_date("trained-on", &d)?,
                None => today(),
            };
            let provenance = Provenance {
                data_file: data.display().to_string(),
                data_sha256: sha256::hex_digest(&bytes),
                trained_on: trained_on.to_string(),
            };
            let opts = TrainOptions { seed, include_protected, ..TrainOptions::new(kind.into()) };
            let started = Instant::now();
            let model = RiskModel::train(&dataset, &opts, &provenance)
                .with_context(|| format!("while training on {}", data.display()))?;
            let secs = started.elapsed().as_secs_f64();
            std::fs::write(&model_out, model.to_json()).with_context(|| format!("cannot write {}", model_out.display()))?;
            let t = model.card.training_metrics;
            writeln!(out, "trained {:?} on {} rows in {secs:.2}s: training AUC {:.4}, KS {:.4}", opts.kind, t.rows, t.auc, t.ks)?;
            if let Some(v) = model.card.validation_metrics {
                writeln!(out, "held-out early-stopping rows: {} rows, AUC {:.4}, KS {:.4}", v.rows, v.auc, v.ks)?;
            }
            writeln!(out, "wrote {}", model_out.display())?;
        }
        RiskWhat::Evaluate { model, data, format } => {
            let model = load(&model)?;
            let bytes = std::fs::read(&data).with_context(|| format!("cannot read {}", data.display()))?;
            let dataset = read(&bytes, &data, false)?;
            let Some(eval) = model.evaluate(&dataset) else {
                bail!("{}: every row has the same outcome; AUC needs defaults and non-defaults", data.display());
            };
            match format {
                DocFormat::Json => writeln!(out, "{}", serde_json::to_string(&eval)?)?,
                DocFormat::Table => evaluation_table(&eval, &mut out)?,
            }
        }
        RiskWhat::Bins { model } => {
            let path = model;
            let model = load(&path)?;
            let Some(card) = model.scorecard() else {
                bail!("{} is a boosted-tree model; only a scorecard has a bin table", path.display());
            };
            card.write_bin_table(&mut out)?;
        }
        RiskWhat::Score { model, data, limit, zh } => {
            let model = load(&model)?;
            let bytes = std::fs::read(&data).with_context(|| format!("cannot read {}", data.display()))?;
            let dataset = read(&bytes, &data, false)?;
            for r in dataset.records.iter().take(limit) {
                let s = model.score(&r.snapshot);
                let reasons: Vec<&str> = s.reasons.iter().map(|x| if zh { x.zh.as_str() } else { x.en.as_str() }).collect();
                writeln!(out, "{}\tp={:.3}\t{} points\t{}", r.id, s.probability, s.points, reasons.join("; "))?;
            }
        }
        RiskWhat::Cv { data, kind, folds, seed, include_protected, folds_out, group_by_loan, format } => {
            let options = CvOptions { folds, seed, include_protected, group_by_loan };
            cross_validate(&data, kind, options, folds_out.as_deref(), format, &mut out)?;
        }
        RiskWhat::Psi { model, expected, actual } => {
            let model = load(&model)?;
            let score = |p: &Path| -> Result<Vec<f64>> {
                let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
                Ok(read(&bytes, p, false)?.records.iter().map(|r| model.probability(&r.snapshot)).collect())
            };
            let psi = metrics::psi(&score(&expected)?, &score(&actual)?);
            let flag = if psi > 0.25 { " (above 0.25: the population has shifted)" } else { "" };
            writeln!(out, "PSI of the score: {psi:.4}{flag}")?;
        }
    }
    Ok(())
}

fn today() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Date::from_days_since_epoch((secs / 86_400) as i32)
}

fn read(bytes: &[u8], path: &Path, two_classes: bool) -> Result<Dataset> {
    let parsed = if two_classes { data::read_csv(bytes) } else { data::read_csv_any_classes(bytes) };
    parsed.with_context(|| format!("in {}", path.display()))
}

fn load(path: &Path) -> Result<RiskModel> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    RiskModel::from_json(&text).with_context(|| format!("in {}", path.display()))
}

fn evaluation_table(eval: &Evaluation, out: &mut impl Write) -> Result<()> {
    let s = eval.summary;
    writeln!(out, "rows {}  defaults {}  AUC {:.4}  KS {:.4}  Gini {:.4}", s.rows, eval.defaults, s.auc, s.ks, s.gini)?;
    writeln!(out, "{:>6} {:>6} {:>10} {:>10} {:>10}", "decile", "rows", "pred_min", "pred_mean", "observed")?;
    for c in &eval.calibration {
        writeln!(
            out,
            "{:>6} {:>6} {:>10.4} {:>10.4} {:>10.4}",
            c.decile, c.rows, c.predicted_min, c.predicted_mean, c.observed_rate
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
/// How to cross-validate.
#[derive(Debug, Clone, Copy)]
struct CvOptions {
    folds: usize,
    seed: u64,
    include_protected: bool,
    group_by_loan: bool,
}

/// The loan an exported row belongs to: its ID without the trailing `-YYYY-MM`.
fn loan_of(id: &str) -> &str {
    match id.rsplitn(3, '-').collect::<Vec<_>>().as_slice() {
        [m, y, rest] if m.len() == 2 && y.len() == 4 && m.bytes().chain(y.bytes()).all(|b| b.is_ascii_digit()) => rest,
        _ => id,
    }
}

fn cross_validate(
    path: &Path,
    kind: Kind,
    options: CvOptions,
    folds_out: Option<&Path>,
    format: DocFormat,
    out: &mut impl Write,
) -> Result<()> {
    let CvOptions { folds, seed, include_protected, group_by_loan } = options;
    if !(2..=20).contains(&folds) {
        bail!("--folds: {folds} is not between 2 and 20");
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let dataset = read(&bytes, path, true)?;
    let assignment = if group_by_loan {
        let groups: Vec<&str> = dataset.records.iter().map(|r| loan_of(&r.id)).collect();
        rng::group_folds(&groups, &dataset.labels(), folds, seed)
    } else {
        rng::stratified_folds(&dataset.labels(), folds, seed)
    };
    if let Some(f) = folds_out {
        let mut w = String::from("ID,fold\n");
        for (r, k) in dataset.records.iter().zip(&assignment) {
            w.push_str(&format!("{},{k}\n", r.id));
        }
        std::fs::write(f, w).with_context(|| format!("cannot write {}", f.display()))?;
    }
    let provenance =
        Provenance { data_file: path.display().to_string(), data_sha256: sha256::hex_digest(&bytes), trained_on: "cv".into() };
    let opts = TrainOptions { seed, include_protected, ..TrainOptions::new(kind.into()) };
    let mut rows = Vec::new();
    for k in 0..folds {
        let train: Vec<usize> = (0..dataset.len()).filter(|&i| assignment[i] != k).collect();
        let test: Vec<usize> = (0..dataset.len()).filter(|&i| assignment[i] == k).collect();
        let started = Instant::now();
        let model = RiskModel::train(&dataset.subset(&train), &opts, &provenance)?;
        let secs = started.elapsed().as_secs_f64();
        let eval = model.evaluate(&dataset.subset(&test)).context("a fold with a single class")?;
        rows.push(serde_json::json!({"fold": k, "rows": eval.summary.rows, "auc": eval.summary.auc, "ks": eval.summary.ks, "train_seconds": secs}));
        if format == DocFormat::Table {
            writeln!(
                out,
                "fold {k}: {} rows  AUC {:.4}  KS {:.4}  trained in {secs:.2}s",
                eval.summary.rows, eval.summary.auc, eval.summary.ks
            )?;
        }
    }
    let mean = |key: &str| rows.iter().map(|r| r[key].as_f64().unwrap_or(0.0)).sum::<f64>() / rows.len() as f64;
    let (auc, ks, secs) = (mean("auc"), mean("ks"), mean("train_seconds"));
    match format {
        DocFormat::Table => {
            writeln!(out, "mean: AUC {auc:.4}  KS {ks:.4}  Gini {:.4}  training {secs:.2}s per fold", metrics::gini(auc))?
        }
        DocFormat::Json => writeln!(
            out,
            "{}",
            serde_json::json!({"kind": format!("{:?}", opts.kind).to_lowercase(), "folds": rows, "auc": auc, "ks": ks, "gini": metrics::gini(auc), "train_seconds": secs, "seed": seed, "include_protected": include_protected})
        )?,
    }
    Ok(())
}

/// The model the batch scores with: `--risk-model FILE`, or the shipped boosted trees.
pub fn risk_config(path: Option<&std::path::Path>) -> Result<arrears_app::risk::RiskConfig> {
    match path {
        None => Ok(arrears_app::risk::RiskConfig::shipped()),
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("--risk-model: cannot read {}", p.display()))?;
            arrears_app::risk::RiskConfig::from_json(&text).with_context(|| format!("--risk-model: {}", p.display()))
        }
    }
}

/// One line about a month-end step (nothing when the date ended no month).
pub fn print_month_end(r: &arrears_app::risk::RiskReport) {
    let Some(month) = &r.month else { return };
    if r.already_done {
        println!("{month}: month-end scoring already done");
        return;
    }
    let bands: Vec<String> = r.by_band.iter().map(|(b, n)| format!("{b} {n}")).collect();
    let drift = r.drift.as_ref().map_or(String::new(), |d| {
        format!("; drift: score PSI {:.3}{}", d.points_psi, if d.flagged() { " — FLAGGED (above 0.25)" } else { "" })
    });
    println!(
        "{month}: {} loan months recorded, {} loans scored{}{drift}",
        r.months_recorded,
        r.scored,
        if bands.is_empty() { String::new() } else { format!(" ({})", bands.join(", ")) }
    );
}

fn drift_table(runs: &[arrears_store::RiskRunRow], format: DocFormat, out: &mut impl Write) -> Result<()> {
    let parsed: Vec<(&arrears_store::RiskRunRow, Option<arrears_risk::Drift>)> =
        runs.iter().map(|r| (r, r.drift.as_deref().and_then(|d| serde_json::from_str(d).ok()))).collect();
    match format {
        DocFormat::Json => {
            let rows: Vec<serde_json::Value> = parsed
                .iter()
                .map(|(r, d)| {
                    serde_json::json!({"month": r.month, "run_on": r.run_on.to_string(), "status": r.status, "model": r.model,
                        "loans": r.loans, "drift": d, "flagged": d.as_ref().is_some_and(arrears_risk::Drift::flagged)})
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string(&rows)?)?;
        }
        DocFormat::Table => {
            writeln!(out, "{:<8} {:<10} {:>8}  {:>9}  features (PSI)", "month", "run on", "loans", "score PSI")?;
            for (r, d) in &parsed {
                match d {
                    None => writeln!(out, "{:<8} {:<10} {:>8}  {:>9}  ({})", r.month, r.run_on, r.loans, "-", r.status)?,
                    Some(d) => {
                        let features: Vec<String> = d.features_psi.iter().map(|(n, p)| format!("{n} {p:.3}")).collect();
                        writeln!(
                            out,
                            "{:<8} {:<10} {:>8}  {:>9.3}  {}{}",
                            r.month,
                            r.run_on,
                            r.loans,
                            d.points_psi,
                            features.join(", "),
                            if d.flagged() { "  FLAGGED" } else { "" }
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_exported_row_belongs_to_its_loan() {
        assert_eq!(super::loan_of("L00000217-2026-01"), "L00000217");
        assert_eq!(super::loan_of("BK-7-2026-12"), "BK-7");
        assert_eq!(super::loan_of("12345"), "12345", "a Taiwan row is its own group");
        assert_eq!(super::loan_of("L1-26-01"), "L1-26-01");
    }
}
