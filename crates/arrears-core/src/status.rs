//! Delinquency buckets, the five-category loan classification, and status changes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;

/// Where a loan stands by days past due. Inside the grace period a loan stays M0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bucket {
    /// Nothing overdue.
    M0,
    /// Overdue, but inside the grace period: no penalty, no late fee, no negative report.
    M0Grace,
    /// 1–30 days past due.
    M1,
    M2,
    M3,
    M4,
    M5,
    /// 151–180 days past due.
    M6,
    /// More than 180 days past due.
    M7Plus,
    WrittenOff,
}

impl Bucket {
    pub const ALL: [Bucket; 10] = [
        Bucket::M0,
        Bucket::M0Grace,
        Bucket::M1,
        Bucket::M2,
        Bucket::M3,
        Bucket::M4,
        Bucket::M5,
        Bucket::M6,
        Bucket::M7Plus,
        Bucket::WrittenOff,
    ];

    /// The bucket for `dpd` days past due with `grace_days` of grace.
    pub fn from_dpd(dpd: u32, grace_days: u32) -> Bucket {
        match dpd {
            0 => Bucket::M0,
            d if d <= grace_days => Bucket::M0Grace,
            1..=30 => Bucket::M1,
            31..=60 => Bucket::M2,
            61..=90 => Bucket::M3,
            91..=120 => Bucket::M4,
            121..=150 => Bucket::M5,
            151..=180 => Bucket::M6,
            _ => Bucket::M7Plus,
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Bucket::M0 => "M0",
            Bucket::M0Grace => "M0-grace",
            Bucket::M1 => "M1",
            Bucket::M2 => "M2",
            Bucket::M3 => "M3",
            Bucket::M4 => "M4",
            Bucket::M5 => "M5",
            Bucket::M6 => "M6",
            Bucket::M7Plus => "M7+",
            Bucket::WrittenOff => "written-off",
        }
    }

    pub fn parse(label: &str) -> Option<Bucket> {
        Bucket::ALL.into_iter().find(|b| b.label() == label)
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.label())
    }
}

/// The five-category classification of loan quality (五级分类).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// 正常
    Normal,
    /// 关注
    SpecialMention,
    /// 次级
    Substandard,
    /// 可疑
    Doubtful,
    /// 损失
    Loss,
}

impl Classification {
    pub const ALL: [Classification; 5] = [
        Classification::Normal,
        Classification::SpecialMention,
        Classification::Substandard,
        Classification::Doubtful,
        Classification::Loss,
    ];

    /// Any overdue beyond grace → at least special mention; > 90 days → substandard; > 270 →
    /// doubtful; > 360 → loss. A restructured loan inside its observation period is at least
    /// special mention. Written-off loans are loss.
    pub fn from_dpd(dpd: u32, grace_days: u32, restructured: bool, written_off: bool) -> Classification {
        if written_off {
            return Classification::Loss;
        }
        let by_dpd = match dpd {
            d if d <= grace_days => Classification::Normal,
            d if d <= 90 => Classification::SpecialMention,
            d if d <= 270 => Classification::Substandard,
            d if d <= 360 => Classification::Doubtful,
            _ => Classification::Loss,
        };
        if restructured {
            by_dpd.max(Classification::SpecialMention)
        } else {
            by_dpd
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Classification::Normal => "normal",
            Classification::SpecialMention => "special-mention",
            Classification::Substandard => "substandard",
            Classification::Doubtful => "doubtful",
            Classification::Loss => "loss",
        }
    }

    pub const fn label_zh(self) -> &'static str {
        match self {
            Classification::Normal => "正常",
            Classification::SpecialMention => "关注",
            Classification::Substandard => "次级",
            Classification::Doubtful => "可疑",
            Classification::Loss => "损失",
        }
    }

    pub fn parse(label: &str) -> Option<Classification> {
        Classification::ALL.into_iter().find(|c| c.label() == label)
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.label())
    }
}

/// One move of a loan between buckets or classes, with the business date it happened on.
/// Stored as a compact array: `[date, dpd, from bucket, to bucket, from class, to class]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "StatusChangeRow", from = "StatusChangeRow")]
pub struct StatusChange {
    pub date: Date,
    pub dpd: u32,
    pub from_bucket: Bucket,
    pub to_bucket: Bucket,
    pub from_class: Classification,
    pub to_class: Classification,
}

#[derive(Serialize, Deserialize)]
struct StatusChangeRow(Date, u32, Bucket, Bucket, Classification, Classification);

impl From<StatusChange> for StatusChangeRow {
    fn from(c: StatusChange) -> StatusChangeRow {
        StatusChangeRow(c.date, c.dpd, c.from_bucket, c.to_bucket, c.from_class, c.to_class)
    }
}

impl From<StatusChangeRow> for StatusChange {
    fn from(r: StatusChangeRow) -> StatusChange {
        StatusChange { date: r.0, dpd: r.1, from_bucket: r.2, to_bucket: r.3, from_class: r.4, to_class: r.5 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_at_every_edge() {
        let cases = [
            (0, 3, Bucket::M0),
            (1, 3, Bucket::M0Grace),
            (3, 3, Bucket::M0Grace),
            (4, 3, Bucket::M1),
            (1, 0, Bucket::M1),
            (30, 0, Bucket::M1),
            (31, 0, Bucket::M2),
            (60, 0, Bucket::M2),
            (61, 0, Bucket::M3),
            (90, 0, Bucket::M3),
            (91, 0, Bucket::M4),
            (121, 0, Bucket::M5),
            (151, 0, Bucket::M6),
            (180, 0, Bucket::M6),
            (181, 0, Bucket::M7Plus),
        ];
        for (dpd, grace, want) in cases {
            assert_eq!(Bucket::from_dpd(dpd, grace), want, "dpd {dpd} grace {grace}");
        }
    }

    #[test]
    fn classification_at_every_edge() {
        use Classification::*;
        let cases = [
            (0, Normal),
            (3, Normal),
            (4, SpecialMention),
            (90, SpecialMention),
            (91, Substandard),
            (270, Substandard),
            (271, Doubtful),
            (360, Doubtful),
            (361, Loss),
        ];
        for (dpd, want) in cases {
            assert_eq!(Classification::from_dpd(dpd, 3, false, false), want, "dpd {dpd}");
        }
        assert_eq!(Classification::from_dpd(0, 3, true, false), SpecialMention);
        assert_eq!(Classification::from_dpd(100, 3, true, false), Substandard);
        assert_eq!(Classification::from_dpd(0, 3, false, true), Loss);
    }
}
