//! The documents of a loan as PDF (`arrears_docs`): demand letters, lawyer's letter and
//! complaint drafts made from the claim on the open day and kept, byte for byte, in the
//! `documents` table so that the evidence bundle carries what was sent; certificates made again
//! from what was certified; and the bundle's index.
//!
//! A time-barred debt gets no lawyer's letter and no complaint, and its demand letter says
//! nothing of courts. A loan not past due gets no letter at all. The lawyer's letter and the
//! complaint follow Chinese law and civil procedure, so they are made for yuan loans only.

use arrears_collect::{Language, Lender};
use arrears_core::{Amount, Currency, Date, LoanTerms};
use arrears_docs::{render, CertificateDoc, Complaint, Document, Lang, Letter, Letterhead, Line};
use arrears_legal::bundle::sha256;
use arrears_legal::Procedure;
use arrears_store::{DocumentRow, Store};

use crate::legal::Claim;
use crate::service::open_day;
use crate::AppError;

/// Which letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterKind {
    /// 催收函, from the lender.
    Demand,
    /// 律师函 draft, for the lender's counsel.
    Lawyer,
}

/// A document made and kept.
#[derive(Debug, Clone)]
pub struct Made {
    pub id: i64,
    pub kind: &'static str,
    pub lang: Lang,
    pub pdf: Vec<u8>,
    pub pages: usize,
    pub sha256: String,
}

impl Made {
    /// The file name the bundle and the CLI give it: `document-3-demand-letter-zh.pdf`.
    pub fn file_name(&self) -> String {
        file_name(self.id, self.kind, self.lang.code())
    }
}

fn file_name(id: i64, kind: &str, lang: &str) -> String {
    format!("document-{id}-{kind}-{lang}.pdf")
}

fn language(lang: Lang) -> Language {
    match lang {
        Lang::Zh => Language::Zh,
        Lang::En => Language::En,
    }
}

/// The head of a document: the lender in `lang`, its hotline, and a reference made of `prefix`,
/// the loan and the date.
pub(crate) fn head(lender: &Lender, lang: Lang, prefix: &str, loan_no: &str, date: Date) -> Letterhead {
    Letterhead {
        lender: lender.name(language(lang)).to_owned(),
        hotline: lender.hotline.clone(),
        reference: format!("{prefix}-{loan_no}-{}", date.to_string().replace('-', "")),
        date: date.to_string(),
    }
}

/// What is owed, by component, as table rows: principal always, the rest when not zero, and
/// money held ahead as a deduction.
fn owed_lines(claim: &Claim) -> Vec<Line> {
    let o = &claim.owed;
    let mut lines = vec![Line { key: "principal".into(), amount: o.principal.grouped() }];
    for (key, amount) in [("interest", o.interest), ("penalty", o.penalty), ("compound", o.compound), ("fee", o.fee)] {
        if !amount.is_zero() {
            lines.push(Line { key: key.into(), amount: amount.grouped() });
        }
    }
    let held = o.total() - claim.total;
    if held > Amount::ZERO {
        lines.push(Line { key: "credit".into(), amount: Amount(-held.0).grouped() });
    }
    lines
}

fn words(claim: &Claim) -> Option<String> {
    (claim.currency == Currency::Cny.code()).then(|| arrears_docs::yuan_in_words(claim.total))
}

/// What a loan's documents need to know of it on the open day.
struct Facts {
    today: Date,
    loan_seq: i64,
    terms: LoanTerms,
    /// Payments posted.
    payments: usize,
    borrower: String,
    phone: Option<String>,
    lang: Lang,
    dpd: u32,
    due_since: Option<Date>,
    case_id: Option<i64>,
    court: Option<String>,
    time_barred: bool,
}

fn facts(store: &mut Store, loan_no: &str) -> Result<Facts, AppError> {
    let limitation = crate::legal::limitation(store, loan_no)?;
    store.read(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let today = open_day(tx)?.ok_or_else(|| AppError::invalid("date", "no business day is open yet"))?;
        let mut state = loan.state.clone();
        state.advance(&loan.terms, today.max(state.as_of))?;
        let borrower = tx.borrower(&loan.borrower_id)?;
        let case = tx.cases_of(loan.seq)?.into_iter().rev().find(|c| c.stage != "closed");
        let payments = tx.payments_of(loan.seq)?.iter().filter(|p| p.status == arrears_store::PaymentStatus::Posted).count();
        Ok(Facts {
            today,
            loan_seq: loan.seq,
            terms: loan.terms.clone(),
            payments,
            borrower: borrower.as_ref().map_or_else(|| loan.borrower_id.clone(), |b| b.name.clone()),
            phone: borrower.as_ref().and_then(|b| b.phone.clone()),
            lang: if borrower.as_ref().is_some_and(|b| b.language == "en") { Lang::En } else { Lang::Zh },
            dpd: state.dpd,
            due_since: state.oldest_unpaid_due(),
            case_id: case.as_ref().map(|c| c.id),
            court: case.and_then(|c| c.court),
            time_barred: limitation.time_barred,
        })
    })
}

fn keep(store: &mut Store, facts: &Facts, document: &Document, lang: Lang, by: &str, loan_no: &str) -> Result<Made, AppError> {
    let pdf = render(document, lang).map_err(|e| AppError::Io(e.to_string()))?;
    let digest = sha256(&pdf.bytes);
    let kind = document.kind();
    let row = DocumentRow {
        id: 0,
        loan_seq: facts.loan_seq,
        case_id: facts.case_id,
        kind: kind.to_owned(),
        lang: lang.code().to_owned(),
        made_on: facts.today,
        made_by: by.to_owned(),
        sha256: digest.clone(),
        pdf: pdf.bytes.clone(),
    };
    let id = store.transaction(|tx| {
        let id = tx.insert_document(&row)?;
        let detail = serde_json::json!({ "document": id, "kind": kind, "lang": lang.code(), "sha256": digest });
        tx.audit(facts.today, by, "document", loan_no, &detail.to_string())?;
        Ok::<_, AppError>(id)
    })?;
    Ok(Made { id, kind, lang, pdf: pdf.bytes, pages: pdf.pages, sha256: digest })
}

/// Refuses a document of Chinese law and procedure for a loan in another currency.
fn chinese_law(f: &Facts, loan_no: &str, what: &str) -> Result<(), AppError> {
    if f.terms.currency() != Currency::Cny {
        return Err(AppError::invalid(
            "loan",
            format!(
                "{loan_no} is a {} loan: the {what} follows Chinese law and civil procedure, made for yuan loans only",
                f.terms.currency().code()
            ),
        ));
    }
    Ok(())
}

fn need_by(by: &str) -> Result<(), AppError> {
    if by.trim().is_empty() {
        return Err(AppError::invalid("by", "say who makes the document"));
    }
    Ok(())
}

/// A demand letter or lawyer's letter draft for `loan_no` on the open day, in `lang` (default:
/// the borrower's language), asking for payment within `pay_within` days (1–60); kept.
pub fn letter(
    store: &mut Store,
    lender: &Lender,
    loan_no: &str,
    kind: LetterKind,
    lang: Option<Lang>,
    pay_within: u32,
    by: &str,
) -> Result<Made, AppError> {
    need_by(by)?;
    if !(1..=60).contains(&pay_within) {
        return Err(AppError::invalid("pay_within", format!("{pay_within} days is not from 1 to 60")));
    }
    let f = facts(store, loan_no)?;
    let (Some(due_since), true) = (f.due_since, f.dpd > 0) else {
        return Err(AppError::invalid("loan", format!("{loan_no} is not past due on {}: no letter is made", f.today)));
    };
    if kind == LetterKind::Lawyer {
        chinese_law(&f, loan_no, "lawyer's letter")?;
    }
    if kind == LetterKind::Lawyer && f.time_barred {
        return Err(AppError::invalid(
            "loan",
            format!("{loan_no} is time-barred: it is never threatened with suit, so no lawyer's letter is made"),
        ));
    }
    let claim = crate::legal::claim(store, loan_no, Some(f.today), Procedure::Ordinary)?;
    let tomorrow = crate::legal::claim(store, loan_no, Some(f.today.add_days(1)), Procedure::Ordinary)?;
    let lang = lang.unwrap_or(f.lang);
    let letter = Letter {
        head: head(lender, lang, if kind == LetterKind::Demand { "DL" } else { "LL" }, loan_no, f.today),
        borrower: f.borrower.clone(),
        loan: loan_no.to_owned(),
        currency: claim.currency.clone(),
        principal: claim.principal_lent.grouped(),
        opened: f.terms.start_date().to_string(),
        due_since: due_since.to_string(),
        days_past_due: f.dpd,
        as_of: f.today.to_string(),
        owed: owed_lines(&claim),
        total: claim.total.grouped(),
        total_words: words(&claim),
        per_day: (tomorrow.total - claim.total).max(Amount::ZERO).grouped(),
        pay_by: f.today.add_days(pay_within as i32).to_string(),
        pay_how: match lang {
            Lang::Zh => lender.pay_how_zh.clone(),
            Lang::En => lender.pay_how_en.clone(),
        },
        credit_report: true,
        may_sue: !f.time_barred,
    };
    let document = match kind {
        LetterKind::Demand => Document::Demand(letter),
        LetterKind::Lawyer => Document::LawyersLetter(letter),
    };
    keep(store, &f, &document, lang, by, loan_no)
}

/// A complaint draft for `loan_no`'s open case on the open day, by `procedure`; kept. Refused
/// without an open case, and for a time-barred debt.
pub fn complaint(
    store: &mut Store,
    lender: &Lender,
    loan_no: &str,
    lang: Option<Lang>,
    procedure: Procedure,
    by: &str,
) -> Result<Made, AppError> {
    need_by(by)?;
    let f = facts(store, loan_no)?;
    if f.case_id.is_none() {
        return Err(AppError::invalid("loan", format!("{loan_no} has no open legal case: open one first")));
    }
    chinese_law(&f, loan_no, "complaint")?;
    if f.time_barred {
        return Err(AppError::invalid("loan", format!("{loan_no} is time-barred: it is never sued")));
    }
    let Some(due_since) = f.due_since else {
        return Err(AppError::invalid("loan", format!("{loan_no} owes nothing past due on {}", f.today)));
    };
    let claim = crate::legal::claim(store, loan_no, Some(f.today), procedure)?;
    let terms = &f.terms;
    let lang = lang.unwrap_or(f.lang);
    let complaint = Complaint {
        head: head(lender, lang, "CP", loan_no, f.today),
        court: f.court.clone(),
        plaintiff: lender.name(language(lang)).to_owned(),
        defendant: f.borrower.clone(),
        defendant_phone: f.phone.clone(),
        loan: loan_no.to_owned(),
        currency: claim.currency.clone(),
        principal: claim.principal_lent.grouped(),
        opened: terms.start_date().to_string(),
        annual_rate: terms.annual_rate().to_string(),
        penalty_rate: terms.penalty_rate().to_string(),
        term_months: terms.term_months(),
        installments: terms.installment_count(),
        last_due: terms.last_due_date().to_string(),
        grace_days: terms.grace_days(),
        paid: claim.paid.grouped(),
        payments: f.payments,
        due_since: due_since.to_string(),
        days_past_due: f.dpd,
        as_of: f.today.to_string(),
        claims: owed_lines(&claim),
        total: claim.total.grouped(),
        total_words: words(&claim),
        procedure: procedure.code().to_owned(),
        court_fee: claim.court_fee.grouped(),
        late_performance_interest: (!claim.late_performance_interest.is_zero())
            .then(|| claim.late_performance_interest.grouped()),
    };
    keep(store, &f, &Document::Complaint(complaint), lang, by, loan_no)
}

/// The documents kept on `loan_no`, oldest first, with their PDFs when `with_pdf`.
pub fn kept(store: &mut Store, loan_no: &str, with_pdf: bool) -> Result<Vec<(String, DocumentRow)>, AppError> {
    store.read(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        Ok(tx.documents_of(loan.seq, with_pdf)?.into_iter().map(|d| (file_name(d.id, &d.kind, &d.lang), d)).collect())
    })
}

/// The PDF of the certificate with verification code `code` (or its address), in `lang`
/// (default: the borrower's language), its QR code holding `verify_base`/CODE.
pub fn certificate(
    store: &mut Store,
    lender: &Lender,
    code: &str,
    lang: Option<Lang>,
    verify_base: &str,
) -> Result<(crate::certificates::Certificate, arrears_docs::Pdf), AppError> {
    let c = crate::certificates::verify(store, code)?
        .ok_or_else(|| AppError::NotFound { what: "certificate", id: code.to_owned() })?;
    let f = facts(store, &c.statement.loan)?;
    let lang = lang.unwrap_or(f.lang);
    let s = &c.statement;
    let amount = |text: &str| Amount::parse(text).map_or_else(|_| text.to_owned(), Amount::grouped);
    let doc = CertificateDoc {
        head: head(lender, lang, if c.kind == "settlement" { "SC" } else { "RC" }, &s.loan, c.issued_on),
        kind: c.kind.clone(),
        code: c.code.clone(),
        verify_url: format!("{}/{}", verify_base.trim_end_matches('/'), c.code),
        borrower: f.borrower,
        loan: s.loan.clone(),
        currency: s.currency.clone(),
        principal: amount(&s.principal),
        opened: s.opened.clone(),
        paid: amount(&s.paid),
        payments: s.payments,
        last_payment: s.last_payment.clone(),
        still_owed: amount(&s.still_owed),
        closed_on: s.closed_on.clone(),
        forgiven: amount(&s.forgiven),
        words: match lang {
            Lang::Zh => s.words_zh.clone(),
            Lang::En => s.words_en.clone(),
        },
    };
    let pdf = render(&Document::Certificate(doc), lang).map_err(|e| AppError::Io(e.to_string()))?;
    Ok((c, pdf))
}
