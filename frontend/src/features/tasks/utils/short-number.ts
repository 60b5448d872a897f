/** A compact number for axis-like labels: 12,500 → 12.5k. */
export function shortNumber(value: number): string {
  const abs = Math.abs(value);
  const cut = (n: number, unit: string) => `${Number(n.toPrecision(3))}${unit}`;
  if (abs >= 1e9) return cut(value / 1e9, 'G');
  if (abs >= 1e6) return cut(value / 1e6, 'M');
  if (abs >= 1e4) return cut(value / 1e3, 'k');
  return String(Number(value.toPrecision(4)));
}
