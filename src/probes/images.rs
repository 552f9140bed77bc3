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

/// Probes every distinct image; `refs` pairs each image with the page that shows it.
pub async fn probe(client: &http::Client, refs: Vec<(ImageRef, String)>, knowledge: &Arc<Knowledge>) -> Vec<Image> {
    let mut distinct: BTreeMap<String, Image> = BTreeMap::new();
    let mut order = Vec::new();
    for (r, page) in refs {
        let key = r.url.to_string();
        let entry = distinct.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Image { url: r.url.to_string(), page, alt: r.alt.clone(), ..Image::default() }
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

    let results: Vec<(usize, Image)> = futures::stream::iter(wanted)
        .map(|i| {
            let (client, k, image) = (client.clone(), knowledge.clone(), images[i].clone());
            async move { (i, inspect(&client, image, k).await) }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    for (i, image) in results {
        images[i] = image;
    }
    for image in images.iter_mut().filter(|i| i.bytes.is_none() && i.error.is_none()) {
        image.stock = stock::judge(file_name(&image.url), &[], knowledge);
    }
    images
}

fn file_name(url: &str) -> &str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or(path)
}

async fn inspect(client: &http::Client, mut image: Image, k: Arc<Knowledge>) -> Image {
    let Ok(url) = url::Url::parse(&image.url) else {
        image.error = Some("not a valid URL".into());
        return image;
    };
    let fetched = match http::get(client, &url, MAX_IMAGE_BYTES).await {
        Ok(f) if f.status < 400 => f,
        Ok(f) => {
            image.error = Some(format!("HTTP {}", f.status));
            image.stock = stock::judge(file_name(&image.url), &[], &k);
            return image;
        }
        Err(reason) => {
            image.error = Some(reason);
            image.stock = stock::judge(file_name(&image.url), &[], &k);
            return image;
        }
    };
    image.bytes = Some(fetched.body.len() as u64);
    let result = tokio::task::spawn_blocking(move || {
        let credits = stock::credits(&fetched.body);
        image.stock = stock::judge(file_name(&image.url), &credits, &k);
        image.credits = credits.into_iter().map(|c| format!("{}: {}", c.source, c.text)).collect();
        if image.staff {
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
