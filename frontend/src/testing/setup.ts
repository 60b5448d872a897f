import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';
import { resetAuthForTests } from '@/lib/auth/token';

// findBy… waits for the UI, not for a deadline: give a loaded machine time to render.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  // The token store is module state shared by every test in a file.
  sessionStorage.clear();
  // The time-zone choice lives in localStorage: each test starts in UTC.
  localStorage.clear();
  resetAuthForTests();
});
