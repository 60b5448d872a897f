// The API token of this browser tab. It lives in sessionStorage: gone when the
// tab closes, never written to localStorage (shared by every tab, kept for
// ever) nor to a URL (history, logs, Referer). Components follow it with
// useAuthState(); the API client reads it for every request.
import { useSyncExternalStore } from 'react';
import { TOKEN_STORAGE_KEY as KEY } from './storage-key';

/** Why the token dialog should be shown: the server wants one, or refused the one we sent. */
export type TokenPrompt = 'required' | 'refused';

export type AuthState = { token: string | null; prompt: TokenPrompt | null };

const listeners = new Set<() => void>();
let state: AuthState = { token: readStored(), prompt: null };
/** "Not now" was chosen: polling requests answered 401 do not reopen the dialog. */
let dismissed = false;

function readStored(): string | null {
  try {
    return globalThis.sessionStorage?.getItem(KEY) || null;
  } catch {
    // Storage can be disabled (privacy settings); the token is then asked for again on reload.
    return null;
  }
}

function update(next: Partial<AuthState>) {
  state = { ...state, ...next };
  for (const fn of listeners) fn();
}

export function getToken(): string | null {
  return state.token;
}

/** Keeps a token the server accepted, for this tab only. */
export function setToken(token: string) {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // Without storage the token still works until the page reloads.
  }
  dismissed = false;
  update({ token, prompt: null });
}

/** Signs out: the token is forgotten by this tab. */
export function forgetToken() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
  update({ token: null });
}

/** The server answered 401 to a request sent with the stored token (or none). */
export function reportUnauthorized() {
  if (state.token) {
    forgetToken();
    update({ prompt: 'refused' });
  } else if (state.prompt === null && !dismissed) {
    update({ prompt: 'required' });
  }
}

/** Opens the token dialog on request (e.g. "Sign in" in the app bar). */
export function askForToken() {
  dismissed = false;
  update({ prompt: state.prompt ?? 'required' });
}

export function dismissTokenPrompt() {
  dismissed = true;
  update({ prompt: null });
}

function subscribe(fn: () => void) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function useAuthState(): AuthState {
  return useSyncExternalStore(subscribe, () => state, () => state);
}

/** Re-reads sessionStorage and closes the prompt (for tests, which share one module). */
export function resetAuthForTests() {
  state = { token: readStored(), prompt: null };
  dismissed = false;
  for (const fn of listeners) fn();
}
