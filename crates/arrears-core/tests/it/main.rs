//! Integration tests of `arrears-core`: overdue stories with hand-computed numbers, the cost
//! cap, the allocation waterfall, determinism, reversals, the ledger, property tests of the
//! invariants in DESIGN.md, and refusal of bad terms.
//!
//! One test binary for the crate (STYLE.md "Layout"); each module owns one subject.

mod allocation;
mod bad_input;
mod cost_cap;
mod determinism;
mod ledger;
mod properties;
mod relief;
mod reversal;
mod servicing;
mod support;
mod write_off;
