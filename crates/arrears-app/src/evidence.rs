//! The evidence of a loan for court, as files: the contract's terms and schedule, the
//! disbursement (transfer) record, the repayment ledger, the payments, the communication record,
//! the demand letters sent, the claim computation as of a date, the case with its steps, every
//! document kept on the loan (the PDFs as made), and an index PDF listing each file with its
//! SHA-256. `arrears_legal::bundle` packs them, hashed and signed.

use arrears_bureau::csv_field;
use arrears_collect::Lender;
use arrears_core::ledger::EntryKind;
use arrears_core::Date;
use arrears_docs::{render, BundleIndex, Document, IndexFile, Lang};
use arrears_legal::bundle::{sha256, BundleFile};
use arrears_legal::Procedure;
use arrears_store::Store;

use crate::AppError;

fn csv(header: &str, rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut out = String::from(header);
    out.push('\n');
    for row in rows {
        out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// The evidence files of `loan_no`, with its claim as of `as_of` (default: the open day), and
/// last the index, which names `public_key` as the one that verifies the bundle.
pub fn files(
    store: &mut Store,
    lender: &Lender,
    loan_no: &str,
    as_of: Option<Date>,
    public_key: &str,
) -> Result<(Date, Vec<BundleFile>), AppError> {
    let claim = crate::legal::claim(store, loan_no, as_of, Procedure::Ordinary)?;
    let cases = crate::legal::cases(store, loan_no)?;
    let documents = crate::documents::kept(store, loan_no, true)?;
    let (as_of, mut files, borrower, lang) = store.read(|tx| {
        let loan = tx.loan(loan_no)?.ok_or_else(|| AppError::NotFound { what: "loan", id: loan_no.to_owned() })?;
        let ledger = tx.ledger(loan.seq)?;
        let payments = tx.payments_of(loan.seq)?;
        let contacts = tx.contacts_of(loan.seq)?;
        let mut files = Vec::new();
        let contract = serde_json::json!({
            "loan": loan.loan_no, "borrower": loan.borrower_id, "product": loan.product,
            "terms": loan.terms, "schedule": arrears_core::schedule(&loan.terms),
        });
        files.push(BundleFile { name: "contract.json".into(), bytes: serde_json::to_vec_pretty(&contract).expect("JSON") });
        let lines = |kinds: &[EntryKind]| -> Vec<Vec<String>> {
            ledger
                .iter()
                .filter(|e| kinds.is_empty() || kinds.contains(&e.entry.kind))
                .flat_map(|e| {
                    e.entry.lines.iter().map(move |l| {
                        vec![
                            e.entry_no.to_string(),
                            e.entry.date.to_string(),
                            e.entry.kind.code().to_owned(),
                            e.reference.clone(),
                            l.account.code(),
                            l.amount.to_string(),
                        ]
                    })
                })
                .collect()
        };
        let header = "entry,date,kind,reference,account,amount";
        files.push(BundleFile { name: "disbursement.csv".into(), bytes: csv(header, lines(&[EntryKind::Disbursement])) });
        files.push(BundleFile { name: "repayment-ledger.csv".into(), bytes: csv(header, lines(&[])) });
        files.push(BundleFile {
            name: "payments.csv".into(),
            bytes: csv(
                "id,key,value_date,amount,status",
                payments.iter().map(|p| {
                    vec![p.id.to_string(), p.idem_key.clone(), p.value_date.to_string(), p.amount.to_string(), format!("{:?}", p.status).to_lowercase()]
                }),
            ),
        });
        files.push(BundleFile {
            name: "communications.csv".into(),
            bytes: csv(
                "contact,business_date,local_time,channel,party,purpose,template,decision,rule,recipient,words,events",
                contacts.iter().map(|c| {
                    let events: Vec<String> = c.events.iter().map(|(e, at, detail)| format!("{e}@{at}:{detail}")).collect();
                    vec![
                        c.contact_key.clone(),
                        c.business_date.to_string(),
                        c.at_local.clone(),
                        c.channel.clone(),
                        c.party.clone(),
                        c.purpose.clone(),
                        c.template.clone(),
                        c.decision.clone(),
                        c.rule.clone().unwrap_or_default(),
                        c.recipient.clone(),
                        c.content.clone(),
                        events.join("; "),
                    ]
                }),
            ),
        });
        let letters: String = contacts
            .iter()
            .filter(|c| c.template == "demand-letter" && c.decision == "allowed")
            .map(|c| format!("{} {} ({})\n{}\n\n", c.business_date, c.channel, c.contact_key, c.content))
            .collect();
        files.push(BundleFile { name: "demand-letters.txt".into(), bytes: letters.into_bytes() });
        files.push(BundleFile { name: "claim.json".into(), bytes: serde_json::to_vec_pretty(&claim).expect("JSON") });
        let case_doc: Vec<serde_json::Value> = cases
            .iter()
            .map(|(c, steps)| {
                serde_json::json!({
                    "case": c.id, "stage": c.stage, "court": c.court, "case_no": c.case_no,
                    "judgment_amount": c.judgment_amount.map(|a| arrears_core::Amount(a).to_string()),
                    "perform_by": c.perform_by.map(|d| d.to_string()),
                    "steps": steps.iter().map(|s| serde_json::json!({"stage": s.stage, "on": s.on_date.to_string(), "by": s.actor, "note": s.note})).collect::<Vec<_>>(),
                })
            })
            .collect();
        files.push(BundleFile { name: "case.json".into(), bytes: serde_json::to_vec_pretty(&case_doc).expect("JSON") });
        let borrower = tx.borrower(&loan.borrower_id)?;
        let lang = if borrower.as_ref().is_some_and(|b| b.language == "en") { Lang::En } else { Lang::Zh };
        Ok::<_, AppError>((claim.as_of, files, borrower.map_or(loan.borrower_id, |b| b.name), lang))
    })?;
    files.extend(documents.into_iter().map(|(name, d)| BundleFile { name, bytes: d.pdf }));
    let index = BundleIndex {
        head: crate::documents::head(lender, lang, "EB", loan_no, as_of),
        loan: loan_no.to_owned(),
        borrower,
        as_of: as_of.to_string(),
        files: files.iter().map(|f| IndexFile { name: f.name.clone(), bytes: f.bytes.len(), sha256: sha256(&f.bytes) }).collect(),
        public_key: public_key.to_owned(),
    };
    let pdf = render(&Document::Index(index), lang).map_err(|e| AppError::Io(e.to_string()))?;
    files.push(BundleFile { name: "index.pdf".into(), bytes: pdf.bytes });
    Ok((as_of, files))
}
