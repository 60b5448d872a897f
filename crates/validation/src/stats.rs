//! Per-column statistics for the dashboard, gathered in the first pass next
//! to type inference, in memory bounded per column whatever the file:
//!
//! - distinct count: exact up to 1,024 distinct values (their 64-bit
//!   hashes, in a hash set of 16 KiB at most), then a HyperLogLog of 4,096 one-byte registers
//!   (4 KiB; linear counting below 2.5 × registers; about 1.6 % standard
//!   error). Written here (about 60 lines) rather than taken from a crate:
//!   the well-kept HLL crates pull hashers and serde layers we do not need.
//! - top values: the Space-Saving sketch (Metwally et al.), 64 counters;
//!   counts are exact while a column has at most 64 distinct values.
//!
//! Every cell is hashed once (`hash`), and that hash serves both the
//! distinct count and the top values' index: this runs for every cell of
//! the first pass, so the hash is foldhash's quality variant with a fixed
//! seed (fast on short strings, well-mixed high bits for the HLL's register
//! index, and the same on every run) rather than std's SipHash.
//! - histogram: 20 equal-width bars. The range is unknown until the end of
//!   the pass, so the first 256 numbers are kept to set a width, and then,
//!   whenever a value falls outside, neighbouring bars merge pairwise (the
//!   width doubles) until it fits: every value is counted in one bar, and
//!   the bars stay equal.

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;

use ingest_domain::{ColumnStats, ColumnType, HistogramBucket, ValueCount};

use crate::infer::{is_null_text, parse_decimal_comma, parse_f64, trim_cell};
use crate::source::Cell;

const HLL_BITS: u32 = 12;
const HLL_REGISTERS: usize = 1 << HLL_BITS;
const TOP_COUNTERS: usize = 64;
const TOP_SHOWN: usize = 10;
const MAX_VALUE_CHARS: usize = 200;
pub const HISTOGRAM_BARS: usize = 20;
const HISTOGRAM_SEED: usize = 256;

/// Distinct values counted up to this many: exact (64-bit hashes in a
/// set, 16 KiB at most); beyond it the HyperLogLog estimates.
const EXACT_DISTINCT: usize = 1024;

/// Distinct count: exact while small, then a HyperLogLog estimate.
#[derive(Debug, Clone)]
pub struct HyperLogLog {
    /// The hashes seen, while there are at most `EXACT_DISTINCT`.
    exact: Option<HashSet64>,
    /// Allocated when the exact set overflows.
    registers: Vec<u8>,
}

impl Default for HyperLogLog {
    fn default() -> Self {
        Self {
            exact: Some(HashSet64::default()),
            registers: Vec::new(),
        }
    }
}

/// A set of 64-bit hashes: open addressing, linear probing, at most half
/// full (16 KiB at `EXACT_DISTINCT`). It replaced a sorted `Vec` searched
/// by halves: a column with hundreds of distinct values paid about ten
/// dependent loads per cell there, one or two here. The count it gives is
/// the same; the order of the hashes never mattered.
#[derive(Debug, Clone, Default)]
struct HashSet64 {
    /// 0 marks an empty slot; the hash 0 is `zero`. Empty or a power of two long.
    slots: Vec<u64>,
    /// Non-zero hashes in `slots`.
    filled: usize,
    zero: bool,
}

impl HashSet64 {
    fn len(&self) -> usize {
        self.filled + usize::from(self.zero)
    }

    fn contains(&self, h: u64) -> bool {
        if h == 0 {
            return self.zero;
        }
        if self.slots.is_empty() {
            return false;
        }
        let mask = self.slots.len() - 1;
        // The low bits pick the slot (the HyperLogLog reads the high ones;
        // foldhash mixes both).
        let mut at = h as usize & mask;
        loop {
            match self.slots[at] {
                0 => return false,
                s if s == h => return true,
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// Adds `h`, which the set does not hold.
    fn insert_new(&mut self, h: u64) {
        if h == 0 {
            self.zero = true;
            return;
        }
        if (self.filled + 1) * 2 > self.slots.len() {
            let size = (self.slots.len() * 2).max(16);
            let old = std::mem::replace(&mut self.slots, vec![0; size]);
            self.filled = 0;
            for earlier in old.into_iter().filter(|&s| s != 0) {
                self.insert_new(earlier);
            }
        }
        let mask = self.slots.len() - 1;
        let mut at = h as usize & mask;
        while self.slots[at] != 0 {
            at = (at + 1) & mask;
        }
        self.slots[at] = h;
        self.filled += 1;
    }

    fn into_hashes(self) -> impl Iterator<Item = u64> {
        let zero = self.zero.then_some(0);
        self.slots.into_iter().filter(|&s| s != 0).chain(zero)
    }
}

/// The seed of `hash`: any constant, so estimates do not vary between runs.
const HASH_SEED: u64 = 0x5eed_1e57_f0c0_11ec;

/// The one hash of a cell's bytes (see the module's doc). Deterministic;
/// it changes only if foldhash's algorithm does (the version is pinned by
/// Cargo.lock, and the regression corpus shows the estimates it gives).
pub fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = foldhash::quality::FixedState::with_seed(HASH_SEED).build_hasher();
    hasher.write(bytes);
    hasher.finish()
}

impl HyperLogLog {
    pub fn insert(&mut self, bytes: &[u8]) {
        self.insert_hash(hash(bytes));
    }

    /// Counts a value by its `hash`.
    pub fn insert_hash(&mut self, h: u64) {
        let Some(seen) = &mut self.exact else {
            self.add(h);
            return;
        };
        if seen.contains(h) {
            return;
        }
        if seen.len() < EXACT_DISTINCT {
            seen.insert_new(h);
            return;
        }
        let seen = self.exact.take().unwrap_or_default();
        self.registers = vec![0; HLL_REGISTERS];
        for earlier in seen.into_hashes() {
            self.add(earlier);
        }
        self.add(h);
    }

    fn add(&mut self, h: u64) {
        let index = (h >> (64 - HLL_BITS)) as usize;
        // Leading zeros of the remaining bits, plus one (capped by their width).
        let rest = h << HLL_BITS;
        let rank = (rest.leading_zeros() + 1).min(64 - HLL_BITS + 1) as u8;
        if rank > self.registers[index] {
            self.registers[index] = rank;
        }
    }

    pub fn estimate(&self) -> u64 {
        if let Some(seen) = &self.exact {
            return seen.len() as u64;
        }
        let m = HLL_REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = self
            .registers
            .iter()
            .map(|&r| 2f64.powi(-i32::from(r)))
            .sum();
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }
}

/// One Space-Saving counter: a value, its count, how much of that count it
/// may have inherited, and the value's `hash` (for the index).
#[derive(Debug, Clone)]
struct Counter {
    value: String,
    count: u64,
    error: u64,
    hash: u64,
}

/// Most frequent values (Space-Saving): each counter holds a value, its
/// count and how much of that count it may have inherited; an index by the
/// value's hash finds its counter in one lookup (this runs for every cell).
#[derive(Debug, Clone, Default)]
pub struct TopValues {
    counters: Vec<Counter>,
    /// Positions in `counters`, by their value's hash (equality on the value).
    index: HashTable<usize>,
    evicted: bool,
    /// The least count, tracked lazily: no counter counts less than `least`,
    /// and every counter before `scan_from` counts more. Counts only grow,
    /// so this stays true between evictions, and each eviction resumes the
    /// search for the first least-counted counter where the last one
    /// stopped instead of scanning all 64.
    least: u64,
    scan_from: usize,
}

impl TopValues {
    pub fn insert(&mut self, value: &str) {
        self.insert_hashed(value, hash(value.as_bytes()));
    }

    /// Counts `value`, whose `hash` the caller already has.
    pub fn insert_hashed(&mut self, value: &str, hash: u64) {
        let counters = &mut self.counters;
        if let Some(&at) = self.index.find(hash, |&i| counters[i].value == value) {
            counters[at].count += 1;
            return;
        }
        if counters.len() < TOP_COUNTERS {
            self.index
                .insert_unique(hash, counters.len(), |&i| counters[i].hash);
            counters.push(Counter {
                value: value.to_owned(),
                count: 1,
                error: 0,
                hash,
            });
            return;
        }
        // The least counted value (the first one, in counter order) gives
        // its counter to the new one, which inherits its count as possible
        // error.
        self.evicted = true;
        let Some(at) = self.least_counted() else {
            return;
        };
        let counters = &mut self.counters;
        if let Ok(entry) = self.index.find_entry(counters[at].hash, |&i| i == at) {
            entry.remove();
        }
        let counter = &mut counters[at];
        let floor = counter.count;
        // The evicted value's buffer is reused: no allocation per cell in a
        // column of unique values.
        value.clone_into(&mut counter.value);
        counter.count = floor + 1;
        counter.error = floor;
        counter.hash = hash;
        self.index.insert_unique(hash, at, |&i| counters[i].hash);
        // This counter now counts more than `least`.
        self.scan_from = at + 1;
    }

    /// The first counter (in counter order) with the least count: what
    /// `min_by_key` over all counters gives, found from `scan_from` on.
    fn least_counted(&mut self) -> Option<usize> {
        for _ in 0..2 {
            let rest = self.counters.get(self.scan_from..).unwrap_or_default();
            if let Some(offset) = rest.iter().position(|c| c.count == self.least) {
                return Some(self.scan_from + offset);
            }
            // Every counter counts more than `least` now: find the new least.
            self.least = self.counters.iter().map(|c| c.count).min()?;
            self.scan_from = 0;
        }
        None
    }

    /// The `TOP_SHOWN` most counted, most counted first (ties by value).
    /// Once counters were reassigned, only values seen at least twice for
    /// sure (count minus inherited error) are shown: in a column of unique
    /// ids every count is mostly inherited, and would mislead.
    pub fn top(&self) -> (Vec<ValueCount>, bool) {
        let mut sorted: Vec<&Counter> = self
            .counters
            .iter()
            .filter(|c| !self.evicted || c.count - c.error >= 2)
            .collect();
        sorted.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        let top = sorted
            .into_iter()
            .take(TOP_SHOWN)
            .map(|c| ValueCount {
                value: c.value.clone(),
                count: c.count,
            })
            .collect();
        (top, !self.evicted)
    }
}

/// Equal-width histogram over a range learned as values arrive.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    seed: Vec<f64>,
    /// Bar width; 0 until the seed is spent.
    width: f64,
    /// Index (value / width, floored) of the first bar.
    origin: i64,
    counts: [u64; HISTOGRAM_BARS],
}

/// The smallest of 1, 2 or 5 × 10^k that is at least `x`: bars with round edges.
fn round_width(x: f64) -> f64 {
    let magnitude = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|w| *w >= x)
        .unwrap_or(10.0 * magnitude)
}

impl Histogram {
    pub fn insert(&mut self, value: f64) {
        if !value.is_finite() {
            return;
        }
        if self.width == 0.0 {
            self.seed.push(value);
            if self.seed.len() >= HISTOGRAM_SEED {
                self.start();
            }
            return;
        }
        self.place(value);
    }

    /// Sets the width from the values seen so far and counts them.
    fn start(&mut self) {
        let seed = std::mem::take(&mut self.seed);
        let (min, max) = seed
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(*v), hi.max(*v))
            });
        if seed.is_empty() {
            return;
        }
        let spread = (max - min) / (HISTOGRAM_BARS - 1) as f64;
        let scale = min.abs().max(max.abs());
        // One value (or values too close for f64 to tell apart): bars of a
        // width that keeps `value / width` small.
        let floor = (scale / 1e12).max(f64::MIN_POSITIVE);
        let width = if spread > floor {
            spread
        } else {
            (scale / 10.0).max(1.0)
        };
        self.width = round_width(width);
        self.origin = (min / self.width).floor() as i64;
        for value in seed {
            self.place(value);
        }
    }

    fn place(&mut self, value: f64) {
        // Most values fall in the window of bars: counted there, as
        // `place_moving` would count them (it moves the window only for a
        // value outside it), without its scans of the bars in use or a
        // call to libm's `floor` (x86-64's baseline has no SSE4.1 round).
        let q = value / self.width;
        // Truncation then a step down is `floor` wherever `q` has no
        // fraction bits to lose: below 2^52.
        if q.abs() < 4_503_599_627_370_496.0 {
            let truncated = q as i64;
            let index = truncated - i64::from((truncated as f64) > q);
            if let Some(count) = usize::try_from(index.wrapping_sub(self.origin))
                .ok()
                .and_then(|bar| self.counts.get_mut(bar))
            {
                *count += 1;
                return;
            }
        }
        self.place_moving(value);
    }

    /// Counts `value`, moving the window of bars or widening them first
    /// when it falls outside.
    fn place_moving(&mut self, value: f64) {
        // Each merge doubles the width and halves the span of the bars in
        // use; f64's exponent range bounds the loop.
        for _ in 0..2100 {
            let index = (value / self.width).floor();
            let used = self.counts.iter().position(|&c| c > 0).map(|first| {
                let last = self.counts.iter().rposition(|&c| c > 0).unwrap_or(first);
                (
                    (self.origin + first as i64) as f64,
                    (self.origin + last as i64) as f64,
                )
            });
            let (low, high) = used.map_or((index, index), |(l, h)| (l.min(index), h.max(index)));
            if high - low < HISTOGRAM_BARS as f64 {
                // The bars in use and the new one fit: move the window (bars
                // stay aligned on multiples of the width) and count it.
                let first = self.origin as f64;
                let origin = if index < first {
                    index as i64
                } else if index >= first + HISTOGRAM_BARS as f64 {
                    high as i64 - (HISTOGRAM_BARS as i64 - 1)
                } else {
                    self.origin
                };
                self.shift_to(origin);
                self.counts[(index as i64 - self.origin) as usize] += 1;
                return;
            }
            self.merge();
        }
    }

    /// Re-indexes the bars from a new first bar (every bar in use fits).
    fn shift_to(&mut self, origin: i64) {
        if origin == self.origin {
            return;
        }
        let mut counts = [0u64; HISTOGRAM_BARS];
        for (i, count) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            counts[(self.origin + i as i64 - origin) as usize] = *count;
        }
        self.counts = counts;
        self.origin = origin;
    }

    /// Doubles the width: bar pairs merge, aligned on the new width.
    fn merge(&mut self) {
        let origin = self.origin.div_euclid(2);
        let mut counts = [0u64; HISTOGRAM_BARS];
        for (i, count) in self.counts.iter().enumerate() {
            let target = (self.origin + i as i64).div_euclid(2) - origin;
            counts[target as usize] += count;
        }
        self.counts = counts;
        self.origin = origin;
        self.width *= 2.0;
    }

    /// The bars from the first to the last non-empty one.
    pub fn buckets(&self) -> Vec<HistogramBucket> {
        let mut this = self.clone();
        if this.width == 0.0 {
            this.start();
        }
        let Some(first) = this.counts.iter().position(|&c| c > 0) else {
            return Vec::new();
        };
        let last = this.counts.iter().rposition(|&c| c > 0).unwrap_or(first);
        (first..=last)
            .map(|i| {
                let lower = (this.origin + i as i64) as f64 * this.width;
                HistogramBucket {
                    lower,
                    upper: lower + this.width,
                    count: this.counts[i],
                }
            })
            .collect()
    }
}

/// One column's statistics, fed every cell of the first pass.
#[derive(Debug, Clone, Default)]
pub struct ColumnStatsState {
    nulls: u64,
    values: u64,
    distinct: HyperLogLog,
    top: TopValues,
    numbers: Histogram,
    /// Numbers may be written with a decimal comma (`;`- or tab-separated files).
    decimal_comma: bool,
    /// A value did not read as a number: no histogram (the column is not numeric).
    not_numeric: bool,
}

/// `text` cut to `MAX_VALUE_CHARS` characters, marked with `…` when cut.
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    // No more bytes than the limit: no more characters either (most cells).
    if text.len() <= MAX_VALUE_CHARS {
        return text.into();
    }
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

impl ColumnStatsState {
    pub fn new(decimal_comma: bool) -> Self {
        Self {
            decimal_comma,
            ..Self::default()
        }
    }

    /// A column that appears only after `rows` rows (NDJSON).
    pub fn with_leading_nulls(rows: u64, decimal_comma: bool) -> Self {
        Self {
            nulls: rows,
            ..Self::new(decimal_comma)
        }
    }

    pub fn observe(&mut self, cell: &Cell) {
        match cell {
            Cell::Null => self.nulls += 1,
            Cell::Text(text) if is_null_text(text) => self.nulls += 1,
            Cell::Text(text) => self.observe_value(trim_cell(text)),
            Cell::Long(v) => self.number(*v as f64, &v.to_le_bytes()),
            Cell::Double(v) => self.number(*v, &v.to_le_bytes()),
            Cell::Bool(b) => {
                self.values += 1;
                self.not_numeric = true;
                let text = if *b { "true" } else { "false" };
                let h = hash(text.as_bytes());
                self.distinct.insert_hash(h);
                self.top.insert_hashed(text, h);
            }
            Cell::Time(t) => {
                self.values += 1;
                self.not_numeric = true;
                self.distinct.insert(&t.to_le_bytes());
            }
        }
    }

    /// A text cell that is not null (`is_null_text`), trimmed.
    pub fn observe_value(&mut self, text: &str) {
        self.observe_parsed(text, None);
    }

    /// `observe_value`, with `text.parse::<f64>().ok()` when the caller
    /// has it already (`ColumnState::observe_value`).
    pub fn observe_parsed(&mut self, text: &str, parsed: Option<Option<f64>>) {
        self.values += 1;
        // One hash for both; the top values see a long value cut.
        let h = hash(text.as_bytes());
        self.distinct.insert_hash(h);
        match shown(text) {
            std::borrow::Cow::Borrowed(whole) => self.top.insert_hashed(whole, h),
            std::borrow::Cow::Owned(cut) => self.top.insert(&cut),
        }
        if !self.not_numeric {
            let number = parsed.unwrap_or_else(|| parse_f64(text)).or_else(|| {
                self.decimal_comma
                    .then(|| parse_decimal_comma(text).map(|n| n.value))
                    .flatten()
            });
            match number {
                Some(v) => self.numbers.insert(v),
                None => self.not_numeric = true,
            }
        }
    }

    /// A null cell.
    pub fn observe_null(&mut self) {
        self.nulls += 1;
    }

    fn number(&mut self, value: f64, bytes: &[u8]) {
        self.values += 1;
        self.distinct.insert(bytes);
        self.numbers.insert(value);
    }

    /// The statistics for a column validation typed `column_type`.
    pub fn finish(&self, column_type: ColumnType) -> ColumnStats {
        let total = self.nulls + self.values;
        let (top_values, top_values_exact) = match column_type {
            ColumnType::String | ColumnType::Boolean => self.top.top(),
            _ => (Vec::new(), false),
        };
        let histogram = match column_type {
            ColumnType::Long | ColumnType::Double if !self.not_numeric => self.numbers.buckets(),
            _ => Vec::new(),
        };
        ColumnStats {
            distinct_estimate: if self.values == 0 {
                0
            } else {
                self.distinct.estimate().max(1)
            },
            null_ratio: if total == 0 {
                0.0
            } else {
                self.nulls as f64 / total as f64
            },
            top_values,
            top_values_exact,
            histogram,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::generator;

    #[test]
    fn distinct_counts_are_exact_when_small_and_close_when_large() {
        let mut small = HyperLogLog::default();
        for i in 0..50 {
            small.insert(format!("v{}", i % 25).as_bytes());
        }
        assert_eq!(small.estimate(), 25);
        let mut at_limit = HyperLogLog::default();
        for i in 0..EXACT_DISTINCT as u32 * 2 {
            at_limit.insert(&(i % EXACT_DISTINCT as u32).to_le_bytes());
        }
        assert_eq!(at_limit.estimate(), EXACT_DISTINCT as u64, "exact");
        assert!(at_limit.registers.is_empty(), "no sketch needed yet");
        let mut large = HyperLogLog::default();
        for i in 0..200_000u32 {
            large.insert(&i.to_le_bytes());
        }
        let estimate = large.estimate() as f64;
        assert!(
            (estimate - 200_000.0).abs() / 200_000.0 < 0.05,
            "estimate {estimate}"
        );
        assert_eq!(HyperLogLog::default().estimate(), 0);
        // Text ids that differ only in their last characters (the hash must
        // spread them over the registers by its high bits).
        for n in [5_000u32, 50_000, 500_000] {
            let mut ids = HyperLogLog::default();
            for i in 0..n {
                ids.insert(format!("ORD-{i}").as_bytes());
            }
            let estimate = ids.estimate() as f64;
            let error = (estimate - f64::from(n)).abs() / f64::from(n);
            assert!(error < 0.05, "{n} ids estimated {estimate}");
        }
    }

    #[test]
    fn the_exact_set_counts_as_a_sorted_list_did() {
        let mut next = generator(0x1234_5678_9abc_def1);
        for round in 0..40u64 {
            // Hashes that share their low bits (long probes), the hash 0,
            // and repeats; up to past the exact limit.
            let distinct =
                [5, 100, 700, EXACT_DISTINCT - 1, EXACT_DISTINCT, 3000][round as usize % 6];
            let pool: Vec<u64> = (0..distinct)
                .map(|i| match next() % 4 {
                    0 => next() << 20,
                    1 if i % 97 == 0 => 0,
                    _ => next(),
                })
                .collect();
            let mut ours = HyperLogLog::default();
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..distinct * 3 {
                let h = pool[(next() % distinct as u64) as usize];
                ours.insert_hash(h);
                seen.insert(h);
                if seen.len() <= EXACT_DISTINCT {
                    assert_eq!(ours.estimate(), seen.len() as u64);
                    assert!(ours.registers.is_empty());
                }
            }
            if seen.len() > EXACT_DISTINCT {
                // Registers keep a maximum per index: the order is no matter.
                let mut reference = HyperLogLog {
                    exact: None,
                    registers: vec![0; HLL_REGISTERS],
                };
                seen.iter().for_each(|&h| reference.add(h));
                assert_eq!(ours.registers, reference.registers);
            }
        }
    }

    /// Space-Saving as first written: a scan of every counter for the least
    /// counted one on each eviction. The indexed version must match it.
    fn reference_top(values: &[String]) -> Vec<(String, u64, u64)> {
        let mut counters: Vec<(String, u64, u64)> = Vec::new();
        for value in values {
            if let Some(c) = counters.iter_mut().find(|c| &c.0 == value) {
                c.1 += 1;
            } else if counters.len() < TOP_COUNTERS {
                counters.push((value.clone(), 1, 0));
            } else {
                let at = (0..counters.len())
                    .min_by_key(|&i| counters[i].1)
                    .expect("counters");
                let floor = counters[at].1;
                counters[at] = (value.clone(), floor + 1, floor);
            }
        }
        counters
    }

    #[test]
    fn top_values_evict_as_the_plain_scan_does() {
        let mut next = generator(0x9e37_79b9_7f4a_7c15);
        // Skewed: a few hot values among many rare ones, and runs of unique ones.
        let values: Vec<String> = (0..50_000)
            .map(|i| match next() % 10 {
                0..=3 => format!("hot{}", next() % 8),
                4..=6 => format!("warm{}", next() % 200),
                _ => format!("rare{i}"),
            })
            .collect();
        let mut top = TopValues::default();
        for value in &values {
            top.insert(value);
        }
        let ours: Vec<(String, u64, u64)> = top
            .counters
            .iter()
            .map(|c| (c.value.clone(), c.count, c.error))
            .collect();
        assert_eq!(ours, reference_top(&values));
        assert_eq!(top.index.len(), TOP_COUNTERS);
    }

    #[test]
    fn top_values_are_exact_for_few_values_and_keep_the_heavy_ones_for_many() {
        let mut few = TopValues::default();
        for v in ["b", "a", "b", "c", "b", "a"] {
            few.insert(v);
        }
        let (top, exact) = few.top();
        assert!(exact);
        let pairs: Vec<(&str, u64)> = top.iter().map(|t| (t.value.as_str(), t.count)).collect();
        assert_eq!(pairs, [("b", 3), ("a", 2), ("c", 1)]);

        let mut many = TopValues::default();
        for i in 0..10_000u32 {
            // "hot" is a third of the values; the rest are all different.
            if i % 3 == 0 {
                many.insert("hot");
            } else {
                many.insert(&format!("cold{i}"));
            }
        }
        let (top, exact) = many.top();
        assert!(!exact);
        assert_eq!(top[0].value, "hot");
        assert!(
            top[0].count >= 3334,
            "never under-counted: {}",
            top[0].count
        );
        assert!(top.len() <= TOP_SHOWN);
        assert!(many.counters.len() <= TOP_COUNTERS, "bounded");
        assert_eq!(many.index.len(), many.counters.len());

        let mut unique = TopValues::default();
        for i in 0..10_000u32 {
            unique.insert(&format!("id{i}"));
        }
        assert_eq!(unique.top(), (Vec::new(), false), "no value repeats");
    }

    fn total(buckets: &[HistogramBucket]) -> u64 {
        buckets.iter().map(|b| b.count).sum()
    }

    #[test]
    fn a_histogram_counts_every_value_once_in_equal_bars() {
        let mut h = Histogram::default();
        for v in 0..100 {
            h.insert(f64::from(v));
        }
        let bars = h.buckets();
        assert_eq!(total(&bars), 100);
        assert!(bars.len() <= HISTOGRAM_BARS && bars.len() >= 10, "{bars:?}");
        assert!(bars[0].lower <= 0.0 && bars.last().expect("bar").upper > 99.0);
        let width = bars[0].upper - bars[0].lower;
        assert!(bars
            .iter()
            .all(|b| (b.upper - b.lower - width).abs() < 1e-9));
    }

    #[test]
    fn a_histogram_widens_for_values_beyond_its_first_range() {
        let mut h = Histogram::default();
        for v in 0..HISTOGRAM_SEED {
            h.insert(v as f64 / 100.0); // 0 to 2.55: narrow bars
        }
        h.insert(-1_000_000.0);
        h.insert(5e9);
        h.insert(f64::NAN);
        let bars = h.buckets();
        assert_eq!(total(&bars), HISTOGRAM_SEED as u64 + 2, "NaN is skipped");
        assert!(bars.len() <= HISTOGRAM_BARS);
        assert!(bars[0].lower <= -1_000_000.0);
        assert!(bars.last().expect("bar").upper > 5e9);
    }

    #[test]
    fn the_window_shortcut_counts_as_the_full_placement() {
        let mut next = generator(0x7777_1234_4321_abcd);
        for round in 0..200u64 {
            let scale = [1e-3, 0.1, 1.0, 100.0, 1e6, 1e15, 1e17, 1e300][round as usize % 8];
            let mut ours = Histogram::default();
            let mut full = Histogram::default();
            for i in 0..2_000u64 {
                let unit = (next() >> 11) as f64 / (1u64 << 53) as f64;
                let mut value = (unit - 0.3) * scale;
                if i % 7 == 0 {
                    value = value.round(); // bar edges
                }
                if i % 500 == 499 {
                    value *= 1e3; // an outlier widens the bars
                }
                ours.insert(value);
                if full.width == 0.0 {
                    full.insert(value);
                } else {
                    full.place_moving(value);
                }
                assert_eq!(
                    (ours.width.to_bits(), ours.origin, ours.counts),
                    (full.width.to_bits(), full.origin, full.counts),
                    "{value} in round {round}"
                );
            }
        }
    }

    #[test]
    fn one_repeated_value_makes_one_bar() {
        let mut h = Histogram::default();
        for _ in 0..1000 {
            h.insert(42.5);
        }
        let bars = h.buckets();
        assert_eq!(bars.len(), 1);
        assert_eq!(bars[0].count, 1000);
        assert!(bars[0].lower <= 42.5 && 42.5 < bars[0].upper);
        let mut huge = Histogram::default();
        huge.insert(1e300);
        huge.insert(-1e300);
        assert_eq!(total(&huge.buckets()), 2);
    }

    #[test]
    fn column_stats_follow_the_columns_type() {
        let mut s = ColumnStatsState::new(false);
        for cell in [
            Cell::Text("3".into()),
            Cell::Text("NA".into()),
            Cell::Text("4".into()),
            Cell::Null,
        ] {
            s.observe(&cell);
        }
        let numeric = s.finish(ColumnType::Long);
        assert_eq!(numeric.null_ratio, 0.5);
        assert_eq!(numeric.distinct_estimate, 2);
        assert_eq!(total(&numeric.histogram), 2);
        assert!(numeric.top_values.is_empty());
        let text = s.finish(ColumnType::String);
        assert!(text.histogram.is_empty());
        assert_eq!(text.top_values.len(), 2);

        let mut comma = ColumnStatsState::new(true);
        comma.observe(&Cell::Text("1,5".into()));
        comma.observe(&Cell::Text("2,5".into()));
        assert_eq!(total(&comma.finish(ColumnType::Double).histogram), 2);

        let mut long = ColumnStatsState::new(false);
        long.observe(&Cell::Text("x".repeat(500)));
        let top = long.finish(ColumnType::String).top_values;
        assert_eq!(top[0].value.chars().count(), MAX_VALUE_CHARS + 1);
    }
}
