/** The upload form's "rejected rows allowed" field (`max_rejected_rows`): empty is none, the server's default. */
export function parseRejectedAllowed(text: string): { value: number | null; problem: string | null } {
  const trimmed = text.trim();
  if (trimmed === '') return { value: null, problem: null };
  if (!/^\d{1,15}$/.test(trimmed)) return { value: null, problem: 'A whole number, 0 or more.' };
  return { value: Number(trimmed), problem: null };
}
