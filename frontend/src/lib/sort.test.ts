import { nextSort, sortRows } from './sort';

describe('sortRows', () => {
  const rows = [{ n: 'b10', v: 2 }, { n: 'b2', v: null }, { n: 'A', v: 7 }];
  const value = (r: (typeof rows)[number], key: 'n' | 'v') => r[key];

  it('orders text naturally and numbers numerically, missing values last', () => {
    expect(sortRows(rows, { key: 'n', direction: 'asc' }, value).map((r) => r.n)).toEqual(['A', 'b2', 'b10']);
    expect(sortRows(rows, { key: 'v', direction: 'asc' }, value).map((r) => r.v)).toEqual([2, 7, null]);
    expect(sortRows(rows, { key: 'v', direction: 'desc' }, value).map((r) => r.v)).toEqual([7, 2, null]);
  });

  it('flips the sorted column and starts others in their own direction', () => {
    expect(nextSort({ key: 'n', direction: 'asc' }, 'n')).toEqual({ key: 'n', direction: 'desc' });
    expect(nextSort({ key: 'n', direction: 'asc' }, 'v', 'desc')).toEqual({ key: 'v', direction: 'desc' });
  });
});
