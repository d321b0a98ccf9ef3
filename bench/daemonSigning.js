// Signing through walletd (issue 3): a whole daemon in this process (createWalletd from dist)
// with an approver that approves everything and Anvil's first test account; personal_sign and
// eth_signTypedData_v4 over WebSocket, sequential and 8 in flight. Plus keystore unlock time.
import { join } from 'node:path'
import { generatePrivateKey, mnemonicToAccount } from 'viem/accounts'
import { hexToBytes, verifyMessage } from 'viem/utils'
import { loadConfig } from '../dist/config/loadConfig.js'
import { createWalletd } from '../dist/createWalletd.js'
import { ANVIL_MNEMONIC } from '../dist/dev/startAnvil.js'
import { createSigner } from '../dist/signer/createSigner.js'
import { deriveMnemonicKeys } from '../dist/signer/deriveMnemonicKeys.js'
import { decryptKeystore } from '../dist/signer/keystore/decryptKeystore.js'
import { encryptKeystore, STANDARD_SCRYPT } from '../dist/signer/keystore/encryptKeystore.js'
import { TYPED_DATA } from './signing.js'
import { connectRpc, inFlight, resultOf, sequential } from './wsRpc.js'

const ORIGIN = 'https://signer.bench.example'

/** Budgets raised for the bench: the limiter still checks every request, it just never refuses. */
export const SIGNING_RATE_LIMIT_OVERRIDE = {
  classes: {
    sign: { burst: 1_000_000, perSecond: 1_000_000, perMinute: 100_000_000, perHour: 1_000_000_000 },
  },
  connection: { burst: 1_000_000, perSecond: 1_000_000 },
}

/**
 * Starts the daemon, connects one WebSocket client from ORIGIN and grants it the account
 * (eth_requestAccounts, approved). `measure()` can then run as often as wanted; `close()` ends it.
 * @param {{ cleanup: ReturnType<import('./processes.js').createCleanup>, upstreamUrl: string }} options
 */
export async function startSigningDaemon({ cleanup, upstreamUrl }) {
  const dir = cleanup.tempDir('walletd-bench-sign-')
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
  const signer = createSigner({ privateKeys: deriveMnemonicKeys(ANVIL_MNEMONIC, 1) })
  cleanup.add(() => signer.close())
  const daemon = await createWalletd({
    config,
    env: {},
    approver: { name: 'bench', decide: async () => ({ approved: true }) },
    signer,
  })
  cleanup.add(() => daemon.close())
  const { token } = daemon.tokens.create('bench')
  const client = await connectRpc(`ws://127.0.0.1:${daemon.port}/rpc`, {
    protocols: ['walletd.v1', `walletd.token.${token}`],
    headers: { origin: ORIGIN },
  })
  cleanup.add(() => client.close())
  const granted = resultOf(await client.call('eth_requestAccounts'), 'eth_requestAccounts')
  const address = account.address.toLowerCase()
  if (!granted.includes(address)) throw new Error(`eth_requestAccounts did not grant ${address}`)

  const message = (i) => `0x${Buffer.from(`walletd bench message ${i}`).toString('hex')}`
  const typed = (i) =>
    JSON.stringify({ ...TYPED_DATA, message: { ...TYPED_DATA.message, contents: `Hello, Bob! #${i}` } })
  const personalSign = async (i) =>
    resultOf(await client.call('personal_sign', [message(i), address]), 'personal_sign')
  const signTyped = async (i) =>
    resultOf(await client.call('eth_signTypedData_v4', [address, typed(i)]), 'eth_signTypedData_v4')

  // The answers are real signatures by the account (checked once, outside the timing).
  const signature = await personalSign(0)
  const verified = await verifyMessage({ address: account.address, message: { raw: message(0) }, signature })
  if (!verified) throw new Error('personal_sign through walletd did not verify')

  return {
    /** Sequential p50 and `concurrency` in flight, for each method. */
    async measure({ iterations = 300, concurrency = 8 } = {}) {
      const options = { count: iterations, warmup: 50 }
      const inFlightOptions = { concurrency, count: iterations, warmup: concurrency * 4 }
      const personal = await sequential(personalSign, options)
      const personal8 = await inFlight(personalSign, inFlightOptions)
      const typedData = await sequential(signTyped, options)
      const typedData8 = await inFlight(signTyped, inFlightOptions)
      return { personal, personal8, typedData, typedData8 }
    },
    async close() {
      await client.close()
      await daemon.close()
      await signer.close()
    },
  }
}

/** encryptKeystore once with the standard scrypt (n=2^18, r=8, p=1), then decryptKeystore `times` times (ms). */
export async function benchKeystoreUnlock({ times = 2 } = {}) {
  const privateKey = hexToBytes(generatePrivateKey())
  const passphrase = 'walletd bench passphrase'
  let t = performance.now()
  const keystore = await encryptKeystore(privateKey, passphrase)
  const encryptMs = performance.now() - t
  const unlockMs = []
  for (let i = 0; i < times; i++) {
    t = performance.now()
    const key = await decryptKeystore(keystore, passphrase)
    unlockMs.push(performance.now() - t)
    const same = Buffer.from(key).equals(Buffer.from(privateKey))
    key.fill(0)
    if (!same) throw new Error('decryptKeystore returned another key')
  }
  privateKey.fill(0)
  return { scrypt: STANDARD_SCRYPT, encryptMs, unlockMs }
}
