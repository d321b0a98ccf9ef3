// `npm run bench` (after `npm run build`): the benchmarks of issue 9 (and the earlier ones of
// issues 2–4) in one run, on loopback, against one Anvil started here (quiet: its log does not
// pass through this process). Prints a report — every figure with its baseline from the same run,
// medians of per-round paired ratios with their quartiles, and "met / NOT met" beside each target
// — and writes it to docs/benchmarks.md with the machine it ran on. Not a test: nothing is asserted.
import { readFileSync, writeFileSync } from 'node:fs'
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os'
import { startAnvil } from '../dist/dev/startAnvil.js'
import { benchColdStart, benchCompileTime, benchDevBanner } from './coldStart.js'
import { benchFlood } from './flood.js'
import { benchIdleSockets } from './idleSockets.js'
import { benchLimiter } from './limiter.js'
import {
  createCleanup,
  rssMiB,
  startNaiveHttpProxyProcess,
  startNaiveProxyProcess,
  startWalletdProcess,
} from './processes.js'
import { benchReadPath, READ_METHODS } from './readPath.js'
import { benchKeystoreUnlock, benchSigning } from './signing.js'
import { benchSimulation, simulationReport } from './simulation.js'
import { median, pairedRatio, spread } from './stats.js'

const ROUNDS = Math.max(7, Number(process.env.BENCH_ROUNDS ?? 7))
const RAISED = { burst: 10_000_000, perSecond: 1_000_000, perMinute: 1_000_000_000, perHour: 1_000_000_000 }
/** Read-path daemons: the limiter on (every request still checked), budgets too large to refuse. */
const READ_PATH_ENV = {
  WALLETD_RATE_LIMIT__CLASSES__READ: JSON.stringify(RAISED),
  WALLETD_RATE_LIMIT__CONNECTION: JSON.stringify(RAISED),
  WALLETD_RATE_LIMIT__GLOBAL: JSON.stringify(RAISED),
}
const READER = { origin: 'https://reader.bench.example' }
/** The node flags `npm start` and `npm run dev` give walletd, read from package.json so they cannot drift. */
const NPM_SCRIPT_NODE_OPTIONS = (() => {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const m = /^node ((?:--\S+ )*)bin\/walletd\.js start$/.exec(scripts.start)
  if (!m)
    throw new Error(
      `package.json's start script is not \`node [flags] bin/walletd.js start\`: ${scripts.start}`,
    )
  return m[1].trim()
})()

const progress = (what) => process.stderr.write(`bench: ${what}…\n`)
const us = (v) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(0)} µs`)
const ms = (v) => `${v.toFixed(0)} ms`
const rps = (v) => `${v.toFixed(0)}/s`
const x = (v) => `${v.toFixed(2)}×`
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ')

const lines = []
const say = (line = '') => lines.push(line)
/** Summary rows: [measure, value, spread, target, met | null]. */
const summary = []

function verdict(value, target) {
  if (!target) return null
  return target.op === '≤'
    ? value <= target.value
    : target.op === '≥'
      ? value >= target.value
      : value < target.value
}

/** A ratio row: median of per-round paired ratios and its quartiles, judged against `target`. */
function ratioRow(label, s, target) {
  const met = verdict(s.median, target)
  const judged = target ? `target ${target.op} ${target.value}×: ${met ? 'met' : 'NOT met'}` : ''
  say(`    ${label.padEnd(58)} ${x(s.median).padStart(7)}  (${x(s.q1)}–${x(s.q3)})  ${judged}`)
  if (target)
    summary.push([label, x(s.median), `${x(s.q1)}–${x(s.q3)}`, `${target.op} ${target.value}×`, met])
}

/** An absolute row (ms, MB…), judged against `target` in the same unit. */
function valueRow(label, s, fmt, target, unit) {
  const met = verdict(s.median, target)
  const judged = target ? `target ${target.op} ${target.value} ${unit}: ${met ? 'met' : 'NOT met'}` : ''
  say(`    ${label.padEnd(58)} ${fmt(s.median).padStart(9)}  (${fmt(s.q1)}–${fmt(s.q3)})  ${judged}`)
  if (target)
    summary.push([
      label,
      fmt(s.median),
      `${fmt(s.q1)}–${fmt(s.q3)}`,
      `${target.op} ${target.value} ${unit}`,
      met,
    ])
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const fmt = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])))
  say(`    ${fmt(header).join('  ')}`)
  for (const r of rows) say(`    ${fmt(r).join('  ')}`)
}

function machine() {
  const cpu = cpus()
  return {
    cpu: `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${platform()} ${release()} (${arch()})`,
    node: process.version,
  }
}

async function main(cleanup) {
  const startedAt = performance.now()
  const host = machine()
  const loadAtStart = load()
  say(`walletd benchmarks — ${new Date().toISOString().slice(0, 10)}`)
  say(`machine: ${host.cpu}; ${host.memory}; ${host.os}; node ${host.node}`)
  say(`load average (1 / 5 / 15 min) at start: ${loadAtStart}`)
  say(
    `${ROUNDS} interleaved rounds, order rotated each round; each ratio is the median of the per-round ratios (walletd ÷ its`,
  )
  say(
    'baseline, both measured in the same round) with the quartiles in brackets. Loopback only, ports picked by the OS.',
  )
  say(
    'Every walletd check stays on (guard, token, validation, rate limiter, metrics, logs at warn); where a budget would',
  )
  say('refuse bench traffic it is raised, never disabled. Targets are reported, never asserted.')
  say()

  progress('rate limiter micro-benchmark')
  const limiter = await benchLimiter()

  progress('starting Anvil (quiet)')
  const anvil = await startAnvil({ quiet: true })
  cleanup.child(anvil.process)
  cleanup.add(() => anvil.stop())
  say(
    `Anvil ${anvil.wsUrl} (chain ${anvil.chainId}), started with --quiet: its log never reaches this process.`,
  )
  say()

  // 1. Read path.
  progress('read path: naive proxies and walletd processes')
  const naive = await startNaiveProxyProcess({ cleanup, upstreamUrl: anvil.wsUrl })
  const naiveHttp = await startNaiveHttpProxyProcess({ cleanup, upstreamUrl: anvil.httpUrl })
  const reader = await startWalletdProcess({ cleanup, upstreamUrl: anvil.wsUrl, env: READ_PATH_ENV })
  // Its upstream pool as large as the naive proxy's (64 keep-alive connections; the default is 8).
  const readerHttp = await startWalletdProcess({
    cleanup,
    upstreamUrl: anvil.httpUrl,
    env: { ...READ_PATH_ENV, WALLETD_UPSTREAM__HTTP_CONNECTIONS: '64' },
    prefix: 'walletd-bench-http-',
  })
  const auth = (d) => ({ protocols: ['walletd.v1', `walletd.token.${d.token}`], headers: READER })
  const read = await benchReadPath({
    rounds: ROUNDS,
    progress,
    ws: [
      { name: 'anvil', url: anvil.wsUrl },
      { name: 'naive', url: naive.wsUrl },
      { name: 'walletd', url: reader.wsUrl, ...auth(reader) },
    ],
    http: [
      { name: 'anvilHttp', url: anvil.httpUrl },
      { name: 'naiveHttp', url: naiveHttp.httpUrl },
      {
        name: 'walletdHttp',
        url: `http://127.0.0.1:${readerHttp.port}/rpc`,
        headers: { authorization: `Bearer ${readerHttp.token}` },
      },
    ],
  })
  const readerRss = rssMiB(reader.pid)
  await Promise.all([reader.stop(), readerHttp.stop(), naive.stop(), naiveHttp.stop()])

  // 2. Signing.
  progress('signing: walletd daemon process vs viem in this process')
  const signing = await benchSigning({ cleanup, upstreamUrl: anvil.wsUrl, rounds: ROUNDS, progress })

  // 3. Memory per connection.
  progress('1,000 idle authenticated WebSockets')
  const idle = await benchIdleSockets({ cleanup, upstreamUrl: anvil.wsUrl, count: 1000 })
  progress('1,000 idle authenticated WebSockets, walletd started as `npm start` starts it')
  const idleSmall = await benchIdleSockets({
    cleanup,
    upstreamUrl: anvil.wsUrl,
    count: 1000,
    nodeOptions: NPM_SCRIPT_NODE_OPTIONS,
  })

  // 4. Start-up.
  progress('cold start')
  const cold = await benchColdStart({ cleanup, upstreamUrl: anvil.wsUrl, rounds: ROUNDS, progress })
  progress('compile time of the bundle')
  const compile = benchCompileTime()
  progress('--dev: command → banner')
  const dev = await benchDevBanner({ cleanup, rounds: ROUNDS, progress })

  // 5. Earlier checks: flood against the shipped defaults, keystore unlock.
  progress('bounded flood against a daemon with the shipped limits')
  const floodDaemon = await startWalletdProcess({ cleanup, upstreamUrl: anvil.wsUrl })
  const flood = await benchFlood({ daemon: floodDaemon })
  const floodRss = rssMiB(floodDaemon.pid)
  await floodDaemon.stop()
  progress('keystore unlock (scrypt n=2^18)')
  const keystore = await benchKeystoreUnlock({ times: 2 })
  progress('simulation: time to prompt with and without it')
  const simulation = simulationReport(await benchSimulation({ cleanup, anvil }))

  // ---- Report -------------------------------------------------------------------------------
  const r = (name, key) => read[name][key]
  const med = (name, key) => median(r(name, key))
  say(
    '1. Read path — one Anvil; direct, through a naive proxy (its own process), through walletd (its own process)',
  )
  say(
    '   WebSocket: bench/naiveProxy.js (parse, new id, one upstream socket). HTTP: bench/naiveHttpProxy.js (node:http +',
  )
  say(
    '   an undici keep-alive Pool of 64 to Anvil over HTTP) against a walletd whose upstream is that same HTTP URL,',
  )
  say('   its upstream.httpConnections raised from 8 to 64 to match.')
  table(
    [
      'WebSocket (medians of rounds)',
      ...READ_METHODS.map(([m]) => `${m} p50`),
      'eth_chainId p50',
      '64 in flight',
      '8 × 16',
    ],
    [
      ['direct Anvil', 'anvil'],
      ['naive proxy', 'naive'],
      ['walletd', 'walletd'],
    ].map(([label, name]) => [
      label,
      ...READ_METHODS.map(([m]) => us(med(name, `${m}.p50Us`))),
      us(med(name, 'eth_chainId.p50Us')),
      rps(med(name, 'ws64.opsPerSec')),
      rps(med(name, 'ws8x16.opsPerSec')),
    ]),
  )
  table(
    ['HTTP POST, 64 in flight', 'req/s'],
    [
      ['direct Anvil', rps(med('anvilHttp', 'http64.opsPerSec'))],
      ['naive undici proxy', rps(med('naiveHttp', 'http64.opsPerSec'))],
      ['walletd', rps(med('walletdHttp', 'http64.opsPerSec'))],
    ],
  )
  say('  Ratios (walletd ÷ baseline, per round):')
  for (const [m] of READ_METHODS) {
    ratioRow(`WS ${m} p50 ÷ naive proxy`, pairedRatio(r('walletd', `${m}.p50Us`), r('naive', `${m}.p50Us`)), {
      op: '≤',
      value: 1.0,
    })
  }
  ratioRow(
    'WS 64 in flight req/s ÷ naive proxy',
    pairedRatio(r('walletd', 'ws64.opsPerSec'), r('naive', 'ws64.opsPerSec')),
    {
      op: '≥',
      value: 1.2,
    },
  )
  ratioRow(
    'WS 8 connections × 16 req/s ÷ naive proxy',
    pairedRatio(r('walletd', 'ws8x16.opsPerSec'), r('naive', 'ws8x16.opsPerSec')),
    { op: '≥', value: 1.2 },
  )
  ratioRow(
    'HTTP POST /rpc 64 in flight req/s ÷ naive undici proxy',
    pairedRatio(r('walletdHttp', 'http64.opsPerSec'), r('naiveHttp', 'http64.opsPerSec')),
    { op: '≥', value: 1.0 },
  )
  ratioRow(
    'local eth_chainId p50 ÷ Anvil direct',
    pairedRatio(r('walletd', 'eth_chainId.p50Us'), r('anvil', 'eth_chainId.p50Us')),
    { op: '<', value: 1.0 },
  )
  ratioRow(
    'WS eth_blockNumber p50 ÷ Anvil direct (no target)',
    pairedRatio(r('walletd', 'eth_blockNumber.p50Us'), r('anvil', 'eth_blockNumber.p50Us')),
    null,
  )
  say(`    walletd RSS after the read load: ${readerRss.toFixed(1)} MiB`)
  say()

  say(
    '2. Signing — personal_sign through a walletd daemon in its own process (bench/signingDaemon.js: the bundled',
  )
  say(
    '   createWalletd, an approver that approves at once, Anvil account 0, every signature checked) over one WebSocket,',
  )
  say(
    `   against viem's local account signing in this process. Sign budget raised (the limiter still checks each one).`,
  )
  table(
    ['(medians of rounds)', 'p50', 'signatures/s'],
    [
      ['viem in this process, sequential', us(median(signing.viemP50Us)), rps(median(signing.viemOpsPerSec))],
      ['walletd daemon, sequential', us(median(signing.daemonP50Us)), ''],
      [`walletd daemon, ${signing.concurrency} in flight`, '', rps(median(signing.daemonOpsPerSec))],
      ["fdatasync of the data dir's disk (the audit record's sync)", us(median(signing.fsyncP50Us)), ''],
    ],
  )
  ratioRow(
    'personal_sign through the daemon p50 ÷ viem in-process',
    pairedRatio(signing.daemonP50Us, signing.viemP50Us),
    {
      op: '≤',
      value: 1.2,
    },
  )
  ratioRow(
    `personal_sign through the daemon signatures/s (${signing.concurrency} in flight) ÷ viem in-process`,
    pairedRatio(signing.daemonOpsPerSec, signing.viemOpsPerSec),
    { op: '≥', value: 1.0 },
  )
  const { n: sn, r: sr, p: sp } = keystore.scrypt
  say(
    `    keystore unlock (scrypt n=2^${Math.log2(sn)} r=${sr} p=${sp}): ${keystore.unlockMs.map(ms).join(', ')} (once per unlock, never per request)`,
  )
  say()

  say(
    '3. Memory per connection — a walletd process, idle; then 1,000 authenticated WebSockets from one origin,',
  )
  say('   each answered one request, then 2 s idle (connection caps raised to let them in).')
  for (const [run, label, target] of [
    [idle, 'node defaults', null],
    [idleSmall, `${NPM_SCRIPT_NODE_OPTIONS} (npm start, npm run dev)`, { op: '<', value: 20 }],
  ]) {
    say(`   ${label}:`)
    say(
      `    RSS ${run.before.rssMiB.toFixed(1)} → ${run.after.rssMiB.toFixed(1)} MiB; V8 heap used ${(run.before.heapBytes / 2 ** 20).toFixed(1)} → ${(run.after.heapBytes / 2 ** 20).toFixed(1)} MiB`,
    )
    say(
      `    per connection: ${run.rssPerConnectionKiB.toFixed(1)} KiB RSS, ${run.heapPerConnectionKiB.toFixed(1)} KiB heap`,
    )
    const mb = (run.rssAboveIdleMiB * 2 ** 20) / 1e6
    if (target)
      valueRow(
        `RSS with 1,000 idle authenticated WebSockets, above idle (${label})`,
        spread([mb]),
        (v) => `${v.toFixed(1)} MB`,
        target,
        'MB',
      )
    else say(`    above idle: ${mb.toFixed(1)} MB (the young generation grown by the burst of upgrades)`)
  }
  say()

  say(
    '4. Start-up — spawn → first eth_chainId answer over HTTP (`walletd start --port 0 --upstream <anvil ws>`, no',
  )
  say('   keystore, so no KDF), against a bare node:http server spawned the same way (bench/bareServer.js).')
  table(
    ['(per round)', ...cold.walletdMs.map((_, i) => `#${i + 1}`)],
    [
      ['walletd first answer', ...cold.walletdMs.map(ms)],
      ['walletd runtime file', ...cold.listenMs.map(ms)],
      ['bare node:http', ...cold.bareMs.map(ms)],
      ['node -e 0', ...cold.nodeMs.map(ms)],
    ],
  )
  valueRow(
    'cold start, spawn → first answer (no KDF)',
    spread(cold.walletdMs),
    ms,
    { op: '<', value: 400 },
    'ms',
  )
  ratioRow('cold start ÷ bare node:http server (no target)', pairedRatio(cold.walletdMs, cold.bareMs), null)
  say(
    `    compile time of the bundle (V8, no evaluation, median of 5): what start-up loads ${compile.start.files} files, ${(compile.start.bytes / 2 ** 20).toFixed(2)} MiB: ${ms(compile.start.ms)};`,
  )
  say(
    `      every file ${compile.all.files}, ${(compile.all.bytes / 2 ** 20).toFixed(2)} MiB: ${ms(compile.all.ms)} (signing, undici, keystore and approver chunks load on first use)`,
  )
  say('  --dev, command → banner (a daemon with its own Anvil; stopped with `walletd stop` after each):')
  valueRow(
    '`npm run dev` (the README quick start) → banner',
    spread(dev.npmMs),
    ms,
    { op: '<', value: 1500 },
    'ms',
  )
  valueRow('`node bin/walletd.js start --dev` → banner (no target)', spread(dev.binMs), ms, null)
  say()

  say('5. Earlier checks (issues 2–4)')
  say(
    `    rate limiter alone (fake clock): ${limiter.nsPerCheck.toFixed(0)} ns per check, ${limiter.nsPerFrame.toFixed(0)} ns per frame check (target < 1 µs: ${limiter.nsPerCheck < 1000 ? 'met' : 'NOT met'})`,
  )
  const share = (limiter.nsPerCheck + limiter.nsPerFrame) / (med('walletd', 'eth_blockNumber.p50Us') * 1000)
  say(
    `    its share of walletd's eth_blockNumber p50: ${(share * 100).toFixed(3)}% (target < 5%: ${share < 0.05 ? 'met' : 'NOT met'})`,
  )
  say(
    `    bounded flood, shipped limits: a paced origin (${flood.ratePerSec}/s, ≤ ${flood.concurrency} in flight) served ${rps(flood.alone.servedPerSec)} alone, ${rps(flood.during.servedPerSec)} while another origin floods from ${flood.floodConnections} × ${flood.floodConcurrency} in flight`,
  )
  say(
    `      (p50 ${us(flood.alone.p50Us)} → ${us(flood.during.p50Us)}; flood ${rps(flood.flood.perSec)} sent, ${flood.flood.refused} refused); ratio ${x(flood.during.servedPerSec / flood.alone.servedPerSec)} (target ≥ 0.8×: ${flood.during.servedPerSec / flood.alone.servedPerSec >= 0.8 ? 'met' : 'NOT met'}); daemon RSS after ${floodRss.toFixed(1)} MiB`,
  )
  say()

  for (const line of simulation.lines) say(line)
  const [simWhat, simValue, simTarget, simMet] = simulation.summary
  summary.push([simWhat, simValue, '', simTarget, simMet])
  say()

  const loadAtEnd = load()
  say(`load average at end: ${loadAtEnd}; whole run ${((performance.now() - startedAt) / 1000).toFixed(0)} s`)
  say()
  say('Summary (issue 9 targets; value = median of rounds, spread = quartiles)')
  const summaryRows = summary.map(([what, value, spreadText, target, met]) => [
    what,
    value,
    spreadText,
    target,
    met ? 'met' : 'NOT met',
  ])
  table(['measure', 'value', 'spread', 'target', 'status'], summaryRows)
  const text = lines.join('\n')
  console.log(text)
  writeReport({ host, loadAtStart, loadAtEnd, summaryRows, text })
}

/** docs/benchmarks.md: this run's summary and report, then the notes kept in bench/NOTES.md. */
function writeReport({ host, loadAtStart, loadAtEnd, summaryRows, text }) {
  const notes = readFileSync(new URL('./NOTES.md', import.meta.url), 'utf8')
  const md = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (bench/run.js); the notes after the report are bench/NOTES.md. Figures move with',
    'the load on the machine: compare runs made under similar load, and read the spread.',
    '',
    '## The run',
    '',
    `- machine: ${host.cpu}, ${host.memory}, ${host.os}`,
    `- node ${host.node}`,
    `- load average (1 / 5 / 15 min): ${loadAtStart} at start, ${loadAtEnd} at end`,
    `- ${ROUNDS} interleaved rounds, order rotated each round; ratios are medians of per-round paired ratios`,
    '',
    '| measure | value | spread (quartiles) | target | status |',
    '| --- | --- | --- | --- | --- |',
    ...summaryRows.map((row) => `| ${row.join(' | ')} |`),
    '',
    '## Report',
    '',
    '```',
    text,
    '```',
    '',
    notes.trim(),
    '',
  ].join('\n')
  writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), md)
  progress('report written to docs/benchmarks.md')
}

const cleanup = createCleanup()
let interrupted = false
// A bench that hangs must still clean up and end.
const watchdog = setTimeout(() => {
  interrupted = true
  console.error('bench: still running after 20 minutes; stopping everything')
  cleanup.run().finally(() => process.exit(1))
}, 20 * 60_000)
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
