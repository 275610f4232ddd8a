//! Every document in both languages, read back: its text carries the names and amounts it was
//! given, its page has ink, a certificate's QR code reads back as its verification address,
//! and the same data gives the same bytes.

use arrears_docs::{render, BundleIndex, CertificateDoc, Complaint, Document, IndexFile, Lang, Letter, Letterhead, Line, Pdf};

use crate::poppler;

fn head(lang: Lang) -> Letterhead {
    Letterhead {
        lender: if lang == Lang::Zh { "示例银行".into() } else { "Example Bank".into() },
        hotline: "95500".into(),
        reference: "DL-L000042-2026-09-15".into(),
        date: "2026-09-15".into(),
    }
}

fn line(key: &str, amount: &str) -> Line {
    Line { key: key.into(), amount: amount.into() }
}

fn letter(lang: Lang, borrower: &str, may_sue: bool) -> Letter {
    Letter {
        head: head(lang),
        borrower: borrower.into(),
        loan: "L000042".into(),
        currency: "CNY".into(),
        principal: "12,000.00".into(),
        opened: "2026-01-10".into(),
        due_since: "2026-05-10".into(),
        days_past_due: 128,
        as_of: "2026-09-15".into(),
        owed: vec![line("principal", "9,012.34"), line("interest", "456.78"), line("penalty", "321.09"), line("fee", "50.00")],
        total: "9,840.21".into(),
        total_words: Some("人民币玖仟捌佰肆拾元贰角壹分".into()),
        per_day: "4.73".into(),
        pay_by: "2026-09-30".into(),
        pay_how: if lang == Lang::Zh {
            "手机银行App“我的借款”页面".into()
        } else {
            "the My Loans page of the app".into()
        },
        credit_report: true,
        may_sue,
    }
}

fn certificate(lang: Lang) -> CertificateDoc {
    CertificateDoc {
        head: head(lang),
        kind: "settlement".into(),
        code: "7KQ4-2M9X-ABCD-EFGH".into(),
        verify_url: "https://loans.example.cn/verify/7KQ4-2M9X-ABCD-EFGH".into(),
        borrower: "王小明".into(),
        loan: "L000042".into(),
        currency: "CNY".into(),
        principal: "12,000.00".into(),
        opened: "2026-01-10".into(),
        paid: "13,140.55".into(),
        payments: 13,
        last_payment: Some("2026-11-02".into()),
        still_owed: "0.00".into(),
        closed_on: Some("2026-11-02".into()),
        forgiven: "0.00".into(),
        words: if lang == Lang::Zh {
            "借款L000042（本金12000.00CNY，2026-01-10发放）已于2026-11-02全部结清，无任何欠款。".into()
        } else {
            "Loan L000042 of 12000.00 CNY, opened on 2026-01-10, was settled in full on 2026-11-02; nothing is owed on it.".into()
        },
    }
}

fn complaint(lang: Lang) -> Complaint {
    Complaint {
        head: head(lang),
        court: Some("北京互联网法院".into()),
        plaintiff: "示例银行股份有限公司".into(),
        defendant: "王小明".into(),
        defendant_phone: Some("13800000042".into()),
        loan: "L000042".into(),
        currency: "CNY".into(),
        principal: "12,000.00".into(),
        opened: "2026-01-10".into(),
        annual_rate: "18%".into(),
        penalty_rate: "27%".into(),
        term_months: 12,
        installments: 12,
        last_due: "2027-01-10".into(),
        grace_days: 3,
        paid: "4,100.00".into(),
        payments: 4,
        due_since: "2026-05-10".into(),
        days_past_due: 128,
        as_of: "2026-09-15".into(),
        claims: vec![line("principal", "9,012.34"), line("interest", "456.78"), line("penalty", "321.09"), line("fee", "50.00")],
        total: "9,840.21".into(),
        total_words: Some("人民币玖仟捌佰肆拾元贰角壹分".into()),
        procedure: "summary".into(),
        court_fee: "25.00".into(),
        late_performance_interest: None,
    }
}

fn index(lang: Lang) -> BundleIndex {
    BundleIndex {
        head: head(lang),
        loan: "L000042".into(),
        borrower: "王小明".into(),
        as_of: "2026-09-15".into(),
        files: vec![
            IndexFile { name: "contract.json".into(), bytes: 2048, sha256: "ab".repeat(32) },
            IndexFile { name: "demand-letter-zh.pdf".into(), bytes: 40960, sha256: "cd".repeat(32) },
        ],
        public_key: "ef".repeat(32),
    }
}

/// Renders, checks it is a PDF with a page that has ink, and returns it with its text (when
/// pdftotext is here), whitespace removed so that line breaks do not split what is sought.
fn rendered(document: &Document, lang: Lang) -> (Pdf, Option<String>) {
    let pdf = render(document, lang).unwrap_or_else(|e| panic!("{} in {lang:?}: {e}", document.kind()));
    assert!(pdf.bytes.starts_with(b"%PDF-"), "{}", document.kind());
    assert!(pdf.pages >= 1);
    if let Some((_, _, pixels)) = poppler::page_grey(&pdf.bytes, 1, 50) {
        let ink = poppler::ink_per_mille(&pixels);
        assert!(ink >= 5, "{} in {lang:?}: the first page is blank ({ink}‰ ink)", document.kind());
    }
    let text = poppler::text(&pdf.bytes).map(|t| t.split_whitespace().collect::<String>());
    (pdf, text)
}

fn assert_has(text: &Option<String>, wanted: &[&str]) {
    if let Some(text) = text {
        for w in wanted {
            assert!(text.contains(&w.split_whitespace().collect::<String>()), "`{w}` not in:\n{text}");
        }
    }
}

#[test]
fn a_demand_letter_states_the_debt_in_chinese_and_english() {
    let (_, zh) = rendered(&Document::Demand(letter(Lang::Zh, "王小明", true)), Lang::Zh);
    assert_has(
        &zh,
        &[
            "催收函",
            "尊敬的王小明",
            "L000042",
            "9,012.34",
            "456.78",
            "321.09",
            "9,840.21",
            "人民币玖仟捌佰肆拾元贰角壹分",
            "逾期128天",
            "2026-09-30",
            "每日CNY4.73",
            "征信",
            "人民法院",
            "95500",
        ],
    );
    let (_, en) = rendered(&Document::Demand(letter(Lang::En, "Wang Xiaoming", true)), Lang::En);
    assert_has(
        &en,
        &[
            "Demand for Payment",
            "Dear Wang Xiaoming",
            "Principal",
            "9,012.34",
            "Total owed",
            "9,840.21",
            "128 days past due",
            "court",
        ],
    );
}

#[test]
fn a_time_barred_letter_says_nothing_of_courts() {
    for lang in [Lang::Zh, Lang::En] {
        let (_, text) = rendered(&Document::Demand(letter(lang, "王小明", false)), lang);
        if let Some(text) = text {
            assert!(!text.contains("法院") && !text.to_lowercase().contains("court"), "{text}");
        }
    }
}

#[test]
fn a_name_is_text_not_markup() {
    let name = "#strong[x] *y* $z$ \\ @ref <l> 王_小_明";
    let (_, text) = rendered(&Document::Demand(letter(Lang::Zh, name, true)), Lang::Zh);
    assert_has(&text, &["#strong[x]*y*$z$\\@ref<l>王_小_明"]);
}

#[test]
fn a_lawyers_letter_and_a_complaint_are_marked_as_drafts() {
    let (_, zh) = rendered(&Document::LawyersLetter(letter(Lang::Zh, "王小明", true)), Lang::Zh);
    assert_has(&zh, &["律师函（草稿）", "须经受托律师审核", "9,840.21", "人民法院"]);
    let (_, en) = rendered(&Document::LawyersLetter(letter(Lang::En, "Wang Xiaoming", true)), Lang::En);
    assert_has(&en, &["Lawyer's Letter (draft)", "9,840.21"]);
    let (_, zh) = rendered(&Document::Complaint(complaint(Lang::Zh)), Lang::Zh);
    assert_has(
        &zh,
        &[
            "民事起诉状（草稿）",
            "原告",
            "示例银行股份有限公司",
            "被告",
            "王小明",
            "诉讼请求",
            "9,012.34",
            "以上合计",
            "9,840.21",
            "简易程序",
            "CNY25.00",
            "事实与理由",
            "北京互联网法院",
            "年利率18%",
        ],
    );
    let (_, en) = rendered(&Document::Complaint(complaint(Lang::En)), Lang::En);
    assert_has(&en, &["Civil Complaint (draft)", "Plaintiff", "Total claimed", "9,840.21", "summary procedure", "CNY 25.00"]);
}

#[test]
fn a_certificate_carries_its_code_and_a_qr_code_of_its_address() {
    for lang in [Lang::Zh, Lang::En] {
        let doc = Document::Certificate(certificate(lang));
        let (pdf, text) = rendered(&doc, lang);
        assert_has(&text, &["7KQ4-2M9X-ABCD-EFGH", "L000042", "13,140.55", "2026-11-02"]);
        assert_has(&text, &[if lang == Lang::Zh { "结清证明" } else { "Settlement Certificate" }]);
        if let Some((w, h, pixels)) = poppler::page_grey(&pdf.bytes, 1, 150) {
            assert_eq!(poppler::qr_codes(w, h, &pixels), vec!["https://loans.example.cn/verify/7KQ4-2M9X-ABCD-EFGH"]);
        }
    }
}

#[test]
fn an_index_lists_every_file_with_its_digest() {
    let (_, text) = rendered(&Document::Index(index(Lang::Zh)), Lang::Zh);
    assert_has(
        &text,
        &["证据材料目录", "contract.json", "借款合同条款", "demand-letter-zh.pdf", &"ab".repeat(32), &"ef".repeat(32)],
    );
}

#[test]
fn the_same_data_gives_the_same_bytes() {
    let doc = Document::Demand(letter(Lang::Zh, "王小明", true));
    assert_eq!(render(&doc, Lang::Zh).unwrap().bytes, render(&doc, Lang::Zh).unwrap().bytes);
    assert_ne!(render(&doc, Lang::Zh).unwrap().bytes, render(&doc, Lang::En).unwrap().bytes);
}
