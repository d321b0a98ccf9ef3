import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Address } from 'viem'
import { PolicyInvalidError, PolicyUnattestedError, UsageError } from '../../errors/startup.js'
import { writeFileAtomic } from '../../util/writeFileAtomic.js'
import { devPolicy } from './devPolicy.js'
import { type Policy, PolicySchema } from './policySchema.js'

export type LoadedPolicy = { policy: Policy; hash: string; file: string }

type Attestations = { version: 1; attested: Array<{ sha256: string; file: string; at: string }> }

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Reads and validates a policy file. Errors name the rule (by index and name) and the key.
 * The hash is of the exact bytes read, so what is checked is what runs.
 */
export function readPolicyFile(file: string): LoadedPolicy {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (e) {
    throw new PolicyInvalidError(
      // Stryker disable next-line StringLiteral: errors of readFileSync always carry a code
      `Cannot read the policy file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}.`,
    )
  }
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new PolicyInvalidError(`The policy file ${file} is not valid JSON.`)
  }
  const parsed = PolicySchema.safeParse(json)
  if (!parsed.success) {
    const raw = json as { rules?: Array<{ name?: unknown }> }
    const issues = parsed.error.issues.slice(0, 10).map((i) => {
      const [first, index, ...rest] = i.path
      if (first === 'rules' && typeof index === 'number') {
        const name = raw.rules?.[index]?.name
        const where = `rules[${index}]${typeof name === 'string' ? ` ("${name}")` : ''}`
        return `${where}${rest.length ? `.${rest.join('.')}` : ''}: ${i.message}`
      }
      return `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`
    })
    throw new PolicyInvalidError(`The policy file ${file} is invalid.`, { metaMessages: issues })
  }
  return { policy: parsed.data, hash: sha256(bytes), file }
}

function readAttestations(store: string): Attestations {
  try {
    const parsed = JSON.parse(readFileSync(store, 'utf8')) as Attestations
    // Stryker disable next-line OptionalChaining: a null store throws into the same catch
    if (parsed?.version === 1 && Array.isArray(parsed.attested)) return parsed
  } catch {}
  return { version: 1, attested: [] }
}

/** Records the file's hash as attested (Clef's `attest`): only this exact content may then run. */
export function attestPolicy(file: string, store: string, now: () => number = Date.now): LoadedPolicy {
  const loaded = readPolicyFile(file)
  const current = readAttestations(store)
  if (!current.attested.some((a) => a.sha256 === loaded.hash)) {
    current.attested.push({ sha256: loaded.hash, file, at: new Date(now()).toISOString() })
    writeFileAtomic(store, `${JSON.stringify(current, null, 2)}\n`)
  }
  return loaded
}

/** Loads a policy for `start`: valid, and attested by its exact hash, or a clear error. */
export function loadAttestedPolicy(file: string, store: string): LoadedPolicy {
  const loaded = readPolicyFile(file)
  if (!readAttestations(store).attested.some((a) => a.sha256 === loaded.hash)) {
    throw new PolicyUnattestedError(
      `The policy file ${file} is not attested (sha256 ${loaded.hash}): it is new or was changed since it was attested. Review it, then run: walletd policy attest ${file}`,
    )
  }
  return loaded
}

/**
 * What `start --policy` names: `dev` (the built-in dev policy, only with --dev) or a file, which
 * must be attested.
 */
export function resolvePolicy(
  spec: string,
  { dev, devAccounts, attestations }: { dev: boolean; devAccounts: readonly Address[]; attestations: string },
): LoadedPolicy {
  if (spec === 'dev') {
    if (!dev)
      throw new UsageError(
        '--policy dev is the built-in dev policy (chain 31337, Anvil dev accounts) and needs --dev; pass a policy file otherwise.',
      )
    return { policy: devPolicy(devAccounts), hash: 'builtin:dev', file: 'dev' }
  }
  return loadAttestedPolicy(spec, attestations)
}
