//! Stock photos across stores: the same staff photo on several stores of one run is a stock
//! photo on each, whatever its metadata says. Pure: the caller gathered the reports.

use std::collections::BTreeSet;

use image_hasher::ImageHash;

use crate::model::evidence::Stock;
use crate::model::Report;

/// Photos whose perceptual hashes differ in at most this many bits are the same photo.
pub const SAME_PHOTO_BITS: u32 = 6;

/// Marks as stock every staff photo that another of `reports` shows too, naming the other
/// stores; true when any was marked (the reports' checks must then run again).
pub fn shared_photos(reports: &mut [&mut Report]) -> bool {
    let mut seen: Vec<(usize, String, ImageHash)> = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        for img in r.evidence.images.iter().filter(|i| i.staff) {
            if let Some(hash) = img.phash.as_deref().and_then(|h| ImageHash::from_base64(h).ok()) {
                seen.push((i, img.url.clone(), hash));
            }
        }
    }
    let mut marked = false;
    for (i, url, hash) in &seen {
        let elsewhere: BTreeSet<&str> = seen
            .iter()
            .filter(|(j, _, other)| j != i && hash.dist(other) <= SAME_PHOTO_BITS)
            .map(|(j, _, _)| reports[*j].store.name.as_str())
            .collect();
        if elsewhere.is_empty() {
            continue;
        }
        let signal = format!("the same photo is on {}", elsewhere.into_iter().collect::<Vec<_>>().join(", "));
        for img in reports[*i].evidence.images.iter_mut().filter(|img| &img.url == url && img.stock.is_none()) {
            img.stock = Some(Stock { agency: "unknown".into(), signals: vec![signal.clone()] });
            marked = true;
        }
    }
    marked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::evidence::Image;

    fn with_photo(store: &str, phash: &str) -> Report {
        let mut r = Report::empty(store);
        r.evidence.images.push(Image {
            url: format!("http://{store}/team.jpg"),
            staff: true,
            phash: Some(phash.into()),
            ..Image::default()
        });
        r
    }

    #[test]
    fn the_same_staff_photo_on_two_stores_is_stock_on_both_and_a_third_is_left_alone() {
        let photo = ImageHash::<Box<[u8]>>::from_bytes(&[0xAA; 8]).unwrap().to_base64();
        let other = ImageHash::<Box<[u8]>>::from_bytes(&[0x55; 8]).unwrap().to_base64();
        let (mut a, mut b, mut c) = (with_photo("a", &photo), with_photo("b", &photo), with_photo("c", &other));
        assert!(shared_photos(&mut [&mut a, &mut b, &mut c]));
        let signals = |r: &Report| r.evidence.images[0].stock.as_ref().map(|s| s.signals.clone());
        assert_eq!(signals(&a), Some(vec!["the same photo is on b".to_string()]));
        assert_eq!(signals(&b), Some(vec!["the same photo is on a".to_string()]));
        assert_eq!(signals(&c), None);
        assert!(!shared_photos(&mut [&mut c]), "one store alone shares nothing");
    }
}
