import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: string | undefined

/**
 * The walletd package's root directory (where package.json and config/ live), found by walking up
 * from this module: it works from src/ (tests), dist/ (tsc output) and dist/bundle/ (the CLI bundle).
 */
export function packageRoot(): string {
  if (cached) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'walletd') {
      cached = dir
      return dir
    }
    const up = dirname(dir)
    if (up === dir) throw new Error('walletd: cannot find the package root (package.json)')
    dir = up
  }
}
