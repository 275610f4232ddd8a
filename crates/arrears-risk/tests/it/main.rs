//! Integration tests of `arrears-risk`: metrics against hand-computed cases, monotone WOE,
//! the logistic regression, boosted trees learning a rule, determinism, bad input named by
//! column and line, reason codes, and a sanity threshold on a sample of the real data.
//!
//! One test binary for the crate (STYLE.md "Layout"); each module owns one subject.

mod bad_input;
mod determinism;
mod features;
mod metrics;
mod models;
mod support;
