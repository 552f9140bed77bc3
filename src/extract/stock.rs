//! Stock photos: the agency's file-name pattern, or an agency named in the image's own
//! metadata (IPTC by-line/credit/source/copyright, XMP credit/source/rights/licensor, EXIF
//! artist/copyright). A photographer's own copyright names no agency and is not stock.
//! The signatures are data in `probes/stock.toml`.

use std::io::Cursor;
use std::sync::LazyLock;

use regex::Regex;

use crate::knowledge::Knowledge;
use crate::model::evidence::Stock;

/// A metadata field that can name an agency: where it came from and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// `iptc`, `xmp` or `exif`.
    pub source: &'static str,
    /// The field's text.
    pub text: String,
}

/// XMP properties that carry credit, source, rights or licensor.
const XMP_FIELDS: &[&str] = &[
    "photoshop:Credit",
    "photoshop:Source",
    "dc:rights",
    "dc:creator",
    "xmpRights:WebStatement",
    "plus:LicensorName",
    "plus:LicensorURL",
];

static XMP_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    let names = XMP_FIELDS.iter().map(|f| regex::escape(f)).collect::<Vec<_>>().join("|");
    Regex::new(&format!(r#"(?s)({names})\s*=\s*"([^"]*)""#)).expect("static regex")
});
static XMP_ELEMENT: LazyLock<Regex> = LazyLock::new(|| {
    let names = XMP_FIELDS.iter().map(|f| regex::escape(f)).collect::<Vec<_>>().join("|");
    Regex::new(&format!(r"(?s)<({names})\b[^>]*>(.*?)</({names})>")).expect("static regex")
});
static TAGS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").expect("static regex"));

/// Judges an image by its address's file name (the query and fragment left out) and credits.
pub fn judge_url(url: &str, credits: &[Credit], k: &Knowledge) -> Option<Stock> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    judge(path.rsplit('/').next().unwrap_or(path), credits, k)
}

/// Judges an image by file name and metadata credits.
pub fn judge(file_name: &str, credits: &[Credit], k: &Knowledge) -> Option<Stock> {
    let file_name = file_name.to_lowercase();
    for agency in &k.agencies {
        let mut signals = Vec::new();
        if agency.files.iter().any(|re| re.is_match(&file_name)) {
            signals.push("filename".to_string());
        }
        for credit in credits {
            if agency.metadata.iter().any(|re| re.is_match(&credit.text)) && !signals.iter().any(|s| s == credit.source)
            {
                signals.push(credit.source.to_string());
            }
        }
        if !signals.is_empty() {
            return Some(Stock { agency: agency.id.clone(), signals });
        }
    }
    None
}

/// Reads credit-like fields from image bytes (JPEG, PNG, WebP, TIFF). Never fails: broken
/// metadata simply yields fewer credits.
pub fn credits(bytes: &[u8]) -> Vec<Credit> {
    let mut out = iptc(bytes);
    out.extend(xmp(bytes));
    out.extend(exif(bytes));
    out.retain(|c| !c.text.trim().is_empty());
    let mut seen = std::collections::HashSet::new();
    out.retain(|c| seen.insert((c.source, c.text.clone())));
    out
}

/// IPTC-IIM records 2:80 (by-line), 2:110 (credit), 2:115 (source), 2:116 (copyright) from
/// the Photoshop resource block of a JPEG's APP13 segment.
fn iptc(bytes: &[u8]) -> Vec<Credit> {
    let mut out = Vec::new();
    for segment in jpeg_segments(bytes, 0xED) {
        let Some(mut rest) = segment.strip_prefix(b"Photoshop 3.0\0") else {
            continue;
        };
        while rest.len() >= 12 && rest.starts_with(b"8BIM") {
            let id = u16::from_be_bytes([rest[4], rest[5]]);
            let name_len = usize::from(rest[6]);
            let name_total = (1 + name_len).next_multiple_of(2);
            let Some(size_at) = rest.get(6 + name_total..6 + name_total + 4) else {
                break;
            };
            let size = u32::from_be_bytes([size_at[0], size_at[1], size_at[2], size_at[3]]) as usize;
            let data_start = 6 + name_total + 4;
            let Some(data) = rest.get(data_start..data_start.saturating_add(size)) else {
                break;
            };
            if id == 0x0404 {
                out.extend(iim(data));
            }
            let next = data_start + size.next_multiple_of(2);
            rest = rest.get(next..).unwrap_or_default();
        }
    }
    out
}

fn iim(mut data: &[u8]) -> Vec<Credit> {
    let mut out = Vec::new();
    while data.len() >= 5 && data[0] == 0x1C {
        let (record, dataset) = (data[1], data[2]);
        let len = usize::from(u16::from_be_bytes([data[3], data[4]]));
        if len & 0x8000 != 0 {
            break; // extended lengths are only used for huge binary datasets
        }
        let Some(value) = data.get(5..5 + len) else {
            break;
        };
        if record == 2 && matches!(dataset, 80 | 110 | 115 | 116) {
            out.push(Credit { source: "iptc", text: String::from_utf8_lossy(value).into_owned() });
        }
        data = &data[5 + len..];
    }
    out
}

/// The payloads of a JPEG's segments with the given marker, up to the image data.
fn jpeg_segments(bytes: &[u8], marker: u8) -> Vec<&[u8]> {
    let mut out = Vec::new();
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return out;
    }
    let mut i = 2;
    while i + 4 <= bytes.len() && bytes[i] == 0xFF {
        let m = bytes[i + 1];
        if m == 0xDA || m == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let Some(payload) = bytes.get(i + 4..i + 2 + len) else {
            break;
        };
        if m == marker {
            out.push(payload);
        }
        i += 2 + len;
    }
    out
}

/// XMP is plain XML wherever it is stored (JPEG APP1, PNG iTXt, WebP chunk).
fn xmp(bytes: &[u8]) -> Vec<Credit> {
    let Some(start) = find(bytes, b"<x:xmpmeta") else {
        return Vec::new();
    };
    let end = find(&bytes[start..], b"</x:xmpmeta>").map_or(bytes.len(), |e| start + e);
    let xml = String::from_utf8_lossy(&bytes[start..end]);
    let mut out: Vec<Credit> =
        XMP_ATTR.captures_iter(&xml).map(|c| Credit { source: "xmp", text: c[2].to_string() }).collect();
    out.extend(
        XMP_ELEMENT
            .captures_iter(&xml)
            .map(|c| Credit { source: "xmp", text: crate::extract::text::collapse(&TAGS.replace_all(&c[2], " ")) }),
    );
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn exif(bytes: &[u8]) -> Vec<Credit> {
    let Ok(data) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return Vec::new();
    };
    [exif::Tag::Artist, exif::Tag::Copyright]
        .iter()
        .filter_map(|tag| data.get_field(*tag, exif::In::PRIMARY))
        .map(|f| {
            // EXIF says ASCII, but editors write UTF-8 ("©"): read the bytes as such.
            let text = match &f.value {
                exif::Value::Ascii(parts) => {
                    parts.iter().map(|p| String::from_utf8_lossy(p)).collect::<Vec<_>>().join(" ")
                }
                other => other.display_as(f.tag).to_string(),
            };
            Credit { source: "exif", text }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_of_agencies_are_stock() {
        let k = Knowledge::load().unwrap();
        for (name, agency) in [
            ("shutterstock_1234567890.jpg", "shutterstock"),
            ("iStock-1165248386.jpg", "istock"),
            ("GettyImages-912345678.jpg", "gettyimages"),
            ("AdobeStock_123456789.jpeg", "adobestock"),
            ("depositphotos_123456789-stock-photo-smiling-operator.jpg", "depositphotos"),
            ("dreamstime_xxl_98765432.jpg", "dreamstime"),
        ] {
            assert_eq!(judge(name, &[], &k).map(|s| s.agency).as_deref(), Some(agency), "{name}");
        }
        assert_eq!(judge("julia-ivanova.jpg", &[], &k), None);
        assert_eq!(judge("IMG_2041.jpg", &[], &k), None);
    }

    #[test]
    fn a_photographers_own_copyright_is_not_stock() {
        let k = Knowledge::load().unwrap();
        let own = [Credit { source: "exif", text: "© 2024 Ivan Petrov Photography".into() }];
        assert_eq!(judge("team.jpg", &own, &k), None);
        let agency = [Credit { source: "iptc", text: "Shutterstock / Ivan Petrov".into() }];
        assert_eq!(
            judge("team.jpg", &agency, &k),
            Some(Stock { agency: "shutterstock".into(), signals: vec!["iptc".into()] })
        );
    }

    /// A real WebP (a lossless image the `image` crate encodes) with an `XMP ` chunk after it,
    /// as WebP stores metadata, the rights nested in `rdf:Alt` as agencies write them.
    fn webp_with_xmp(xmp: &str) -> Vec<u8> {
        let mut picture = Vec::new();
        image::DynamicImage::new_rgb8(2, 2)
            .write_to(&mut std::io::Cursor::new(&mut picture), image::ImageFormat::WebP)
            .unwrap();
        assert_eq!(&picture[8..12], b"WEBP");
        let mut chunks = picture[12..].to_vec();
        chunks.extend_from_slice(b"XMP ");
        chunks.extend_from_slice(&u32::try_from(xmp.len()).unwrap().to_le_bytes());
        chunks.extend_from_slice(xmp.as_bytes());
        if xmp.len() % 2 == 1 {
            chunks.push(0);
        }
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&u32::try_from(chunks.len() + 4).unwrap().to_le_bytes());
        out.extend_from_slice(b"WEBP");
        out.extend(chunks);
        out
    }

    #[test]
    fn a_webp_with_xmp_rights_is_stock_and_decodes() {
        let k = Knowledge::load().unwrap();
        let xmp = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:rights><rdf:Alt><rdf:li xml:lang="x-default">Getty Images</rdf:li></rdf:Alt></dc:rights></rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let bytes = webp_with_xmp(xmp);
        assert!(image::load_from_memory(&bytes).is_ok(), "still a WebP a browser shows");
        let found = credits(&bytes);
        assert_eq!(found.iter().map(|c| (c.source, c.text.as_str())).collect::<Vec<_>>(), [("xmp", "Getty Images")]);
        let stock = judge("operator.webp", &found, &k).unwrap();
        assert_eq!((stock.agency.as_str(), stock.signals.as_slice()), ("gettyimages", ["xmp".to_string()].as_slice()));
        // The same picture without the chunk is nobody's.
        let plain = webp_with_xmp("");
        assert_eq!(judge("operator.webp", &credits(&plain), &k), None);
    }

    #[test]
    fn garbage_bytes_yield_no_credits() {
        assert!(credits(b"").is_empty());
        assert!(credits(&[0xFF, 0xD8, 0xFF, 0xED, 0x00]).is_empty());
        assert!(credits(b"<x:xmpmeta><dc:rights>unterminated").is_empty());
    }
}
