//! The normalized file of a large upload goes to S3 as several objects
//! ("parts"), each a whole number of JSON lines, all listed as the `objects`
//! of one `index_parallel` task: Druid reads them in parallel subtasks, so
//! a cluster with many workers ingests a big file faster than one reader.
//!
//! The file is cut where it lies, after validation wrote it: no second copy
//! on disk, and the validator stays free to write it however is fastest.

use std::{
    io::{self, Read, Seek, SeekFrom},
    ops::Range,
    path::Path,
};

use ingest_domain::TaskId;

/// Prefix of every normalized object (also what the reaper looks under).
pub(crate) const NORMALIZED: &str = "normalized/";

/// Key of part `index` (from 0) of `count`: `normalized/{task id}.{ext}`
/// for a file of one part (as before parts existed), else
/// `normalized/{task id}.part0001.{ext}`… Either way the task id comes first
/// and ends at the first dot: `task_of_normalized_key` reads it back.
pub fn normalized_key(task_id: TaskId, index: usize, count: usize, extension: &str) -> String {
    if count <= 1 {
        format!("{NORMALIZED}{task_id}.{extension}")
    } else {
        format!("{NORMALIZED}{task_id}.part{:04}.{extension}", index + 1)
    }
}

/// The task a normalized object (the whole file or one part) belongs to.
pub(crate) fn task_of_normalized_key(key: &str) -> Option<TaskId> {
    key.strip_prefix(NORMALIZED)?
        .split('.')
        .next()
        .and_then(|id| id.parse().ok())
}

/// Byte ranges of `path` of about `part_bytes` each (the last may be
/// shorter), every one ending just after a newline or at the end of the
/// file, so that each is whole lines. A line longer than `part_bytes` makes
/// its part longer, never cut. Reads only around each cut.
pub(crate) fn line_ranges(path: &Path, part_bytes: u64) -> io::Result<Vec<Range<u64>>> {
    let part_bytes = part_bytes.max(1);
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut ranges = Vec::new();
    let mut start = 0;
    while size - start > part_bytes {
        let end = match next_newline(&mut file, start + part_bytes - 1)? {
            Some(newline) => newline + 1,
            None => size,
        };
        ranges.push(start..end);
        start = end;
    }
    if start < size || ranges.is_empty() {
        ranges.push(start..size);
    }
    Ok(ranges)
}

/// Offset of the first `\n` at or after `from`, if any.
fn next_newline(file: &mut std::fs::File, from: u64) -> io::Result<Option<u64>> {
    file.seek(SeekFrom::Start(from))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = from;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(at) = buf[..n].iter().position(|&b| b == b'\n') {
            return Ok(Some(offset + at as u64));
        }
        offset += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str, part_bytes: u64) -> Vec<String> {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("n.json");
        std::fs::write(&path, text).expect("write");
        line_ranges(&path, part_bytes)
            .expect("ranges")
            .into_iter()
            .map(|r| text[r.start as usize..r.end as usize].to_owned())
            .collect()
    }

    #[test]
    fn parts_are_whole_lines_and_together_the_file() {
        let lines: String = (0..100).map(|n| format!("{{\"n\":{n}}}\n")).collect();
        for part_bytes in [1, 7, 8, 9, 64, 100, 999, 10_000] {
            let parts = cut(&lines, part_bytes);
            assert_eq!(parts.concat(), lines, "part size {part_bytes}");
            for part in &parts {
                assert!(part.ends_with('\n') && !part.is_empty(), "{part:?}");
                // Never more than one line beyond the target size.
                let longest_line = 10;
                assert!(part.len() as u64 <= part_bytes + longest_line, "{part:?}");
            }
        }
        assert_eq!(cut(&lines, 10_000).len(), 1);
        assert_eq!(cut(&lines, 400).len(), 3, "{:?}", cut(&lines, 400));
    }

    #[test]
    fn odd_files_still_give_whole_parts() {
        assert_eq!(
            cut("", 10),
            vec![String::new()],
            "an empty file is one part"
        );
        assert_eq!(
            cut("{\"no\":\"newline at the end\"}", 4),
            vec!["{\"no\":\"newline at the end\"}"]
        );
        assert_eq!(
            cut("{\"long line\":1234567890}\n{}\n", 3),
            vec!["{\"long line\":1234567890}\n", "{}\n"]
        );
    }

    #[test]
    fn keys_name_their_task() {
        let id = TaskId::new();
        let one = normalized_key(id, 0, 1, "json");
        assert_eq!(one, format!("normalized/{id}.json"));
        let keys: Vec<String> = (0..3).map(|i| normalized_key(id, i, 3, "json")).collect();
        assert_eq!(keys[2], format!("normalized/{id}.part0003.json"));
        for key in keys.iter().chain([&one]) {
            assert_eq!(task_of_normalized_key(key), Some(id), "{key}");
        }
        assert_eq!(task_of_normalized_key("uploads/x.json"), None);
        assert_eq!(task_of_normalized_key("normalized/not-a-task.json"), None);
    }
}
