import { defineConfig } from 'vitest/config'

// The unit tests alone, for `npm run mutate` (Stryker). Integration and browser tests start Anvil,
// Chromium and the CLI; they are far too slow to rerun for every mutant.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The real OS keychain over a private D-Bus session: it fails under Stryker's runner (the tests
    // share a process, and the native library reads the bus address from that process's
    // environment). `createKeychain.test.ts` covers the keychain's logic with a fake backend.
    exclude: ['src/**/*.secretService.test.ts'],
    environment: 'node',
  },
})
