//! Amounts in the Chinese capitals that contracts, receipts and court papers use so that no one
//! can alter a figure (`人民币壹万贰仟叁佰肆拾伍元陆角整`).

use arrears_core::Amount;

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const PLACES: [&str; 4] = ["仟", "佰", "拾", ""];
const SECTIONS: [&str; 4] = ["", "万", "亿", "万亿"];

/// The whole yuan in capitals, without the unit: `10010` is `壹万零壹拾`. A run of zeros is
/// read as one 零, and none is read at the end of a number.
fn whole_in_words(mut yuan: u64) -> String {
    if yuan == 0 {
        return "零".into();
    }
    let mut sections = Vec::new();
    while yuan > 0 {
        sections.push(yuan % 10_000);
        yuan /= 10_000;
    }
    let mut out = String::new();
    let mut zero = false;
    for (place, &section) in sections.iter().enumerate().rev() {
        if section == 0 {
            zero = !out.is_empty();
            continue;
        }
        if !out.is_empty() && section < 1000 {
            zero = true;
        }
        for (k, unit) in PLACES.iter().enumerate() {
            let digit = (section / 10u64.pow(3 - k as u32) % 10) as usize;
            if digit == 0 {
                zero |= !out.is_empty();
                continue;
            }
            if zero {
                out.push('零');
                zero = false;
            }
            out.push(DIGITS[digit]);
            out.push_str(unit);
        }
        out.push_str(SECTIONS[place.min(3)]);
    }
    out
}

/// A yuan amount in capitals, as a receipt writes it: `人民币壹仟零伍拾元整`,
/// `人民币壹佰元零伍分`, `人民币伍角陆分`.
pub fn yuan_in_words(amount: Amount) -> String {
    let minor = amount.0.unsigned_abs();
    let (whole, jiao, fen) = (minor / 100, (minor / 10 % 10) as usize, (minor % 10) as usize);
    let mut out = String::from(if amount.0 < 0 { "人民币负" } else { "人民币" });
    if whole > 0 || (jiao == 0 && fen == 0) {
        out.push_str(&whole_in_words(whole));
        out.push('元');
    }
    match (jiao, fen) {
        (0, 0) => out.push('整'),
        (j, 0) => {
            out.push(DIGITS[j]);
            out.push_str("角整");
        }
        (0, f) => {
            if whole > 0 {
                out.push('零');
            }
            out.push(DIGITS[f]);
            out.push('分');
        }
        (j, f) => {
            out.push(DIGITS[j]);
            out.push('角');
            out.push(DIGITS[f]);
            out.push('分');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_in_capitals_read_zeros_once_and_end_with_zheng() {
        for (minor, words) in [
            (0, "人民币零元整"),
            (5, "人民币伍分"),
            (56, "人民币伍角陆分"),
            (50, "人民币伍角整"),
            (1_000, "人民币壹拾元整"),
            (10_005, "人民币壹佰元零伍分"),
            (10_050, "人民币壹佰元伍角整"),
            (105_000, "人民币壹仟零伍拾元整"),
            (100_100, "人民币壹仟零壹元整"),
            (1_001_000, "人民币壹万零壹拾元整"),
            (5_000_000, "人民币伍万元整"),
            (10_000_000, "人民币壹拾万元整"),
            (100_000_000, "人民币壹佰万元整"),
            (1_000_010_000, "人民币壹仟万零壹佰元整"),
            (1_234_567_856, "人民币壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元伍角陆分"),
            (10_000_000_000, "人民币壹亿元整"),
            (10_000_100_000, "人民币壹亿零壹仟元整"),
            (-1_000, "人民币负壹拾元整"),
        ] {
            assert_eq!(yuan_in_words(Amount(minor)), words, "{minor}");
        }
    }
}
