//! Story tests of the use cases over a real database. Every story runs on SQLite, and on
//! PostgreSQL when `ARREARS_TEST_PG_URL` names a server (for example
//! `postgres://postgres@127.0.0.1/test`); each test gets its own file or schema.

mod support;

mod bureau;
mod collections;
mod concurrency;
mod dashboard;
mod documents;
mod eod;
mod gateway;
mod hardship;
mod import;
mod legal;
mod metro2;
mod payments;
mod risk;
mod writeoff;
