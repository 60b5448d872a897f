import { PREVIEW_TEXT_BYTES, previewPart, previewUnavailable } from './preview-file';

const file = (name: string, size: number) => {
  const f = new File(['x'], name);
  Object.defineProperty(f, 'size', { value: size });
  return f;
};

describe('previewPart', () => {
  it('sends the start of a large text file, marked as cut, and small or binary files whole', () => {
    const big = new File(['x'.repeat(PREVIEW_TEXT_BYTES + 10)], 'big.csv.gz');
    const { part, cut } = previewPart(big);
    expect(cut).toBe(true);
    expect(part.size).toBe(PREVIEW_TEXT_BYTES);
    const small = new File(['a,b\n'], 'small.csv');
    expect(previewPart(small)).toEqual({ part: small, cut: false });
    const book = file('book.xlsx', PREVIEW_TEXT_BYTES * 2);
    expect(previewPart(book)).toEqual({ part: book, cut: false });
  });

  it('says preview is not available for a workbook or Parquet file over the limit', () => {
    expect(previewUnavailable(file('b.parquet', 200 * 1024 * 1024))).toMatch(/not available/);
    expect(previewUnavailable(file('b.parquet', 1024))).toBeNull();
    expect(previewUnavailable(file('huge.csv', 200 * 1024 * 1024))).toBeNull();
  });
});
