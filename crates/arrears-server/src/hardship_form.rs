//! The fields of a hardship request, asked for alike by the borrower's portal and by the
//! console's loan page (an agent filing for the borrower on the phone): why, what would help,
//! the monthly income and essential expenses declared, and anything else to say.

use arrears_app::hardship::{self, Filing};
use arrears_app::AppError;
use arrears_core::Amount;
use arrears_store::Store;
use serde::Deserialize;

use crate::pages::Lang;

#[derive(Debug, Deserialize)]
pub struct HardshipFields {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    wanted: String,
    #[serde(default)]
    income: String,
    #[serde(default)]
    expenses: String,
    #[serde(default)]
    details: String,
}

impl HardshipFields {
    /// Files the request on `loan_no` through `hardship::file`, which checks the rest.
    pub fn file(&self, store: &mut Store, loan_no: &str, filed_by: &str, channel: &str) -> Result<i64, AppError> {
        let money = |field: &'static str, text: &str| Amount::parse(text).map_err(|e| AppError::invalid(field, e.to_string()));
        let filing = Filing {
            loan_no,
            filed_by,
            channel,
            reason: &self.reason,
            details: self.details.trim(),
            monthly_income: money("income", &self.income)?,
            monthly_expenses: money("expenses", &self.expenses)?,
            evidence: Vec::new(),
            wanted: &self.wanted,
        };
        hardship::file(store, &filing)
    }
}

/// The form's labelled inputs, the choices in words.
pub fn inputs(lang: Lang) -> String {
    let options = |values: &[&str], words: &dyn Fn(&str) -> &'static str| -> String {
        values.iter().map(|v| format!("<option value=\"{v}\">{}</option>", words(v))).collect()
    };
    let reason = |v: &str| match v {
        "job-loss" => lang.t("失业或收入下降", "lost a job or income"),
        "illness" => lang.t("疾病", "illness"),
        "business-failure" => lang.t("经营困难", "a business failed"),
        "family-emergency" => lang.t("家庭变故", "a family emergency"),
        _ => lang.t("其他", "something else"),
    };
    let wanted = |v: &str| match v {
        "extension" => lang.t("延期还款", "more time (an extension)"),
        "plan" => lang.t("分期还款", "a repayment plan"),
        "restructure" => lang.t("重组（调整利率和期限）", "a restructuring (new rate and term)"),
        _ => lang.t("协商结清", "a settlement"),
    };
    format!(
        "<label>{reason_label}<select name=\"reason\">{reasons}</select></label>\
         <label>{wanted_label}<select name=\"wanted\">{wants}</select></label>\
         <label>{income_label}<input type=\"text\" name=\"income\" inputmode=\"decimal\" required></label>\
         <label>{expenses_label}<input type=\"text\" name=\"expenses\" inputmode=\"decimal\" required></label>\
         <label>{details_label}<textarea name=\"details\" maxlength=\"2000\"></textarea></label>",
        reason_label = lang.t("原因", "Why"),
        reasons = options(&hardship::REASONS, &reason),
        wanted_label = lang.t("希望的帮扶", "What would help"),
        wants = options(&hardship::WANTED, &wanted),
        income_label = lang.t("每月收入", "Monthly income"),
        expenses_label = lang.t("每月必要支出", "Essential monthly expenses"),
        details_label = lang.t("情况说明（可不填）", "Tell us more (optional)"),
    )
}
