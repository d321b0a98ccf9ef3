// Compiles test/fixtures/contracts/*.sol with solc-js (a devDependency) into
// test/fixtures/contracts/artifacts.json: { ContractName: { abi, bytecode } }. The artifacts are
// committed so tests need no compiler; run `node scripts/compile-fixtures.js` after editing a source.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import solc from 'solc'

const dir = new URL('../test/fixtures/contracts/', import.meta.url).pathname
const sources = Object.fromEntries(
  readdirSync(dir)
    .filter((f) => f.endsWith('.sol'))
    .sort()
    .map((f) => [f, { content: readFileSync(join(dir, f), 'utf8') }]),
)
const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
}
const output = JSON.parse(solc.compile(JSON.stringify(input)))
const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage)
  process.exit(1)
}
const artifacts = {}
for (const file of Object.keys(output.contracts).sort()) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    artifacts[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` }
  }
}
writeFileSync(
  join(dir, 'artifacts.json'),
  `${JSON.stringify({ compiler: solc.version(), artifacts }, null, 2)}\n`,
)
console.log(`compiled ${Object.keys(artifacts).join(', ')} with solc ${solc.version()}`)
