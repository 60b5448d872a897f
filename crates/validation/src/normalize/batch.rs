//! Rows read for the second pass, a batch at a time: the reading thread
//! settles what only the source can tell (a row's line, whether it is
//! undecodable or ragged, its text for the rejected-rows file) and copies
//! the cells into one text; `RawBatch::convert` (on any thread) does the
//! rest — the time, every cell's type — and says what to apply, in row
//! order, as `Event`s for `Ordered::apply`.

use ingest_domain::ColumnType;

use super::sink::Rows;
use super::{convert_ref, text_of, time_of_ref, CellRef, Plan, Typed};
use crate::control::CHECK_EVERY_ROWS;
use crate::quarantine::{render_cells, render_cells_with};
use crate::source::{Cell, RowSource};
use crate::timestamp::in_range;
use crate::{Control, ValidationError};

/// When a batch is full; small sizes in tests make files span many.
#[derive(Debug, Clone, Copy)]
pub(super) struct Size {
    pub rows: usize,
    /// Bytes of cell and row text and of the cells' slots (a wide file of
    /// empty cells has little text, but a slot per cell).
    pub bytes: usize,
}

impl Default for Size {
    /// Less than a Parquet row group, big enough that handing a batch to a
    /// thread costs little next to converting it.
    fn default() -> Self {
        Self {
            rows: 8 * 1024,
            bytes: 1 << 20,
        }
    }
}

/// One cell of a batch, its text a span of the batch's text.
#[derive(Clone, Copy)]
enum Slot {
    Null,
    Text(usize, usize),
    Long(i64),
    Double(f64),
    Bool(bool),
    Time(i64),
}

/// A row as the reading thread leaves it.
enum Read {
    /// `width` slots; `raw`: the row's text in `RawBatch::raw` when kept
    /// (only for a source whose row text cannot be made again from its
    /// cells, see `Plan::joined_by`).
    Row {
        line: u64,
        raw: Option<(usize, usize)>,
    },
    Undecodable {
        line: u64,
        reason: String,
        raw: String,
    },
    Ragged {
        line: u64,
        field_count: usize,
        raw: String,
    },
}

/// Rows read, in file order.
pub(super) struct RawBatch {
    text: String,
    slots: Vec<Slot>,
    raw: String,
    rows: Vec<Read>,
}

/// Why a row has no usable time, for its rejection.
pub(super) enum NoTime {
    Unreadable,
    OutOfRange(i64),
}

/// Something a batch's row makes the pass record, in row order.
pub(super) enum Event {
    Undecodable {
        line: u64,
        reason: String,
        raw: String,
    },
    Ragged {
        line: u64,
        field_count: usize,
        raw: String,
    },
    NoTime {
        line: u64,
        why: NoTime,
        raw: String,
    },
    /// A value stored as null: it does not fit its column's inferred type.
    Mistyped {
        line: u64,
        column: usize,
    },
    /// A value that does not fit the type `column_types` gives: the row is
    /// rejected.
    Broken {
        line: u64,
        column: usize,
        value: String,
        wanted: ColumnType,
        raw: String,
    },
}

/// A batch converted.
pub(super) struct Converted {
    pub events: Vec<Event>,
    pub accepted: u64,
    pub rows: Rows,
}

/// The row just read as the file has it, for the rejected-rows file.
fn raw_of(source: &dyn RowSource, row: &[Cell]) -> String {
    source.raw_row().unwrap_or_else(|| render_cells(row))
}

/// Reads batches off a source, counting rows for progress and cancel.
pub(super) struct Reader {
    width: usize,
    /// Whether each row's text is copied into its batch.
    keep_raw: bool,
    size: Size,
    row: Vec<Cell>,
    rows: u64,
    done: bool,
}

impl Reader {
    pub(super) fn new(plan: &Plan<'_>, size: Size) -> Self {
        Self {
            width: plan.width,
            keep_raw: plan.keep_raw && plan.joined_by.is_none(),
            size,
            row: Vec::new(),
            rows: 0,
            done: false,
        }
    }

    /// Rows read so far.
    pub(super) fn rows(&self) -> u64 {
        self.rows
    }

    /// Whether the source has no more rows.
    pub(super) fn done(&self) -> bool {
        self.done
    }

    /// The next batch (`None` once the source is done), and the failure
    /// that cut it short: the rows before a failing one are applied first,
    /// as on one thread row by row.
    pub(super) fn read(
        &mut self,
        source: &mut dyn RowSource,
        control: &Control,
    ) -> (Option<RawBatch>, Option<ValidationError>) {
        let mut batch = RawBatch {
            text: String::new(),
            slots: Vec::new(),
            raw: String::new(),
            rows: Vec::new(),
        };
        let failure = self.fill(&mut batch, source, control).err();
        ((!batch.rows.is_empty()).then_some(batch), failure)
    }

    fn fill(
        &mut self,
        batch: &mut RawBatch,
        source: &mut dyn RowSource,
        control: &Control,
    ) -> Result<(), ValidationError> {
        while !self.done
            && batch.rows.len() < self.size.rows
            && batch.text.len() + batch.raw.len() + batch.slots.len() * std::mem::size_of::<Slot>()
                < self.size.bytes
        {
            // A row that is one text (a UTF-8 CSV record) is copied into
            // the batch as it is, its cells spans of it (no copy per cell);
            // it is taken back below if the row cannot be used.
            let (text_len, slots_len) = (batch.text.len(), batch.slots.len());
            let width = self.width;
            let read = if self.keep_raw {
                source
                    .next_row(&mut self.row)
                    .map(|m| m.map(|m| (m, false)))
            } else {
                source.next_row_or_text(&mut self.row, &mut |text, record| {
                    let start = batch.text.len();
                    batch.text.push_str(text);
                    batch
                        .slots
                        .extend((0..width).map(|index| match record.range(index) {
                            Some(range) => Slot::Text(start + range.start, start + range.end),
                            None => Slot::Null,
                        }));
                })
            };
            let Some((meta, staged)) = read.map_err(|f| ValidationError::Changed(f.message))?
            else {
                self.done = true;
                break;
            };
            let unusable = source.row_defect().is_some()
                || (source.checks_field_count() && meta.field_count != self.width);
            let take_back = |batch: &mut RawBatch| {
                batch.text.truncate(text_len);
                batch.slots.truncate(slots_len);
            };
            if staged && unusable {
                take_back(batch);
            }
            self.rows += 1;
            if self.rows.is_multiple_of(CHECK_EVERY_ROWS) && control.rows_read(self.rows) {
                take_back(batch);
                return Err(ValidationError::Cancelled);
            }
            let line = meta.line;
            if let Some(defect) = source.row_defect() {
                let raw = raw_of(source, &self.row);
                batch.rows.push(Read::Undecodable {
                    line,
                    reason: defect.message,
                    raw,
                });
                continue;
            }
            if source.checks_field_count() && meta.field_count != self.width {
                let raw = raw_of(source, &self.row);
                batch.rows.push(Read::Ragged {
                    line,
                    field_count: meta.field_count,
                    raw,
                });
                continue;
            }
            if staged {
                batch.rows.push(Read::Row { line, raw: None });
                continue;
            }
            self.row.resize(self.width, Cell::Null);
            // Only a source with row text that its cells cannot give again
            // (NDJSON) keeps it here; the others' rows are rendered from the
            // cells when rejected, which few are.
            let raw = self
                .keep_raw
                .then(|| source.raw_row())
                .flatten()
                .map(|raw| {
                    let start = batch.raw.len();
                    batch.raw.push_str(&raw);
                    (start, batch.raw.len())
                });
            for cell in &self.row {
                let slot = match cell {
                    Cell::Null => Slot::Null,
                    Cell::Text(t) => {
                        let start = batch.text.len();
                        batch.text.push_str(t);
                        Slot::Text(start, batch.text.len())
                    }
                    Cell::Long(x) => Slot::Long(*x),
                    Cell::Double(x) => Slot::Double(*x),
                    Cell::Bool(x) => Slot::Bool(*x),
                    Cell::Time(x) => Slot::Time(*x),
                };
                batch.slots.push(slot);
            }
            batch.rows.push(Read::Row { line, raw });
        }
        Ok(())
    }
}

impl RawBatch {
    /// Converts every row: its time, then each written cell to its column's
    /// type, as the one-thread pass did row by row.
    pub(super) fn convert(self, plan: &Plan<'_>) -> Converted {
        let Self {
            text,
            slots,
            raw,
            rows,
        } = self;
        let layout = &plan.layout;
        let mut out = Converted {
            events: Vec::new(),
            accepted: 0,
            rows: Rows::new(plan.output, layout, rows.len()),
        };
        let cell = |slot: &Slot| match *slot {
            Slot::Null => CellRef::Null,
            Slot::Text(start, end) => CellRef::Text(&text[start..end]),
            Slot::Long(x) => CellRef::Long(x),
            Slot::Double(x) => CellRef::Double(x),
            Slot::Bool(x) => CellRef::Bool(x),
            Slot::Time(x) => CellRef::Time(x),
        };
        // The text of a rejected row, when the quarantine keeps it.
        let raw_text = |kept: Option<(usize, usize)>, cells: &[Slot]| -> String {
            match kept {
                _ if !plan.keep_raw => String::new(),
                Some((start, end)) => raw[start..end].to_owned(),
                None => {
                    let row: Vec<Cell> = cells.iter().map(|s| cell(s).to_cell()).collect();
                    match plan.joined_by {
                        Some(delimiter) => render_cells_with(&row, delimiter),
                        None => render_cells(&row),
                    }
                }
            }
        };
        let mut values: Vec<Typed<'_>> = Vec::with_capacity(layout.indices.len());
        let mut rows_of_cells = slots.chunks_exact(plan.width.max(1));
        for read in rows {
            let (line, kept) = match read {
                Read::Undecodable { line, reason, raw } => {
                    out.events.push(Event::Undecodable { line, reason, raw });
                    continue;
                }
                Read::Ragged {
                    line,
                    field_count,
                    raw,
                } => {
                    out.events.push(Event::Ragged {
                        line,
                        field_count,
                        raw,
                    });
                    continue;
                }
                Read::Row { line, raw } => (line, raw),
            };
            let cells = if plan.width == 0 {
                &[][..]
            } else {
                rows_of_cells.next().unwrap_or(&[])
            };
            let time = match plan.time {
                Some((index, format)) => {
                    time_of_ref(cell(&cells[index]), format).ok_or(NoTime::Unreadable)
                }
                None => Ok(plan.constant),
            }
            .and_then(|t| {
                if in_range(t) {
                    Ok(t)
                } else {
                    Err(NoTime::OutOfRange(t))
                }
            });
            let time = match time {
                Ok(time) => time,
                Err(why) => {
                    let raw = raw_text(kept, cells);
                    out.events.push(Event::NoTime { line, why, raw });
                    continue;
                }
            };
            values.clear();
            let mut broken = None;
            for (((&i, &column_type), &comma), &overridden) in layout
                .indices
                .iter()
                .zip(&layout.types)
                .zip(&layout.decimal_commas)
                .zip(&layout.overridden)
            {
                match convert_ref(cell(&cells[i]), column_type, comma) {
                    Some(value) => values.push(value),
                    None if overridden => {
                        broken = Some((i, column_type));
                        break;
                    }
                    None => {
                        values.push(Typed::Null);
                        out.events.push(Event::Mistyped { line, column: i });
                    }
                }
            }
            if let Some((column, wanted)) = broken {
                out.events.push(Event::Broken {
                    line,
                    column,
                    value: text_of(cell(&cells[column])).into_owned(),
                    wanted,
                    raw: raw_text(kept, cells),
                });
                continue;
            }
            out.rows.push(time, &mut values, layout);
            out.accepted += 1;
        }
        out
    }
}
