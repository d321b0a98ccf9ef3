// Builds the provider bundle from src/provider (browser code) into provider-dist/: the IIFE hosts
// inject (walletd-provider.js and .min.js), an ES module (walletd-provider.mjs, the package's
// `walletd/provider` export) and type declarations. Prints the min+gzip size and fails over the
// budget.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const out = new URL('../provider-dist/', import.meta.url)
const BUDGET = 15 * 1024
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const common = {
  bundle: true,
  platform: 'browser',
  // Webview engines of the last few years (Safari/WKWebView 15+, Chromium/WebView2/Electron 90+).
  target: ['es2020', 'safari15', 'chrome90', 'firefox90'],
  legalComments: 'none',
  logLevel: 'warning',
}
await build({
  ...common,
  entryPoints: ['src/provider/iife.ts'],
  outfile: 'provider-dist/walletd-provider.js',
  format: 'iife',
  globalName: 'WalletdProvider',
})
await build({
  ...common,
  entryPoints: ['src/provider/iife.ts'],
  outfile: 'provider-dist/walletd-provider.min.js',
  format: 'iife',
  globalName: 'WalletdProvider',
  minify: true,
})
await build({
  ...common,
  entryPoints: ['src/provider/index.ts'],
  outfile: 'provider-dist/walletd-provider.mjs',
  format: 'esm',
})
execFileSync(
  process.execPath,
  [
    new URL('../node_modules/typescript/bin/tsc', import.meta.url).pathname,
    '-p',
    'src/provider/tsconfig.json',
    '--emitDeclarationOnly',
  ],
  { stdio: 'inherit' },
)
writeFileSync(new URL('index.d.ts', out), "export * from './types/index.js'\n")

const min = readFileSync(new URL('walletd-provider.min.js', out))
const gz = gzipSync(min, { level: 9 }).length
const line = `provider-dist/walletd-provider.min.js: ${min.length} B minified, ${gz} B min+gzip (budget ${BUDGET} B)`
if (gz > BUDGET) {
  console.error(`${line}: OVER BUDGET`)
  process.exit(1)
}
console.log(line)
