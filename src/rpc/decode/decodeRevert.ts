import { type Abi, decodeAbiParameters, decodeErrorResult, type Hex, toFunctionSelector } from 'viem'
import { formatAbiItem } from 'viem/utils'
import { RpcError } from '../../errors/rpc.js'
import { KNOWN_ERRORS_ABI } from './knownErrors.js'

/** A revert reason, decoded as far as walletd can. `text` is one line for people. */
export type DecodedRevert = { data: Hex; text: string } & (
  | { kind: 'reason'; reason: string }
  | { kind: 'panic'; code: bigint; meaning: string }
  | {
      kind: 'custom'
      name: string
      /** `NotAllowed(address,uint256)`. */
      signature: string
      args: readonly { name: string; type: string; value: unknown }[]
    }
  | { kind: 'unknown'; selector: Hex; argumentBytes: number }
  | { kind: 'empty' }
  | { kind: 'malformed'; dataBytes: number }
)

/** A failed call that reverted: the revert data and what the node said. */
export type Revert = { data: Hex; nodeMessage: string }

const SELECTOR_ERROR = '0x08c379a0' // Error(string)
const SELECTOR_PANIC = '0x4e487b71' // Panic(uint256)

/** Solidity's panic codes (docs: "Panic via assert and Error via require"). */
export const PANIC_MEANINGS: Readonly<Record<number, string>> = {
  0: 'generic compiler panic',
  1: 'assertion failed',
  17: 'arithmetic overflow or underflow',
  18: 'division or modulo by zero',
  33: 'conversion to an invalid enum value',
  34: 'incorrectly encoded storage byte array',
  49: 'pop() on an empty array',
  50: 'array index out of bounds',
  65: 'too much memory allocated',
  81: 'call to an uninitialised internal function',
}

/** Longest reason text kept (a contract chooses it; a person reads it). */
const MAX_REASON = 500

/**
 * The revert in an error a node answered (`eth_estimateGas`, `eth_call`): code 3 (geth, Anvil,
 * reth) or a message that says "revert", with the data as a hex string or as `{ data }` (Hardhat,
 * some proxies). null when the error is something else (insufficient funds, a timeout …).
 */
export function revertOf(err: unknown): Revert | null {
  if (!(err instanceof RpcError)) return null
  const message = err.shortMessage
  const raw = err.data
  const data =
    typeof raw === 'string'
      ? raw
      : typeof raw === 'object' && raw !== null && typeof (raw as { data?: unknown }).data === 'string'
        ? (raw as { data: string }).data
        : undefined
  const isHex = data !== undefined && /^0x([0-9a-fA-F]{2})*$/.test(data)
  if (err.code !== 3 && !/revert/i.test(message)) return null
  return { data: (isHex ? data.toLowerCase() : '0x') as Hex, nodeMessage: message }
}

/**
 * Decodes revert data: `Error(string)`, `Panic(uint256)` with its meaning, a custom error from
 * `abi` or the built-in table (knownErrors.ts), else the selector and the length of its
 * arguments. Never throws; malformed data is reported as such.
 */
export function decodeRevert(data: Hex, options: { abi?: Abi } = {}): DecodedRevert {
  const hex = data.toLowerCase() as Hex
  const bytes = (hex.length - 2) / 2
  if (bytes === 0) return { kind: 'empty', data: hex, text: 'reverted without a reason' }
  if (bytes < 4) return malformed(hex)
  const selector = hex.slice(0, 10) as Hex
  const rest = `0x${hex.slice(10)}` as Hex
  if (selector === SELECTOR_ERROR) {
    try {
      const [reason] = decodeAbiParameters([{ type: 'string' }], rest)
      const clean = oneLine(reason, MAX_REASON)
      return {
        kind: 'reason',
        reason: clean,
        data: hex,
        text: clean === '' ? 'reverted with an empty reason' : clean,
      }
    } catch {
      return malformed(hex)
    }
  }
  if (selector === SELECTOR_PANIC) {
    try {
      const [code] = decodeAbiParameters([{ type: 'uint256' }], rest)
      const meaning =
        code <= 0xffn ? (PANIC_MEANINGS[Number(code)] ?? 'unknown panic code') : 'unknown panic code'
      return {
        kind: 'panic',
        code,
        meaning,
        data: hex,
        text: `panic 0x${code.toString(16).padStart(2, '0')}: ${meaning}`,
      }
    } catch {
      return malformed(hex)
    }
  }
  for (const abi of [options.abi, KNOWN_ERRORS_ABI]) {
    if (!abi) continue
    const item = abi.find(
      (x): x is Extract<Abi[number], { type: 'error' }> =>
        x.type === 'error' && toFunctionSelector(formatAbiItem(x)) === selector,
    )
    if (!item) continue
    try {
      const decoded = decodeErrorResult({ abi: [item], data: hex })
      const values = (decoded.args ?? []) as readonly unknown[]
      const args = item.inputs.map((input, i) => ({
        name: input.name ?? '',
        type: input.type,
        value: values[i],
      }))
      const shown = args.map((a) => `${a.name ? `${a.name}=` : ''}${formatArg(a.value)}`).join(', ')
      return {
        kind: 'custom',
        name: item.name,
        signature: formatAbiItem(item),
        args,
        data: hex,
        text: oneLine(`${item.name}(${shown})`, MAX_REASON),
      }
    } catch {
      return malformed(hex)
    }
  }
  return {
    kind: 'unknown',
    selector,
    argumentBytes: bytes - 4,
    data: hex,
    text: `custom error ${selector} (unknown to walletd; ${bytes - 4} bytes of arguments)`,
  }
}

function malformed(data: Hex): DecodedRevert {
  const dataBytes = (data.length - 2) / 2
  return {
    kind: 'malformed',
    dataBytes,
    data,
    text: `reverted with ${dataBytes} bytes of data that do not decode as an error`,
  }
}

/** A decoded argument for one line: bigints in decimal, arrays bracketed, everything bounded. */
function formatArg(value: unknown): string {
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value))
    return `[${value.slice(0, 8).map(formatArg).join(', ')}${value.length > 8 ? ', …' : ''}]`
  if (typeof value === 'string') return oneLine(value, 100)
  return String(value)
}

/** One line of at most `max` characters: control characters become spaces. */
export function oneLine(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
