// Mirrors the server's rule: ^[A-Za-z][A-Za-z0-9_-]{0,127}$
export const DATASOURCE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/;
export const DATASOURCE_NAME_MAX = 128;

/** Returns why the name is invalid, in words (every reason at once), or null when it is valid. */
export function datasourceNameProblem(name: string): string | null {
  if (name.length === 0) return 'Enter a datasource name.';
  if (DATASOURCE_NAME_PATTERN.test(name)) return null;
  const reasons: string[] = [];
  const first = name[0] ?? '';
  if (!/[A-Za-z]/.test(first)) {
    reasons.push(`The name must start with a letter (A–Z or a–z), not “${first === ' ' ? 'a space' : first}”.`);
  }
  if (name.length > DATASOURCE_NAME_MAX) {
    reasons.push(`The name may have at most ${DATASOURCE_NAME_MAX} characters; this one has ${name.length}.`);
  }
  const bad = [...new Set([...name.slice(1)].filter((c) => !/[A-Za-z0-9_-]/.test(c)))];
  if (bad.length > 0) {
    const shown = bad.map((c) => (c === ' ' ? 'space' : `“${c}”`)).join(', ');
    reasons.push(`Use only letters, digits, “_” and “-”; not allowed: ${shown}.`);
  }
  return reasons.join(' ');
}

/** Suggests a valid name from a file name ("2024 sales.csv" → "sales_2024"-ish). */
export function suggestDatasourceName(fileName: string): string {
  const stem = fileName.replace(/\.[^.]+$/, '');
  let name = stem.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[^A-Za-z]+/, '');
  name = name.replace(/_+$/, '').slice(0, DATASOURCE_NAME_MAX);
  return DATASOURCE_NAME_PATTERN.test(name) ? name : '';
}
