import { defineConfig } from 'vitest/config';

// CI asks for a JSON report (VITEST_JSON_REPORT=path) to print its one-line totals.
const json = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: json ? ['default', ['json', { outputFile: json }]] : ['default'],
  },
});
