import { randomBytes } from 'node:crypto'
import { readFileSync, renameSync } from 'node:fs'

export type ReadStateFileOptions<T> = {
  /** Turns the parsed JSON into the state; throws when it is malformed. */
  parse: (json: unknown) => T
  now?: () => number
  /** Told when a corrupt file was set aside (the state then starts empty: fail closed). */
  onCorrupt?: (file: string, movedTo: string) => void
}

/**
 * Reads a JSON state file written by writeFileAtomic: undefined when there is none; a file that
 * does not parse is kept as evidence under `<file>.corrupt-<ms>-<random>` and undefined returned.
 */
export function readStateFile<T>(
  file: string,
  { parse, now = Date.now, onCorrupt }: ReadStateFileOptions<T>,
): T | undefined {
  let raw: string
  try {
    raw = readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    return parse(JSON.parse(raw))
  } catch {
    const movedTo = `${file}.corrupt-${now()}-${randomBytes(3).toString('hex')}`
    try {
      renameSync(file, movedTo)
    } catch {}
    onCorrupt?.(file, movedTo)
    return undefined
  }
}
