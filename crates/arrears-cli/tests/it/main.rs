//! Tests of the `arrears` program as a user runs it: the real binary, a fresh database per
//! test (a SQLite file under the temp directory; the workflow also on PostgreSQL when
//! `ARREARS_TEST_PG_URL` names a server, for example `postgres://postgres@127.0.0.1/test`),
//! and assertions on exit status, stdout and stderr.

mod support;

mod bad_input;
mod browser;
mod demo;
mod desk;
mod hardship;
mod legal;
mod schedule;
mod workflow;
