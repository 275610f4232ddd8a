//! The console's dashboard (`/console/dashboard`): the book, overdue by bucket over time, roll
//! rates, vintages, cures, recoveries, the collection funnel and the strategy arms, each as a
//! chart with a one-line description, its numbers as a table, and the same numbers as CSV
//! (`/console/dashboard/{chart}.csv`). Every member of staff may see it.
//!
//! The figures come from arrears-app `dashboard.rs`. The charts are drawn in the browser by
//! Apache ECharts, compiled into the binary (`assets/echarts`, Apache-2.0) and served from
//! `/assets/echarts.min.js`; the page holds no script of its own: each chart's data sits in a
//! `<script type="application/json">` block that `/assets/dashboard.js` reads, so the
//! self-only content-security policy holds. Amounts are the core's decimal text, rates percent
//! with two decimals made from integers.

use std::collections::HashMap;
use std::sync::Arc;

use arrears_app::dashboard::{Chart, Dashboard, Period, Ratio, CLOSED};
use arrears_core::{Amount, Date};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::console::{signed_in, staff_page, unavailable};
use crate::pages::{escape, Lang};
use crate::Shared;

/// The dashboard's routes and its two scripts.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/console/dashboard", get(show))
        .route("/console/dashboard/{file}", get(export))
        .route("/assets/echarts.min.js", get(echarts))
        .route("/assets/dashboard.js", get(script))
}

/// The numbers of a chart: what its table and its CSV hold.
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn pct(r: Ratio) -> String {
    r.percent().unwrap_or_default()
}

/// A rate for a chart: a number, or null where there is nothing to divide.
fn pct_value(r: Ratio) -> Value {
    r.percent().map_or(Value::Null, Value::from)
}

fn status_name(lang: Lang, status: &str) -> String {
    match status {
        "active" => lang.t("在贷", "active"),
        "paid-off" => lang.t("已结清", "paid off"),
        "written-off" => lang.t("已核销", "written off"),
        other => other,
    }
    .to_owned()
}

fn bucket_name(lang: Lang, bucket: &str) -> String {
    match bucket {
        "written-off" => lang.t("已核销", "written off"),
        CLOSED => lang.t("已结清", "closed"),
        other => other,
    }
    .to_owned()
}

fn headers(lang: Lang, pairs: &[(&str, &str)]) -> Vec<String> {
    pairs.iter().map(|(zh, en)| lang.t(zh, en).to_owned()).collect()
}

/// What a chart is called and what it measures, in one line.
fn about(lang: Lang, chart: Chart) -> (&'static str, &'static str) {
    match chart {
        Chart::Book => (
            lang.t("贷款余额", "Book size"),
            lang.t("当前各状态的借款笔数与欠款合计（本金及全部未还金额）。", "Loans and what they owe now (principal and everything outstanding), by status."),
        ),
        Chart::Overdue => (
            lang.t("各逾期分档余额与逾期率（按月末）", "Balance by bucket and overdue rate, by month end"),
            lang.t(
                "每个月末各分档的余额；折线为逾期率：逾期天数大于0的借款余额 ÷ 全部借款余额（均不含已核销）。",
                "Each month end's balance by bucket; the line is the overdue rate: the balance of loans more than 0 days past due over the balance of all loans (written-off loans left out of both).",
            ),
        ),
        Chart::Roll => (
            lang.t("迁徙率矩阵", "Roll-rate matrix"),
            lang.t(
                "前一个月末各分档的借款，在最近一个月末所处的分档（行百分比）；“已结清”为期间内还清或核销后全额收回。",
                "Loans of each bucket at the earlier month end by their bucket at the latest month end (row percentages); closed: paid off, or recovered in full after write-off, in between.",
            ),
        ),
        Chart::Vintage => (
            lang.t("账龄曲线", "Vintage curves"),
            lang.t(
                "按放款月份：各账龄（放款当月为0）月末逾期超过30天的借款占该月全部放款笔数的比例。",
                "By the month loans started: the share of all of them more than 30 days past due at each month end, by months on book (0 for the month they started).",
            ),
        ),
        Chart::Cure => (
            lang.t("治愈率", "Cure rate"),
            lang.t(
                "月末逾期（逾期天数大于0、未核销）的借款中，下一个月末已无逾期或已还清的比例。",
                "Of the loans past due at a month end (more than 0 days, not written off), the share current (0 days past due) or paid off at the next month end.",
            ),
        ),
        Chart::Recovery => (
            lang.t("核销回收率", "Recovery rate"),
            lang.t(
                "按核销月份：核销后已收回的金额（核销金额含后续调整，减去仍欠金额）÷ 核销金额。",
                "By the month of write-off: what the loans have paid since (the amount written off, with its amendments, less what they still owe) over the amount written off.",
            ),
        ),
        Chart::Funnel => (
            lang.t("催收漏斗", "Collection funnel"),
            lang.t(
                "统计期间内的沟通记录：尝试 → 合规放行 → 送达（服务商已接收且未回报失败的消息，及已拨出的电话）→ 电话接通 → 承诺还款 → 履约。",
                "The contacts of the period: attempted → allowed by the policy pack → delivered (messages a provider took with no failed receipt, and calls dialled) → calls connected → promises to pay → promises kept.",
            ),
        ),
        Chart::Arms => (
            lang.t("策略分组对比", "Strategy arms side by side"),
            lang.t(
                "统计期间内每个策略分组：触达借款数、放行与拦截的联系、外呼任务、承诺与履约；收到催收联系的借款中目前无逾期的比例，及其首次催收后的还款金额。图为拦截占比、承诺履约率与目前无逾期的比例。",
                "Per strategy arm, for the contacts of the period: loans touched, contacts allowed and blocked, call tasks, promises and kept; of the loans given a collection contact, the share current now and what they paid from their first such contact on. The chart shows the blocked share, promises kept and the share current now.",
            ),
        ),
    }
}

fn table(lang: Lang, chart: Chart, d: &Dashboard) -> Table {
    match chart {
        Chart::Book => Table {
            headers: headers(
                lang,
                &[("状态", "Status"), ("笔数", "Loans"), ("未还本金", "Principal owed"), ("欠款合计", "Total owed")],
            ),
            rows: d
                .book
                .iter()
                .map(|l| {
                    vec![
                        status_name(lang, &l.status),
                        l.loans.to_string(),
                        Amount(l.principal_outstanding).to_string(),
                        Amount(l.total_outstanding).to_string(),
                    ]
                })
                .collect(),
        },
        Chart::Overdue => Table {
            headers: headers(
                lang,
                &[
                    ("月份", "Month"),
                    ("分档", "Bucket"),
                    ("笔数", "Loans"),
                    ("余额", "Balance"),
                    ("当月逾期率%", "Month's overdue rate %"),
                ],
            ),
            rows: d
                .months
                .iter()
                .flat_map(|m| {
                    m.buckets.iter().map(|(b, n, balance)| {
                        vec![m.month.clone(), bucket_name(lang, b), n.to_string(), balance.to_string(), pct(m.overdue_rate)]
                    })
                })
                .collect(),
        },
        Chart::Roll => Table {
            headers: headers(
                lang,
                &[
                    ("起始月末分档", "Bucket at first month end"),
                    ("最近月末分档", "Bucket at latest month end"),
                    ("笔数", "Loans"),
                    ("行占比%", "Row share %"),
                ],
            ),
            rows: d
                .roll
                .iter()
                .flat_map(|r| {
                    r.rows.iter().flat_map(move |(from, cells)| {
                        let total: i64 = cells.iter().sum();
                        r.columns.iter().zip(cells).filter(|(_, n)| **n > 0).map(move |(to, n)| {
                            vec![
                                format!("{} {from}", r.from_month),
                                format!("{} {}", r.to_month, bucket_name(lang, to)),
                                n.to_string(),
                                pct(Ratio { part: *n, whole: total }),
                            ]
                        })
                    })
                })
                .collect(),
        },
        Chart::Vintage => Table {
            headers: headers(
                lang,
                &[
                    ("放款月份", "Vintage"),
                    ("放款笔数", "Loans"),
                    ("账龄（月）", "Months on book"),
                    ("月末", "Month end"),
                    ("逾期30天以上笔数", "Loans over 30 days past due"),
                    ("占比%", "Share %"),
                ],
            ),
            rows: d
                .vintages
                .iter()
                .flat_map(|v| {
                    v.points.iter().map(|(mob, month, n)| {
                        vec![
                            v.vintage.clone(),
                            v.loans.to_string(),
                            mob.to_string(),
                            month.clone(),
                            n.to_string(),
                            pct(Ratio { part: *n, whole: v.loans }),
                        ]
                    })
                })
                .collect(),
        },
        Chart::Cure => Table {
            headers: headers(
                lang,
                &[
                    ("月末", "Month end"),
                    ("下一月末", "Next month end"),
                    ("逾期笔数", "Loans past due"),
                    ("已无逾期", "Current"),
                    ("已还清", "Paid off"),
                    ("治愈率%", "Cure rate %"),
                ],
            ),
            rows: d
                .cures
                .iter()
                .map(|c| {
                    vec![
                        c.month.clone(),
                        c.next_month.clone(),
                        c.late.to_string(),
                        c.current.to_string(),
                        c.closed.to_string(),
                        pct(c.rate()),
                    ]
                })
                .collect(),
        },
        Chart::Recovery => Table {
            headers: headers(
                lang,
                &[
                    ("核销月份", "Month written off"),
                    ("笔数", "Loans"),
                    ("核销金额", "Written off"),
                    ("已收回", "Recovered"),
                    ("回收率%", "Recovery rate %"),
                ],
            ),
            rows: d
                .recoveries
                .iter()
                .map(|r| {
                    vec![r.month.clone(), r.loans.to_string(), r.written_off.to_string(), r.recovered.to_string(), pct(r.rate())]
                })
                .collect(),
        },
        Chart::Funnel => Table {
            headers: headers(lang, &[("环节", "Step"), ("次数", "Contacts"), ("占尝试%", "Of attempted %")]),
            rows: funnel_steps(lang, d)
                .into_iter()
                .map(|(name, n)| vec![name.to_owned(), n.to_string(), pct(Ratio { part: n, whole: d.funnel.attempted })])
                .collect(),
        },
        Chart::Arms => Table {
            headers: headers(
                lang,
                &[
                    ("策略", "Strategy"),
                    ("分组", "Arm"),
                    ("触达借款", "Loans touched"),
                    ("放行", "Allowed"),
                    ("拦截", "Blocked"),
                    ("拦截占比%", "Blocked %"),
                    ("外呼任务", "Call tasks"),
                    ("承诺", "Promises"),
                    ("履约", "Kept"),
                    ("承诺履约率%", "Promises kept %"),
                    ("收到催收的借款", "Loans given a collection contact"),
                    ("目前无逾期", "Current now"),
                    ("目前无逾期%", "Current now %"),
                    ("首次催收后还款", "Paid since first collection contact"),
                ],
            ),
            rows: d
                .arms
                .iter()
                .map(|a| {
                    vec![
                        a.strategy.clone(),
                        a.arm.clone(),
                        a.loans.to_string(),
                        a.allowed.to_string(),
                        a.blocked.to_string(),
                        pct(arm_rates(a)[0]),
                        a.call_tasks.to_string(),
                        a.promises.to_string(),
                        a.kept.to_string(),
                        pct(arm_rates(a)[1]),
                        a.collected_loans.to_string(),
                        a.current_now.to_string(),
                        pct(arm_rates(a)[2]),
                        Amount(a.paid_since).to_string(),
                    ]
                })
                .collect(),
        },
    }
}

fn funnel_steps(lang: Lang, d: &Dashboard) -> [(&'static str, i64); 6] {
    let f = &d.funnel;
    [
        (lang.t("尝试", "Attempted"), f.attempted),
        (lang.t("放行", "Allowed"), f.allowed),
        (lang.t("送达", "Delivered"), f.delivered),
        (lang.t("接通", "Connected"), f.connected),
        (lang.t("承诺还款", "Promised"), f.promised),
        (lang.t("履约", "Kept"), f.kept),
    ]
}

/// A bar or line series of a cartesian chart.
fn series(name: &str, kind: &str, values: Vec<Value>, axis: u8, stack: bool) -> Value {
    json!({ "name": name, "type": kind, "values": values, "axis": axis, "stack": stack })
}

/// What `/assets/dashboard.js` draws a chart from.
fn chart_data(lang: Lang, chart: Chart, d: &Dashboard) -> Value {
    let currency = d.currency.clone().unwrap_or_default();
    let amount = |a: Amount| Value::from(a.to_string());
    let percent_axis = lang.t("比率 %", "Rate %");
    match chart {
        Chart::Book => json!({
            "kind": "cartesian",
            "categories": d.book.iter().map(|l| status_name(lang, &l.status)).collect::<Vec<_>>(),
            "axes": [lang.t("笔数", "Loans"), format!("{} {currency}", lang.t("欠款", "Owed"))],
            "series": [
                series(lang.t("笔数", "Loans"), "bar", d.book.iter().map(|l| Value::from(l.loans)).collect(), 0, false),
                series(lang.t("欠款合计", "Total owed"), "bar", d.book.iter().map(|l| amount(Amount(l.total_outstanding))).collect(), 1, false),
            ],
        }),
        Chart::Overdue => {
            let mut buckets: Vec<&str> = Vec::new();
            for (b, _, _) in d.months.iter().flat_map(|m| &m.buckets) {
                if !buckets.contains(&b.as_str()) {
                    buckets.push(b);
                }
            }
            buckets.sort_by_key(|b| arrears_app::dashboard::bucket_order(b));
            let mut all: Vec<Value> = buckets
                .iter()
                .map(|b| {
                    let values = d
                        .months
                        .iter()
                        .map(|m| m.buckets.iter().find(|(x, _, _)| x == b).map_or(Value::from("0.00"), |(_, _, a)| amount(*a)))
                        .collect();
                    series(&bucket_name(lang, b), "bar", values, 0, true)
                })
                .collect();
            all.push(series(
                lang.t("逾期率%", "Overdue rate %"),
                "line",
                d.months.iter().map(|m| pct_value(m.overdue_rate)).collect(),
                1,
                false,
            ));
            json!({
                "kind": "cartesian",
                "categories": d.months.iter().map(|m| m.month.clone()).collect::<Vec<_>>(),
                "axes": [format!("{} {currency}", lang.t("余额", "Balance")), percent_axis],
                "series": all,
            })
        }
        Chart::Roll => {
            let Some(r) = &d.roll else { return json!({ "kind": "empty" }) };
            let mut cells = Vec::new();
            for (y, (_, counts)) in r.rows.iter().enumerate() {
                let total: i64 = counts.iter().sum();
                for (x, n) in counts.iter().enumerate() {
                    cells.push(json!([x, y, pct_value(Ratio { part: *n, whole: total }), n]));
                }
            }
            json!({
                "kind": "heatmap",
                "x": r.columns.iter().map(|c| bucket_name(lang, c)).collect::<Vec<_>>(),
                "y": r.rows.iter().map(|(b, _)| bucket_name(lang, b)).collect::<Vec<_>>(),
                "xName": r.to_month,
                "yName": r.from_month,
                "cells": cells,
            })
        }
        Chart::Vintage => {
            let longest = d.vintages.iter().flat_map(|v| v.points.iter().map(|p| p.0)).max().unwrap_or(-1);
            let all: Vec<Value> = d
                .vintages
                .iter()
                .map(|v| {
                    let values = (0..=longest)
                        .map(|mob| {
                            v.points
                                .iter()
                                .find(|p| p.0 == mob)
                                .map_or(Value::Null, |p| pct_value(Ratio { part: p.2, whole: v.loans }))
                        })
                        .collect();
                    series(&v.vintage, "line", values, 0, false)
                })
                .collect();
            json!({
                "kind": "cartesian",
                "categories": (0..=longest).map(|m| m.to_string()).collect::<Vec<_>>(),
                "xName": lang.t("账龄（月）", "Months on book"),
                "axes": [percent_axis],
                "series": all,
            })
        }
        Chart::Cure => json!({
            "kind": "cartesian",
            "categories": d.cures.iter().map(|c| c.month.clone()).collect::<Vec<_>>(),
            "axes": [percent_axis],
            "series": [series(lang.t("治愈率%", "Cure rate %"), "line", d.cures.iter().map(|c| pct_value(c.rate())).collect(), 0, false)],
        }),
        Chart::Recovery => json!({
            "kind": "cartesian",
            "categories": d.recoveries.iter().map(|r| r.month.clone()).collect::<Vec<_>>(),
            "axes": [percent_axis],
            "series": [series(lang.t("回收率%", "Recovery rate %"), "bar", d.recoveries.iter().map(|r| pct_value(r.rate())).collect(), 0, false)],
        }),
        Chart::Funnel => json!({
            "kind": "funnel",
            "steps": funnel_steps(lang, d).iter().map(|(name, n)| json!({ "name": name, "value": n })).collect::<Vec<_>>(),
        }),
        Chart::Arms => {
            let names = [
                lang.t("拦截占比%", "Blocked %"),
                lang.t("承诺履约率%", "Promises kept %"),
                lang.t("目前无逾期%", "Current now %"),
            ];
            json!({
                "kind": "cartesian",
                "categories": d.arms.iter().map(|a| format!("{} / {}", a.strategy, a.arm)).collect::<Vec<_>>(),
                "axes": [percent_axis],
                "series": names
                    .iter()
                    .enumerate()
                    .map(|(k, name)| series(name, "bar", d.arms.iter().map(|a| pct_value(arm_rates(a)[k])).collect(), 0, false))
                    .collect::<Vec<_>>(),
            })
        }
    }
}

/// An arm's blocked share of its contacts, its promises kept, and its loans current now.
fn arm_rates(a: &arrears_store::ArmLine) -> [Ratio; 3] {
    [
        Ratio { part: a.blocked, whole: a.allowed + a.blocked },
        Ratio { part: a.kept, whole: a.promises },
        Ratio { part: a.current_now, whole: a.collected_loans },
    ]
}

/// The contacts' period the funnel and the arms count: `?from=D&to=D`, else the last 30
/// business days; or what is wrong with the dates asked for.
fn period_of(q: &HashMap<String, String>) -> Result<Period, String> {
    let date = |field: &str| match q.get(field).map(|t| t.trim()).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => text.parse::<Date>().map(Some).map_err(|_| format!("{field}: `{text}` is not a date (YYYY-MM-DD)")),
    };
    match (date("from")?, date("to")?) {
        (Some(from), Some(to)) => Ok(Period::Between(from, to)),
        (None, None) => Ok(Period::LastDays(LAST_DAYS)),
        _ => Err("from, to: give both dates, or neither".to_owned()),
    }
}

/// The funnel and the arms count this many business days unless asked.
const LAST_DAYS: u32 = 30;

/// JSON safe inside a `<script>` block: no `<` can close it.
fn script_json(value: &Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

fn html_table(t: &Table) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in &t.headers {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if i > 0 && cell.parse::<f64>().is_ok() { " class=\"num\"" } else { "" };
            out.push_str(&format!("<td{class}>{}</td>", escape(cell)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// The `?currency=…&from=…&to=…&lang=…` every link of the page carries.
fn query(lang: Lang, d: &Dashboard) -> String {
    let mut q = format!("?lang={}", lang.code());
    if let Some(c) = &d.currency {
        q.push_str(&format!("&amp;currency={}", escape(c)));
    }
    if let Some((from, to)) = d.period {
        q.push_str(&format!("&amp;from={from}&amp;to={to}"));
    }
    q
}

fn chart_card(lang: Lang, chart: Chart, d: &Dashboard) -> String {
    let (title, what) = about(lang, chart);
    let t = table(lang, chart, d);
    let code = chart.code();
    let drawing = if t.rows.is_empty() {
        format!("<p class=\"muted\">{}</p>", lang.t("暂无数据。", "Nothing to show yet."))
    } else {
        format!(
            "<div class=\"chart\" id=\"chart-{code}\" data-chart=\"{code}\"></div>\
             <script type=\"application/json\" id=\"data-{code}\">{}</script>",
            script_json(&chart_data(lang, chart, d))
        )
    };
    format!(
        "<section class=\"card\" id=\"{code}\"><h2>{title}</h2><p class=\"muted\">{what}</p>{drawing}\
         <details><summary>{numbers}</summary>{table}</details>\
         <p><a href=\"/console/dashboard/{code}.csv{query}\" download>{csv}</a> · \
         <a href=\"/console/dashboard/{code}.xlsx{query}\" download>{xlsx}</a></p></section>",
        title = escape(title),
        what = escape(what),
        numbers = lang.t("数据表", "The numbers"),
        table = html_table(&t),
        query = query(lang, d),
        csv = lang.t("下载 CSV", "Download CSV"),
        xlsx = lang.t("下载 Excel", "Download XLSX"),
    )
}

/// `GET /console/dashboard[?currency=CNY]`.
pub async fn show(State(shared): State<Arc<Shared>>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let lang = Lang::of(&q, &headers);
    let session = match signed_in(&shared, &headers, "staff", lang).await {
        Ok(session) => session,
        Err(to_login) => return to_login,
    };
    let period = match period_of(&q) {
        Ok(p) => p,
        Err(bad) => return (StatusCode::UNPROCESSABLE_ENTITY, bad).into_response(),
    };
    let asked = q.get("currency").cloned();
    let found =
        shared.with_store(move |store| arrears_app::dashboard::dashboard_for(store, asked.as_deref(), None, period)).await;
    let d = match found {
        Ok(d) => d,
        Err(arrears_app::AppError::Invalid { field, message }) => {
            return (StatusCode::UNPROCESSABLE_ENTITY, format!("{field}: {message}")).into_response()
        }
        Err(e) => return unavailable("dashboard", e),
    };
    let mut body = format!(
        "<div class=\"dashboard\"><div class=\"card\"><p><a href=\"/console?lang={code}\">← {back}</a> · {day_label} {day} · {cur_label} {cur}</p>",
        code = lang.code(),
        back = lang.t("贷后管理台", "Console"),
        day_label = lang.t("营业日", "business day"),
        day = d.business_date.map_or_else(|| "-".into(), |d| d.to_string()),
        cur_label = lang.t("币种", "currency"),
        cur = escape(d.currency.as_deref().unwrap_or("-")),
    );
    if d.currencies.len() > 1 {
        let links: Vec<String> = d
            .currencies
            .iter()
            .map(|c| format!("<a href=\"/console/dashboard?currency={c}&amp;lang={}\">{c}</a>", lang.code(), c = escape(c)))
            .collect();
        body.push_str(&format!("<p>{} {}</p>", lang.t("查看其他币种：", "Other currencies:"), links.join(" · ")));
    }
    let (from, to) = d.period.map_or((String::new(), String::new()), |(f, t)| (f.to_string(), t.to_string()));
    body.push_str(&format!(
        "<form method=\"get\" action=\"/console/dashboard\"><input type=\"hidden\" name=\"lang\" value=\"{code}\">{currency}\
         <label>{label} <input type=\"date\" name=\"from\" value=\"{from}\"></label>\
         <label>– <input type=\"date\" name=\"to\" value=\"{to}\"></label><button type=\"submit\">{show}</button></form></div>",
        code = lang.code(),
        currency = d
            .currency
            .as_deref()
            .map_or_else(String::new, |c| format!("<input type=\"hidden\" name=\"currency\" value=\"{}\">", escape(c))),
        label = lang.t("催收漏斗与策略分组的统计期间", "Contacts counted by the funnel and the arms, from"),
        show = lang.t("更新", "Show"),
    ));
    for chart in Chart::ALL {
        body.push_str(&chart_card(lang, chart, &d));
    }
    body.push_str("</div><script src=\"/assets/echarts.min.js\"></script><script src=\"/assets/dashboard.js\"></script>");
    staff_page(&shared, lang, &session, lang.t("经营看板", "Dashboard"), "/console/dashboard", &body).into_response()
}

/// A field of a CSV record (RFC 4180): quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn csv_text(t: &Table) -> String {
    let mut out = String::new();
    for row in std::iter::once(&t.headers).chain(&t.rows) {
        out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// `GET /console/dashboard/{chart}.csv` or `.xlsx` (`?currency=CNY&from=D&to=D`): a chart's
/// numbers as CSV or as a workbook.
pub async fn export(
    State(shared): State<Arc<Shared>>,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(&q, &headers);
    if let Err(to_login) = signed_in(&shared, &headers, "staff", lang).await {
        return to_login;
    }
    let (code, xlsx) = match (file.strip_suffix(".csv"), file.strip_suffix(".xlsx")) {
        (Some(code), _) => (code, false),
        (_, Some(code)) => (code, true),
        _ => ("", false),
    };
    let Some(chart) = Chart::parse(code) else {
        return crate::pages::not_found(State(shared), Query(q), headers).await;
    };
    let period = match period_of(&q) {
        Ok(p) => p,
        Err(bad) => return (StatusCode::UNPROCESSABLE_ENTITY, bad).into_response(),
    };
    let asked = q.get("currency").cloned();
    let found =
        shared.with_store(move |store| arrears_app::dashboard::dashboard_for(store, asked.as_deref(), Some(chart), period)).await;
    let d = match found {
        Ok(d) => d,
        Err(arrears_app::AppError::Invalid { field, message }) => {
            return (StatusCode::UNPROCESSABLE_ENTITY, format!("{field}: {message}")).into_response()
        }
        Err(e) => return unavailable("dashboard export", e),
    };
    let name = format!(
        "{}-{}-{}.{}",
        chart.code(),
        d.currency.as_deref().unwrap_or("none"),
        d.business_date.map_or_else(|| "none".into(), |d| d.to_string()),
        if xlsx { "xlsx" } else { "csv" }
    );
    let t = table(lang, chart, &d);
    let (kind, body) = if xlsx {
        match xlsx_bytes(chart.code(), &t) {
            Ok(bytes) => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes),
            Err(e) => return unavailable("dashboard workbook", e),
        }
    } else {
        ("text/csv; charset=utf-8", csv_text(&t).into_bytes())
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (header::CONTENT_DISPOSITION, crate::pages::attachment(&name)),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// A chart's numbers as a workbook of one sheet: the header row in bold; whole numbers and
/// decimals as numbers (two places), the rest as text.
fn xlsx_bytes(sheet_name: &str, t: &Table) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let (bold, decimal) = (Format::new().set_bold(), Format::new().set_num_format("#,##0.00"));
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    for (col, head) in t.headers.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, head, &bold)?;
    }
    for (i, row) in t.rows.iter().enumerate() {
        for (col, cell) in row.iter().enumerate() {
            let (r, c) = (i as u32 + 1, col as u16);
            let plain = !cell.is_empty() && cell.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit() || b == b'.');
            // Display only: the exact figures are the CSV's text; a spreadsheet cell is a float.
            match cell.parse::<f64>() {
                Ok(n) if plain && cell.contains('.') => sheet.write_number_with_format(r, c, n, &decimal)?,
                Ok(n) if plain => sheet.write_number(r, c, n)?,
                _ => sheet.write_string(r, c, cell)?,
            };
        }
    }
    book.save_to_buffer()
}

/// Apache ECharts 5.6.0 (`assets/echarts`, Apache-2.0), unchanged.
pub async fn echarts() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        include_str!("../assets/echarts/echarts.min.js"),
    )
}

/// Draws the dashboard's charts from their JSON blocks.
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../assets/dashboard.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        let t = Table { headers: vec!["a".into(), "b,c".into()], rows: vec![vec!["say \"hi\"".into(), "x\ny".into()]] };
        assert_eq!(csv_text(&t), "a,\"b,c\"\r\n\"say \"\"hi\"\"\",\"x\ny\"\r\n");
    }

    #[test]
    fn no_text_can_close_the_data_block() {
        let v = json!({ "name": "</script><script>alert(1)</script>" });
        assert!(!script_json(&v).contains('<'));
        assert_eq!(serde_json::from_str::<Value>(&script_json(&v)).unwrap(), v);
    }
}
