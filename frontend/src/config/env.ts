// Environment, parsed and checked once at start-up.
export type Env = {
  /**
   * Origin of the `ingest` server every API path (`/api/…`) is sent to; empty
   * means the page's own origin (the server serves the dashboard).
   */
  apiOrigin: string;
};

export function parseEnv(raw: Record<string, unknown>): Env {
  const value = raw.VITE_API_ORIGIN;
  const apiOrigin = typeof value === 'string' ? value.trim().replace(/\/+$/, '') : '';
  if (apiOrigin !== '' && !/^https?:\/\/[^/]+$/.test(apiOrigin)) {
    throw new Error(`VITE_API_ORIGIN must be empty or an http(s) origin such as http://127.0.0.1:8000, got "${apiOrigin}"`);
  }
  return { apiOrigin };
}

export const env: Env = parseEnv(import.meta.env);
