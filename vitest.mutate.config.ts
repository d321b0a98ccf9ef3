import { defineConfig } from 'vitest/config'

// The unit tests alone, for `npm run mutate` (Stryker). Integration and browser tests start Anvil,
// Chromium and the CLI; they are far too slow to rerun for every mutant.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
})
