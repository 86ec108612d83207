import { defineConfig } from 'vitest/config';

// Removes each test file's scratch directories (test/temp-dir.ts) after its last test.
const setupFiles = ['test/setup/temp-dirs.ts'];

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], setupFiles } },
      { test: { name: 'static', include: ['test/static/**/*.test.ts'], setupFiles } },
      {
        test: {
          name: 'integration',
          // The fault suite restarts services, so it runs in this sequential project too.
          include: ['test/integration/**/*.test.ts', 'test/build/**/*.test.ts', 'test/faults/**/*.test.ts'],
          // One embedded stack for the whole run, started by the global setup.
          globalSetup: ['test/integration/global-setup.ts'],
          setupFiles,
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        // Publishes the host ports the integration project's embedded stack holds:
        // `npm test` runs it in a vitest run of its own, after that stack stopped (src/test-runs.ts).
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          setupFiles,
          testTimeout: 900_000,
          hookTimeout: 1_200_000,
        },
      },
    ],
  },
});
