#!/usr/bin/env python3
"""Reference models for `arrears risk cv`: scikit-learn logistic regression and LightGBM on
the same stratified folds as the Rust models.

The folds come from Rust, so both sides split the rows identically:

    arrears risk cv --data data/taiwan_credit_default_train.csv --kind scorecard \
        --folds 5 --seed 1 --folds-out /tmp/folds.csv
    python3 bench/risk_compare.py --data data/taiwan_credit_default_train.csv --folds /tmp/folds.csv

Inputs are the raw columns the Rust features are built from: LIMIT_BAL, AGE, PAY_0, PAY_2..6,
BILL_AMT1..6, PAY_AMT1..6 (EDUCATION is not used by the Rust models either); SEX and MARRIAGE
only with --include-protected. Needs `pip install scikit-learn lightgbm`.
"""

import argparse
import csv
import json
import time
import warnings

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

TARGET = "default.payment.next.month"
BASE = ["LIMIT_BAL", "AGE", "PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6"] + [
    f"BILL_AMT{i}" for i in range(1, 7)
] + [f"PAY_AMT{i}" for i in range(1, 7)]
PROTECTED = ["SEX", "MARRIAGE"]


def ks(y, p):
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def load(path, columns):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r[c]) for c in columns] for r in rows])
    y = np.array([int(r[TARGET]) for r in rows])
    ids = [r["ID"] for r in rows]
    return ids, x, y


def models(seed):
    def logreg():
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))

    def lightgbm():
        return lgb.LGBMClassifier(
            n_estimators=2000,
            learning_rate=0.03,
            num_leaves=15,
            max_depth=5,
            min_child_samples=40,
            subsample=0.8,
            subsample_freq=1,
            colsample_bytree=0.8,
            reg_lambda=1.0,
            random_state=seed,
            n_jobs=1,
            verbose=-1,
        )

    return {"sklearn LogisticRegression (standardized raw)": logreg, "LightGBM": lightgbm}


def main():
    # LightGBM 4.6 warns that `eval_set` will be renamed; the call is the same on older versions.
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*eval_set.*")
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--folds", required=True, help="ID,fold file from `arrears risk cv --folds-out`")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--include-protected", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    columns = BASE + (PROTECTED if args.include_protected else [])
    ids, x, y = load(args.data, columns)
    with open(args.folds, newline="") as f:
        fold_of = {r["ID"]: int(r["fold"]) for r in csv.DictReader(f)}
    folds = np.array([fold_of[i] for i in ids])

    report = {}
    for name, make in models(args.seed).items():
        per_fold = []
        for k in sorted(set(folds)):
            train, test = folds != k, folds == k
            m = make()
            started = time.perf_counter()
            if name == "LightGBM":
                # Early stopping on a stratified 15% of the training folds, as the Rust GBDT does.
                xt, xv, yt, yv = train_test_split(
                    x[train], y[train], test_size=0.15, stratify=y[train], random_state=args.seed
                )
                m.fit(xt, yt, eval_set=[(xv, yv)], eval_metric="binary_logloss",
                      callbacks=[lgb.early_stopping(100, verbose=False)])
            else:
                m.fit(x[train], y[train])
            secs = time.perf_counter() - started
            p = m.predict_proba(x[test])[:, 1]
            per_fold.append({"fold": int(k), "auc": roc_auc_score(y[test], p), "ks": ks(y[test], p), "train_seconds": secs})
        mean = {key: float(np.mean([f[key] for f in per_fold])) for key in ("auc", "ks", "train_seconds")}
        report[name] = {"folds": per_fold, **mean}
        if not args.json:
            for f in per_fold:
                print(f"{name}: fold {f['fold']}: AUC {f['auc']:.4f}  KS {f['ks']:.4f}  trained in {f['train_seconds']:.2f}s")
            print(f"{name}: mean AUC {mean['auc']:.4f}  KS {mean['ks']:.4f}  Gini {2 * mean['auc'] - 1:.4f}  "
                  f"training {mean['train_seconds']:.2f}s per fold")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
