//! `Message` refuses what would break a header or a JSON body.

use arrears_channels::{Message, MessageError};

/// id, to, subject, body, and what `Message::new` must say.
type Case<'a> = (&'a str, &'a str, &'a str, &'a str, Result<(), MessageError>);

#[test]
fn message_fields_are_checked_by_table() {
    let long_body = "x".repeat(arrears_channels::BODY_LEN_MAX + 1);
    let cases: &[Case] = &[
        ("m-1", "a@b.example", "您的账单 bill", "正文 body", Ok(())),
        ("L00000048:D+3:sms", "+8613800138000", "", "x", Ok(())),
        ("", "a@b.example", "s", "b", Err(MessageError::IdempotencyId)),
        ("has space", "a@b.example", "s", "b", Err(MessageError::IdempotencyId)),
        ("quote\"", "a@b.example", "s", "b", Err(MessageError::IdempotencyId)),
        ("m-1", "", "s", "b", Err(MessageError::Recipient)),
        ("m-1", "  ", "s", "b", Err(MessageError::Recipient)),
        ("m-1", "a@b.example\0", "s", "b", Err(MessageError::Recipient)),
        ("m-1", "a@b.example\r\nBcc: x@y", "s", "b", Err(MessageError::Recipient)),
        ("m-1", "a@b.example", "s\r\nBcc: x@y", "b", Err(MessageError::Subject)),
        ("m-1", "a@b.example", "s", "", Err(MessageError::Body)),
        ("m-1", "a@b.example", "s", &long_body, Err(MessageError::Body)),
    ];
    for (id, to, subject, body, want) in cases {
        let got = Message::new(*id, *to, *subject, *body).map(|_| ());
        assert_eq!(&got, want, "id={id:?} to={to:?} subject={subject:?}");
    }
}
