//! Integration tests of the channels, each against a real server on this machine: an SMTP
//! server (`aiosmtpd`) and a hand-written HTTP gateway on 127.0.0.1.

mod message;
mod sms;
mod smtp;
