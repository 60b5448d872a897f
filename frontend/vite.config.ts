/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dev server proxies the API to a locally running `ingest serve`.
const apiTarget = process.env.INGEST_API_URL ?? 'http://127.0.0.1:8000';

// Tests run in a zone that is not UTC, so a time shown in the browser's zone by mistake
// fails them (set before any Date is made; Node reads TZ when it first needs the zone).
if (process.env.VITEST) process.env.TZ = process.env.INGEST_TEST_TZ ?? 'America/Los_Angeles';

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
    // Two pages: the dashboard, and the API reference (served at /api/docs) whose
    // Swagger UI bundle stays out of the dashboard's download.
    rolldownOptions: {
      input: {
        main: fileURLToPath(new URL('./index.html', import.meta.url)),
        docs: fileURLToPath(new URL('./docs.html', import.meta.url)),
      },
    },
  },
  test: {
    globals: true,
    environment: 'jsdom',
    setupFiles: ['./src/testing/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    restoreMocks: true,
    // A 2-core machine shared with Rust builds makes a first render take seconds.
    testTimeout: 20_000,
  },
});
