import { encodeAbiParameters, encodeErrorResult, type Hex, parseAbi, toFunctionSelector } from 'viem'
import { formatAbiItem } from 'viem/utils'
import { describe, expect, it } from 'vitest'
import { InternalError, UpstreamRpcError } from '../../errors/rpc.js'
import { decodeRevert, revertOf } from './decodeRevert.js'
import { KNOWN_ERRORS_ABI } from './knownErrors.js'

const errorString = (reason: string) =>
  `0x08c379a0${encodeAbiParameters([{ type: 'string' }], [reason]).slice(2)}` as Hex
const panic = (code: bigint) =>
  `0x4e487b71${encodeAbiParameters([{ type: 'uint256' }], [code]).slice(2)}` as Hex
const CALLER = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const reverterAbi = parseAbi(['error NotAllowed(address caller, uint256 code)'])
const notAllowed = encodeErrorResult({ abi: reverterAbi, errorName: 'NotAllowed', args: [CALLER, 7n] })

describe('decodeRevert', () => {
  it('Error(string): the reason', () => {
    expect(decodeRevert(errorString('Reverter: always fails'))).toMatchObject({
      kind: 'reason',
      reason: 'Reverter: always fails',
      text: 'Reverter: always fails',
    })
    expect(decodeRevert(errorString('')).text).toBe('reverted with an empty reason')
  })

  it('Error(string): control characters flattened, long reasons bounded', () => {
    const r = decodeRevert(errorString(`line1\nline2\u001b[31m${'x'.repeat(2000)}`))
    expect(r.kind).toBe('reason')
    expect(r.text.includes('\n') || r.text.includes('\u001b')).toBe(false)
    expect(r.text.length).toBeLessThanOrEqual(500)
    expect(r.text.endsWith('…')).toBe(true)
  })

  it('Panic(uint256): the code and its meaning', () => {
    expect(decodeRevert(panic(0x12n))).toMatchObject({
      kind: 'panic',
      code: 0x12n,
      meaning: 'division or modulo by zero',
      text: 'panic 0x12: division or modulo by zero',
    })
    expect(decodeRevert(panic(0x11n)).text).toMatch(/overflow/)
    expect(decodeRevert(panic(0x01n)).text).toMatch(/assertion/)
    expect(decodeRevert(panic(0x99n))).toMatchObject({ kind: 'panic', meaning: 'unknown panic code' })
    expect(decodeRevert(panic(2n ** 255n))).toMatchObject({ kind: 'panic', meaning: 'unknown panic code' })
  })

  it('a custom error with its ABI: name and arguments', () => {
    expect(decodeRevert(notAllowed, { abi: reverterAbi })).toMatchObject({
      kind: 'custom',
      name: 'NotAllowed',
      signature: 'NotAllowed(address,uint256)',
      args: [
        { name: 'caller', type: 'address', value: CALLER },
        { name: 'code', type: 'uint256', value: 7n },
      ],
      text: `NotAllowed(caller=${CALLER}, code=7)`,
    })
  })

  it('a custom error without an ABI: the selector and the argument length', () => {
    const r = decodeRevert(notAllowed)
    expect(r).toMatchObject({ kind: 'unknown', selector: '0x8626cc03', argumentBytes: 64 })
    expect(r.text).toBe('custom error 0x8626cc03 (unknown to walletd; 64 bytes of arguments)')
  })

  it('common errors are known without an ABI (OpenZeppelin, Permit2)', () => {
    const data = encodeErrorResult({
      abi: KNOWN_ERRORS_ABI,
      errorName: 'ERC20InsufficientAllowance',
      args: [CALLER, 5n, 10n],
    })
    expect(decodeRevert(data)).toMatchObject({
      kind: 'custom',
      name: 'ERC20InsufficientAllowance',
      text: `ERC20InsufficientAllowance(spender=${CALLER}, allowance=5, needed=10)`,
    })
    expect(decodeRevert(encodeErrorResult({ abi: KNOWN_ERRORS_ABI, errorName: 'InvalidNonce' })).text).toBe(
      'InvalidNonce()',
    )
  })

  it('the built-in table has no two errors with one selector', () => {
    const selectors = KNOWN_ERRORS_ABI.map((e) => toFunctionSelector(formatAbiItem(e)))
    expect(new Set(selectors).size).toBe(selectors.length)
  })

  it('empty and malformed data', () => {
    expect(decodeRevert('0x')).toMatchObject({ kind: 'empty', text: 'reverted without a reason' })
    expect(decodeRevert('0x08c379')).toMatchObject({ kind: 'malformed', dataBytes: 3 })
    expect(decodeRevert('0x08c379a0')).toMatchObject({ kind: 'malformed', dataBytes: 4 })
    expect(decodeRevert('0x08c379a0ffff')).toMatchObject({ kind: 'malformed' })
    // An offset pointing far beyond the data.
    expect(decodeRevert(`0x08c379a0${'f'.repeat(64)}`).kind).toBe('malformed')
    expect(decodeRevert('0x4e487b7100')).toMatchObject({ kind: 'malformed' })
    // A known custom error whose arguments are cut short.
    expect(decodeRevert(notAllowed.slice(0, 40) as Hex, { abi: reverterAbi }).kind).toBe('malformed')
  })

  it('upper-case hex is accepted and the data kept lower-case', () => {
    expect(decodeRevert(panic(0x12n).toUpperCase().replace('0X', '0x') as Hex).data).toBe(panic(0x12n))
  })
})

describe('revertOf', () => {
  it('code 3 with data (geth, Anvil)', () => {
    const err = new UpstreamRpcError(3, 'execution reverted: x', errorString('x'))
    expect(revertOf(err)).toEqual({ data: errorString('x'), nodeMessage: 'execution reverted: x' })
  })

  it('a "revert" message with { data } (Hardhat) or without data', () => {
    expect(revertOf(new UpstreamRpcError(-32603, 'VM Exception: reverted', { data: '0xABCD' }))).toEqual({
      data: '0xabcd',
      nodeMessage: 'VM Exception: reverted',
    })
    expect(revertOf(new UpstreamRpcError(-32000, 'execution reverted'))?.data).toBe('0x')
    expect(revertOf(new UpstreamRpcError(3, 'weird', 'not hex'))?.data).toBe('0x')
  })

  it('other errors are not reverts', () => {
    expect(revertOf(new UpstreamRpcError(-32000, 'insufficient funds for gas * price + value'))).toBeNull()
    expect(revertOf(new InternalError())).toBeNull()
    expect(revertOf(new Error('execution reverted'))).toBeNull()
    expect(revertOf(undefined)).toBeNull()
  })
})
