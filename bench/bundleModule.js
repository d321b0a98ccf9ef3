// The bench runs walletd's own code as shipped: the CLI bundle (dist/bundle). Modules that the CLI
// loads on first use sit in chunks named after them (createWalletd-<hash>.mjs …) and keep their
// export names, so the bench imports them from there; the compiled modules (dist/) are the
// fallback when no bundle chunk exists.
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const CHUNKS = new URL('../dist/bundle/chunks/', import.meta.url)

/** The bundle chunk of `name` (e.g. 'createWalletd'), else `../dist/<fallback>`. */
export async function bundleModule(name, fallback) {
  let files = []
  try {
    files = readdirSync(fileURLToPath(CHUNKS))
  } catch {}
  const file = files.find((f) => f.startsWith(`${name}-`) && f.endsWith('.mjs'))
  return file
    ? import(new URL(file, CHUNKS).href)
    : import(new URL(`../dist/${fallback}`, import.meta.url).href)
}
