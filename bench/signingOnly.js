// `npm run bench:signing` (after `npm run build`): only the signing rows of `npm run bench`
// (bench/signing.js), against one quiet Anvil, in BENCH_ROUNDS interleaved rounds (default 5).
// Prints them; writes nothing. BENCH_SIGN_DATA_PARENT puts the daemon's data dir (its audit log)
// elsewhere, e.g. /dev/shm to see the daemon without the disk's sync latency.
import { loadavg } from 'node:os'
import { startAnvil } from '../dist/dev/startAnvil.js'
import { createCleanup } from './processes.js'
import { benchSigning } from './signing.js'
import { median, pairedRatio } from './stats.js'

const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5))
const cleanup = createCleanup()
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ')
try {
  console.log(`load average at start: ${load()}`)
  const anvil = await startAnvil({ quiet: true })
  cleanup.child(anvil.process)
  cleanup.add(() => anvil.stop())
  const s = await benchSigning({
    cleanup,
    upstreamUrl: anvil.wsUrl,
    rounds,
    progress: (what) => process.stderr.write(`bench: ${what}…\n`),
  })
  const us = (v) => `${v.toFixed(0)} µs`
  const ratio = (r) => `${r.median.toFixed(2)}× (${r.q1.toFixed(2)}×–${r.q3.toFixed(2)}×)`
  console.log(
    `viem in this process, sequential p50        ${us(median(s.viemP50Us))}, ${median(s.viemOpsPerSec).toFixed(0)}/s`,
  )
  console.log(`walletd daemon, sequential p50              ${us(median(s.daemonP50Us))}`)
  console.log(
    `walletd daemon, ${s.concurrency} in flight                  ${median(s.daemonOpsPerSec).toFixed(0)}/s`,
  )
  console.log(`fdatasync of the data dir's disk, p50       ${us(median(s.fsyncP50Us))}`)
  console.log(
    `daemon p50 ÷ viem p50                       ${ratio(pairedRatio(s.daemonP50Us, s.viemP50Us))}  target ≤ 1.2×`,
  )
  console.log(
    `daemon signatures/s ÷ viem                  ${ratio(pairedRatio(s.daemonOpsPerSec, s.viemOpsPerSec))}  target ≥ 1×`,
  )
  console.log(`load average at end: ${load()}`)
} finally {
  await cleanup.run()
}
