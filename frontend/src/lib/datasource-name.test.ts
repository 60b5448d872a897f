import { DATASOURCE_NAME_PATTERN, datasourceNameProblem, suggestDatasourceName } from './datasource-name';

describe('datasourceNameProblem', () => {
  it.each(['sales', 'S', 'web_events-2024', 'a'.repeat(128), 'A_b-C9'])('accepts %s', (name) => {
    expect(datasourceNameProblem(name)).toBeNull();
    expect(DATASOURCE_NAME_PATTERN.test(name)).toBe(true);
  });

  it('asks for a name when empty', () => {
    expect(datasourceNameProblem('')).toBe('Enter a datasource name.');
  });

  it('explains a bad first character', () => {
    expect(datasourceNameProblem('1sales')).toMatch(/must start with a letter.*“1”/);
    expect(datasourceNameProblem('_sales')).toMatch(/must start with a letter/);
    expect(datasourceNameProblem('__sys')).toMatch(/must start with a letter/);
    expect(datasourceNameProblem(' sales')).toMatch(/not “a space”/);
  });

  it('explains the length limit', () => {
    expect(datasourceNameProblem('a'.repeat(129))).toMatch(/at most 128 characters; this one has 129/);
  });

  it('gives every reason at once', () => {
    expect(datasourceNameProblem('9 lives')).toBe(
      'The name must start with a letter (A–Z or a–z), not “9”. Use only letters, digits, “_” and “-”; not allowed: space.',
    );
  });

  it('names the characters that are not allowed', () => {
    expect(datasourceNameProblem('my sales.v2')).toBe('Use only letters, digits, “_” and “-”; not allowed: space, “.”.');
    expect(datasourceNameProblem('ventes_été')).toMatch(/“é”/);
  });

  it('agrees with the server regex on every problem', () => {
    for (const bad of ['', '9', 'a b', 'a/b', 'a'.repeat(129), 'ä']) {
      expect(DATASOURCE_NAME_PATTERN.test(bad)).toBe(false);
      expect(datasourceNameProblem(bad)).not.toBeNull();
    }
  });
});

describe('suggestDatasourceName', () => {
  it('derives a valid name from a file name', () => {
    expect(suggestDatasourceName('sales 2024.csv')).toBe('sales_2024');
    expect(suggestDatasourceName('2024-orders.parquet')).toBe('orders');
    expect(suggestDatasourceName('123.csv')).toBe('');
  });
});
