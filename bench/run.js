// `npm run bench` (after `npm run build`): every benchmark of issues 2, 3 and 4 in one run, on
// loopback, against one Anvil started here. Prints a report with ratios to baselines measured in
// the same run, and "target met / not met" beside each. Not a test: nothing is asserted.
import { cpus, loadavg } from 'node:os'
import { startAnvil } from '../dist/dev/startAnvil.js'
import { benchColdStart, benchStartBaselines } from './coldStart.js'
import { benchKeystoreUnlock, SIGNING_RATE_LIMIT_OVERRIDE, startSigningDaemon } from './daemonSigning.js'
import { benchFlood } from './flood.js'
import { benchLimiter } from './limiter.js'
import { createCleanup, rssMiB, startNaiveProxyProcess, startWalletdProcess } from './processes.js'
import { benchReadPath } from './readPath.js'
import { benchInProcessSigning } from './signing.js'
import { benchSimulation, simulationReport } from './simulation.js'
import { median } from './wsRpc.js'

const RAISED = { burst: 10_000_000, perSecond: 1_000_000, perMinute: 1_000_000_000, perHour: 1_000_000_000 }
/** The read-path daemon: limiter on (every request still checked), budgets too large to refuse. */
const READ_PATH_ENV = {
  WALLETD_RATE_LIMIT__CLASSES__READ: JSON.stringify(RAISED),
  WALLETD_RATE_LIMIT__CONNECTION: JSON.stringify(RAISED),
  WALLETD_RATE_LIMIT__GLOBAL: JSON.stringify(RAISED),
}

const SIGNING_ROUNDS = 3
const SIGNING_ITERATIONS = 200
const SIGNING_CONCURRENCY = 8

/** Each numeric field: its median over the rounds. */
const medianFields = (rounds) =>
  Object.fromEntries(Object.keys(rounds[0]).map((k) => [k, median(rounds.map((r) => r[k]))]))

const progress = (what) => process.stderr.write(`bench: ${what}…\n`)
const us = (v) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(0)} µs`)
const rps = (v) => `${v.toFixed(0)}/s`
const x = (v) => `${v.toFixed(2)}×`

/** Rows of the final summary: [what, measured, target, met?] (met null: no target). */
const summary = []
const lines = []
const say = (line = '') => lines.push(line)

/** One ratio line; `target` { op: '≤' | '≥' | '<', value } or null; also added to the summary. */
function ratio(label, value, target, summaryLabel) {
  let verdict = ''
  let met = null
  if (target) {
    met =
      target.op === '≤'
        ? value <= target.value
        : target.op === '≥'
          ? value >= target.value
          : value < target.value
    verdict = `target ${target.op} ${target.value}×: ${met ? 'target met' : 'target NOT met'}`
  }
  say(`    ${label.padEnd(46)} ${x(value).padStart(8)}   ${verdict}`)
  if (summaryLabel) summary.push([summaryLabel, x(value), target ? `${target.op} ${target.value}×` : '', met])
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const fmt = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
  say(`    ${fmt(header).join('  ')}`)
  for (const r of rows) say(`    ${fmt(r).join('  ')}`)
}

async function main(cleanup) {
  const startedAt = performance.now()
  say(
    `walletd benchmarks — node ${process.version}, ${cpus().length} CPUs, load average at start ${loadavg()[0].toFixed(2)}`,
  )
  say(
    'All traffic on 127.0.0.1; ports picked by the OS (port 0). Not a test: targets are reported, never asserted.',
  )

  progress('rate limiter micro-benchmark')
  const limiter = await benchLimiter()

  progress('starting Anvil')
  const anvil = await startAnvil()
  cleanup.child(anvil.process)
  cleanup.add(() => anvil.stop())
  say(`Anvil ${anvil.wsUrl}, chain id ${anvil.chainId} (checked at start).`)
  say()

  // 1. Read path.
  progress('read path: naive proxy and walletd processes')
  const naive = await startNaiveProxyProcess({ cleanup, upstreamUrl: anvil.wsUrl })
  const reader = await startWalletdProcess({ cleanup, upstreamUrl: anvil.wsUrl, env: READ_PATH_ENV })
  progress('read path: direct Anvil vs naive proxy vs walletd (3 interleaved rounds)')
  const read = await benchReadPath({
    targets: [
      { name: 'anvil', url: anvil.wsUrl },
      { name: 'naive', url: naive.wsUrl },
      {
        name: 'walletd',
        url: reader.wsUrl,
        protocols: ['walletd.v1', `walletd.token.${reader.token}`],
        headers: { origin: 'https://reader.bench.example' },
      },
    ],
  })
  const readerRssAfterLoad = rssMiB(reader.pid)
  await reader.stop()
  await naive.stop()

  // 2. Cold start and idle RSS.
  progress('cold start (5 runs)')
  const cold = await benchColdStart({ cleanup, upstreamUrl: anvil.wsUrl, runs: 5 })
  const startBaselines = await benchStartBaselines({ cleanup, runs: 5 })

  // 4. Flood (default rate limits).
  progress('bounded flood against a daemon with default rate limits')
  const floodDaemon = await startWalletdProcess({ cleanup, upstreamUrl: anvil.wsUrl })
  const flood = await benchFlood({ daemon: floodDaemon })
  const floodRss = rssMiB(floodDaemon.pid)
  await floodDaemon.stop()

  // 3. Signing.
  // 3. Signing: in-process baselines and the daemon in alternating rounds (median of rounds).
  progress('signing: walletd daemon in this process over WebSocket vs in-process, 3 alternating rounds')
  const signingDaemon = await startSigningDaemon({ cleanup, upstreamUrl: anvil.wsUrl })
  const localRounds = []
  const daemonRounds = []
  for (let round = 0; round < SIGNING_ROUNDS; round++) {
    localRounds.push(await benchInProcessSigning({ iterations: SIGNING_ITERATIONS }))
    daemonRounds.push(
      await signingDaemon.measure({ iterations: SIGNING_ITERATIONS, concurrency: SIGNING_CONCURRENCY }),
    )
  }
  await signingDaemon.close()
  const local = medianFields(localRounds)
  const signing = {
    concurrency: SIGNING_CONCURRENCY,
    personal: medianFields(daemonRounds.map((d) => d.personal)),
    personal8: medianFields(daemonRounds.map((d) => d.personal8)),
    typedData: medianFields(daemonRounds.map((d) => d.typedData)),
    typedData8: medianFields(daemonRounds.map((d) => d.typedData8)),
  }
  progress('keystore unlock (scrypt n=2^18)')
  const keystore = await benchKeystoreUnlock({ times: 2 })
  progress('simulation: time to prompt with and without it')
  const simulation = simulationReport(await benchSimulation({ cleanup, anvil }))

  // ---- Report -------------------------------------------------------------------------------
  const a = read.anvil
  const n = read.naive
  const w = read.walletd
  say(
    '1. Read path over WebSocket (issue 2): one Anvil, three targets, 3 interleaved rounds, median of rounds',
  )
  say(
    '   walletd: a separate `walletd start` process, guard, validation, limiter, metrics and logs (warn) on;',
  )
  say(
    '   its rate-limit budgets (read class, connection, global) raised via WALLETD_RATE_LIMIT__* env so the',
  )
  say(
    '   limiter checks every request but never refuses. Naive proxy: bench/naiveProxy.js in its own process.',
  )
  table(
    ['target', 'blockNumber p50', 'p99', '64 in flight', 'chainId p50', 'net_version p50'],
    [
      [
        'direct Anvil',
        us(a.blockNumber.p50Us),
        us(a.blockNumber.p99Us),
        rps(a.blockNumber64.opsPerSec),
        us(a.chainId.p50Us),
        us(a.netVersion.p50Us),
      ],
      [
        'naive proxy',
        us(n.blockNumber.p50Us),
        us(n.blockNumber.p99Us),
        rps(n.blockNumber64.opsPerSec),
        us(n.chainId.p50Us),
        us(n.netVersion.p50Us),
      ],
      [
        'walletd',
        us(w.blockNumber.p50Us),
        us(w.blockNumber.p99Us),
        rps(w.blockNumber64.opsPerSec),
        us(w.chainId.p50Us),
        us(w.netVersion.p50Us),
      ],
    ],
  )
  say(`    (${w.blockNumber.n} sequential and ${w.blockNumber64.n} in-flight eth_blockNumber per target)`)
  say('  Ratios (walletd ÷ baseline):')
  ratio(
    'eth_blockNumber p50 ÷ naive proxy',
    w.blockNumber.p50Us / n.blockNumber.p50Us,
    { op: '≤', value: 1.0 },
    'read p50 ÷ naive proxy',
  )
  ratio(
    'eth_blockNumber p50 ÷ direct Anvil',
    w.blockNumber.p50Us / a.blockNumber.p50Us,
    null,
    'read p50 ÷ direct Anvil',
  )
  ratio('eth_blockNumber p99 ÷ naive proxy', w.blockNumber.p99Us / n.blockNumber.p99Us, null)
  ratio('eth_blockNumber p99 ÷ direct Anvil', w.blockNumber.p99Us / a.blockNumber.p99Us, null)
  ratio(
    '64 in flight req/s ÷ naive proxy',
    w.blockNumber64.opsPerSec / n.blockNumber64.opsPerSec,
    { op: '≥', value: 1.0 },
    'read throughput ÷ naive proxy',
  )
  ratio(
    '64 in flight req/s ÷ direct Anvil',
    w.blockNumber64.opsPerSec / a.blockNumber64.opsPerSec,
    null,
    'read throughput ÷ direct Anvil',
  )
  ratio(
    'eth_chainId p50 ÷ direct Anvil (local answer)',
    w.chainId.p50Us / a.chainId.p50Us,
    { op: '<', value: 1.0 },
    'eth_chainId p50 ÷ direct Anvil',
  )
  ratio(
    'net_version p50 ÷ direct Anvil (local answer)',
    w.netVersion.p50Us / a.netVersion.p50Us,
    { op: '<', value: 1.0 },
    'net_version p50 ÷ direct Anvil',
  )
  say(`    walletd RSS after the read load: ${readerRssAfterLoad.toFixed(1)} MiB`)
  say()

  say('2. Cold start and idle memory (issue 2): `walletd start --port 0 --upstream <anvil ws>` as a process')
  say(
    `    spawn → first eth_chainId answer over HTTP, ${cold.runs.length} runs: ${cold.runs.map((v) => `${v.toFixed(0)} ms`).join(', ')}`,
  )
  say(
    `    (of which spawn → runtime file written: ${cold.listenRuns.map((v) => `${v.toFixed(0)} ms`).join(', ')})`,
  )
  const coldMet = cold.medianMs < 500
  say(
    `    median ${cold.medianMs.toFixed(0)} ms   target < 500 ms: ${coldMet ? 'target met' : 'target NOT met'}`,
  )
  summary.push(['cold start to first answer (median)', `${cold.medianMs.toFixed(0)} ms`, '< 500 ms', coldMet])
  say(
    `    baselines (median of 5, same run): \`node -e 0\` spawn → exit ${startBaselines.nodeMs.toFixed(0)} ms; bare fastify + @fastify/websocket spawn → first answer ${startBaselines.bareServerMs.toFixed(0)} ms`,
  )
  ratio('cold start ÷ bare fastify + ws server', cold.medianMs / startBaselines.bareServerMs, null)
  const rssMet = cold.idleRssMiB < 90
  say(
    `    idle RSS after start + 20 requests + 1 s idle: ${cold.idleRssMiB.toFixed(1)} MiB   target < 90 MiB: ${rssMet ? 'target met' : 'target NOT met'}`,
  )
  summary.push(['idle RSS', `${cold.idleRssMiB.toFixed(1)} MiB`, '< 90 MiB', rssMet])
  say()

  say(
    '3. Signing (issue 3): walletd daemon in this process (createWalletd), approver approves at once, Anvil',
  )
  say(
    `   account 0, over WebSocket; sequential p50 and ${signing.concurrency} in flight. Rate limits: the sign class and`,
  )
  say(
    `   the connection bucket raised by config override (${JSON.stringify(SIGNING_RATE_LIMIT_OVERRIDE.classes.sign)}).`,
  )
  say("   Baselines in the same process: viem alone; and walletd's signer = viem + self-check.")
  say('   walletd verifies every signature (with its recovery bit) against the account before it leaves')
  say(
    '   the daemon (a fault never leaks a wrong signature): one variable-base multiplication, about a signing.',
  )
  table(
    ['', 'personal_sign p50', 'ops/s', 'signTypedData_v4 p50', 'ops/s'],
    [
      [
        'viem in-process',
        us(local.personalSignP50Us),
        rps(local.personalSignOpsPerSec),
        us(local.typedDataP50Us),
        rps(local.typedDataOpsPerSec),
      ],
      [
        'walletd signer in-process',
        us(local.signerPersonalSignP50Us),
        rps(local.signerPersonalSignOpsPerSec),
        us(local.signerTypedDataP50Us),
        rps(local.signerTypedDataOpsPerSec),
      ],
      [
        'walletd daemon, sequential',
        us(signing.personal.p50Us),
        rps(signing.personal.opsPerSec),
        us(signing.typedData.p50Us),
        rps(signing.typedData.opsPerSec),
      ],
      [
        `walletd daemon, ${signing.concurrency} in flight`,
        us(signing.personal8.p50Us),
        rps(signing.personal8.opsPerSec),
        us(signing.typedData8.p50Us),
        rps(signing.typedData8.opsPerSec),
      ],
    ],
  )
  say('  Ratios (walletd daemon ÷ in-process; throughput = daemon with 8 in flight ÷ in-process sequential):')
  const p50Target = { op: '≤', value: 1.5 }
  const tputTarget = { op: '≥', value: 0.7 }
  ratio(
    'personal_sign p50 ÷ viem',
    signing.personal.p50Us / local.personalSignP50Us,
    p50Target,
    'personal_sign p50 ÷ viem',
  )
  ratio(
    'personal_sign p50 ÷ walletd signer',
    signing.personal.p50Us / local.signerPersonalSignP50Us,
    p50Target,
    'personal_sign p50 ÷ walletd signer',
  )
  ratio(
    'personal_sign ops/s ÷ viem',
    signing.personal8.opsPerSec / local.personalSignOpsPerSec,
    tputTarget,
    'personal_sign ops/s ÷ viem',
  )
  ratio(
    'personal_sign ops/s ÷ walletd signer',
    signing.personal8.opsPerSec / local.signerPersonalSignOpsPerSec,
    tputTarget,
    'personal_sign ops/s ÷ walletd signer',
  )
  ratio(
    'signTypedData_v4 p50 ÷ viem',
    signing.typedData.p50Us / local.typedDataP50Us,
    p50Target,
    'signTypedData_v4 p50 ÷ viem',
  )
  ratio(
    'signTypedData_v4 p50 ÷ walletd signer',
    signing.typedData.p50Us / local.signerTypedDataP50Us,
    p50Target,
    'signTypedData_v4 p50 ÷ walletd signer',
  )
  ratio(
    'signTypedData_v4 ops/s ÷ viem',
    signing.typedData8.opsPerSec / local.typedDataOpsPerSec,
    tputTarget,
    'signTypedData_v4 ops/s ÷ viem',
  )
  ratio(
    'signTypedData_v4 ops/s ÷ walletd signer',
    signing.typedData8.opsPerSec / local.signerTypedDataOpsPerSec,
    tputTarget,
    'signTypedData_v4 ops/s ÷ walletd signer',
  )
  const { n: sn, r: sr, p: sp } = keystore.scrypt
  say(
    `    keystore unlock (scrypt n=2^${Math.log2(sn)} r=${sr} p=${sp}): encrypt ${keystore.encryptMs.toFixed(0)} ms, decrypt ${keystore.unlockMs.map((v) => `${v.toFixed(0)} ms`).join(', ')} (once per unlock, never per request)`,
  )
  summary.push([
    'keystore unlock (scrypt n=2^18)',
    `${keystore.unlockMs.map((v) => v.toFixed(0)).join(' / ')} ms`,
    '',
    null,
  ])
  say()

  say('4. Rate limiting (issue 4)')
  say(
    `    limiter micro-benchmark (fake clock, default config, best of 3 rounds of ${limiter.iterations} checks):`,
  )
  say(
    `      allowed check ${limiter.nsPerCheck.toFixed(0)} ns, 1000 churning origins ${limiter.nsPerCheckChurn.toFixed(0)} ns, refusal ${limiter.nsPerRefusal.toFixed(0)} ns,`,
  )
  say(
    `      frame check ${limiter.nsPerFrame.toFixed(0)} ns, one three-tier bucket ${limiter.nsPerBucketTake.toFixed(0)} ns${limiter.bytesPerKey === null ? '' : `, ${limiter.bytesPerKey.toFixed(0)} bytes per origin key`}`,
  )
  const checkMet = limiter.nsPerCheck < 1000
  say(
    `      ns per check ${limiter.nsPerCheck.toFixed(0)} ns   target < 1 µs: ${checkMet ? 'target met' : 'target NOT met'}`,
  )
  summary.push(['limiter ns per check', `${limiter.nsPerCheck.toFixed(0)} ns`, '< 1000 ns', checkMet])
  const perRequestNs = limiter.nsPerCheck + limiter.nsPerFrame
  const share = perRequestNs / (w.blockNumber.p50Us * 1000)
  const shareMet = share < 0.05
  say(
    `      share of the read path: (check + frame check) ${perRequestNs.toFixed(0)} ns ÷ walletd eth_blockNumber p50 ${us(w.blockNumber.p50Us)} = ${(share * 100).toFixed(3)}%   target < 5%: ${shareMet ? 'target met' : 'target NOT met'}`,
  )
  summary.push(['limiter share of read p50', `${(share * 100).toFixed(3)}%`, '< 5%', shareMet])
  const f = flood.flood
  say(`    bounded flood: a walletd process with the default rate limits (read: origin 100/s, burst 200).`)
  say(
    `      well-behaved origin: ${flood.ratePerSec} eth_blockNumber/s scheduled, ≤ ${flood.concurrency} in flight, ${flood.windowMs / 1000} s windows;`,
  )
  say(
    `      flooding origin: ${flood.floodConnections} connections × ${flood.floodConcurrency} in flight (worker thread), stopped after the window.`,
  )
  table(
    ['well-behaved origin', 'served/s', 'ok', 'refused', 'p50', 'p99'],
    [
      [
        'alone',
        rps(flood.alone.servedPerSec),
        flood.alone.ok,
        flood.alone.refused,
        us(flood.alone.p50Us),
        us(flood.alone.p99Us),
      ],
      [
        'during the flood',
        rps(flood.during.servedPerSec),
        flood.during.ok,
        flood.during.refused,
        us(flood.during.p50Us),
        us(flood.during.p99Us),
      ],
    ],
  )
  const refusedBy = Object.entries(f.refusedBy)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  say(
    `      flood: ${f.sent} requests in ${(f.elapsedMs / 1000).toFixed(1)} s (${rps(f.perSec)}): ${f.answered} answered: ${f.ok} ok, ${f.refused} refused (-32005: ${refusedBy || 'none'}), ${f.otherErrors} other errors; ${f.closed} connections closed by the daemon`,
  )
  say(`      daemon RSS after the flood: ${floodRss.toFixed(1)} MiB`)
  ratio(
    'well-behaved served/s during ÷ alone',
    flood.during.servedPerSec / flood.alone.servedPerSec,
    { op: '≥', value: 0.8 },
    'well-behaved req/s under flood ÷ alone',
  )
  ratio('well-behaved p50 during ÷ alone', flood.during.p50Us / flood.alone.p50Us, null)
  say()

  for (const line of simulation.lines) say(line)
  summary.push(simulation.summary)
  say()

  say('Summary')
  table(
    ['measure', 'value', 'target', 'status'],
    summary.map(([what, value, target, met]) => [
      what,
      value,
      target,
      met === null ? '' : met ? 'met' : 'NOT met',
    ]),
  )
  say()
  say(`Whole run: ${((performance.now() - startedAt) / 1000).toFixed(0)} s.`)
  console.log(lines.join('\n'))
}

const cleanup = createCleanup()
let interrupted = false
// A bench that hangs must still clean up and end.
const watchdog = setTimeout(() => {
  interrupted = true
  console.error('bench: still running after 8 minutes; stopping everything')
  cleanup.run().finally(() => process.exit(1))
}, 8 * 60_000)
watchdog.unref()
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true
    progress(`${signal}: stopping`)
    cleanup.run().finally(() => process.exit(130))
  })
}
try {
  await main(cleanup)
} catch (err) {
  if (!interrupted) {
    console.error(`bench failed: ${err.stack ?? err}`)
    process.exitCode = 1
  }
} finally {
  if (!interrupted) await cleanup.run()
  clearTimeout(watchdog)
}
