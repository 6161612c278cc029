//! The overview's chart: deliveries per day by status, drawn on the server as inline SVG
//! from numbers only (nothing from a payload reaches it).
use std::fmt::Write;

use crate::store::overview::Day;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 180.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 22.0;

/// Stacked bars, oldest day left; the colours match the legend's swatches.
pub fn per_day(days: &[Day]) -> String {
    let peak = days.iter().map(total).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / days.len().max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    let plot = HEIGHT - TOP - BOTTOM;
    let mut svg = format!(
        r##"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">Deliveries per day, last {n} days</title><desc id="chart-desc">{desc}</desc>"##,
        n = days.len(),
        desc = describe(days),
    );
    for (i, day) in days.iter().enumerate() {
        let x = i as f64 * slot + (slot - bar) / 2.0;
        let mut y = HEIGHT - BOTTOM;
        let parts = [
            (day.delivered, "#1d6b2f"),
            (day.in_progress, "#0b57b0"),
            (day.failed, "#b3261e"),
            (day.bounced, "#8e4b00"),
            (day.skipped, "#8a94a3"),
        ];
        for (count, colour) in parts {
            if count == 0 {
                continue;
            }
            let h = count as f64 / peak * plot;
            y -= h;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}" fill="{colour}"><title>{date}: {count}</title></rect>"#,
                date = day.day,
            );
        }
    }
    let _ = write!(
        svg,
        r##"<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#3d4450"/><text x="0" y="{label}" font-size="12" fill="#3d4450">{first}</text><text x="{WIDTH}" y="{label}" font-size="12" fill="#3d4450" text-anchor="end">{last}</text><text x="{WIDTH}" y="{TOP}" font-size="12" fill="#3d4450" text-anchor="end" dominant-baseline="hanging">peak {peak}</text></svg>"##,
        base = HEIGHT - BOTTOM,
        label = HEIGHT - 6.0,
        first = days.first().map(|d| d.day.to_string()).unwrap_or_default(),
        last = days.last().map(|d| d.day.to_string()).unwrap_or_default(),
    );
    svg
}

fn total(d: &Day) -> i64 {
    d.delivered + d.in_progress + d.failed + d.bounced + d.skipped
}

/// What the chart shows, for screen readers.
fn describe(days: &[Day]) -> String {
    let sum = |f: fn(&Day) -> i64| days.iter().map(f).sum::<i64>();
    format!(
        "{} deliveries: {} delivered, {} in progress, {} failed, {} bounced, {} skipped",
        sum(total),
        sum(|d| d.delivered),
        sum(|d| d.in_progress),
        sum(|d| d.failed),
        sum(|d| d.bounced),
        sum(|d| d.skipped)
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn each_non_zero_status_of_each_day_is_one_bar_segment_scaled_to_the_peak() {
        let day = |n: u32, delivered, failed| Day {
            day: NaiveDate::from_ymd_opt(2026, 12, n).unwrap(),
            delivered,
            failed,
            ..Day::default()
        };
        let svg = per_day(&[day(1, 10, 0), day(2, 0, 0), day(3, 15, 5)]);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("2026-12-03: 5"));
        assert!(svg.contains("peak 20"));
        assert!(svg.contains("25 delivered, 0 in progress, 5 failed"));
        let tallest = format!("height=\"{:.1}\"", 15.0 / 20.0 * (HEIGHT - TOP - BOTTOM));
        assert!(svg.contains(&tallest), "{svg}");
        assert!(per_day(&[]).starts_with("<svg"));
    }
}
