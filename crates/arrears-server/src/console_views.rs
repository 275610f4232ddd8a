//! The officers' and the admin's pages of the console:
//!
//! - `/console/compliance` (compliance officers, supervisors, admins): the communication record
//!   of a period — contacts allowed and blocked by channel, blocked ones by rule, what became of
//!   them — audited again contact by contact from the record (`compliance::report`), with every
//!   breach listed; and the search by loan, whose page holds its whole record.
//! - `/console/legal` (legal officers, supervisors, admins): the litigation candidates with why
//!   each is one, and the open cases; a case moves forward through `legal::advance`.
//! - `/console/staff` (admins): the staff list and roles, passwords set or taken away, and the
//!   API keys of other systems (a new key is shown once).
//!
//! Other roles are told these pages do not exist; every change is audited under the admin's
//! or officer's name.

use std::collections::HashMap;
use std::sync::Arc;

use arrears_app::AppError;
use arrears_core::{Amount, Date};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use crate::console::{outcome_page, staff_form_in, staff_in, staff_page, unavailable};
use crate::pages::{escape, Lang};
use crate::Shared;

pub(crate) const COMPLIANCE: [&str; 3] = ["compliance-officer", "supervisor", "admin"];
pub(crate) const LEGAL: [&str; 3] = ["legal-officer", "supervisor", "admin"];
pub(crate) const ADMIN: [&str; 1] = ["admin"];

/// A table of `rows` under `header`, or a line saying there is nothing.
fn table(header: &[&str], rows: Vec<Vec<String>>, empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"muted\">{}</p>", escape(empty));
    }
    crate::pages::table(header, &rows)
}

fn loan_link(lang: Lang, loan_no: &str) -> String {
    format!("<a href=\"/console/loans/{0}?lang={1}\">{0}</a>", escape(loan_no), lang.code())
}

/// `GET /console/compliance?from=D&to=D` (the last 30 days to the business date by default).
pub async fn compliance(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match staff_in(&shared, &headers, lang, &COMPLIANCE).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let given = |field: &'static str| match q.get(field).map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => text.parse::<Date>().map(Some).map_err(|_| AppError::invalid(field, format!("`{text}` is not a date"))),
    };
    let (from, to) = match (given("from"), given("to")) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => {
            let back = format!("/console/compliance?lang={}", lang.code());
            return outcome_page(&shared, lang, &session, "Compliance", Err(e), "", (&back, lang.t("← 合规", "← Compliance")));
        }
    };
    let config = Arc::clone(&shared);
    let made = shared
        .with_store(move |store| {
            let day = store.read(|tx| tx.business_date())?.unwrap_or(Date::from_days_since_epoch(0));
            let to = to.unwrap_or(day);
            let from = from.unwrap_or(to.add_days(-29));
            let report = arrears_app::compliance::report(store, &config.config, from, to)?;
            let breaches = report
                .breaches
                .iter()
                .map(|b| Ok((store.read(|tx| tx.loan_no_of(b.loan_seq))?.unwrap_or_default(), b.clone())))
                .collect::<Result<Vec<_>, AppError>>()?;
            Ok((from, to, report, breaches))
        })
        .await;
    let (from, to, report, breaches) = match made {
        Ok(made) => made,
        Err(e @ AppError::Invalid { .. }) => {
            let back = format!("/console/compliance?lang={}", lang.code());
            return outcome_page(&shared, lang, &session, "Compliance", Err(e), "", (&back, lang.t("← 合规", "← Compliance")));
        }
        Err(e) => return unavailable("compliance page", e),
    };
    let code = lang.code();
    let channels = table(
        &[lang.t("渠道", "Channel"), lang.t("放行", "Allowed"), lang.t("拦截", "Blocked")],
        report.by_channel.iter().map(|(c, (a, b))| vec![escape(c), a.to_string(), b.to_string()]).collect(),
        lang.t("本期没有接触记录。", "No contact in the period."),
    );
    let rules = table(
        &[lang.t("规则", "Rule"), lang.t("拦截次数", "Blocked")],
        report.blocked_by_rule.iter().map(|(r, n)| vec![escape(r), n.to_string()]).collect(),
        lang.t("没有被拦截的接触。", "Nothing was blocked."),
    );
    let outcomes = table(
        &[lang.t("结果", "Outcome"), lang.t("次数", "Count")],
        report.outcomes.iter().map(|(o, n)| vec![escape(o), n.to_string()]).collect(),
        "-",
    );
    let breach_rows = table(
        &[
            lang.t("借款", "Loan"),
            lang.t("时间", "When"),
            lang.t("渠道", "Channel"),
            lang.t("规则", "Rule"),
            lang.t("原因", "Why"),
        ],
        breaches
            .iter()
            .map(|(loan, b)| {
                vec![loan_link(lang, loan), escape(&b.at_local), escape(&b.channel), escape(&b.rule), escape(&b.reason)]
            })
            .collect(),
        lang.t("复核未发现违规。", "The audit found no breach."),
    );
    let body = format!(
        "<div class=\"card\"><form method=\"get\" action=\"/console/compliance\"><input type=\"hidden\" name=\"lang\" value=\"{code}\">\
         <label>{from_label} <input type=\"date\" name=\"from\" value=\"{from}\"></label>\
         <label>{to_label} <input type=\"date\" name=\"to\" value=\"{to}\"></label><button type=\"submit\">{show}</button></form>\
         <form method=\"get\" action=\"/console/loans\"><input type=\"hidden\" name=\"lang\" value=\"{code}\">\
         <input type=\"text\" name=\"loan\" placeholder=\"L00000001\" aria-label=\"{find}\"><button type=\"submit\">{find}</button></form></div>\
         <div class=\"card\"><h2>{summary}</h2><p>{allowed_label} {allowed} · {blocked_label} {blocked} · {audited_label} {audited} · {breaches_label} {breach_count}</p>{channels}</div>\
         <div class=\"card\"><h2>{rules_title}</h2>{rules}</div><div class=\"card\"><h2>{outcomes_title}</h2>{outcomes}</div>\
         <div class=\"card\"><h2>{breaches_title}</h2>{breach_rows}</div>",
        from_label = lang.t("自", "From"),
        to_label = lang.t("至", "to"),
        show = lang.t("查看", "Show"),
        find = lang.t("按借款查沟通记录", "A loan's record"),
        summary = lang.t("接触概况", "Contacts"),
        allowed_label = lang.t("放行", "allowed"),
        allowed = report.allowed(),
        blocked_label = lang.t("拦截", "blocked"),
        blocked = report.blocked(),
        audited_label = lang.t("逐条复核", "audited again"),
        audited = report.audited,
        breaches_label = lang.t("违规", "breaches"),
        breach_count = report.breaches.len(),
        rules_title = lang.t("按规则拦截", "Blocked by rule"),
        outcomes_title = lang.t("接触结果", "What became of them"),
        breaches_title = lang.t("违规（目标为零）", "Breaches (the target is none)"),
    );
    staff_page(&shared, lang, &session, lang.t("合规", "Compliance"), "/console/compliance", &body).into_response()
}

/// `GET /console/legal`: candidates and open cases.
pub async fn legal(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match staff_in(&shared, &headers, lang, &LEGAL).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let found = shared
        .with_store(|store| {
            // No business day open yet: no candidate, rather than an error page.
            let candidates = match arrears_app::legal::candidates(store) {
                Err(AppError::Invalid { .. }) => Vec::new(),
                found => found?,
            };
            Ok((candidates, store.read(|tx| tx.open_cases(200))?))
        })
        .await;
    let (candidates, cases) = match found {
        Ok(found) => found,
        Err(e) => return unavailable("legal page", e),
    };
    let candidate_rows = table(
        &[
            lang.t("借款", "Loan"),
            "DPD",
            lang.t("欠款", "Owed"),
            lang.t("诉讼时效届满", "Limitation ends"),
            lang.t("原因", "Why"),
        ],
        candidates
            .iter()
            .map(|c| {
                vec![
                    loan_link(lang, &c.loan_no),
                    c.dpd.to_string(),
                    format!("{} {}", escape(&c.currency), c.owed.grouped()),
                    c.limitation_expires.to_string(),
                    escape(&c.reasons.join("; ")),
                ]
            })
            .collect(),
        lang.t("今天没有诉讼候选。", "No candidate today."),
    );
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", session.csrf);
    let stages: String = arrears_app::legal::STAGES.iter().skip(1).map(|s| format!("<option>{s}</option>")).collect();
    let case_rows = table(
        &["#", lang.t("借款", "Loan"), lang.t("立案", "Opened"), lang.t("阶段", "Stage"), lang.t("法院 / 案号", "Court / case no."), ""],
        cases
            .iter()
            .map(|(c, loan_no)| {
                vec![
                    c.id.to_string(),
                    loan_link(lang, loan_no),
                    c.opened_on.to_string(),
                    escape(&c.stage),
                    escape(&format!("{} {}", c.court.as_deref().unwrap_or(""), c.case_no.as_deref().unwrap_or(""))),
                    format!(
                        "<form method=\"post\" action=\"/console/legal/{id}/advance?lang={code}\">{csrf}\
                         <select name=\"stage\" aria-label=\"{stage}\">{stages}</select>\
                         <input type=\"text\" name=\"court\" placeholder=\"{court}\"><input type=\"text\" name=\"case_no\" placeholder=\"{case_no}\">\
                         <input type=\"text\" name=\"judgment_amount\" placeholder=\"{judgment}\"><input type=\"date\" name=\"perform_by\" aria-label=\"{perform}\">\
                         <input type=\"text\" name=\"note\" placeholder=\"{note}\"><button type=\"submit\">{go}</button></form>",
                        id = c.id,
                        code = lang.code(),
                        stage = lang.t("下一阶段", "Next stage"),
                        court = lang.t("法院（立案时）", "Court (to file)"),
                        case_no = lang.t("案号（立案时）", "Case no. (to file)"),
                        judgment = lang.t("判决金额（判决时）", "Judgment amount"),
                        perform = lang.t("履行期限（判决时）", "Pay by (judgment)"),
                        note = lang.t("备注", "Note"),
                        go = lang.t("推进", "Move"),
                    ),
                ]
            })
            .collect(),
        lang.t("没有进行中的案件。", "No case is open."),
    );
    let body = format!(
        "<div class=\"card\"><h2>{}</h2>{candidate_rows}</div><div class=\"card\"><h2>{}</h2>{case_rows}</div>",
        lang.t("诉讼候选", "Litigation candidates"),
        lang.t("进行中的案件", "Open cases"),
    );
    staff_page(&shared, lang, &session, lang.t("法务", "Legal"), "/console/legal", &body).into_response()
}

#[derive(Debug, Deserialize)]
pub struct AdvanceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    court: String,
    #[serde(default)]
    case_no: String,
    #[serde(default)]
    judgment_amount: String,
    #[serde(default)]
    perform_by: String,
    #[serde(default)]
    note: String,
}

/// `POST /console/legal/{id}/advance`: moves a case to a later stage, as `legal advance`.
pub async fn advance(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<AdvanceForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match staff_form_in(&shared, &headers, lang, &form.csrf, &LEGAL).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let back = format!("/console/legal?lang={}", lang.code());
    let back = (back.as_str(), lang.t("← 法务", "← Legal"));
    let title = lang.t("法务", "Legal");
    let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    let judgment = match text(&form.judgment_amount).map(|t| Amount::parse(&t)) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            return outcome_page(
                &shared,
                lang,
                &session,
                title,
                Err(AppError::invalid("judgment_amount", e.to_string())),
                "",
                back,
            )
        }
    };
    let perform_by = match text(&form.perform_by).map(|t| t.parse::<Date>()) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            return outcome_page(&shared, lang, &session, title, Err(AppError::invalid("perform_by", "not a date")), "", back)
        }
    };
    let who = session.subject.clone();
    let moved = shared
        .with_store(move |store| {
            let (court, case_no) = (text(&form.court), text(&form.case_no));
            let step = arrears_app::legal::Step {
                court: court.as_deref(),
                case_no: case_no.as_deref(),
                judgment_amount: judgment,
                perform_by,
                note: form.note.trim(),
            };
            arrears_app::legal::advance(store, id, &form.stage, &step, &who)
        })
        .await
        .map(|c| format!("{} {}: {}", lang.t("案件", "Case"), c.id, c.stage));
    outcome_page(&shared, lang, &session, title, moved, "", back)
}

/// `GET /console/staff`: the staff list and the API keys.
pub async fn staff(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match staff_in(&shared, &headers, lang, &ADMIN).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let found = shared.with_store(|store| store.read(|tx| Ok::<_, AppError>((tx.staff_list()?, tx.api_keys()?)))).await;
    let (members, keys) = match found {
        Ok(found) => found,
        Err(e) => return unavailable("staff page", e),
    };
    let code = lang.code();
    let csrf = format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", session.csrf);
    let form = |action: &str, name: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/console/staff/{action}?lang={code}\">{csrf}\
             <input type=\"hidden\" name=\"name\" value=\"{}\"><button type=\"submit\">{label}</button></form>",
            escape(name)
        )
    };
    let roles: String = arrears_app::hardship::ROLES.iter().map(|r| format!("<option>{r}</option>")).collect();
    let staff_rows = table(
        &[lang.t("姓名", "Name"), lang.t("角色", "Role"), lang.t("可登录", "Can log in"), ""],
        members
            .iter()
            .map(|(name, role, login)| {
                vec![
                    escape(name),
                    escape(role),
                    if *login { lang.t("是", "yes") } else { lang.t("否", "no") }.to_owned(),
                    if *login && name != &session.subject {
                        form("disable", name, lang.t("停用登录", "Disable login"))
                    } else {
                        String::new()
                    },
                ]
            })
            .collect(),
        "-",
    );
    let key_rows = table(
        &[lang.t("系统", "System"), lang.t("创建人", "Made by"), lang.t("状态", "State"), ""],
        keys.iter()
            .map(|k| {
                let live = k.revoked_at.is_none();
                vec![
                    escape(&k.name),
                    escape(&k.created_by),
                    if live {
                        lang.t("有效", "live").to_owned()
                    } else {
                        format!("{} {}", lang.t("已吊销：", "revoked by"), escape(k.revoked_by.as_deref().unwrap_or("")))
                    },
                    if live { form("revoke-api-key", &k.name, lang.t("吊销", "Revoke")) } else { String::new() },
                ]
            })
            .collect(),
        lang.t("还没有接口密钥。", "No API key yet."),
    );
    let body = format!(
        "<div class=\"card\"><h2>{staff_title}</h2>{staff_rows}\
         <form method=\"post\" action=\"/console/staff/add?lang={code}\" class=\"stack\">{csrf}<h3>{add_title}</h3>\
         <label>{name_label}<input type=\"text\" name=\"name\" required maxlength=\"100\"></label>\
         <label>{role_label}<select name=\"role\">{roles}</select></label><button type=\"submit\">{save}</button></form>\
         <form method=\"post\" action=\"/console/staff/password?lang={code}\" class=\"stack\">{csrf}<h3>{password_title}</h3>\
         <label>{name_label}<input type=\"text\" name=\"name\" required></label>\
         <label>{password_label}<input type=\"password\" name=\"password\" autocomplete=\"new-password\" minlength=\"12\" required></label>\
         <button type=\"submit\">{set}</button></form></div>\
         <div class=\"card\"><h2>{keys_title}</h2>{key_rows}\
         <form method=\"post\" action=\"/console/staff/api-key?lang={code}\" class=\"stack\">{csrf}\
         <label>{system_label}<input type=\"text\" name=\"name\" required maxlength=\"64\" placeholder=\"core-banking\"></label>\
         <button type=\"submit\">{make}</button></form></div>",
        staff_title = lang.t("员工", "Staff"),
        add_title = lang.t("添加员工或更改角色（更改后须重新登录）", "Add a member or change a role (they log in again)"),
        name_label = lang.t("姓名（催收员填工号）", "Name (an agent's is their agent id)"),
        role_label = lang.t("角色", "Role"),
        save = lang.t("保存", "Save"),
        password_title = lang.t("设置登录密码（至少12位）", "Set a login password (12 characters or more)"),
        password_label = lang.t("密码", "Password"),
        set = lang.t("设置", "Set"),
        keys_title = lang.t("接口密钥", "API keys"),
        system_label = lang.t("调用系统名称", "The system's name"),
        make = lang.t("生成密钥", "Make a key"),
    );
    staff_page(&shared, lang, &session, lang.t("用户管理", "Users"), "/console/staff", &body).into_response()
}

#[derive(Debug, Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /console/staff/{add|password|disable|api-key|revoke-api-key}`.
pub async fn staff_change(
    State(shared): State<Arc<Shared>>,
    Path(what): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Form(form): Form<StaffForm>,
) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match staff_form_in(&shared, &headers, lang, &form.csrf, &ADMIN).await {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    let (by, name) = (session.subject.clone(), form.name.trim().to_owned());
    let now = crate::console::now();
    let done = shared
        .with_store(move |store| {
            let said = match what.as_str() {
                "add" => {
                    arrears_app::hardship::add_staff_by(store, &name, &form.role, &by)?;
                    (format!("{name}: {}", form.role), None)
                }
                "password" => {
                    arrears_app::auth::set_password(store, &name, &form.password, &by)?;
                    (format!("{name}: password set"), None)
                }
                "disable" => {
                    arrears_app::auth::disable_login(store, &name, &by)?;
                    (format!("{name}: login disabled"), None)
                }
                "api-key" => {
                    let key = arrears_app::auth::create_api_key(store, &name, &by, now)?;
                    (format!("{name}: key made"), Some(key))
                }
                "revoke-api-key" => {
                    arrears_app::auth::revoke_api_key(store, &name, &by, now)?;
                    (format!("{name}: key revoked"), None)
                }
                _ => return Err(AppError::NotFound { what: "staff action", id: what.clone() }),
            };
            Ok(said)
        })
        .await;
    let extra = match &done {
        Ok((_, Some(key))) => format!(
            "<div class=\"card\"><p>{}</p><p><code>{}</code></p></div>",
            lang.t("密钥只显示这一次，请立即交给调用系统妥善保存：", "The key is shown this once: give it to the system now."),
            escape(key)
        ),
        _ => String::new(),
    };
    let back = format!("/console/staff?lang={}", lang.code());
    let title = lang.t("用户管理", "Users");
    outcome_page(&shared, lang, &session, title, done.map(|(text, _)| text), &extra, (&back, lang.t("← 用户管理", "← Users")))
}
