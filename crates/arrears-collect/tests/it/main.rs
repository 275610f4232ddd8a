//! Strategies and templates: what ships loads and says what it must; bad files name their line;
//! steps fire on the right day for the right loans; the champion/challenger split is stable.

mod plan;

use std::collections::BTreeMap;

use arrears_collect::{Arm, Language, LoanFacts, Strategy, Templates};
use arrears_core::{Bucket, Date};
use arrears_policy::{Channel, Purpose};

pub fn d(s: &str) -> Date {
    s.parse().unwrap()
}

const HEADER: &str = "[[template]]\nid = \"t\"\npurpose = \"collection\"\n";

fn template(zh: &str, en: &str) -> String {
    format!("{HEADER}zh = \"{zh}\"\nen = \"{en}\"\n")
}

const GOOD_EN: &str =
    "{lender}: {amount_due} is due on {due_date}; pay through {pay_how}; late payment costs {penalty_rate} a year.";

#[test]
fn the_shipped_templates_and_strategy_load() {
    let templates = Templates::shipped();
    assert!(templates.len() >= 8);
    let strategy = Strategy::shipped(&templates);
    assert_eq!(strategy.id, "default");
    let days: Vec<i32> = strategy.steps.iter().map(|s| s.day).collect();
    for day in [-3, 0, 1, 4, 5, 10, 15, 25, 30, 60] {
        assert!(days.contains(&day), "the default strategy has a step on day {day}");
    }
    assert_eq!(strategy.challenger.as_ref().map(|c| c.share_percent), Some(20));
    let demand = templates.get("demand-letter").unwrap();
    assert!(demand.facts.mentions_legal_action && demand.facts.mentions_debt && demand.facts.identifies_lender);
    let call_back = templates.get("please-call-back").unwrap();
    assert_eq!(call_back.purpose, Purpose::ReestablishContact);
    assert!(!call_back.facts.mentions_debt, "a message to an emergency contact never mentions the debt");
}

#[test]
fn a_message_renders_with_every_placeholder_filled() {
    let templates = Templates::shipped();
    let t = templates.get("pre-due").unwrap();
    let values: BTreeMap<&str, String> = [
        ("lender", "示例消费金融"),
        ("name", "张三"),
        ("loan", "L1"),
        ("installment", "3"),
        ("amount_due", "916.80"),
        ("due_date", "2026-04-15"),
        ("pay_how", "App还款页"),
        ("penalty_rate", "27%"),
        ("hotline", "400-000-0000"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    let zh = t.render(Language::Zh, &values).unwrap();
    assert_eq!(zh, "【示例消费金融】张三您好，您的借款L1第3期应还916.80元，将于2026-04-15到期。请通过App还款页按时还款。逾期将按年利率27%计收罚息。咨询电话400-000-0000。");
    let en = t.render(Language::En, &values).unwrap();
    assert!(en.contains("916.80") && en.contains("2026-04-15") && en.contains("27% a year"), "{en}");
    let mut missing = values.clone();
    missing.remove("amount_due");
    assert_eq!(t.render(Language::En, &missing).unwrap_err().to_string(), "template `pre-due` needs a value for {amount_due}");
}

#[test]
fn templates_that_say_too_little_or_too_much_are_refused_with_their_line() {
    let zh_good = "【{lender}】应还{amount_due}元，{due_date}到期，请通过{pay_how}还款，逾期影响征信。";
    let cases = [
        (
            template(zh_good, "{amount_due} is due on {due_date}; pay via {pay_how}; {penalty_rate}"),
            "every message names the lender",
        ),
        (template(zh_good, "{lender}: {amount_due} due; pay via {pay_how}; {penalty_rate}"), "add {due_date}"),
        (template(zh_good, "{lender}: {amount_due} due {due_date}; pay via {pay_how}."), "the consequence of not paying"),
        (
            template(zh_good, "{lender}: {amount_due} due {due_date} via {pay_how} at {penalty_rate} or we tell your family."),
            "forbidden wording `your family`",
        ),
        (
            template("【{lender}】{amount_due}元{due_date}到期，{pay_how}，否则抓你坐牢，征信。", GOOD_EN),
            "forbidden wording `坐牢`",
        ),
        (template(zh_good, "{lender}: {amount} due {due_date} via {pay_how} at {penalty_rate}."), "unknown placeholder {amount}"),
        (format!("{HEADER}zh = \"x\"\n"), "missing field `en`"),
    ];
    for (text, want) in cases {
        let err = Templates::from_toml("t.toml", &text).unwrap_err();
        assert!(err.to_string().contains(want), "{err}\n--- want {want:?} for:\n{text}");
        assert!(err.line >= 1 && err.line <= 5, "{err}");
    }
    let ok = template(zh_good, GOOD_EN);
    assert_eq!(Templates::from_toml("t.toml", &ok).unwrap().len(), 1);
    let twice = format!("{ok}\n{ok}");
    let err = Templates::from_toml("t.toml", &twice).unwrap_err();
    assert_eq!((err.line, err.message.contains("defined twice")), (7, true), "{err}");
    let contact = "[[template]]\nid = \"c\"\npurpose = \"reestablish-contact\"\nzh = \"{lender}请{name}回电，逾期未还。\"\nen = \"{lender}: please ask {name} to call.\"\n";
    let err = Templates::from_toml("t.toml", contact).unwrap_err();
    assert!(err.to_string().contains("may not mention the debt"), "{err}");
}

#[test]
fn a_bad_strategy_names_its_line() {
    let templates = Templates::shipped();
    let base = "id = \"s\"\nversion = \"1\"\n";
    let cases = [
        (format!("{base}[[steps]]\nday = 3\nchannel = \"sms\"\ntemplate = \"nope\"\n"), 3, "unknown template `nope`"),
        (format!("{base}[[steps]]\nday = 3\nchannel = \"fax\"\ntemplate = \"pre-due\"\n"), 5, "unknown variant `fax`"),
        (format!("{base}[[steps]]\nday = 900\nchannel = \"sms\"\ntemplate = \"pre-due\"\n"), 3, "day 900 is outside"),
        (
            format!("{base}[[steps]]\nday = 3\nchannel = \"sms\"\ntemplate = \"pre-due\"\nbuckets = [\"M9\"]\n"),
            3,
            "unknown bucket `M9`",
        ),
        (format!("{base}[challenger]\nid = \"c\"\nshare_percent = 100\n"), 3, "share_percent 100 must be 1 to 99"),
        (format!("{base}colour = \"red\"\n"), 3, "unknown field `colour`"),
    ];
    for (text, line, want) in cases {
        let err = Strategy::from_toml("s.toml", &text, &templates).unwrap_err();
        assert_eq!(err.line, line, "{err}");
        assert!(err.to_string().contains(want), "{err}");
    }
}

#[test]
fn steps_fire_on_their_day_for_the_loans_they_name() {
    let templates = Templates::shipped();
    let text = "id = \"s\"\nversion = \"1\"\n\
        [[steps]]\nday = -3\nchannel = \"sms\"\ntemplate = \"pre-due\"\n\
        [[steps]]\nday = 5\nchannel = \"call\"\ntemplate = \"call-script\"\nbuckets = [\"M1\"]\nrisk_bands = [\"high\"]\n\
        [[steps]]\nday = 5\nchannel = \"sms\"\ntemplate = \"overdue-penalty\"\n";
    let strategy = Strategy::from_toml("s.toml", text, &templates).unwrap();
    let loan =
        |bucket, band| LoanFacts { loan_no: "L1", reference_due: Some(d("2026-03-15")), bucket, risk_band: band, segment: None };
    let channels = |facts: &LoanFacts<'_>, date: &str| -> Vec<Channel> {
        strategy.steps_for(facts, d(date)).1.iter().map(|s| s.channel).collect()
    };
    assert_eq!(channels(&loan(Bucket::M0, None), "2026-03-12"), [Channel::Sms]);
    assert_eq!(channels(&loan(Bucket::M0, None), "2026-03-13"), []);
    assert_eq!(channels(&loan(Bucket::M1, Some("high")), "2026-03-20"), [Channel::Call, Channel::Sms]);
    assert_eq!(channels(&loan(Bucket::M1, Some("low")), "2026-03-20"), [Channel::Sms], "the call is for high risk only");
    assert_eq!(channels(&loan(Bucket::M1, None), "2026-03-20"), [Channel::Sms], "no band, no banded step");
    let done = LoanFacts { reference_due: None, ..loan(Bucket::M0, None) };
    assert!(strategy.steps_for(&done, d("2026-03-12")).1.is_empty());
}

#[test]
fn the_champion_challenger_split_is_stable_and_near_its_share() {
    let templates = Templates::shipped();
    let strategy = Strategy::shipped(&templates);
    let arms: Vec<Arm> = (0..10_000).map(|k| strategy.arm_for(&format!("L{k:08}"))).collect();
    let challengers = arms.iter().filter(|a| **a == Arm::Challenger).count();
    assert!((1_800..=2_200).contains(&challengers), "20% of 10,000 loans, give or take: {challengers}");
    let again: Vec<Arm> = (0..10_000).map(|k| strategy.arm_for(&format!("L{k:08}"))).collect();
    assert_eq!(arms, again, "a loan stays in its arm");
    // The same loan number in another strategy is split afresh.
    let mut other = strategy.clone();
    other.id = "other".into();
    let moved = (0..10_000).filter(|k| other.arm_for(&format!("L{k:08}")) != arms[*k]).count();
    assert!(moved > 1_000, "{moved}");
    // The arm decides the steps: the challenger calls on day 4, the champion texts.
    fn loan(no: &str) -> LoanFacts<'_> {
        LoanFacts { loan_no: no, reference_due: Some(d("2026-03-15")), bucket: Bucket::M1, risk_band: None, segment: None }
    }
    let champion = (0..).map(|k| format!("L{k:08}")).find(|n| strategy.arm_for(n) == Arm::Champion).unwrap();
    let challenger = (0..).map(|k| format!("L{k:08}")).find(|n| strategy.arm_for(n) == Arm::Challenger).unwrap();
    let on_day_4 = |no: &str| strategy.steps_for(&loan(no), d("2026-03-19")).1.iter().map(|s| s.channel).collect::<Vec<_>>();
    assert_eq!(on_day_4(&champion), [Channel::Sms]);
    assert_eq!(on_day_4(&challenger), [Channel::Call]);
}
