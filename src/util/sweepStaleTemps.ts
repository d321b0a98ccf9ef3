import { lstatSync, readdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { isProcessAlive } from './isProcessAlive.js'

/** writeFileAtomic's temp files: `.<name>.<pid>.<12 hex>.tmp`. */
const TEMP = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/

/**
 * Removes the temp files a killed writer left behind in `dir` (writeFileAtomic's, named after the
 * writer's pid): only regular files whose writer no longer runs, so a concurrent CLI command's
 * write in progress is left alone. Returns the names removed. A missing or unreadable directory
 * sweeps nothing. Temp files are never read as state either way: readers open the exact names.
 */
export function sweepStaleTemps(dir: string, alive: (pid: number) => boolean = isProcessAlive): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const m = TEMP.exec(name)
    if (!m || alive(Number(m[1]))) continue
    const path = join(dir, name)
    try {
      if (!lstatSync(path).isFile()) continue
      unlinkSync(path)
      removed.push(name)
    } catch {}
  }
  return removed
}
