import type { Hex, TypedDataDefinition } from 'viem'
import { validateTypedData } from 'viem/utils'
import { z } from 'zod'
import type { ApprovalWarning } from '../../approval/types.js'
import { InternalError, InvalidParamsError } from '../../errors/rpc.js'
import { type PermitTemplate, recognizePermit } from '../decode/decodePermit.js'
import { scanJsonDepth } from '../scanJsonDepth.js'
import { zAddress } from './primitives.js'

/** Bounds on typed data, checked before any recursive work (viem #4769: cyclic types overflow the stack). */
export const TYPED_DATA_LIMITS = {
  /** Characters of the JSON text. */
  maxChars: 128 * 1024,
  /** JSON nesting of the text. */
  maxJsonDepth: 32,
  /** Struct types, EIP712Domain included. */
  maxTypes: 64,
  maxFieldsPerType: 64,
  maxFieldsTotal: 512,
  /** Longest chain of struct references from the primary type. */
  maxTypeDepth: 10,
  /** Array dimensions of one field type (T[][] is 2). */
  maxArrayDims: 3,
  /** Values encoded in total (each leaf and struct counts). */
  maxValues: 10_000,
} as const

export type TypedDataVersion = 'v3' | 'v4'

type Field = { name: string; type: string }
type Types = Record<string, Field[]>

/** Typed data ready to sign, its display (only hashed fields) and its warnings. */
export type ParsedTypedData = {
  definition: TypedDataDefinition
  /** domain.chainId as given, parsed; undefined when absent. */
  chainId: number | undefined
  display: { primaryType: string; domain: Record<string, unknown>; message: Record<string, unknown> }
  warnings: ApprovalWarning[]
  /**
   * An EIP-2612 or Permit2 permit recognised by its types; its warnings come from describePermit
   * (with the token's metadata), not from the generic permit checks here.
   */
  permit: PermitTemplate | null
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$:]{0,127}$/
const ATOMIC =
  /^(address|bool|string|bytes|bytes([1-9]|[12][0-9]|3[0-2])|u?int(8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256))$/
const ARRAY_SUFFIX = /\[(\d*)\]$/
const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype))

const DOMAIN_FIELDS: readonly Field[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
]

const zField = z.object({ name: z.string().min(1).max(256), type: z.string().min(1).max(256) }).strict()

const zTypedDataShape = z
  .object({
    types: z.record(z.string().max(256), z.array(zField).max(TYPED_DATA_LIMITS.maxFieldsPerType)),
    primaryType: z.string().min(1).max(256),
    domain: z.record(z.string(), z.unknown()),
    message: z.record(z.string(), z.unknown()),
  })
  .strip()

const invalid = (message: string) => new InvalidParamsError({ message: `Invalid typed data: ${message}` })

/** `[address, typedData]` where typedData is a JSON string (viem, ethers) or an object. */
export const zSignTypedDataParams = z.tuple([
  zAddress,
  z.union([z.string(), z.record(z.string(), z.unknown())]),
])

/**
 * Parses, bounds and validates EIP-712 typed data; normalises values for signing (uints as
 * decimal or hex strings → bigint) and builds the display from the types, so exactly what is
 * hashed is shown (message keys not in `types` are neither shown nor signed). -32602 on any
 * problem; the chain id check is the caller's (`checkTypedDataChainId`).
 */
export function parseTypedData(
  input: unknown,
  version: TypedDataVersion,
  options: { now: () => number },
): ParsedTypedData {
  const text = typeof input === 'string' ? input : JSON.stringify(input)
  if (text === undefined || text.length > TYPED_DATA_LIMITS.maxChars) {
    throw invalid(`larger than ${TYPED_DATA_LIMITS.maxChars} characters.`)
  }
  if (scanJsonDepth(text, TYPED_DATA_LIMITS.maxJsonDepth) > TYPED_DATA_LIMITS.maxJsonDepth) {
    throw invalid(`nested deeper than ${TYPED_DATA_LIMITS.maxJsonDepth} levels.`)
  }
  let raw: unknown
  try {
    raw = typeof input === 'string' ? JSON.parse(input) : input
  } catch {
    throw invalid('not valid JSON.')
  }
  const shape = zTypedDataShape.safeParse(raw)
  if (!shape.success) {
    const issue = shape.error.issues[0]!
    throw invalid(`${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
  }
  const { primaryType, domain, message } = shape.data
  const types = checkTypes(shape.data.types, primaryType, version)

  // The domain type: the dApp's EIP712Domain when given (viem hashes with it), else derived from the keys.
  const domainFields =
    types.EIP712Domain ?? DOMAIN_FIELDS.filter((f) => domain[f.name] !== undefined && domain[f.name] !== null)
  for (const f of domainFields) {
    const standard = DOMAIN_FIELDS.find((d) => d.name === f.name)
    if (!standard || standard.type !== f.type)
      throw invalid(`EIP712Domain field "${f.name}: ${f.type}" is not a standard domain field.`)
  }
  const chainId =
    domain.chainId === undefined || domain.chainId === null ? undefined : parseDomainChainId(domain.chainId)
  const domainInput = chainId === undefined ? domain : { ...domain, chainId: BigInt(chainId) }
  const allTypes: Types = { ...types, EIP712Domain: domainFields }

  const budget = { values: 0 }
  const d = encodeStruct(allTypes, 'EIP712Domain', domainInput, 'domain', budget)
  const m = encodeStruct(allTypes, primaryType, message, 'message', budget)

  const definition = {
    domain: d.value,
    types: allTypes,
    primaryType,
    message: m.value,
  } as unknown as TypedDataDefinition
  try {
    validateTypedData(definition as never)
  } catch (err) {
    throw invalid((err as { shortMessage?: string }).shortMessage ?? 'rejected by the EIP-712 validator.')
  }
  const display = {
    primaryType,
    domain: d.display as Record<string, unknown>,
    message: m.display as Record<string, unknown>,
  }
  const permit = recognizeSafely(primaryType, allTypes, d.value as Record<string, unknown>, m.value)
  return {
    definition,
    chainId,
    display,
    warnings: permit ? [] : permitWarnings(primaryType, m.value, allTypes, options.now()),
    permit,
  }
}

/**
 * domain.chainId as a number, decimal string or 0x string (MetaMask parses with
 * `parseInt(x, x.startsWith('0x') ? 16 : 10)`; this is stricter: the whole string must be digits).
 */
export function parseDomainChainId(value: unknown): number {
  let n: number
  if (typeof value === 'number') n = value
  else if (typeof value === 'string' && /^0x[0-9a-fA-F]{1,14}$/.test(value)) n = Number.parseInt(value, 16)
  else if (typeof value === 'string' && /^[0-9]{1,16}$/.test(value)) n = Number.parseInt(value, 10)
  else throw invalid('domain.chainId must be a number, a decimal string or a 0x-hex string.')
  if (!Number.isSafeInteger(n) || n <= 0) throw invalid('domain.chainId is out of range.')
  return n
}

/** EIP-712: a domain chainId other than the active chain is refused. -32603 with MetaMask's words. */
export function checkTypedDataChainId(chainId: number | undefined, activeChainId: number) {
  if (chainId !== undefined && chainId !== activeChainId) {
    throw new InternalError({
      message: `Provided chainId "${chainId}" must match the active chainId "${activeChainId}"`,
      data: { chainId, activeChainId },
    })
  }
}

function recognizeSafely(
  primaryType: string,
  types: Types,
  domain: Record<string, unknown>,
  message: unknown,
): PermitTemplate | null {
  try {
    return recognizePermit(primaryType, types, domain, message as Record<string, unknown>)
  } catch {
    return null // not the shape it seemed: the generic permit checks apply
  }
}

/** Checks names, limits, that every referenced type exists, and that the type graph has no cycle and bounded depth. */
function checkTypes(input: Record<string, Field[]>, primaryType: string, version: TypedDataVersion): Types {
  const names = Object.keys(input)
  if (names.length > TYPED_DATA_LIMITS.maxTypes)
    throw invalid(`more than ${TYPED_DATA_LIMITS.maxTypes} types.`)
  const types: Types = {}
  let total = 0
  for (const name of names) {
    if (!IDENTIFIER.test(name) || RESERVED.has(name) || ATOMIC.test(name))
      throw invalid(`"${name.slice(0, 64)}" is not a valid type name.`)
    const fields = input[name]!
    total += fields.length
    if (total > TYPED_DATA_LIMITS.maxFieldsTotal)
      throw invalid(`more than ${TYPED_DATA_LIMITS.maxFieldsTotal} fields in all.`)
    const seen = new Set<string>()
    for (const f of fields) {
      if (seen.has(f.name)) throw invalid(`type ${name} declares field "${f.name}" twice.`)
      seen.add(f.name)
      const { base, dims } = splitArray(f.type)
      if (dims.length > TYPED_DATA_LIMITS.maxArrayDims)
        throw invalid(`field ${name}.${f.name} has too many array dimensions.`)
      if (dims.length > 0 && version === 'v3')
        throw invalid('arrays are not supported by eth_signTypedData_v3; use eth_signTypedData_v4.')
      if (!ATOMIC.test(base) && !Object.hasOwn(input, base))
        throw invalid(`field ${name}.${f.name} has undefined type "${base}".`)
      if (base === 'EIP712Domain') throw invalid(`field ${name}.${f.name} may not use EIP712Domain.`)
    }
    types[name] = fields.map((f) => ({ name: f.name, type: f.type }))
  }
  if (!Object.hasOwn(types, primaryType))
    throw invalid(`primaryType "${primaryType.slice(0, 64)}" is not defined in types.`)
  if (primaryType === 'EIP712Domain')
    throw invalid('primaryType EIP712Domain (signing the domain alone) is not supported.')

  // Cycles and depth, iteratively: colour each struct, longest reference chain per struct.
  const depth = new Map<string, number>()
  const state = new Map<string, 'open' | 'done'>()
  const structRefs = (name: string) =>
    types[name]!.map((f) => splitArray(f.type).base).filter((b) => !ATOMIC.test(b))
  for (const root of Object.keys(types)) {
    if (state.get(root) === 'done') continue
    const stack: { name: string; i: number }[] = [{ name: root, i: 0 }]
    state.set(root, 'open')
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      const refs = structRefs(top.name)
      if (top.i < refs.length) {
        const child = refs[top.i++]!
        const s = state.get(child)
        if (s === 'open') throw invalid(`type ${child} refers to itself (recursive types are not supported).`)
        if (s === undefined) {
          state.set(child, 'open')
          stack.push({ name: child, i: 0 })
        }
      } else {
        const d = 1 + Math.max(0, ...refs.map((r) => depth.get(r) ?? 0))
        if (d > TYPED_DATA_LIMITS.maxTypeDepth)
          throw invalid(`types nested deeper than ${TYPED_DATA_LIMITS.maxTypeDepth} levels.`)
        depth.set(top.name, d)
        state.set(top.name, 'done')
        stack.pop()
      }
    }
  }
  return types
}

function splitArray(type: string): { base: string; dims: (number | null)[] } {
  const dims: (number | null)[] = []
  let base = type
  for (let m = ARRAY_SUFFIX.exec(base); m; m = ARRAY_SUFFIX.exec(base)) {
    if (dims.length > TYPED_DATA_LIMITS.maxArrayDims) break
    dims.unshift(m[1] === '' ? null : Number(m[1]))
    base = base.slice(0, m.index)
  }
  return { base, dims }
}

type Encoded = { value: unknown; display: unknown }

/** Walks `value` along `type` (depth bounded by checkTypes): normalised value and display. */
function encodeValue(
  types: Types,
  type: string,
  value: unknown,
  path: string,
  budget: { values: number },
): Encoded {
  if (++budget.values > TYPED_DATA_LIMITS.maxValues)
    throw invalid(`more than ${TYPED_DATA_LIMITS.maxValues} values.`)
  const m = ARRAY_SUFFIX.exec(type)
  if (m) {
    const inner = type.slice(0, m.index)
    if (!Array.isArray(value)) throw invalid(`${path} must be an array.`)
    if (m[1] !== '' && value.length !== Number(m[1])) throw invalid(`${path} must have ${m[1]} elements.`)
    const items = value.map((v, i) => encodeValue(types, inner, v, `${path}[${i}]`, budget))
    return { value: items.map((x) => x.value), display: items.map((x) => x.display) }
  }
  if (Object.hasOwn(types, type)) return encodeStruct(types, type, value, path, budget)
  if (type === 'string') {
    if (typeof value !== 'string') throw invalid(`${path} must be a string.`)
    return { value, display: value }
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw invalid(`${path} must be true or false.`)
    return { value, display: value }
  }
  if (type === 'address') {
    if (typeof value !== 'string') throw invalid(`${path} must be an address.`)
    return { value, display: value }
  }
  if (type.startsWith('bytes')) {
    if (typeof value !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(value))
      throw invalid(`${path} must be 0x-hex bytes.`)
    return { value: value as Hex, display: value }
  }
  // uintN / intN
  const n = toInteger(value, path)
  return { value: n, display: n.toString() }
}

function encodeStruct(
  types: Types,
  type: string,
  value: unknown,
  path: string,
  budget: { values: number },
): Encoded {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${path} must be an object.`)
  const record = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  const display: Record<string, unknown> = {}
  for (const f of types[type]!) {
    if (!Object.hasOwn(record, f.name) || record[f.name] === undefined || record[f.name] === null) {
      throw invalid(`${path}.${f.name} (${f.type}) is missing.`)
    }
    const e = encodeValue(types, f.type, record[f.name], `${path}.${f.name}`, budget)
    Object.defineProperty(out, f.name, {
      value: e.value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
    Object.defineProperty(display, f.name, {
      value: e.display,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return { value: out, display }
}

function toInteger(value: unknown, path: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw invalid(`${path} must be an integer (use a decimal string for big numbers).`)
    return BigInt(value)
  }
  if (typeof value === 'string') {
    if (/^-?[0-9]{1,78}$/.test(value)) return BigInt(value)
    if (/^0x[0-9a-fA-F]{1,64}$/.test(value)) return BigInt(value)
  }
  throw invalid(`${path} must be an integer (number, decimal string or 0x-hex string).`)
}

const ONE_YEAR_S = 365n * 24n * 3600n

/**
 * Permit-like typed data that recognizePermit does not know (DAI's permit, other shapes):
 * unlimited amounts and far deadlines, by field names.
 */
function permitWarnings(
  primaryType: string,
  message: unknown,
  types: Types,
  nowMs: number,
): ApprovalWarning[] {
  if (!/permit/i.test(primaryType)) return []
  const warnings: ApprovalWarning[] = []
  const nowS = BigInt(Math.floor(nowMs / 1000))
  let spender: unknown
  let unlimited = false
  let farDeadline = false
  const visit = (type: string, value: unknown, depth: number) => {
    if (depth > TYPED_DATA_LIMITS.maxTypeDepth * (TYPED_DATA_LIMITS.maxArrayDims + 1)) return
    const m = ARRAY_SUFFIX.exec(type)
    if (m) {
      for (const v of value as unknown[]) visit(type.slice(0, m.index), v, depth + 1)
      return
    }
    if (!Object.hasOwn(types, type)) return
    const record = value as Record<string, unknown>
    for (const f of types[type]!) {
      const v = record[f.name]
      const name = f.name.toLowerCase()
      if (name === 'spender' || name === 'operator') spender = v
      if (typeof v === 'bigint') {
        if ((name === 'value' || name === 'amount') && v >= 2n ** 128n) unlimited = true
        if (
          (name === 'deadline' || name === 'expiration' || name === 'sigdeadline' || name === 'expiry') &&
          (v > nowS + ONE_YEAR_S || (name === 'expiry' && v === 0n))
        ) {
          farDeadline = true
        }
      }
      if (name === 'allowed' && v === true) unlimited = true // DAI-style permit: all or nothing
      visit(f.type, v, depth + 1)
    }
  }
  visit(primaryType, message, 0)
  const who = typeof spender === 'string' ? spender : 'the spender'
  if (unlimited) {
    warnings.push({
      level: 'warning',
      message: `Token permit (${primaryType}) for an UNLIMITED amount: ${who} could take all of the token, without another prompt.`,
    })
  }
  if (farDeadline) {
    warnings.push({
      level: 'warning',
      message: `Token permit (${primaryType}) valid for more than a year or forever: ${who} can use it long after today.`,
    })
  }
  if (!unlimited && !farDeadline) {
    warnings.push({
      level: 'warning',
      message: `Token permit (${primaryType}): signing lets ${who} move your tokens without another prompt.`,
    })
  }
  return warnings
}
