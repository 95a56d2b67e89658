//! `Cycle-Period`: how often Atlassian wants each account reported. Its format is not
//! documented ("the polling resources may return a different cycle period (in the
//! `Cycle-Period` header)"), and the community code that reads it disagrees: `"20 Days"`
//! (a companion package of atlassian-connect-express), a bare number of days (a Go reporter),
//! `"604800"` seconds and `"P7D"` (test fixtures elsewhere). The framework accepts each form:
//!
//! - a number with a unit word: `20 Days`, `2 weeks`, `36 hours`;
//! - an ISO 8601 duration: `P7D`, `P2W`, `PT36H`;
//! - a bare number: days below 1000, seconds from 1000 on (a cycle of under 17 minutes, or of
//!   over 2 years, is no cycle, so the two readings never overlap).
//!
//! The result is kept between one day (the framework's trigger runs daily, so it cannot
//! report more often) and 90 days. Anything else keeps the current period.

use std::time::Duration;

/// The period without a `Cycle-Period` answer: 7 days.
pub const DEFAULT_CYCLE: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// The shortest period honoured: one day.
pub const MIN_CYCLE: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest period honoured: 90 days.
pub const MAX_CYCLE: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// The period a `Cycle-Period` value sets, within [`MIN_CYCLE`] and [`MAX_CYCLE`]; `None` for
/// a value in no accepted form.
///
/// ```
/// use connect_runtime::privacy::{MIN_CYCLE, parse_cycle_period};
/// use std::time::Duration;
///
/// let fortnight = Some(Duration::from_secs(14 * 86_400));
/// assert_eq!(parse_cycle_period("1209600"), fortnight);
/// assert_eq!(parse_cycle_period("14"), fortnight);
/// assert_eq!(parse_cycle_period("14 Days"), fortnight);
/// assert_eq!(parse_cycle_period("P14D"), fortnight);
/// assert_eq!(parse_cycle_period("3600"), Some(MIN_CYCLE));
/// assert_eq!(parse_cycle_period("soon"), None);
/// ```
pub fn parse_cycle_period(value: &str) -> Option<Duration> {
    let value = value.trim();
    let seconds = if value.bytes().all(|b| b.is_ascii_digit()) {
        let number = value.parse::<u64>().ok()?;
        if number < BARE_DAYS_BELOW {
            number.checked_mul(DAY)?
        } else {
            number
        }
    } else if let Some(seconds) = with_unit_word(value) {
        seconds
    } else {
        iso_8601_seconds(value)?
    };
    Some(Duration::from_secs(seconds).clamp(MIN_CYCLE, MAX_CYCLE))
}

const DAY: u64 = 86_400;

/// A bare number below this is days; from it on, seconds.
const BARE_DAYS_BELOW: u64 = 1_000;

/// The seconds of `<number> <unit>`, the unit a word (`days`, `Day`, `weeks`, `hours`,
/// `seconds`; singular or plural, any case).
fn with_unit_word(value: &str) -> Option<u64> {
    let (number, unit) = value.split_once(char::is_whitespace)?;
    let number: u64 = number.parse().ok()?;
    let unit = unit.trim().to_ascii_lowercase();
    let scale = match unit.trim_end_matches('s') {
        "week" => 7 * DAY,
        "day" => DAY,
        "hour" => 3_600,
        "minute" => 60,
        "second" => 1,
        _ => return None,
    };
    number.checked_mul(scale)
}

/// The seconds of an ISO 8601 duration `PnW` or `PnDTnHnMnS` (whole numbers; no years or
/// months, whose length varies).
fn iso_8601_seconds(value: &str) -> Option<u64> {
    let rest = value
        .strip_prefix('P')
        .or_else(|| value.strip_prefix('p'))?;
    if rest.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut in_time = false;
    let mut any = false;
    for c in rest.chars() {
        match c.to_ascii_uppercase() {
            '0'..='9' => number.push(c),
            'T' if !in_time && number.is_empty() => in_time = true,
            unit => {
                let n: u64 = number.parse().ok()?;
                number.clear();
                let scale = match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3_600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(scale)?)?;
                any = true;
            }
        }
    }
    (any && number.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_bounds() {
        let day = 86_400;
        for (value, seconds) in [
            ("604800", 7 * day),
            (" 172800 ", 2 * day),
            ("20 Days", 20 * day),
            ("1 day", day),
            ("2 weeks", 14 * day),
            ("36 HOURS", 36 * 3_600),
            ("15", 15 * day),
            ("999", 90 * day),
            ("1000", day),
            ("P7D", 7 * day),
            ("P2W", 14 * day),
            ("PT36H", 36 * 3_600),
            ("P1DT12H", day + 12 * 3_600),
            ("7", 7 * day),
            ("PT1M", day),
            ("P365D", 90 * day),
            ("99999999999", 90 * day),
        ] {
            assert_eq!(
                parse_cycle_period(value),
                Some(Duration::from_secs(seconds)),
                "{value}"
            );
        }
        for bad in [
            "",
            "P",
            "PT",
            "7 fortnights",
            "days",
            "-5",
            "P1Y",
            "P1M",
            "PT1D",
            "P1H",
            "P1.5D",
        ] {
            assert_eq!(parse_cycle_period(bad), None, "{bad}");
        }
    }
}
