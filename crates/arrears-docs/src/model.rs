//! The data each document reads. Amounts and dates arrive formatted (grouped amounts, ISO
//! dates); the templates choose the words around them in each language.

use serde::Serialize;

/// The head of every document: who writes, its reference and date.
#[derive(Debug, Clone, Serialize)]
pub struct Letterhead {
    /// The lender's name in the document's language.
    pub lender: String,
    pub hotline: String,
    /// The document's own reference, e.g. `DL-L000123-2026-09-15`.
    pub reference: String,
    pub date: String,
}

/// One row of an amount table: `key` names the component (`principal`, `interest`, `penalty`,
/// `compound`, `fee`, `paid`, `court-fee`, …), which the templates put into words.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub key: String,
    pub amount: String,
}

/// A demand letter, or a lawyer's letter draft, about one loan.
#[derive(Debug, Clone, Serialize)]
pub struct Letter {
    pub head: Letterhead,
    pub borrower: String,
    pub loan: String,
    pub currency: String,
    pub principal: String,
    pub opened: String,
    /// The oldest due date not paid.
    pub due_since: String,
    pub days_past_due: u32,
    pub as_of: String,
    pub owed: Vec<Line>,
    pub total: String,
    /// The total in Chinese capitals (人民币…元整), for yuan.
    pub total_words: Option<String>,
    /// What the loan grows by each day it stays unpaid (penalty and compound interest).
    pub per_day: String,
    pub pay_by: String,
    pub pay_how: String,
    /// Whether the loan is, or will be, reported to the credit bureau as late.
    pub credit_report: bool,
    /// Whether the lender may go to court: false for a time-barred debt, and the letter then
    /// says nothing of courts.
    pub may_sue: bool,
}

/// A complaint (民事起诉状) draft: the parties, the claims and the facts.
#[derive(Debug, Clone, Serialize)]
pub struct Complaint {
    pub head: Letterhead,
    /// The court, when the case names one.
    pub court: Option<String>,
    pub plaintiff: String,
    pub defendant: String,
    pub defendant_phone: Option<String>,
    pub loan: String,
    pub currency: String,
    pub principal: String,
    pub opened: String,
    pub annual_rate: String,
    pub penalty_rate: String,
    pub term_months: u32,
    pub installments: u32,
    pub last_due: String,
    pub grace_days: u32,
    pub paid: String,
    pub payments: usize,
    pub due_since: String,
    pub days_past_due: u32,
    pub as_of: String,
    /// What is owed on `as_of`, by component.
    pub claims: Vec<Line>,
    pub total: String,
    pub total_words: Option<String>,
    /// `ordinary`, `summary`, `mediation` or `payment-order`.
    pub procedure: String,
    pub court_fee: String,
    /// Interest after a judgment paid late, when there is one.
    pub late_performance_interest: Option<String>,
}

/// A repayment or settlement certificate.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateDoc {
    pub head: Letterhead,
    /// `settlement` or `repayment`.
    pub kind: String,
    pub code: String,
    /// What the QR code holds: the public verification page of this certificate.
    pub verify_url: String,
    pub borrower: String,
    pub loan: String,
    pub currency: String,
    pub principal: String,
    pub opened: String,
    pub paid: String,
    pub payments: usize,
    pub last_payment: Option<String>,
    pub still_owed: String,
    pub closed_on: Option<String>,
    pub forgiven: String,
    /// The certificate's statement in the document's language.
    pub words: String,
}

/// One file of an evidence bundle.
#[derive(Debug, Clone, Serialize)]
pub struct IndexFile {
    pub name: String,
    pub bytes: usize,
    pub sha256: String,
}

/// The index of an evidence bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleIndex {
    pub head: Letterhead,
    pub loan: String,
    pub borrower: String,
    pub as_of: String,
    pub files: Vec<IndexFile>,
    /// The Ed25519 public key that verifies the bundle's manifest, in hex.
    pub public_key: String,
}
