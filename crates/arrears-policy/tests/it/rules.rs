//! Each rule at its edges: the last allowed moment, the first blocked one, and when it lets go.

use arrears_policy::{Channel, Contact, LoanFlags, Outcome, Party, PastContact, Purpose, Rule, TimeOfDay};

use crate::{call, contact, t};

fn tod(s: &str) -> TimeOfDay {
    s.parse().unwrap()
}

/// Checks one rule on a contact: `None` when allowed, else the retry time (or "never").
fn decide(rule: &Rule, c: &arrears_policy::Contact, past: &[PastContact], flags: &LoanFlags) -> Option<String> {
    rule.check(c, past, flags).map(|b| b.retry_at.map_or("until the loan changes".to_owned(), |r| r.to_string()))
}

#[test]
fn quiet_hours_china() {
    let rule = Rule::QuietHours { from: tod("22:00"), until: tod("08:00") };
    let cases = [
        ("2026-03-01 21:59", Channel::Call, None),
        ("2026-03-01 22:00", Channel::Call, Some("2026-03-02 08:00")),
        ("2026-03-01 23:59", Channel::Sms, Some("2026-03-02 08:00")),
        ("2026-03-02 00:00", Channel::Email, Some("2026-03-02 08:00")),
        ("2026-03-02 07:59", Channel::App, Some("2026-03-02 08:00")),
        ("2026-03-02 08:00", Channel::Call, None),
        ("2026-03-01 23:00", Channel::Letter, None),
    ];
    for (at, channel, want) in cases {
        assert_eq!(decide(&rule, &contact(at, channel), &[], &LoanFlags::default()).as_deref(), want, "{at} {channel:?}");
    }
}

#[test]
fn quiet_hours_us_allow_nine_pm_itself() {
    let rule = Rule::QuietHours { from: tod("21:01"), until: tod("08:00") };
    let cases = [
        ("2026-03-01 21:00", None),
        ("2026-03-01 21:01", Some("2026-03-02 08:00")),
        ("2026-03-02 07:59", Some("2026-03-02 08:00")),
        ("2026-03-02 08:00", None),
    ];
    for (at, want) in cases {
        assert_eq!(decide(&rule, &contact(at, Channel::Call), &[], &LoanFlags::default()).as_deref(), want, "{at}");
    }
}

#[test]
fn quiet_hours_inside_one_day() {
    let rule = Rule::QuietHours { from: tod("12:00"), until: tod("13:30") };
    assert_eq!(decide(&rule, &contact("2026-03-01 11:59", Channel::Call), &[], &LoanFlags::default()), None);
    assert_eq!(
        decide(&rule, &contact("2026-03-01 12:00", Channel::Call), &[], &LoanFlags::default()).as_deref(),
        Some("2026-03-01 13:30")
    );
    assert_eq!(decide(&rule, &contact("2026-03-01 13:30", Channel::Call), &[], &LoanFlags::default()), None);
}

#[test]
fn the_fourth_connected_call_of_a_day_is_blocked() {
    let rule = Rule::ConnectedCallsPerDay { max: 3 };
    let flags = LoanFlags::default();
    let two = [call("2026-03-01 09:00", Outcome::Connected), call("2026-03-01 10:00", Outcome::Connected)];
    let mut three = two.to_vec();
    three.push(call("2026-03-01 11:00", Outcome::Connected));
    // Unanswered calls, yesterday's calls and calls to others do not count.
    let mut noise = two.to_vec();
    noise.extend([
        call("2026-03-01 11:30", Outcome::Attempted),
        call("2026-02-28 15:00", Outcome::Connected),
        PastContact { party: Party::EmergencyContact, ..call("2026-03-01 12:00", Outcome::Connected) },
    ]);
    assert_eq!(decide(&rule, &contact("2026-03-01 16:00", Channel::Call), &two, &flags), None);
    assert_eq!(decide(&rule, &contact("2026-03-01 16:00", Channel::Call), &noise, &flags), None);
    assert_eq!(decide(&rule, &contact("2026-03-01 16:00", Channel::Call), &three, &flags).as_deref(), Some("2026-03-02 00:00"));
    assert_eq!(decide(&rule, &contact("2026-03-01 16:00", Channel::Sms), &three, &flags), None, "an SMS is not a call");
    assert_eq!(decide(&rule, &contact("2026-03-02 09:00", Channel::Call), &three, &flags), None, "a new day");
}

#[test]
fn seven_call_attempts_in_seven_days_and_day_eight_allowed_again() {
    let rule = Rule::CallAttemptsInWindow { max: 7, days: 7 };
    let flags = LoanFlags::default();
    let attempts: Vec<PastContact> = (1..=7).map(|d| call(&format!("2026-03-0{d} 10:00"), Outcome::Attempted)).collect();
    assert_eq!(
        decide(&rule, &contact("2026-03-07 18:00", Channel::Call), &attempts[..6], &flags),
        None,
        "six attempts leave room"
    );
    assert_eq!(
        decide(&rule, &contact("2026-03-07 18:00", Channel::Call), &attempts, &flags).as_deref(),
        Some("2026-03-08 10:00")
    );
    assert_eq!(
        decide(&rule, &contact("2026-03-08 09:59", Channel::Call), &attempts, &flags).as_deref(),
        Some("2026-03-08 10:00")
    );
    assert_eq!(
        decide(&rule, &contact("2026-03-08 10:00", Channel::Call), &attempts, &flags),
        None,
        "day 8: the first attempt has left the window"
    );
    assert_eq!(decide(&rule, &contact("2026-03-07 18:00", Channel::Email), &attempts, &flags), None);
}

#[test]
fn no_call_within_seven_days_of_a_conversation() {
    let rule = Rule::AfterConversation { days: 7 };
    let flags = LoanFlags::default();
    let past = [call("2026-03-01 10:00", Outcome::Connected), call("2026-03-03 10:00", Outcome::Attempted)];
    assert_eq!(decide(&rule, &contact("2026-03-08 09:59", Channel::Call), &past, &flags).as_deref(), Some("2026-03-08 10:00"));
    assert_eq!(decide(&rule, &contact("2026-03-08 10:00", Channel::Call), &past, &flags), None);
    assert_eq!(decide(&rule, &contact("2026-03-02 10:00", Channel::Sms), &past, &flags), None, "other channels may follow up");
    assert_eq!(decide(&rule, &contact("2026-03-02 10:00", Channel::Call), &[past[1]], &flags), None, "no conversation, no wait");
}

#[test]
fn only_the_debtor_and_an_emergency_contact_only_to_reestablish_contact() {
    let china = Rule::DebtorOnly { emergency_contact_when_unreachable: true };
    let us = Rule::DebtorOnly { emergency_contact_when_unreachable: false };
    let unreachable = LoanFlags { debtor_unreachable: true, ..LoanFlags::default() };
    let reachable = LoanFlags::default();
    let mut ask = contact("2026-03-01 10:00", Channel::Call);
    ask.party = Party::EmergencyContact;
    ask.purpose = Purpose::ReestablishContact;
    ask.message.mentions_debt = false;
    let mut disclose = ask;
    disclose.message.mentions_debt = true;
    let mut collect = ask;
    collect.purpose = Purpose::Collection;
    let mut third = contact("2026-03-01 10:00", Channel::Call);
    third.party = Party::ThirdParty;
    let cases: [(&Rule, &arrears_policy::Contact, &LoanFlags, bool); 8] = [
        (&china, &contact("2026-03-01 10:00", Channel::Call), &reachable, true),
        (&china, &ask, &unreachable, true),
        (&china, &ask, &reachable, false),
        (&china, &disclose, &unreachable, false),
        (&china, &collect, &unreachable, false),
        (&china, &third, &unreachable, false),
        (&us, &ask, &unreachable, false),
        (&us, &third, &reachable, false),
    ];
    for (k, (rule, c, flags, allowed)) in cases.into_iter().enumerate() {
        assert_eq!(rule.check(c, &[], flags).is_none(), allowed, "case {k}");
    }
}

#[test]
fn disputes_and_honoured_plans_pause_collection_but_not_notices() {
    let disputed = LoanFlags { dispute_open: true, ..LoanFlags::default() };
    let plan = LoanFlags { plan_honoured: true, ..LoanFlags::default() };
    let mut notice = contact("2026-03-01 10:00", Channel::Letter);
    notice.purpose = Purpose::ValidationNotice;
    let reminder = contact("2026-03-01 10:00", Channel::Sms);
    assert_eq!(decide(&Rule::PauseWhileDisputed, &reminder, &[], &disputed).as_deref(), Some("until the loan changes"));
    assert_eq!(decide(&Rule::PauseWhileDisputed, &notice, &[], &disputed), None);
    assert_eq!(decide(&Rule::PauseWhileDisputed, &reminder, &[], &LoanFlags::default()), None);
    assert_eq!(decide(&Rule::PauseWhilePlanHonoured, &reminder, &[], &plan).as_deref(), Some("until the loan changes"));
    assert_eq!(decide(&Rule::PauseWhilePlanHonoured, &reminder, &[], &disputed), None);
    let courtesy = Contact { purpose: Purpose::Reminder, ..reminder };
    assert!(decide(&Rule::PauseWhileDisputed, &courtesy, &[], &disputed).is_some(), "a courtesy reminder waits too");
    assert!(decide(&Rule::PauseWhilePlanHonoured, &courtesy, &[], &plan).is_some());
}

#[test]
fn every_message_names_the_lender() {
    let mut anonymous = contact("2026-03-01 10:00", Channel::Sms);
    anonymous.message.identifies_lender = false;
    assert!(Rule::IdentifyLender.check(&anonymous, &[], &LoanFlags::default()).is_some());
    assert!(Rule::IdentifyLender.check(&contact("2026-03-01 10:00", Channel::Sms), &[], &LoanFlags::default()).is_none());
}

#[test]
fn an_opt_out_holds_on_its_channel_only() {
    let flags = LoanFlags { opted_out: vec![Channel::Sms], ..LoanFlags::default() };
    let rule = Rule::OptOutElectronic;
    assert!(rule.check(&contact("2026-03-01 10:00", Channel::Sms), &[], &flags).is_some());
    assert!(rule.check(&contact("2026-03-01 10:00", Channel::Email), &[], &flags).is_none());
    assert!(rule.check(&contact("2026-03-01 10:00", Channel::Call), &[], &flags).is_none());
}

#[test]
fn the_validation_notice_is_due_five_days_after_the_first_contact() {
    let rule = Rule::ValidationNotice { days: 5 };
    let flags = LoanFlags::default();
    let first =
        [PastContact { channel: Channel::Sms, outcome: Outcome::Attempted, ..call("2026-03-01 10:00", Outcome::Attempted) }];
    assert!(rule.check(&contact("2026-03-01 09:00", Channel::Sms), &[], &flags).is_none(), "the first contact itself");
    assert!(rule.check(&contact("2026-03-06 10:00", Channel::Sms), &first, &flags).is_none(), "day 5 is still in time");
    assert!(rule.check(&contact("2026-03-06 10:01", Channel::Sms), &first, &flags).is_some(), "past day 5 without the notice");
    let mut notice = contact("2026-03-07 10:00", Channel::Letter);
    notice.purpose = Purpose::ValidationNotice;
    assert!(rule.check(&notice, &first, &flags).is_none(), "the notice itself may always go");
    let mut sent = first.to_vec();
    sent.push(PastContact {
        at: t("2026-03-02 10:00"),
        channel: Channel::Letter,
        party: Party::Debtor,
        purpose: Purpose::ValidationNotice,
        outcome: Outcome::Attempted,
    });
    assert!(rule.check(&contact("2026-03-20 10:00", Channel::Sms), &sent, &flags).is_none());
    // Courtesy reminders before anything was overdue do not start the clock.
    let reminders = [PastContact { purpose: Purpose::Reminder, ..first[0] }];
    assert!(rule.check(&contact("2026-03-20 10:00", Channel::Sms), &reminders, &flags).is_none());
    let courtesy = Contact { purpose: Purpose::Reminder, ..contact("2026-03-20 10:00", Channel::Sms) };
    assert!(rule.check(&courtesy, &first, &flags).is_none(), "a reminder is not held for the notice");
}

#[test]
fn a_time_barred_debt_is_never_threatened_with_suit() {
    let barred = LoanFlags { time_barred: true, ..LoanFlags::default() };
    let mut threat = contact("2026-03-01 10:00", Channel::Letter);
    threat.message.mentions_legal_action = true;
    let rule = Rule::NoLegalThreatWhenTimeBarred;
    assert!(rule.check(&threat, &[], &barred).is_some());
    assert!(rule.check(&threat, &[], &LoanFlags::default()).is_none());
    assert!(rule.check(&contact("2026-03-01 10:00", Channel::Letter), &[], &barred).is_none(), "a plain reminder may still go");
}

#[test]
fn wall_clock_and_instant_convert_both_ways_across_midnight() {
    use arrears_policy::LocalTime;
    // 2026-03-01 15:30 UTC is 23:30 in Beijing (+08:00) and 10:30 in New York (−05:00).
    let utc = t("2026-03-01 15:30").epoch_minutes();
    assert_eq!(LocalTime::at_offset(utc, 480), t("2026-03-01 23:30"));
    assert_eq!(LocalTime::at_offset(utc, -300), t("2026-03-01 10:30"));
    assert_eq!(LocalTime::at_offset(utc + 60, 480), t("2026-03-02 00:30"), "the next day in Beijing");
    assert_eq!(t("2026-03-02 00:30").utc_minutes(480), utc + 60);
    assert_eq!(LocalTime::at_offset(t("1970-01-01 02:00").epoch_minutes(), -300), t("1969-12-31 21:00"));
}
