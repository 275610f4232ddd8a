//! Credit-bureau furnishing: what Arrears tells a credit bureau about each account each month,
//! in formats a bureau reads.
//!
//! [`china`] builds the China record: balance, amount overdue, months overdue, the
//! five-category class and the 24-month repayment-status string in the codes a Chinese personal
//! credit report shows. A [`Furnisher`] writes records; [`JsonLines`] and [`Csv`] are the two
//! documented, versioned exports ([`china::FORMAT`]), and a lender adds its bureau's exact
//! interface as another `Furnisher`. [`metro2`] writes and reads the US Metro 2 file (header,
//! 426-character base segments, trailer with its totals). Everything here is pure: the caller
//! passes the months.

pub mod china;
pub mod metro2;

pub use china::{
    csv_field, history_string, month_key, month_number, month_of, month_span, negative_marks, ChinaRecord, Mark, MonthCode,
    FORMAT,
};

use std::io::Write;

/// Why a record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FurnishError {
    #[error("cannot write the furnishing file: {0}")]
    Io(#[from] std::io::Error),
}

/// Something that takes a month's records, one at a time, and the end of the file.
pub trait Furnisher {
    fn record(&mut self, record: &ChinaRecord) -> Result<(), FurnishError>;
    /// Called once after the last record.
    fn finish(&mut self) -> Result<(), FurnishError>;
}

/// One JSON object per line; the first line names the format and its version.
#[derive(Debug)]
pub struct JsonLines<W: Write> {
    out: W,
    started: bool,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> JsonLines<W> {
        JsonLines { out, started: false }
    }
}

impl<W: Write> Furnisher for JsonLines<W> {
    fn record(&mut self, record: &ChinaRecord) -> Result<(), FurnishError> {
        if !self.started {
            writeln!(self.out, "{}", serde_json::json!({ "format": FORMAT }))?;
            self.started = true;
        }
        writeln!(self.out, "{}", serde_json::to_string(record).expect("a record serialises"))?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), FurnishError> {
        if !self.started {
            writeln!(self.out, "{}", serde_json::json!({ "format": FORMAT }))?;
            self.started = true;
        }
        self.out.flush()?;
        Ok(())
    }
}

/// A header row, then one row per record; amounts as decimals with two places.
#[derive(Debug)]
pub struct Csv<W: Write> {
    out: W,
    started: bool,
}

impl<W: Write> Csv<W> {
    pub fn new(out: W) -> Csv<W> {
        Csv { out, started: false }
    }

    fn header(&mut self) -> Result<(), FurnishError> {
        if !self.started {
            writeln!(self.out, "{}", china::CSV_HEADER)?;
            self.started = true;
        }
        Ok(())
    }
}

impl<W: Write> Furnisher for Csv<W> {
    fn record(&mut self, record: &ChinaRecord) -> Result<(), FurnishError> {
        self.header()?;
        writeln!(self.out, "{}", record.csv_row())?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), FurnishError> {
        self.header()?;
        self.out.flush()?;
        Ok(())
    }
}
