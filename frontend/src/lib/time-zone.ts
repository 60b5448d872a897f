import { useSyncExternalStore } from 'react';

/** How times are shown: in UTC (the default, as the data and the server use it) or the browser's zone. */
export type TimeZoneMode = 'utc' | 'local';

export const TIME_ZONE_STORAGE_KEY = 'ingest.timeZone';

const listeners = new Set<() => void>();

function read(): TimeZoneMode {
  try {
    return localStorage.getItem(TIME_ZONE_STORAGE_KEY) === 'local' ? 'local' : 'utc';
  } catch {
    // Storage can be disabled (privacy mode): UTC, and the choice lasts as long as the page.
    return fallback;
  }
}

let fallback: TimeZoneMode = 'utc';

export function getTimeZoneMode(): TimeZoneMode {
  return read();
}

export function setTimeZoneMode(mode: TimeZoneMode) {
  fallback = mode;
  try {
    localStorage.setItem(TIME_ZONE_STORAGE_KEY, mode);
  } catch {
    // See read().
  }
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  const onStorage = (e: StorageEvent) => e.key === TIME_ZONE_STORAGE_KEY && listener();
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

/** The current mode; components that show times call it so they re-render when it changes. */
export function useTimeZoneMode(): TimeZoneMode {
  return useSyncExternalStore(subscribe, read, () => 'utc');
}
