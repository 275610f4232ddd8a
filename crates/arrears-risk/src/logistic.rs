//! Logistic regression with an L2 penalty, fitted by Newton's method (iteratively reweighted
//! least squares) with step halving. The intercept is not penalised.

use serde::{Deserialize, Serialize};

/// Newton iterations before giving up on convergence.
pub const MAX_ITERATIONS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub intercept: f64,
    pub coefficients: Vec<f64>,
    pub iterations: usize,
    pub converged: bool,
}

impl Logistic {
    /// Log-odds of default for one row of features.
    pub fn logit(&self, x: &[f64]) -> f64 {
        self.intercept + self.coefficients.iter().zip(x).map(|(b, v)| b * v).sum::<f64>()
    }
}

pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Penalised log-likelihood: Σ log p(y) − λ/2·‖β‖².
fn objective(x: &[f64], p: usize, y: &[bool], beta: &[f64], lambda: f64) -> f64 {
    let ll: f64 = x
        .chunks_exact(p)
        .zip(y)
        .map(|(row, &yi)| {
            let z = beta[0] + row.iter().zip(&beta[1..]).map(|(a, b)| a * b).sum::<f64>();
            // log(1 + e^z) without overflow.
            let softplus = if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() };
            if yi {
                z - softplus
            } else {
                -softplus
            }
        })
        .sum();
    ll - 0.5 * lambda * beta[1..].iter().map(|b| b * b).sum::<f64>()
}

/// Fits `y` (true = default) on the rows of `x` (row-major, `p` columns each).
pub fn fit(x: &[f64], p: usize, y: &[bool], lambda: f64) -> Logistic {
    assert_eq!(x.len(), p * y.len(), "x holds p values per outcome");
    let d = p + 1;
    let mut beta = vec![0.0; d];
    let mut current = objective(x, p, y, &beta, lambda);
    let mut iterations = 0;
    let mut converged = false;
    while iterations < MAX_ITERATIONS {
        iterations += 1;
        let mut grad = vec![0.0; d];
        let mut hess = vec![0.0; d * d];
        let mut z = vec![0.0; d];
        for (row, &yi) in x.chunks_exact(p).zip(y) {
            z[0] = 1.0;
            z[1..].copy_from_slice(row);
            let mu = sigmoid(beta.iter().zip(&z).map(|(a, b)| a * b).sum());
            let w = (mu * (1.0 - mu)).max(1e-12);
            let r = f64::from(u8::from(yi)) - mu;
            for i in 0..d {
                grad[i] += r * z[i];
                for j in 0..=i {
                    hess[i * d + j] += w * z[i] * z[j];
                }
            }
        }
        for i in 1..d {
            grad[i] -= lambda * beta[i];
            hess[i * d + i] += lambda;
        }
        for i in 0..d {
            for j in 0..i {
                hess[j * d + i] = hess[i * d + j];
            }
        }
        let Some(step) = solve_spd(&mut hess, &grad, d) else { break };
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
            let value = objective(x, p, y, &trial, lambda);
            if value >= current - 1e-12 {
                beta = trial;
                current = value;
                accepted = true;
                break;
            }
            t /= 2.0;
        }
        let size = step.iter().fold(0.0f64, |m, s| m.max((t * s).abs()));
        if !accepted || size < 1e-9 {
            converged = accepted || size < 1e-9;
            break;
        }
    }
    Logistic { intercept: beta[0], coefficients: beta[1..].to_vec(), iterations, converged }
}

/// Solves A·s = b for a symmetric positive definite A by Cholesky (A is overwritten).
fn solve_spd(a: &mut [f64], b: &[f64], d: usize) -> Option<Vec<f64>> {
    for j in 0..d {
        let mut diag = a[j * d + j];
        for k in 0..j {
            diag -= a[j * d + k] * a[j * d + k];
        }
        if diag <= 1e-14 {
            return None;
        }
        let l = diag.sqrt();
        a[j * d + j] = l;
        for i in j + 1..d {
            let mut v = a[i * d + j];
            for k in 0..j {
                v -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = v / l;
        }
    }
    let mut y = vec![0.0; d];
    for i in 0..d {
        let mut v = b[i];
        for k in 0..i {
            v -= a[i * d + k] * y[k];
        }
        y[i] = v / a[i * d + i];
    }
    let mut s = vec![0.0; d];
    for i in (0..d).rev() {
        let mut v = y[i];
        for k in i + 1..d {
            v -= a[k * d + i] * s[k];
        }
        s[i] = v / a[i * d + i];
    }
    Some(s)
}
