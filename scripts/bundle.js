// Bundles the CLI (dist/cli/main.js and everything it imports, lazily loaded parts included) into
// one ES module, dist/bundle/walletd.mjs, which bin/walletd.js loads. One file instead of ~1,500
// modules (viem, zod, fastify, undici…): start-up time and idle memory drop by about a third, and
// unused parts of libraries are left out. Native and worker-loaded packages stay external.
import { build } from 'esbuild'

await build({
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/bundle/walletd.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // Native addon; pino loads transports (pino-pretty) in a worker by package name; tiny-secp256k1
  // reads its .wasm file beside its own module (and signing workers load it by path).
  external: ['@napi-rs/keyring', 'pino', 'pino-pretty', 'thread-stream', 'tiny-secp256k1'],
  banner: {
    js: "import { createRequire as __walletdCreateRequire } from 'node:module'; const require = __walletdCreateRequire(import.meta.url);",
  },
})
