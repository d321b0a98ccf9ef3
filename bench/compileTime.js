// The bundle's compile time (run in a child: `node --experimental-vm-modules bench/compileTime.js`):
// each file is compiled as an ES module (vm.SourceTextModule: parsing and V8's eager compilation,
// no evaluation), five times, median. "start" is what `walletd start` loads before its first
// answer: the entry, loadConfig and createWalletd chunks and everything they import statically;
// "all" is every file (signing, undici, the keystore and approver chunks load on first use).
// Prints one JSON line.
import { readFileSync } from 'node:fs'
import vm from 'node:vm'

const dir = new URL('../dist/bundle/', import.meta.url)
const meta = JSON.parse(readFileSync(new URL('meta.json', dir), 'utf8'))
const outputs = Object.fromEntries(
  Object.entries(meta.outputs)
    .filter(([f]) => f.endsWith('.mjs'))
    .map(([f, info]) => [f.replace(/^dist\/bundle\//, ''), info]),
)
const staticClosure = (roots) => {
  const seen = new Set()
  const visit = (f) => {
    if (seen.has(f) || !outputs[f]) return
    seen.add(f)
    for (const i of outputs[f].imports) {
      if (i.kind === 'import-statement' && !i.external) visit(i.path.replace(/^dist\/bundle\//, ''))
    }
  }
  for (const r of roots) visit(r)
  return [...seen]
}
const named = (name) => Object.keys(outputs).filter((f) => f.startsWith(`chunks/${name}-`))
const startSet = staticClosure(['walletd.mjs', ...named('loadConfig'), ...named('createWalletd')])
const allSet = Object.keys(outputs)

const sources = new Map(allSet.map((f) => [f, readFileSync(new URL(f, dir), 'utf8')]))
const compileMs = (files, rep) => {
  const t = performance.now()
  // A different trailing comment each time: no compilation cache can answer for the source.
  for (const f of files)
    new vm.SourceTextModule(`${sources.get(f)}\n// ${rep}`, { identifier: `${f}#${rep}` })
  return performance.now() - t
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const bytes = (files) => files.reduce((n, f) => n + sources.get(f).length, 0)
const start = []
const all = []
for (let rep = 0; rep < 5; rep++) {
  start.push(compileMs(startSet, rep))
  all.push(compileMs(allSet, rep))
}
console.log(
  JSON.stringify({
    start: { files: startSet.length, bytes: bytes(startSet), ms: median(start) },
    all: { files: allSet.length, bytes: bytes(allSet), ms: median(all) },
  }),
)
