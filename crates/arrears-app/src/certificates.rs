//! Certificates for borrowers: a settlement certificate (结清证明) once a loan is closed, and a
//! repayment certificate (还款证明) of what was paid by a day. Each carries a verification code
//! anyone may check; the check says whether it is genuine, for which loan and what it
//! certifies, and nothing else about the borrower. `documents::certificate` makes its PDF, whose QR
//! code holds the address of the public check.

use arrears_core::{Amount, Date, LoanStatus};
use arrears_legal::certificate::{new_code, normalize};
use arrears_store::{PaymentStatus, Store};
use serde::{Deserialize, Serialize};

use crate::service::open_day;
use crate::AppError;

/// What a certificate certifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
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
    pub words_en: String,
    pub words_zh: String,
}

/// A certificate as issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub code: String,
    /// `settlement` or `repayment`.
    pub kind: String,
    pub issued_on: Date,
    pub statement: Statement,
}

/// Issues a certificate of `kind` for `loan_no` on the open day: a settlement certificate
/// only for a loan paid off.
pub fn issue(store: &mut Store, loan_no: &str, kind: &str, by: &str) -> Result<Certificate, AppError> {
    if !["settlement", "repayment"].contains(&kind) {
        return Err(AppError::invalid("kind", format!("`{kind}` is not settlement or repayment")));
    }
    if by.trim().is_empty() {
        return Err(AppError::invalid("by", "say who issues the certificate"));
    }
    let code = new_code().map_err(|e| AppError::Io(e.to_string()))?;
    store.transaction(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let today = open_day(tx)?.ok_or_else(|| AppError::invalid("date", "no business day is open yet"))?;
        let mut state = loan.state.clone();
        state.advance(&loan.terms, today.max(state.as_of))?;
        let s = &state;
        if kind == "settlement" && s.status != LoanStatus::PaidOff {
            return Err(AppError::invalid(
                "kind",
                format!(
                    "{loan_no} is not paid off ({} is still owed): a settlement certificate is issued once it is",
                    s.outstanding().total()
                ),
            ));
        }
        let posted: Vec<_> = tx.payments_of(loan.seq)?.into_iter().filter(|p| p.status == PaymentStatus::Posted).collect();
        let paid: Amount = posted.iter().map(|p| p.amount).sum();
        let last = posted.iter().map(|p| p.value_date).max();
        let owed = if s.status == LoanStatus::PaidOff { Amount::ZERO } else { s.outstanding().total() };
        let forgiven = s.waived().total();
        let cur = loan.terms.currency().code();
        let (en, zh) = if kind == "settlement" {
            let closed = s.closed_on.map_or_else(String::new, |d| d.to_string());
            let settled = s.reliefs.iter().any(|r| r.relief == arrears_core::Relief::Settlement);
            let (mut how_en, mut how_zh) = (String::new(), String::new());
            if settled {
                how_en.push_str(&format!(" by an agreed settlement ({forgiven} {cur} forgiven)"));
                how_zh.push_str(&format!("（经协商减免{forgiven}{cur}）"));
            } else if forgiven > Amount::ZERO {
                how_en.push_str(&format!(" under a hardship relief ({forgiven} {cur} of penalty and fees forgiven)"));
                how_zh.push_str(&format!("（困难纾解中减免罚息及费用{forgiven}{cur}）"));
            }
            if s.written_off.is_some() {
                how_en.push_str(" after it had been written off");
                how_zh.push_str("（曾核销后收回）");
            }
            (
                format!(
                    "Loan {loan_no} of {} {cur}, opened on {}, was settled in full{how_en} on {closed}; nothing is owed on it.",
                    loan.terms.principal(),
                    loan.terms.start_date()
                ),
                format!(
                    "借款{loan_no}（本金{}{cur}，{}发放）已于{closed}全部结清{how_zh}，无任何欠款。",
                    loan.terms.principal(),
                    loan.terms.start_date()
                ),
            )
        } else {
            (
                format!(
                    "By {today}, {} payments totalling {paid} {cur} were received on loan {loan_no}; {owed} {cur} is still owed.",
                    posted.len()
                ),
                format!("截至{today}，借款{loan_no}共收到还款{}笔，合计{paid}{cur}；尚欠{owed}{cur}。", posted.len()),
            )
        };
        let statement = Statement {
            loan: loan_no.to_owned(),
            currency: cur.to_owned(),
            principal: loan.terms.principal().to_string(),
            opened: loan.terms.start_date().to_string(),
            paid: paid.to_string(),
            payments: posted.len(),
            last_payment: last.map(|d| d.to_string()),
            still_owed: owed.to_string(),
            closed_on: s.closed_on.map(|d| d.to_string()),
            forgiven: forgiven.to_string(),
            words_en: en,
            words_zh: zh,
        };
        tx.insert_certificate(&code, loan.seq, kind, today, by, &serde_json::to_string(&statement).expect("JSON"))?;
        tx.audit(today, by, "certificate", loan_no, &serde_json::json!({ "kind": kind, "code": code }).to_string())?;
        Ok(Certificate { code: code.clone(), kind: kind.to_owned(), issued_on: today, statement })
    })
}

/// The certificate with this verification code, if one was issued. The code may come as the
/// address its QR code holds (`…/verify/CODE`).
pub fn verify(store: &mut Store, code: &str) -> Result<Option<Certificate>, AppError> {
    let code = code.trim().trim_end_matches('/');
    let Some(code) = normalize(code.rsplit('/').next().unwrap_or(code)) else { return Ok(None) };
    store.read(|tx| {
        let Some((kind, issued_on, text)) = tx.certificate(&code)? else { return Ok(None) };
        let statement: Statement =
            serde_json::from_str(&text).map_err(|e| arrears_store::StoreError::Corrupt(format!("certificate {code}: {e}")))?;
        Ok(Some(Certificate { code, kind, issued_on, statement }))
    })
}

/// A certificate of `kind` for a borrower's own loan, asked for in the portal: a settlement
/// certificate is the one issued already, or a new one; a repayment certificate is issued anew
/// each time (it certifies what was paid by that day). Issued by the borrower; another
/// borrower's loan is not found.
pub fn for_borrower(store: &mut Store, loan_no: &str, borrower_id: &str, kind: &str) -> Result<String, AppError> {
    let not_found = || AppError::NotFound { what: "loan", id: loan_no.to_owned() };
    let existing = store.read(|tx| {
        let loan = tx.loan(loan_no)?.filter(|l| l.borrower_id == borrower_id).ok_or_else(not_found)?;
        Ok::<_, AppError>(if kind == "settlement" { tx.certificates_of(loan.seq, kind)?.into_iter().next() } else { None })
    })?;
    match existing {
        Some(code) => Ok(code),
        None => Ok(issue(store, loan_no, kind, &format!("borrower:{borrower_id}"))?.code),
    }
}
