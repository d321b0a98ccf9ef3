// In-process signing baseline for `npm run bench` (run after `npm run build`): viem's local
// account signing personal messages and EIP-712 typed data, and the same through walletd's
// signer (which also verifies every signature, recovery bit included, before returning it).
import { mnemonicToAccount } from 'viem/accounts'
import { ANVIL_MNEMONIC as MNEMONIC } from '../dist/dev/startAnvil.js'
import { createSigner } from '../dist/signer/createSigner.js'
import { deriveMnemonicKeys } from '../dist/signer/deriveMnemonicKeys.js'

export const TYPED_DATA = {
  domain: {
    name: 'Ether Mail',
    version: '1',
    chainId: 31337,
    verifyingContract: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC',
  },
  types: {
    Person: [
      { name: 'name', type: 'string' },
      { name: 'wallet', type: 'address' },
    ],
    Mail: [
      { name: 'from', type: 'Person' },
      { name: 'to', type: 'Person' },
      { name: 'contents', type: 'string' },
    ],
  },
  primaryType: 'Mail',
  message: {
    from: { name: 'Cow', wallet: '0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826' },
    to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB' },
    contents: 'Hello, Bob!',
  },
}

/** Runs `fn(i)` `iterations` times after a warm-up; p50/p95 latency in µs and sequential ops/s. */
async function measure(fn, { iterations = 300, warmup = 50 } = {}) {
  for (let i = 0; i < warmup; i++) await fn(i)
  const samples = new Float64Array(iterations)
  const started = performance.now()
  for (let i = 0; i < iterations; i++) {
    const t = performance.now()
    await fn(i)
    samples[i] = (performance.now() - t) * 1000
  }
  const totalMs = performance.now() - started
  samples.sort()
  return {
    p50Us: samples[Math.floor(iterations * 0.5)],
    p95Us: samples[Math.floor(iterations * 0.95)],
    opsPerSec: (iterations / totalMs) * 1000,
  }
}

/**
 * The baseline the daemon is compared with. `personalSignP50Us` / `typedDataP50Us` are viem
 * alone; `signer*` add walletd's self-check (every signature verified against the
 * account's public key, recovery bit included: about 2–3× a bare signature), which every walletd
 * signature pays.
 */
export async function benchInProcessSigning({ iterations = 300 } = {}) {
  const account = mnemonicToAccount(MNEMONIC, { addressIndex: 0 })
  const signer = createSigner({ privateKeys: deriveMnemonicKeys(MNEMONIC, 1) })
  const message = (i) => ({ raw: `0x${Buffer.from(`walletd bench message ${i}`).toString('hex')}` })
  const typed = (i) => ({ ...TYPED_DATA, message: { ...TYPED_DATA.message, contents: `Hello, Bob! #${i}` } })

  const personal = await measure((i) => account.signMessage({ message: message(i) }), { iterations })
  const typedData = await measure((i) => account.signTypedData(typed(i)), { iterations })
  const signerPersonal = await measure((i) => signer.signMessage(account.address, message(i)), { iterations })
  const signerTyped = await measure((i) => signer.signTypedData(account.address, typed(i)), { iterations })
  return {
    iterations,
    personalSignP50Us: personal.p50Us,
    personalSignP95Us: personal.p95Us,
    personalSignOpsPerSec: personal.opsPerSec,
    typedDataP50Us: typedData.p50Us,
    typedDataP95Us: typedData.p95Us,
    typedDataOpsPerSec: typedData.opsPerSec,
    signerPersonalSignP50Us: signerPersonal.p50Us,
    signerPersonalSignOpsPerSec: signerPersonal.opsPerSec,
    signerTypedDataP50Us: signerTyped.p50Us,
    signerTypedDataOpsPerSec: signerTyped.opsPerSec,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchInProcessSigning(), null, 2))
}
