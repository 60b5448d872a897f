//! Which character encoding a text file is in: the uploader's word, a byte
//! order mark, valid UTF-8, or a guess by `chardetng` — taken only when the
//! detector is confident. Single-byte encodings decode almost any byte, so
//! a guess it is not sure of fails (`ambiguous_encoding`) with the
//! candidates, rather than reading the text wrongly.

use std::borrow::Cow;

use chardetng::EncodingDetector;
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
use ingest_domain::{EncodingSource, TextEncoding};

use super::ReadFailure;

/// Top-level domains that steer the detector towards each script's usual
/// legacy encoding. `chardetng` always calls its guess confident, so ours
/// is: the guess stands when most Western, Central, Cyrillic, Greek, Turkish
/// and Baltic priors read the sample as the same text
/// (`AGREEING_REGIONS` of `REGIONS`). The East Asian ones only add
/// candidates to the list of an ambiguous file.
const REGIONS: [&[u8]; 6] = [b"com", b"pl", b"ru", b"gr", b"tr", b"lt"];
const ASIAN_REGIONS: [&[u8]; 4] = [b"jp", b"cn", b"tw", b"kr"];
const AGREEING_REGIONS: usize = 4;

fn info(encoding: &'static Encoding, source: EncodingSource, reason: String) -> TextEncoding {
    TextEncoding {
        name: encoding.name().to_owned(),
        source,
        confidence: 100,
        reason,
    }
}

/// UTF-16 without a byte order mark: text whose every other byte is zero.
fn utf16_without_bom(sample: &[u8]) -> Option<&'static Encoding> {
    let pairs = sample.len().min(4096) / 2;
    if pairs < 2 {
        return None;
    }
    let zeros = |offset: usize| {
        sample
            .chunks_exact(2)
            .take(pairs)
            .filter(|p| p[offset] == 0)
            .count()
    };
    let (even, odd) = (zeros(0), zeros(1));
    let mostly = |n: usize| n * 10 >= pairs * 9;
    let rarely = |n: usize| n * 10 <= pairs;
    if mostly(odd) && rarely(even) {
        Some(UTF_16LE)
    } else if mostly(even) && rarely(odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Line (1-based) of byte `at` in `sample`.
fn line_of(sample: &[u8], at: usize) -> u64 {
    1 + sample[..at].iter().filter(|&&b| b == b'\n').count() as u64
}

/// Chooses the encoding of a file from `sample`, its first decompressed
/// bytes (`complete` when that is the whole file), or takes `requested`.
pub fn detect(
    sample: &[u8],
    complete: bool,
    requested: Option<&'static Encoding>,
) -> Result<(&'static Encoding, TextEncoding), ReadFailure> {
    if let Some(encoding) = requested {
        let reason = format!("the upload's encoding field names {}", encoding.name());
        return Ok((encoding, info(encoding, EncodingSource::Field, reason)));
    }
    if let Some((encoding, _)) = Encoding::for_bom(sample) {
        let reason = format!("the file starts with a {} byte order mark", encoding.name());
        return Ok((encoding, info(encoding, EncodingSource::Bom, reason)));
    }
    if let Some(encoding) = utf16_without_bom(sample) {
        let reason = format!(
            "no byte order mark, but every other byte is zero, as in {} text",
            encoding.name()
        );
        let mut info = info(encoding, EncodingSource::Detected, reason);
        info.confidence = 90;
        return Ok((encoding, info));
    }
    let invalid_at = match std::str::from_utf8(sample) {
        Ok(_) => None,
        // Cut off in the middle of a character at the end of the sample.
        Err(e) if e.error_len().is_none() && !complete => None,
        Err(e) => Some(e.valid_up_to()),
    };
    let Some(invalid_at) = invalid_at else {
        let reason = if sample.is_ascii() {
            format!("the first {} bytes are plain ASCII", sample.len())
        } else {
            format!("the first {} bytes are valid UTF-8", sample.len())
        };
        return Ok((UTF_8, info(UTF_8, EncodingSource::Utf8, reason)));
    };
    let line = line_of(sample, invalid_at);
    let mut detector = EncodingDetector::new();
    detector.feed(sample, complete);
    let guess = detector.guess(None, false);
    let read_as = |encoding: &'static Encoding| {
        encoding.decode_without_bom_handling_and_without_replacement(sample)
    };
    let text = read_as(guess);
    let agreeing = REGIONS
        .iter()
        .filter(|region| read_as(detector.guess(Some(region), false)) == text)
        .count();
    if text.is_some() && agreeing >= AGREEING_REGIONS {
        let reason = format!(
            "not UTF-8 (line {line}); the detector reads it as {} under {agreeing} of {} regional priors",
            guess.name(),
            REGIONS.len()
        );
        let mut info = info(guess, EncodingSource::Detected, reason);
        info.confidence = (agreeing * 100 / REGIONS.len()) as u8;
        return Ok((guess, info));
    }
    let mut candidates = vec![guess];
    for region in REGIONS.iter().chain(&ASIAN_REGIONS) {
        let other = detector.guess(Some(region), false);
        if read_as(other).is_some() && !candidates.contains(&other) {
            candidates.push(other);
        }
    }
    let names: Vec<&str> = candidates.iter().map(|e| e.name()).collect();
    Err(ReadFailure {
        code: "ambiguous_encoding",
        message: format!(
            "the file is not UTF-8 (line {line}) and its encoding cannot be told for sure: it could be {}; name it in the encoding field",
            names.join(", ")
        ),
        line: Some(line),
    })
}

/// The start of a file as text for format detection: UTF-16 (with or
/// without a byte order mark) decoded, anything else as it is.
pub fn head_as_text(head: &[u8]) -> Cow<'_, [u8]> {
    let utf16 = match Encoding::for_bom(head) {
        Some((encoding, _)) if encoding != UTF_8 => Some(encoding),
        Some(_) => None,
        None => utf16_without_bom(head),
    };
    match utf16 {
        Some(encoding) => {
            let (text, _) = encoding.decode_with_bom_removal(head);
            Cow::Owned(text.into_owned().into_bytes())
        }
        None => Cow::Borrowed(head),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(sample: &[u8]) -> Result<(String, EncodingSource), String> {
        detect(sample, true, None)
            .map(|(e, info)| (e.name().to_owned(), info.source))
            .map_err(|f| f.code.to_owned())
    }

    #[test]
    fn tells_encodings_apart() {
        assert_eq!(
            name(b"a,b\n1,2\n"),
            Ok(("UTF-8".into(), EncodingSource::Utf8))
        );
        assert_eq!(
            name("a,b\nSão,2\n".as_bytes()),
            Ok(("UTF-8".into(), EncodingSource::Utf8))
        );
        assert_eq!(
            name(b"\xef\xbb\xbfa\n"),
            Ok(("UTF-8".into(), EncodingSource::Bom))
        );
        assert_eq!(
            name(b"\xff\xfea\x00\n\x00"),
            Ok(("UTF-16LE".into(), EncodingSource::Bom))
        );
        assert_eq!(
            name(b"\xfe\xff\x00a\x00\n"),
            Ok(("UTF-16BE".into(), EncodingSource::Bom))
        );
        assert_eq!(
            name(b"a\x00,\x00b\x00\n\x001\x00"),
            Ok(("UTF-16LE".into(), EncodingSource::Detected))
        );
        let french =
            "ville,pays\nSão Paulo,Brésil\nMontréal,Canada\nZürich,Suisse\nGenève,Suisse\n";
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(french);
        assert_eq!(
            name(&latin1),
            Ok(("windows-1252".into(), EncodingSource::Detected))
        );
        let polish = "imię,miasto\nŁukasz,Łódź\nZażółć,gęślą jaźń\nKraków,Gdańsk\n";
        let (cp1250, _, _) = encoding_rs::WINDOWS_1250.encode(polish);
        assert_eq!(
            name(&cp1250),
            Ok(("windows-1250".into(), EncodingSource::Detected))
        );
        let russian = "имя,город\nИван,Москва\nПётр,Санкт-Петербург\n";
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode(russian);
        assert_eq!(
            name(&cp1251),
            Ok(("windows-1251".into(), EncodingSource::Detected))
        );
        // Curly quotes are the same bytes in every windows-125x.
        assert_eq!(
            name(b"x\n\x93quoted\x94\n"),
            Ok(("windows-1252".into(), EncodingSource::Detected))
        );
    }

    #[test]
    fn two_stray_bytes_are_ambiguous_and_the_candidates_are_listed() {
        let failure = detect(b"x\n\xb9\xe6\n", true, None).expect_err("ambiguous");
        assert_eq!(failure.code, "ambiguous_encoding");
        assert_eq!(failure.line, Some(2));
        assert!(
            failure.message.contains("ISO-8859-2"),
            "{}",
            failure.message
        );
        assert!(failure.message.contains("encoding field"));
    }

    #[test]
    fn the_field_overrides_detection() {
        let (encoding, info) =
            detect(b"abc", true, Some(encoding_rs::WINDOWS_1250)).expect("named");
        assert_eq!(encoding, encoding_rs::WINDOWS_1250);
        assert_eq!(info.source, EncodingSource::Field);
    }

    #[test]
    fn a_cut_character_at_the_end_of_a_sample_is_still_utf8() {
        let text = "aé".as_bytes();
        assert!(detect(&text[..2], false, None).is_ok_and(|(e, _)| e == UTF_8));
    }

    #[test]
    fn utf16_heads_are_decoded_for_format_detection() {
        assert_eq!(&*head_as_text(b"\xff\xfe{\x00\"\x00"), b"{\"");
        assert_eq!(&*head_as_text(b"a,b"), b"a,b");
    }
}
