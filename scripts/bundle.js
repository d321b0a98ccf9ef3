// Bundles the CLI (dist/cli/main.js and everything it imports) into dist/bundle/, which
// bin/walletd.js loads: walletd.mjs, the entry, and chunks/ for what is imported dynamically
// (code splitting). One file for all the start-up code instead of ~1,500 modules (viem, zod,
// fastify…): start-up time and idle memory drop by about a third, and unused parts of libraries
// are left out. Parts loaded only on first use — the HTTP upstream client (undici), signing, the
// keystore, the terminal approver — sit in chunks that are neither read nor compiled until then.
import { rmSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'

rmSync('dist/bundle', { recursive: true, force: true })
const result = await build({
  entryPoints: { walletd: 'dist/cli/main.js' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  // No keepNames: it wraps every named closure in a `__name()` call (an Object.defineProperty each
  // time the closure is made), ~5% of the daemon's busy time on HTTP POST /rpc (fastify, undici
  // and walletd make closures per request). walletd's errors set their `name` explicitly; only a
  // few bundled functions whose names collide are renamed (`createServer2`) in stack traces.
  // Identifiers are not minified, so everything else keeps its name.
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // Which chunk imports which: `npm run bench` measures the compile time of what start-up loads.
  metafile: true,
  external: [
    // A native addon.
    '@napi-rs/keyring',
    // pino loads transports (pino-pretty) in a worker by package name.
    'pino',
    'pino-pretty',
    'thread-stream',
    // Reads its .wasm file beside its own module; signing workers load it by path.
    'tiny-secp256k1',
    // fastify requires these only when a route declares a JSON schema or when inject() is called;
    // walletd does neither (createServer gives fastify stand-in compilers), so they stay out.
    '@fastify/ajv-compiler',
    '@fastify/fast-json-stringify-compiler',
    'light-my-request',
  ],
  banner: {
    js: "import { createRequire as __walletdCreateRequire } from 'node:module'; const require = __walletdCreateRequire(import.meta.url);",
  },
})
writeFileSync('dist/bundle/meta.json', JSON.stringify(result.metafile))
