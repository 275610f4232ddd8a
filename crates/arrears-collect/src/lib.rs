//! Collection strategies as configuration: which message goes out on which day relative to
//! the due date, through which channel, for which loans; the templates those messages use,
//! checked when they are loaded; and the stable split of loans between a champion strategy
//! and its challenger.
//!
//! [`Templates`] are loaded from TOML (`config/templates.toml`), each in Chinese and English,
//! refused if they lack what a borrower must be told or contain forbidden wording.
//! [`Strategy`] is loaded from TOML (`config/strategy.toml`) against those templates; an error
//! names the line. [`Strategy::steps_for`] answers which steps fire for a loan on a date.
//! [`Strategies`] picks the strategy of a product; [`render`] fills a template from a
//! [`LoanSnapshot`]; [`call_priority`] orders the agents' queue.
//! Everything here is pure: the caller passes the loan's facts and the date.

mod config;
mod plan;
mod strategy;
mod template;

pub use config::{ConfigError, DEFAULT_STRATEGY, DEFAULT_TEMPLATES, US_STRATEGY};
pub use plan::{amount_words, call_priority, render, Lender, LoanSnapshot, Rendered, Strategies};
pub use strategy::{Arm, LoanFacts, Step, Strategy};
pub use template::{Language, RenderError, Template, Templates, FORBIDDEN};
