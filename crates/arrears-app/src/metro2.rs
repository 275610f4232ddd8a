//! US furnishing from the book: a closed month's Metro 2 file for the dollar loans.
//!
//! Each dollar loan opened by the month's end and not closed before the month gets a base
//! segment from its month-end rows: the account status by days past due (`11`, `71` … `84`),
//! `97` while charged off and owing, `13` the month it was paid off (`64` if it had been charged
//! off), the 24-month payment history profile, the balance and amount past due, the original
//! charge-off, the date of first delinquency (the due date of the oldest unpaid installment),
//! the compliance condition (`XB` while a dispute is open at the month's end, `XH` the month
//! one was answered), and the consumer's identity. A loan whose borrower has no identity on file
//! cannot be matched by a bureau: it is left out and named, never sent half blank.
//!
//! FCRA §623(a)(7): a borrower whose first negative information goes to a bureau must be told
//! no later than 30 days after. The run lists those first reports whose borrower has not yet
//! been sent the credit-report notice (the US strategy sends it by letter on day 25), with the
//! day it is due by.

use arrears_bureau::metro2::{self, BaseSegment, Header, Standing};
use arrears_bureau::{month_key as key_of, month_of as index};
use arrears_core::{Amount, Bucket, Currency, Date};
use arrears_store::{BorrowerRecord, Identity, LoanRecord, MonthRow, PaymentRecord, Store};

use crate::bureau::{closed_month, FurnishReport, Furnishing, NOTICE_TEMPLATE};
use crate::AppError;

/// Who furnishes, as the header and every base segment name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Furnisher {
    /// The identification number the bureaus assigned the lender.
    pub id: String,
    pub name: String,
    pub address: String,
    pub phone: String,
}

/// A month's Metro 2 file, written but not yet recorded ([`Furnishing::commit`] records it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsFurnishing {
    pub text: String,
    pub furnishing: Furnishing,
    /// Loans left out because their borrower has no identity on file.
    pub missing_identity: Vec<String>,
    /// First negative reports whose borrower has not been sent the notice: the loan and the
    /// day the notice is due by.
    pub notices_due: Vec<(String, Date)>,
}

/// Where a loan stood in month `m`, from its rows (any order): the month it closed, or a month
/// with its row; `None` when it is not reported that month (not opened yet, closed before, or
/// no row).
fn standing(loan: &LoanRecord, rows: &[MonthRow], m: i64) -> Option<Standing> {
    let closed = loan.state.closed_on.map(index);
    if index(loan.terms.start_date()) > m || closed.is_some_and(|c| c < m) {
        return None;
    }
    if closed == Some(m) {
        return Some(if loan.state.written_off.is_some() { Standing::PaidAfterChargeOff } else { Standing::Paid });
    }
    let row = rows.iter().find(|r| r.month == key_of(m))?;
    Some(if row.bucket == Bucket::WrittenOff.label() {
        Standing::ChargedOff
    } else {
        Standing::Open { dpd: row.dpd.max(0) as u32 }
    })
}

/// The base segment of `loan` for month `m` (ending `end`), if it is reported that month.
#[allow(clippy::too_many_arguments)]
pub fn base_segment(
    loan: &LoanRecord,
    rows: &[MonthRow],
    m: i64,
    end: Date,
    paid_in_month: i64,
    payments: &[PaymentRecord],
    disputed: bool,
    dispute_answered: bool,
    furnisher: &Furnisher,
    borrower: Option<&BorrowerRecord>,
    identity: &Identity,
) -> Option<BaseSegment> {
    let opened = index(loan.terms.start_date());
    let now = standing(loan, rows, m)?;
    let this = rows.iter().find(|r| r.month == key_of(m));
    let previous: Vec<Option<char>> = (1..=24).map(|back| standing(loan, rows, m - back).map(Standing::history_code)).collect();
    let open = matches!(now, Standing::Open { .. });
    let (balance, past_due) = match (now, this) {
        (Standing::ChargedOff, Some(r)) => (r.balance, r.balance),
        (Standing::Open { .. }, Some(r)) => (r.balance, r.overdue),
        _ => (0, 0),
    };
    let first_delinquency = match now {
        Standing::Open { dpd } if dpd >= 30 => Some(end.add_days(-(dpd as i32))),
        Standing::ChargedOff | Standing::PaidAfterChargeOff => loan.state.written_off.map(|w| w.date.add_days(-(w.dpd as i32))),
        _ => None,
    };
    let scheduled =
        if open { arrears_core::schedule(&loan.terms).first().map_or(Amount::ZERO, |l| l.total()) } else { Amount::ZERO };
    let last_payment = payments.iter().filter(|p| p.loan_seq == loan.seq && p.value_date <= end).map(|p| p.value_date).max();
    let phone: String = borrower.and_then(|b| b.phone.as_deref()).unwrap_or("").chars().filter(char::is_ascii_digit).collect();
    let phone = phone.get(phone.len().saturating_sub(10)..).unwrap_or("").to_owned();
    Some(BaseSegment {
        time_stamp: format!("{:02}{:02}{:04}235959", end.month(), end.day(), end.year()),
        identification_number: furnisher.id.clone(),
        cycle: String::new(),
        account_number: loan.loan_no.clone(),
        portfolio_type: 'I',
        account_type: "01".into(),
        date_opened: loan.terms.start_date(),
        highest_credit: loan.terms.principal(),
        terms_duration: loan.terms.term_months(),
        terms_frequency: 'M',
        scheduled_payment: scheduled,
        actual_payment: Amount(paid_in_month),
        account_status: now.account_status().to_owned(),
        payment_rating: now.payment_rating(),
        history: metro2::history_profile(&previous, (m - opened).max(0) as usize),
        special_comment: String::new(),
        compliance_condition: if disputed {
            "XB".into()
        } else if dispute_answered {
            "XH".into()
        } else {
            String::new()
        },
        current_balance: Amount(balance),
        amount_past_due: Amount(past_due),
        original_charge_off: loan.state.written_off.map_or(Amount::ZERO, |w| w.amount.total()),
        date_account_information: end,
        date_first_delinquency: first_delinquency,
        date_closed: loan.state.closed_on.filter(|c| *c <= end),
        date_last_payment: last_payment,
        surname: identity.surname.clone(),
        first_name: identity.first_name.clone(),
        ssn: identity.ssn.clone(),
        date_birth: Some(identity.birth_date),
        telephone: phone,
        ecoa: '1',
        address: identity.address.clone(),
        city: identity.city.clone(),
        state: identity.state.clone(),
        zip: identity.zip.clone(),
    })
}

/// Whether a base segment carries negative information: late 30 days or more, or charged off,
/// this month or in its history profile.
fn negative(b: &BaseSegment) -> bool {
    !matches!(b.account_status.as_str(), "11" | "13") || b.history.chars().any(|c| matches!(c, '1'..='6' | 'L'))
}

/// Writes the Metro 2 file of `month` (`YYYY-MM`) for the dollar loans. Nothing is recorded.
pub fn furnish_us(store: &mut Store, month: &str, furnisher: &Furnisher) -> Result<UsFurnishing, AppError> {
    let (first, end) = closed_month(store, month)?;
    let m = index(end);
    let after = key_of(m - 25);
    let business = store.read(|tx| Ok::<_, AppError>(tx.business_date()?))?.unwrap_or(end);
    let told_by = crate::collect::day_start_utc(business.add_days(1)) - 1;
    let mut bases = Vec::new();
    let mut log = Vec::new();
    let mut missing_identity = Vec::new();
    let mut first_negative = Vec::new();
    let mut after_seq = 0;
    loop {
        let page = store.read(|tx| tx.loans_page(after_seq, 2_000))?;
        let Some(last) = page.last() else { break };
        after_seq = last.seq;
        let loans: Vec<&LoanRecord> = page.iter().filter(|l| l.terms.currency() == Currency::Usd).collect();
        let (Some(lo), Some(hi)) = (loans.first().map(|l| l.seq), loans.last().map(|l| l.seq)) else { continue };
        let seqs: Vec<i64> = loans.iter().map(|l| l.seq).collect();
        let ids: Vec<&str> = loans.iter().map(|l| l.borrower_id.as_str()).collect();
        let (months, disputed, answered, paid, payments, borrowers, identities) = store.read(|tx| {
            Ok::<_, AppError>((
                tx.months_of(&seqs, &after, month)?,
                tx.disputed_on(&seqs, end)?,
                tx.dispute_resolved_between(&seqs, first, end)?,
                tx.paid_by_loan(&seqs, first, end)?,
                tx.posted_payments_between(lo, hi)?,
                tx.borrowers(&ids)?,
                tx.identities(&ids)?,
            ))
        })?;
        let mut page_bases: Vec<(i64, BaseSegment)> = Vec::new();
        for loan in loans {
            let rows = months.get(&loan.seq).map_or(&[][..], Vec::as_slice);
            if standing(loan, rows, m).is_none() {
                continue;
            }
            let Some(identity) = identities.get(&loan.borrower_id) else {
                missing_identity.push(loan.loan_no.clone());
                continue;
            };
            let base = base_segment(
                loan,
                rows,
                m,
                end,
                paid.get(&loan.seq).copied().unwrap_or(0),
                &payments,
                disputed.contains(&loan.seq),
                answered.contains(&loan.seq),
                furnisher,
                borrowers.get(&loan.borrower_id),
                identity,
            )
            .expect("a loan standing in the month has a segment");
            page_bases.push((loan.seq, base));
        }
        let with_negative: Vec<i64> = page_bases.iter().filter(|(_, b)| negative(b)).map(|(s, _)| *s).collect();
        let (reported, told) = store.read(|tx| {
            Ok::<_, AppError>((
                tx.reported_negative_before(&with_negative, "us", month)?,
                tx.told_with(&with_negative, NOTICE_TEMPLATE, told_by)?,
            ))
        })?;
        for (seq, b) in page_bases {
            let neg = negative(&b);
            if neg && !reported.contains(&seq) && !told.contains(&seq) {
                first_negative.push((b.account_number.clone(), business.add_days(30)));
            }
            log.push((seq, b.account_status.clone(), neg, false));
            bases.push(b);
        }
    }
    let header = Header {
        cycle: String::new(),
        equifax_id: furnisher.id.clone(),
        experian_id: furnisher.id.chars().take(5).collect(),
        transunion_id: furnisher.id.clone(),
        activity_date: end,
        date_created: business,
        reporter_name: furnisher.name.clone(),
        reporter_address: furnisher.address.clone(),
        reporter_phone: furnisher.phone.clone(),
        software_vendor: "ARREARS".into(),
        software_version: env!("CARGO_PKG_VERSION").chars().filter(|c| *c != '.').take(5).collect(),
    };
    let text = metro2::write_file(&header, &bases);
    let report = FurnishReport { written: bases.len(), withheld: 0 };
    Ok(UsFurnishing {
        text,
        furnishing: Furnishing::new(month, "us", report, log),
        missing_identity,
        notices_due: first_negative,
    })
}
