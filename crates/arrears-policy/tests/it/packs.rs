//! The shipped packs, and packs that do not load.

use arrears_policy::{Channel, LoanFlags, Outcome, Pack, RuleId, Verdict};

use crate::{call, contact, t};

#[test]
fn the_shipped_packs_load_with_their_rules() {
    let cn = Pack::china();
    assert_eq!(cn.label(), "cn@2026.1");
    let ids: Vec<RuleId> = cn.rules.iter().map(|r| r.id()).collect();
    for want in [
        RuleId::QuietHours,
        RuleId::ConnectedCallsPerDay,
        RuleId::DebtorOnly,
        RuleId::IdentifyLender,
        RuleId::PauseWhileDisputed,
        RuleId::PauseWhilePlanHonoured,
        RuleId::OptOutElectronic,
    ] {
        assert!(ids.contains(&want), "China pack lacks {want}");
    }
    let us = Pack::us();
    let ids: Vec<RuleId> = us.rules.iter().map(|r| r.id()).collect();
    for want in [
        RuleId::QuietHours,
        RuleId::CallAttemptsInWindow,
        RuleId::AfterConversation,
        RuleId::OptOutElectronic,
        RuleId::ValidationNotice,
        RuleId::NoLegalThreatWhenTimeBarred,
    ] {
        assert!(ids.contains(&want), "US pack lacks {want}");
    }
    assert!(Pack::shipped("cn").is_some() && Pack::shipped("us").is_some() && Pack::shipped("xx").is_none());
}

#[test]
fn a_pack_decides_by_its_first_blocking_rule_and_says_when_to_retry() {
    let cn = Pack::china();
    let past = [
        call("2026-03-01 09:00", Outcome::Connected),
        call("2026-03-01 10:00", Outcome::Connected),
        call("2026-03-01 11:00", Outcome::Connected),
    ];
    match cn.check(&contact("2026-03-01 22:30", Channel::Call), &past, &LoanFlags::default()) {
        Verdict::Blocked { rule, retry_at, .. } => {
            assert_eq!(rule, RuleId::QuietHours);
            assert_eq!(retry_at, Some(t("2026-03-02 08:00")));
        }
        Verdict::Allowed => panic!("a call at 22:30 must be blocked"),
    }
    match cn.check(&contact("2026-03-01 15:00", Channel::Call), &past, &LoanFlags::default()) {
        Verdict::Blocked { rule, .. } => assert_eq!(rule, RuleId::ConnectedCallsPerDay),
        Verdict::Allowed => panic!("a fourth connected call must be blocked"),
    }
    assert!(cn.check(&contact("2026-03-01 15:00", Channel::Sms), &past, &LoanFlags::default()).is_allowed());
    let disputed = LoanFlags { dispute_open: true, ..LoanFlags::default() };
    assert!(matches!(
        cn.check(&contact("2026-03-01 22:30", Channel::Call), &[], &disputed),
        Verdict::Blocked { rule: RuleId::PauseWhileDisputed, .. }
    ));
}

#[test]
fn a_bad_pack_names_its_line() {
    let cases = [
        ("id = \"x\"\nversion = \"1\"\njurisdiction = \"X\"\ndescription = \"\"\n[[rules]]\nrule = \"no-such-rule\"\n", 6),
        ("id = \"x\"\nversion = \"1\"\njurisdiction = \"X\"\ndescription = \"\"\n[[rules]]\nrule = \"quiet-hours\"\nfrom = \"25:00\"\nuntil = \"08:00\"\n", 5),
        ("id = \"x\"\nversion = \"1\"\njurisdiction = \"X\"\ndescription = \"\"\ncolour = \"red\"\n[[rules]]\nrule = \"identify-lender\"\n", 5),
        ("id = \"x\"\nversion = \"1\"\njurisdiction = \"X\"\ndescription = \"\"\nrules = []\n", 1),
        ("id = \"x\"\nversion = 1\n", 2),
    ];
    for (text, line) in cases {
        let err = Pack::from_toml("test.toml", text).unwrap_err();
        assert_eq!(err.line, line, "{err}");
        assert!(err.to_string().starts_with(&format!("test.toml: line {line}: ")), "{err}");
    }
}

#[test]
fn codes_are_the_words_of_the_packs_and_round_trip() {
    use arrears_policy::{Channel, Party, Purpose};
    for c in Channel::ALL {
        assert_eq!(Channel::parse(c.code()), Some(*c));
        assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{}\"", c.code()));
    }
    for p in Party::ALL {
        assert_eq!(Party::parse(p.code()), Some(*p));
        assert_eq!(serde_json::to_string(p).unwrap(), format!("\"{}\"", p.code()));
    }
    for p in Purpose::ALL {
        assert_eq!(Purpose::parse(p.code()), Some(*p));
        assert_eq!(serde_json::to_string(p).unwrap(), format!("\"{}\"", p.code()));
    }
    assert_eq!(Channel::parse("fax"), None);
}
