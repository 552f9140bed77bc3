//! photos.no_stock_staff (file names and metadata; the cross-store hash comparison reads the
//! `phash` evidence once several stores are audited together).

use super::{list, Check, CheckId, Input, Judged, Severity, Verdict};

pub const NO_STOCK_STAFF: Check = Check {
    id: CheckId::PhotosNoStockStaff,
    title: "Staff photos are real",
    failure_title: "Staff photos are stock images",
    description: "A smiling stock \u{201c}operator\u{201d} tells the buyer the people behind the store are made up. Real photos, or none, build more trust.",
    severity: Severity::Minor,
    reads: &["evidence.images"],
    run: no_stock_staff,
};

fn no_stock_staff(input: &Input<'_>) -> Judged {
    let staff: Vec<_> = input.evidence.images.iter().filter(|i| i.staff).collect();
    if staff.is_empty() {
        return Ok(Verdict::not_applicable("No photos of staff, operators or the team were found."));
    }
    let stock: Vec<String> = staff
        .iter()
        .filter_map(|i| i.stock.as_ref().map(|s| format!("{} ({}: {})", i.url, s.agency, s.signals.join(", "))))
        .collect();
    if !stock.is_empty() {
        return Ok(Verdict::fail(
            format!("{} of {} staff photos are stock: {}.", stock.len(), staff.len(), list(&stock, 2)),
            stock,
        ));
    }
    let checked: Vec<String> =
        staff.iter().filter(|i| i.error.is_none() && i.bytes.is_some()).map(|i| i.url.clone()).collect();
    if checked.is_empty() {
        let why: Vec<String> =
            staff.iter().filter_map(|i| i.error.as_ref().map(|e| format!("{}: {e}", i.url))).collect();
        return Ok(Verdict::error(format!("No staff photo could be read: {}.", list(&why, 2))));
    }
    Ok(Verdict::pass(
        format!("{} staff photo(s) checked; none carries a stock agency's name or file pattern.", checked.len()),
        checked,
    ))
}
