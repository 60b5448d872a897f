// Environment, parsed and checked once at start-up.
export type Env = {
  /** Base of every API call; same origin by default. */
  apiBaseUrl: string;
};

export function parseEnv(raw: Record<string, unknown>): Env {
  const base = raw.VITE_API_BASE_URL;
  const apiBaseUrl = typeof base === 'string' && base.trim() !== '' ? base.trim() : '/api';
  if (!apiBaseUrl.startsWith('/') && !/^https?:\/\//.test(apiBaseUrl)) {
    throw new Error(
      `VITE_API_BASE_URL must be a path starting with "/" or an http(s) URL, got "${apiBaseUrl}"`,
    );
  }
  return { apiBaseUrl: apiBaseUrl.replace(/\/+$/, '') };
}

export const env: Env = parseEnv(import.meta.env);
