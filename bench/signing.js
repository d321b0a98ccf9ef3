// Signing: `personal_sign` through a walletd daemon in its own process (bench/signingDaemon.js)
// against viem's local account signing in this process, in interleaved rounds. Plus the keystore
// unlock time (once per unlock, never per request).
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generatePrivateKey, mnemonicToAccount } from 'viem/accounts'
import { hexToBytes, verifyMessage } from 'viem/utils'
import { ANVIL_MNEMONIC } from '../dist/dev/startAnvil.js'
import { decryptKeystore } from '../dist/signer/keystore/decryptKeystore.js'
import { encryptKeystore, STANDARD_SCRYPT } from '../dist/signer/keystore/encryptKeystore.js'
import { startPortPrinter } from './processes.js'
import { rotated } from './stats.js'
import { connectRpc, inFlight, resultOf, sequential } from './wsRpc.js'

const SIGNING_DAEMON = fileURLToPath(new URL('./signingDaemon.js', import.meta.url))
const ORIGIN = 'https://signer.bench.example'
const message = (i) => `0x${Buffer.from(`walletd bench message ${i}`).toString('hex')}`

/**
 * Per round: viem's `account.signMessage` in this process (sequential: p50 and signatures/s), and
 * the daemon's `personal_sign` over one WebSocket (sequential p50; signatures/s with `concurrency`
 * in flight). Returns arrays of per-round values.
 */
export async function benchSigning({
  cleanup,
  upstreamUrl,
  rounds,
  iterations = 300,
  concurrency = 8,
  progress,
}) {
  const daemon = await startPortPrinter({ cleanup, script: SIGNING_DAEMON, args: [upstreamUrl] })
  const client = await connectRpc(`ws://127.0.0.1:${daemon.port}/rpc`, {
    protocols: ['walletd.v1', `walletd.token.${daemon.token}`],
    headers: { origin: ORIGIN },
  })
  const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 0 })
  try {
    const address = daemon.address.toLowerCase()
    const granted = resultOf(await client.call('eth_requestAccounts'), 'eth_requestAccounts')
    if (!granted.includes(address)) throw new Error(`eth_requestAccounts did not grant ${address}`)
    const viaDaemon = async (i) =>
      resultOf(await client.call('personal_sign', [message(i), address]), 'personal_sign')
    const inProcess = (i) => account.signMessage({ message: { raw: message(i) } })
    // The daemon's answers are the account's signatures, equal to viem's (checked outside the timing).
    for (let i = 0; i < 3; i++) {
      const signature = await viaDaemon(i)
      if (signature !== (await inProcess(i))) throw new Error('the daemon signed differently from viem')
      if (!(await verifyMessage({ address: account.address, message: { raw: message(i) }, signature })))
        throw new Error('personal_sign through walletd did not verify')
    }
    const out = { viemP50Us: [], viemOpsPerSec: [], daemonP50Us: [], daemonOpsPerSec: [], fsyncP50Us: [] }
    const steps = [
      async () => {
        out.fsyncP50Us.push(fsyncP50Us())
      },
      async (warmup) => {
        const r = await sequential(inProcess, { count: iterations, warmup })
        out.viemP50Us.push(r.p50Us)
        out.viemOpsPerSec.push(r.opsPerSec)
      },
      async (warmup) => {
        out.daemonP50Us.push((await sequential(viaDaemon, { count: iterations, warmup })).p50Us)
      },
      async () => {
        const r = await inFlight(viaDaemon, { concurrency, count: iterations * 2, warmup: concurrency * 8 })
        out.daemonOpsPerSec.push(r.opsPerSec)
      },
    ]
    for (let round = 0; round < rounds; round++) {
      progress?.(`signing round ${round + 1}/${rounds}`)
      for (const step of rotated(steps, round)) await step(round === 0 ? 100 : 20)
    }
    return { ...out, concurrency, iterations, pid: daemon.pid }
  } finally {
    await client.close()
    await daemon.stop()
  }
}

/**
 * The floor a durable audit record puts under a sequential signature: p50 of one 300-byte append
 * and fdatasync(2) (µs) on the disk of the signing daemon's data dir (the OS temp dir, or
 * BENCH_SIGN_DATA_PARENT).
 */
export function fsyncP50Us(times = 100) {
  const dir = mkdtempSync(join(process.env.BENCH_SIGN_DATA_PARENT || tmpdir(), 'walletd-bench-fsync-'))
  const fd = openSync(join(dir, 'probe'), 'a', 0o600)
  const line = Buffer.from(`${'x'.repeat(299)}\n`)
  const samples = []
  try {
    for (let i = 0; i < times; i++) {
      const t = performance.now()
      writeSync(fd, line)
      fdatasyncSync(fd)
      samples.push((performance.now() - t) * 1000)
    }
  } finally {
    closeSync(fd)
    rmSync(dir, { recursive: true, force: true })
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)]
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
