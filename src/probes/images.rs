//! Fetches the images the pages show (staff photos first, a bounded number, size-capped),
//! reads their metadata for stock credits, and for staff photos computes a perceptual hash
//! and a small thumbnail for the report.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::sync::Arc;

use base64::Engine;
use futures::StreamExt;

use crate::extract::images::ImageRef;
use crate::extract::stock;
use crate::knowledge::Knowledge;
use crate::model::evidence::Image;
use crate::probes::http;

/// Images fetched per audit at most; the rest are judged by file name only.
pub const MAX_IMAGES_FETCHED: usize = 60;
/// Largest image read.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
const THUMBNAIL_WIDTH: u32 = 160;
/// Decoding limits, so a hostile image cannot take the memory.
const MAX_DECODE_PIXELS: u32 = 12_000;
/// Megapixels decoded at once, over every image of the audit: a staff photo larger than this
/// is judged by its name and metadata only, and smaller ones wait for room, so that eight
/// 83-megapixel PNGs of 243 KB each cannot take gigabytes.
const DECODE_BUDGET_MEGAPIXELS: u32 = 24;

/// Probes every distinct image; `refs` pairs each image with the page that shows it.
pub async fn probe(client: &http::Client, refs: Vec<(ImageRef, String)>, knowledge: &Arc<Knowledge>) -> Vec<Image> {
    let mut distinct: BTreeMap<String, Image> = BTreeMap::new();
    let mut order = Vec::new();
    for (r, page) in refs {
        let key = r.url.to_string();
        let entry = distinct.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Image {
                url: r.url.to_string(),
                variants: r.variants.iter().map(url::Url::to_string).collect(),
                page,
                alt: r.alt.clone(),
                ..Image::default()
            }
        });
        entry.staff |= r.staff;
        if entry.alt.is_none() {
            entry.alt = r.alt;
        }
    }
    let mut images: Vec<Image> = order.into_iter().filter_map(|k| distinct.remove(&k)).collect();
    // Staff photos are what the check is about: fetch them first.
    let mut wanted: Vec<usize> = (0..images.len()).collect();
    wanted.sort_by_key(|&i| !images[i].staff);
    wanted.truncate(MAX_IMAGES_FETCHED);

    let budget = Arc::new(tokio::sync::Semaphore::new(DECODE_BUDGET_MEGAPIXELS as usize));
    let results: Vec<(usize, Image)> = futures::stream::iter(wanted)
        .map(|i| {
            let (client, k, image, budget) = (client.clone(), knowledge.clone(), images[i].clone(), budget.clone());
            async move { (i, inspect(&client, image, k, budget).await) }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    for (i, image) in results {
        images[i] = image;
    }
    for image in images.iter_mut().filter(|i| i.bytes.is_none() && i.error.is_none()) {
        image.stock = stock_of(image, &[], knowledge);
    }
    images
}

/// The stock agency an image is from: by its file's name and credits, else by the name of
/// one of its variants.
fn stock_of(image: &Image, credits: &[stock::Credit], k: &Knowledge) -> Option<crate::model::evidence::Stock> {
    stock::judge_url(&image.url, credits, k).or_else(|| image.variants.iter().find_map(|v| stock::judge_url(v, &[], k)))
}

async fn inspect(
    client: &http::Client,
    mut image: Image,
    k: Arc<Knowledge>,
    budget: Arc<tokio::sync::Semaphore>,
) -> Image {
    let Ok(url) = url::Url::parse(&image.url) else {
        image.error = Some("not a valid URL".into());
        return image;
    };
    let fetched = match http::get(client, &url, MAX_IMAGE_BYTES).await {
        Ok(f) if f.status < 400 => f,
        Ok(f) => {
            image.error = Some(format!("HTTP {}", f.status));
            image.stock = stock_of(&image, &[], &k);
            return image;
        }
        Err(reason) => {
            image.error = Some(reason.to_string());
            image.stock = stock_of(&image, &[], &k);
            return image;
        }
    };
    image.bytes = Some(fetched.body.len() as u64);
    // Only staff photos are decoded (hash, thumbnail), each within the audit's pixel budget.
    let mut room = None;
    let mut decodable = image.staff;
    if image.staff {
        match megapixels(&fetched.body) {
            Some((w, h, mp)) if mp > DECODE_BUDGET_MEGAPIXELS => {
                decodable = false;
                image.error = Some(format!(
                    "too large to look at ({w}x{h}, over {DECODE_BUDGET_MEGAPIXELS} megapixels); judged by its name and metadata"
                ));
            }
            Some((_, _, mp)) => room = budget.acquire_many_owned(mp.max(1)).await.ok(),
            None => {}
        }
    }
    let result = tokio::task::spawn_blocking(move || {
        let _room = room;
        let credits = stock::credits(&fetched.body);
        image.stock = stock_of(&image, &credits, &k);
        image.credits = credits.into_iter().map(|c| format!("{}: {}", c.source, c.text)).collect();
        if decodable {
            match decode(&fetched.body) {
                Ok(picture) => {
                    let hasher = image_hasher::HasherConfig::new().to_hasher();
                    image.phash = Some(hasher.hash_image(&picture).to_base64());
                    image.thumbnail = thumbnail(&picture);
                }
                Err(e) => image.error = Some(format!("not a readable image: {e}")),
            }
        }
        image
    })
    .await;
    result.unwrap_or_else(|e| Image { error: Some(format!("image analysis failed: {e}")), ..Image::default() })
}

/// Width, height and megapixels (rounded up) from the image's header, without decoding it.
fn megapixels(bytes: &[u8]) -> Option<(u32, u32, u32)> {
    let (w, h) = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?.into_dimensions().ok()?;
    let mp = (u64::from(w) * u64::from(h)).div_ceil(1_000_000);
    Some((w, h, u32::try_from(mp).unwrap_or(u32::MAX)))
}

fn decode(bytes: &[u8]) -> Result<image::DynamicImage, image::ImageError> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_DECODE_PIXELS);
    limits.max_image_height = Some(MAX_DECODE_PIXELS);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    reader.decode()
}

fn thumbnail(picture: &image::DynamicImage) -> Option<String> {
    let small = picture.thumbnail(THUMBNAIL_WIDTH, THUMBNAIL_WIDTH).to_rgb8();
    let mut out = Cursor::new(Vec::new());
    small.write_to(&mut out, image::ImageFormat::Jpeg).ok()?;
    Some(format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(out.into_inner())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG whose header says `width` x `height`: its pixels are never read.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut small = Cursor::new(Vec::new());
        image::RgbImage::new(2, 2).write_to(&mut small, image::ImageFormat::Png).unwrap();
        let mut png = small.into_inner();
        // The IHDR chunk: length (4), "IHDR" (4), width (4), height (4), ... then its CRC.
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32fast::hash(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn a_photo_over_the_pixel_budget_is_measured_not_decoded() {
        assert_eq!(megapixels(&png_claiming(11_900, 7_000)), Some((11_900, 7_000, 84)));
        assert_eq!(megapixels(&png_claiming(2, 2)), Some((2, 2, 1)));
        assert_eq!(megapixels(b"not an image"), None);
    }
}
