//! The dashboard's pictures, drawn on the server as inline SVG: no script, nothing fetched.
//! Only numbers and our own labels go in; a store's words never do.

use chrono::{DateTime, FixedOffset};

/// A score's trend as a small line (the portfolio's rows): oldest left, 0 at the bottom.
pub fn sparkline(scores: &[u8]) -> String {
    let (w, h) = (96.0, 24.0);
    if scores.len() < 2 {
        return String::new();
    }
    let step = w / (scores.len() - 1) as f64;
    let points: Vec<String> = scores
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{:.1},{:.1}", i as f64 * step, 2.0 + (h - 4.0) * (1.0 - f64::from(*s) / 100.0)))
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
         aria-label=\"score over the last {} audits\" class=\"spark\"><polyline fill=\"none\" stroke=\"#2563eb\" \
         stroke-width=\"1.5\" points=\"{}\"/></svg>",
        scores.len(),
        points.join(" ")
    )
}

/// A value over time: `points` in time order (none: not measured, drawn as a red mark at the
/// top), a dashed red `limit` when given, `unit` on the axis.
pub struct Series<'a> {
    /// What the chart shows, for screen readers.
    pub label: &'a str,
    /// Each value and when.
    pub points: Vec<(DateTime<FixedOffset>, Option<f64>)>,
    /// The line not to cross (a deadline), if any.
    pub limit: Option<f64>,
    /// The axis's highest value at least this (100 for scores).
    pub floor_max: f64,
    /// After each value: "h", "".
    pub unit: &'a str,
}

/// The chart of a [`Series`]: dots joined by a line, time along the bottom.
pub fn over_time(s: &Series<'_>) -> String {
    if s.points.is_empty() {
        return String::new();
    }
    let (w, h, left, top, bottom) = (640.0, 180.0, 44.0, 12.0, 22.0);
    let max = s.points.iter().filter_map(|p| p.1).chain(s.limit).fold(s.floor_max, f64::max).max(1.0);
    let (first, last) = (s.points[0].0, s.points[s.points.len() - 1].0);
    let span = (last - first).num_seconds().max(1) as f64;
    let x = |at: DateTime<FixedOffset>| {
        if s.points.len() == 1 {
            left + (w - left) / 2.0
        } else {
            left + (w - left - 8.0) * (at - first).num_seconds() as f64 / span
        }
    };
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / max);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">",
        s.label
    );
    let digits = usize::from(max < 10.0);
    for v in [0.0, max / 2.0, max] {
        svg += &format!(
            "<text x=\"0\" y=\"{:.1}\" font-size=\"10\">{v:.digits$}{}</text><line x1=\"{left}\" x2=\"{w}\" \
             y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e2e8f0\"/>",
            y(v) + 3.0,
            s.unit,
            y(v),
            y(v)
        );
    }
    svg += &format!(
        "<text x=\"{left}\" y=\"{}\" font-size=\"10\">{}</text><text x=\"{w}\" y=\"{}\" font-size=\"10\" \
         text-anchor=\"end\">{}</text>",
        h - 4.0,
        first.format("%Y-%m-%d"),
        h - 4.0,
        last.format("%Y-%m-%d")
    );
    if let Some(limit) = s.limit {
        svg += &format!(
            "<line x1=\"{left}\" x2=\"{w}\" y1=\"{0:.1}\" y2=\"{0:.1}\" stroke=\"#dc2626\" stroke-dasharray=\"4 3\"/>",
            y(limit)
        );
    }
    let line: Vec<String> =
        s.points.iter().filter_map(|(at, v)| v.map(|v| format!("{:.1},{:.1}", x(*at), y(v)))).collect();
    if line.len() > 1 {
        svg +=
            &format!("<polyline fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2\" points=\"{}\"/>", line.join(" "));
    }
    for (at, v) in &s.points {
        let when = at.format("%Y-%m-%d %H:%M");
        svg += &match v {
            Some(v) => format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"#2563eb\"><title>{when}: {v:.1}{}</title></circle>",
                x(*at),
                y(*v),
                s.unit
            ),
            None => format!(
                "<path d=\"M{0:.1} {1:.1}l6 6m0 -6l-6 6\" stroke=\"#dc2626\" stroke-width=\"2\" transform=\"translate(-3 -3)\">\
                 <title>{when}: none</title></path>",
                x(*at),
                top
            ),
        };
    }
    svg + "</svg>"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("2026-11-{day:02}T09:00:00+00:00")).unwrap()
    }

    #[test]
    fn a_series_draws_a_dot_per_value_a_mark_per_gap_and_its_limit() {
        let s = Series {
            label: "first human answer",
            points: vec![(at(1), Some(2.0)), (at(2), None), (at(3), Some(30.0))],
            limit: Some(24.0),
            floor_max: 1.0,
            unit: " h",
        };
        let svg = over_time(&s);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("<path").count(), 1);
        assert!(svg.contains("stroke-dasharray"));
        assert!(svg.contains("2026-11-03 09:00: 30.0 h"));
        assert!(over_time(&Series { points: vec![], ..s }).is_empty());
    }

    #[test]
    fn a_sparkline_needs_two_scores() {
        assert!(sparkline(&[50]).is_empty());
        assert_eq!(sparkline(&[0, 100]).matches(',').count(), 2);
    }
}
