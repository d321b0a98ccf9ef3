// StrykerJS for `npm run mutate` (not part of npm test or CI); see docs/mutation.md.
// MUTATE='src/ratelimit/**/*.ts' npm run mutate limits the run (comma-separated globs); the
// exclusions below always apply. MUTATE_STATIC=1 includes static mutants.

const FOLDERS = [
  'src/server/**/*.ts',
  'src/session/**/*.ts',
  'src/signer/**/*.ts',
  'src/approval/**/*.ts',
  'src/ratelimit/**/*.ts',
  'src/rpc/methods/wallet_requestPermissions.ts',
  'src/rpc/methods/wallet_getPermissions.ts',
  'src/rpc/methods/wallet_revokePermissions.ts',
  'src/rpc/methods/eth_requestAccounts.ts',
  'src/rpc/permissions.ts',
]

const EXCLUDED = [
  '!src/**/*.test.ts',
  // Type-only files.
  '!src/**/types.ts',
  // Source text run inside worker threads, where Stryker's instrumentation does not exist.
  '!src/signer/secp/workerScript.ts',
  '!src/signer/secp/checkedSign.ts',
]

const only = process.env.MUTATE?.split(',')
  .map((g) => g.trim())
  .filter(Boolean)

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // The unit tests only: integration and browser tests are far too slow to rerun per mutant.
  vitest: { configFile: 'vitest.mutate.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: [...(only && only.length > 0 ? only : FOLDERS), ...EXCLUDED],
  ignorePatterns: ['dist', 'provider-dist', 'coverage', 'reports', 'bench', 'test/browser', '.walletd-*'],
  // Code that runs once at module load reruns every importing test per mutant: left out unless
  // MUTATE_STATIC=1.
  ignoreStatic: process.env.MUTATE_STATIC !== '1',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // The machine is shared: two test processes at most.
  concurrency: 2,
  timeoutMS: 5000,
  timeoutFactor: 2,
  reporters: ['progress', 'clear-text', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
}
