use super::*;

/// Gives its bytes `step` at a time, as a decoder or a socket might.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

type Read_ = Vec<(Vec<Vec<u8>>, u64)>;

/// Every record's fields and position, or the line of a too-long record.
fn ours(text: &[u8], delimiter: u8, limit: u64, step: usize) -> (Read_, Option<u64>) {
    let mut records = Records::new(Trickle { bytes: text, step }, delimiter, limit);
    let mut out = Vec::new();
    loop {
        match records.read() {
            Ok(true) => {
                let record = records.record();
                let fields = record.iter().map(<[u8]>::to_vec).collect();
                out.push((fields, record.line()));
            }
            Ok(false) => return (out, None),
            Err(e) => return (out, Some(RecordTooLarge::from_io(&e).expect("limit").line)),
        }
    }
}

/// What the csv crate reads, configured as `CsvSource` had it, each record
/// with the line it starts on: the csv crate's position is where the
/// previous record ended, before the blank lines and the `\n` of a `\r\n`
/// it skips (and the BOM it drops at the start).
fn theirs(text: &[u8], delimiter: u8) -> Read_ {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut record = csv::ByteRecord::new();
    let mut out = Vec::new();
    while reader.read_byte_record(&mut record).expect("csv") {
        let fields = record.iter().map(<[u8]>::to_vec).collect();
        let position = record.position().expect("position");
        let (mut line, mut at) = (position.line(), position.byte() as usize);
        if at == 0 && text.starts_with(b"\xef\xbb\xbf") {
            at = 3;
        }
        while let Some(&byte) = text.get(at) {
            match byte {
                b'\n' => line += 1,
                b'\r' => {}
                _ => break,
            }
            at += 1;
        }
        out.push((fields, line));
    }
    out
}

fn random_text(state: &mut u64, alphabet: &[u8], len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| alphabet[(crate::test_rng::next(state) % alphabet.len() as u64) as usize])
        .collect()
}

#[test]
fn read_as_the_csv_crate_reads() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for (delimiter, alphabet) in [
        (b',', &b"ab,,\"\n\r x\xef\xbb\xbf;"[..]),
        (b';', &b"a;;\"\"\n\rb,"[..]),
        (b'\t', &b"a\t\t\"\nxyz\r\n"[..]),
        // Delimiters the fast path leaves to the csv crate's parser.
        (b'"', &b"a\"\"\n\r,"[..]),
        (b'\n', &b"a\"\n\r,"[..]),
    ] {
        for case in 0..4000u64 {
            let text = random_text(&mut state, alphabet, (case % 70) as usize);
            let expected = theirs(&text, delimiter);
            for step in [1, 2, 7, 4096] {
                let (read, error) = ours(&text, delimiter, u64::MAX, step);
                assert_eq!(error, None);
                assert_eq!(
                    read,
                    expected,
                    "{:?} delimiter {:?} step {step}",
                    String::from_utf8_lossy(&text),
                    delimiter as char
                );
            }
        }
    }
}

#[test]
fn a_long_file_of_plain_and_quoted_records_reads_as_the_csv_crate_reads() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let text = random_text(&mut state, b"abcdefgh,,,,\"\n\n\r 0123456789", 3 << 20);
    let expected = theirs(&text, b',');
    assert!(expected.len() > 100_000);
    for step in [1 << 20, 5000] {
        assert_eq!(ours(&text, b',', u64::MAX, step), (expected.clone(), None));
    }
}

#[test]
fn short_records_pass_and_a_long_one_is_refused_with_its_line() {
    assert_eq!(ours(b"a,b\n1,2\r\n3,4\n", b',', 4, 3).1, None);
    let (read, error) = ours(b"a,b\n1,2\n12345,6\n", b',', 4, 3);
    assert_eq!((read.len(), error), (2, Some(3)));
    // Blank lines before it: the line it starts on.
    let (_, error) = ours(b"a\n\r\n\n12345\n", b',', 4, 64);
    assert_eq!(error, Some(4));
    // At the end of the input without a line break.
    assert_eq!(ours(b"a\n12345", b',', 4, 2).1, Some(2));
    assert_eq!(ours(b"a\n1234", b',', 4, 2).1, None);
}

#[test]
fn line_breaks_inside_quotes_belong_to_the_record() {
    assert_eq!(ours(b"a\n\"x\ny\"\n", b',', 6, 1).1, None);
    let (read, error) = ours(b"a\n\"x\n\n\n\n\n\ny\"\n", b',', 6, 1);
    assert_eq!((read.len(), error), (1, Some(2)));
    // A quote inside an unquoted field is a plain character.
    assert_eq!(ours(b"ab\"c\nd\ne\nf\n", b',', 4, 1).1, None);
    // A doubled quote inside quotes does not end the field.
    assert!(ours(b"\"a\"\"\nb\"\n", b',', 4, 1).1.is_some());
    // A long quoted record is refused before it is held whole.
    let mut long = b"\"".to_vec();
    long.extend(std::iter::repeat_n(b'x', 10 << 20));
    let (_, error) = ours(&long, b',', 1000, 1 << 16);
    assert_eq!(error, Some(1));
}

#[test]
fn a_records_fields_are_ranges_of_its_text() {
    let mut records = Records::new(&b"x,,yz\n\"a,b\",\"c\"\"\"\n"[..], b',', 100);
    assert!(records.read().expect("read"));
    let record = records.record();
    assert_eq!(record.as_slice(), b"x,,yz");
    assert_eq!(
        (0..4).map(|i| record.range(i)).collect::<Vec<_>>(),
        [Some(0..1), Some(2..2), Some(3..5), None]
    );
    assert!(records.read().expect("read"));
    let record = records.record();
    assert_eq!(record.as_slice(), b"a,bc\"");
    assert_eq!(record.iter().collect::<Vec<_>>(), [&b"a,b"[..], b"c\""]);
    assert!(!records.read().expect("read"));
}

#[test]
fn lines_split_eight_bytes_at_a_time_as_byte_by_byte() {
    let mut state = 0x1234_5678_9abc_def1u64;
    // Bytes one above a needle ('-' after ',', 0x0b after '\n', 0x0e after
    // '\r', 0x01 after 0) are what a borrow could take for a match.
    let alphabet = b"a,,;-.\n\r\x0b\x0e\x80\x81\xff\x00\x01xyz";
    for case in 0..20_000u64 {
        let text = random_text(&mut state, alphabet, (case % 40) as usize);
        for delimiter in [b',', b';', b'\t', b'-', 0x80, 0, 1] {
            for cr in [true, false] {
                let mut ends = Vec::new();
                let found = if cr {
                    split_line::<true>(&text, delimiter, &mut ends)
                } else {
                    split_line::<false>(&text, delimiter, &mut ends)
                };
                let expected = text.iter().position(|&b| b == b'\n' || (cr && b == b'\r'));
                let line = &text[..expected.unwrap_or(text.len())];
                let delimiters: Vec<usize> =
                    (0..line.len()).filter(|&i| line[i] == delimiter).collect();
                assert_eq!(
                    (found, ends),
                    (expected, delimiters),
                    "{text:?} {delimiter} {cr}"
                );
            }
        }
    }
}

#[test]
fn a_long_record_read_a_byte_at_a_time_is_scanned_in_bounded_time() {
    // Rescanned after every one-byte read, this would take ~10^12 steps.
    let mut text = b"x,".to_vec();
    text.extend(std::iter::repeat_n(b'y', 3 << 20));
    text.extend(b"\nlast\n");
    let (read, error) = ours(&text, b',', 4 << 20, 1);
    assert_eq!(error, None);
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].0[1].len(), 3 << 20);
    assert_eq!(read[1], (vec![b"last".to_vec()], 2));
}

/// Gives its bytes, then fails.
struct FailsAfter<'a>(&'a [u8]);

impl Read for FailsAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("broken stream"));
        }
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn records_before_a_read_failure_are_read_first() {
    let mut records = Records::new(FailsAfter(b"a,b\n1,2\n3,"), b',', 100);
    assert!(records.read().expect("header"));
    assert!(records.read().expect("a row"));
    assert_eq!(
        records.record().iter().collect::<Vec<_>>(),
        [&b"1"[..], b"2"]
    );
    let error = records.read().expect_err("the stream broke mid-record");
    assert_eq!(error.to_string(), "broken stream");
}

#[test]
fn records_are_placed_on_the_line_they_start_on() {
    let lines = |text: &[u8]| -> Vec<u64> {
        ours(text, b',', 100, 3)
            .0
            .into_iter()
            .map(|(_, line)| line)
            .collect()
    };
    assert_eq!(lines(b"a,b\r\n1,2\r\n3\r\n4,5\r\n"), [1, 2, 3, 4]);
    assert_eq!(lines(b"a,b\n1,2\n\n\n3\n"), [1, 2, 5]);
    assert_eq!(lines(b"\xef\xbb\xbfa\n\"x\ny\"\nz\n"), [1, 2, 4]);
}
