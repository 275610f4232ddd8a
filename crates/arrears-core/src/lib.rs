//! The pure servicing domain of Arrears.
//!
//! Money is [`Amount`] (integer minor units) and [`Rate`] (parts per 10^8); dates are
//! [`Date`] and never come from a clock. [`LoanTerms`] are a loan's validated contract;
//! [`schedule`] spreads it into installments; [`LoanState`] moves through business days
//! ([`LoanState::advance`]) and takes payments ([`LoanState::apply_payment`]); the
//! [`ledger`] turns every change into balanced entries. Nothing here does I/O.

pub mod date;
pub mod ledger;
pub mod loan;
pub mod money;
pub mod payment;
pub mod rate;
pub mod relief;
pub mod schedule;
pub mod status;
pub mod terms;

pub use date::{Date, DayCount};
pub use loan::{Components, InstallmentState, LoanError, LoanEvent, LoanState, LoanStatus, WriteOff};
pub use money::{Amount, Currency, Money};
pub use payment::{Allocation, AllocationLine, PaymentFact};
pub use rate::{Rate, Rounding};
pub use relief::{Event, PenaltyTreatment, Relief, ReliefAt};
pub use schedule::{schedule, ScheduledInstallment};
pub use status::{Bucket, Classification, StatusChange};
pub use terms::{
    AllocationMode, AllocationOrder, Component, LateFee, LateFeeRule, LoanTerms, ProductRules, RepaymentMethod, TermsError,
    TermsInput,
};
