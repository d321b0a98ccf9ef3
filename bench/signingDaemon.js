// A walletd daemon in its own process for the signing bench: the bundle's createWalletd with an
// approver that approves at once, Anvil's first account (a real signer: the WebAssembly engine,
// the check of every signature, worker threads), one chain (argv[2]). Prints
// {"port","token","address"} once listening; stops on SIGTERM. Every check stays on: the pipeline,
// approvals (approved), the rate limiter (its sign and connection budgets raised so that it checks
// every request but refuses none).
// BENCH_SIGN_WORKERS: the signer's worker count.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mnemonicToAccount } from 'viem/accounts'
import { bundleModule } from './bundleModule.js'

const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk'
const SIGNING_RATE_LIMIT_OVERRIDE = {
  classes: {
    sign: { burst: 1_000_000, perSecond: 1_000_000, perMinute: 100_000_000, perHour: 1_000_000_000 },
  },
}

const upstreamUrl = process.argv[2]
const [{ loadConfig }, { createWalletd }, { createSigner }] = await Promise.all([
  bundleModule('loadConfig', 'config/loadConfig.js'),
  bundleModule('createWalletd', 'createWalletd.js'),
  bundleModule('createSigner', 'signer/createSigner.js'),
])
// The data dir (where the audit log is fdatasync'd before each answer) is under the OS temp dir, or
// under BENCH_SIGN_DATA_PARENT (e.g. /dev/shm, to see the daemon without the disk's sync latency).
const dir = mkdtempSync(join(process.env.BENCH_SIGN_DATA_PARENT || tmpdir(), 'walletd-bench-sign-'))
const config = loadConfig({
  env: { XDG_CONFIG_HOME: join(dir, 'config') },
  overrides: {
    dataDir: dir,
    runtimeDir: join(dir, 'run'),
    server: { port: 0 },
    log: { level: 'warn', format: 'json' },
    chains: [
      {
        chainId: 31337,
        name: 'Anvil',
        rpcUrls: [upstreamUrl],
        nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
        blockExplorerUrls: [],
      },
    ],
    rateLimit: SIGNING_RATE_LIMIT_OVERRIDE,
  },
})
const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 0 })
const key = Uint8Array.from(account.getHdKey().privateKey)
const signer = createSigner({
  privateKeys: [key],
  ...(process.env.BENCH_SIGN_WORKERS ? { workers: Number(process.env.BENCH_SIGN_WORKERS) } : {}),
})
key.fill(0)
const daemon = await createWalletd({
  config,
  env: {},
  // Instant (as a policy is): it decides at once, outside the one-prompt-per-origin queue rule.
  approvers: [{ name: 'bench', instant: true, decide: async () => ({ approved: true }) }],
  signer,
})
const { token } = daemon.tokens.create('bench')
console.log(JSON.stringify({ port: daemon.port, token, address: account.address }))
process.once('SIGTERM', async () => {
  await daemon.close()
  await signer.close()
  rmSync(dir, { recursive: true, force: true })
  process.exit(0)
})
