import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';
import { resetAuthForTests } from '@/lib/auth/token';

afterEach(() => {
  cleanup();
  // The token store is module state shared by every test in a file.
  sessionStorage.clear();
  resetAuthForTests();
});
