import { type AbiFunction, type Address, decodeAbiParameters, getAddress, type Hex, parseAbiItem } from 'viem'
import type { ApprovalWarning } from '../../approval/types.js'
import type { TokenInfo } from '../../upstream/createTokenInfoCache.js'
import { fitSummary } from './fitSummary.js'
import {
  compactAmount,
  compactTokenAmount,
  formatDeadline,
  formatTokenAmount,
  type TokenUnits,
} from './formatAmount.js'

/** What a decoded call risks, as values (the display and warnings say the same in words). */
export type CallRisk =
  /** An allowance ≥ 2^255 (or 2^159 for Permit2's uint160): all of the token, for good. */
  | 'unlimited-allowance'
  /** An allowance ≥ 2^128 but below "unlimited": practically all of it. */
  | 'huge-allowance'
  /** `setApprovalForAll(operator, true)`: every token of the collection. */
  | 'approval-for-all'
  /** The approved spender or operator has no code: approvals normally go to contracts. */
  | 'spender-without-code'
  /** The called address has no code: a token call there does nothing (but costs fees). */
  | 'token-without-code'
  /** Tokens sent to the token contract itself, which usually loses them. */
  | 'to-token-contract'
  /** Tokens sent to the zero address (burnt). */
  | 'to-zero-address'
  /** The selector is a known one but the arguments do not decode. */
  | 'malformed'
  /** More bytes than the function's arguments take. */
  | 'extra-data'

export type DisplayLine = { readonly label: string; readonly value: string }

type Common = {
  /** The first 4 bytes of the data; null when there are fewer. */
  readonly selector: Hex | null
  /** `transfer(address,uint256)`; null for an unknown selector. */
  readonly signature: string | null
  /** One short phrase for the summary line (under 100 characters). */
  readonly summary: string
  /** Label / value lines for the prompt's details (full addresses, exact amounts, raw values). */
  readonly display: readonly DisplayLine[]
  readonly warnings: readonly ApprovalWarning[]
  readonly risks: readonly CallRisk[]
}

/** A call's data decoded against the token standards walletd knows. */
export type DecodedCall = Common &
  (
    | { standard: 'erc20'; function: 'transfer'; args: { to: Address; amount: bigint } }
    | {
        standard: 'erc20'
        function: 'approve' | 'increaseAllowance'
        args: { spender: Address; amount: bigint }
      }
    | { standard: 'erc20'; function: 'transferFrom'; args: { from: Address; to: Address; amount: bigint } }
    | { standard: 'erc721'; function: 'approve'; args: { to: Address; tokenId: bigint } }
    | {
        standard: 'erc721'
        function: 'transferFrom' | 'safeTransferFrom'
        args: { from: Address; to: Address; tokenId: bigint; data: Hex | null }
      }
    | {
        standard: 'erc721' | 'erc1155'
        function: 'setApprovalForAll'
        args: { operator: Address; approved: boolean }
      }
    | {
        standard: 'erc1155'
        function: 'safeTransferFrom'
        args: { from: Address; to: Address; id: bigint; amount: bigint; data: Hex }
      }
    | {
        standard: 'erc1155'
        function: 'safeBatchTransferFrom'
        args: { from: Address; to: Address; ids: readonly bigint[]; amounts: readonly bigint[]; data: Hex }
      }
    | {
        standard: 'erc2612'
        function: 'permit'
        args: { owner: Address; spender: Address; value: bigint; deadline: bigint }
      }
    | {
        standard: 'permit2'
        function: 'approve'
        args: { token: Address; spender: Address; amount: bigint; expiration: number }
      }
    | {
        standard: null
        function: null
        /** `looksLike`: the known signature whose selector it has, when its arguments do not decode. */
        args: { dataBytes: number; looksLike: string | null }
      }
  )

/** What the decoding needs from the chain (read by describeCall, or given by a test). */
export type DecodeCallContext = {
  /** The called address (the transaction's `to`). */
  contract: Address
  /** Token metadata by lowercase address: the called contract, and Permit2's token. */
  tokens: ReadonlyMap<string, TokenInfo>
  /** Whether the approved spender or operator has code; null or absent when unknown. */
  spenderHasCode?: boolean | null
}

type Kind =
  | 'erc20.transfer'
  | 'approve'
  | 'transferFrom'
  | 'erc20.increaseAllowance'
  | 'erc721.safeTransferFrom'
  | 'erc721.safeTransferFromData'
  | 'setApprovalForAll'
  | 'erc1155.safeTransferFrom'
  | 'erc1155.safeBatchTransferFrom'
  | 'erc2612.permit'
  | 'permit2.approve'

type Known = { selector: Hex; kind: Kind; item: AbiFunction; signature: string; static: boolean }

const KNOWN: ReadonlyMap<string, Known> = new Map(
  (
    [
      ['0xa9059cbb', 'erc20.transfer', 'function transfer(address to, uint256 amount)'],
      ['0x095ea7b3', 'approve', 'function approve(address spender, uint256 amount)'],
      ['0x23b872dd', 'transferFrom', 'function transferFrom(address from, address to, uint256 amount)'],
      [
        '0x39509351',
        'erc20.increaseAllowance',
        'function increaseAllowance(address spender, uint256 addedValue)',
      ],
      [
        '0x42842e0e',
        'erc721.safeTransferFrom',
        'function safeTransferFrom(address from, address to, uint256 tokenId)',
      ],
      [
        '0xb88d4fde',
        'erc721.safeTransferFromData',
        'function safeTransferFrom(address from, address to, uint256 tokenId, bytes data)',
      ],
      ['0xa22cb465', 'setApprovalForAll', 'function setApprovalForAll(address operator, bool approved)'],
      [
        '0xf242432a',
        'erc1155.safeTransferFrom',
        'function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes data)',
      ],
      [
        '0x2eb2c2d6',
        'erc1155.safeBatchTransferFrom',
        'function safeBatchTransferFrom(address from, address to, uint256[] ids, uint256[] amounts, bytes data)',
      ],
      [
        '0xd505accf',
        'erc2612.permit',
        'function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)',
      ],
      [
        '0x87517c45',
        'permit2.approve',
        'function approve(address token, address spender, uint160 amount, uint48 expiration)',
      ],
    ] as const
  ).map(([selector, kind, text]) => {
    const item = parseAbiItem(text) as AbiFunction
    const signature = `${item.name}(${item.inputs.map((i) => i.type).join(',')})`
    const isStatic = item.inputs.every(
      (i) => !i.type.endsWith('[]') && i.type !== 'bytes' && i.type !== 'string',
    )
    return [selector, { selector: selector as Hex, kind, item, signature, static: isStatic }] as const
  }),
)

/** 2^255: from here an allowance is "unlimited" (max uint256 and its halves are the usual values). */
export const UNLIMITED_UINT256 = 2n ** 255n
/** 2^159: "unlimited" for Permit2's uint160 amounts (max uint160 is the usual value). */
export const UNLIMITED_UINT160 = 2n ** 159n
/** 2^128: a "huge" allowance, practically unlimited for any token. */
export const HUGE_AMOUNT = 2n ** 128n
const MAX_UINT48 = 2 ** 48 - 1
const ZERO = '0x0000000000000000000000000000000000000000'

/**
 * What to read from the chain before decoding: the tokens whose metadata matter and the spender
 * whose code matters. null for data that is not a known token call.
 */
export function callReads(
  data: Hex,
  contract: Address,
): { tokens: Address[]; spender: Address | null } | null {
  const known = KNOWN.get(data.slice(0, 10).toLowerCase())
  if (!known) return null
  let args: readonly unknown[]
  try {
    args = decodeAbiParameters(known.item.inputs, `0x${data.slice(10)}` as Hex)
  } catch {
    return { tokens: [contract], spender: null }
  }
  switch (known.kind) {
    case 'approve':
    case 'erc20.increaseAllowance':
    case 'setApprovalForAll':
      return { tokens: [contract], spender: getAddress(args[0] as string) }
    case 'erc2612.permit':
      return { tokens: [contract], spender: getAddress(args[1] as string) }
    case 'permit2.approve':
      return { tokens: [getAddress(args[0] as string)], spender: getAddress(args[1] as string) }
    default:
      return { tokens: [contract], spender: null }
  }
}

/**
 * Decodes calldata against ERC-20, ERC-721, ERC-1155, EIP-2612 `permit` and Permit2 `approve`
 * (with viem's ABI decoding) and describes it for a person: amounts with the token's decimals
 * and symbol (raw units beside them, or alone when the metadata could not be read), unlimited
 * allowances and approvals for all as WARNINGs, a spender without code flagged. `approve` and
 * `transferFrom` are ERC-721 when the contract says so through ERC-165, else ERC-20. Unknown
 * selectors come back as such with the data length. Pure; never throws.
 */
export function decodeCall(data: Hex, context: DecodeCallContext): DecodedCall {
  const bytes = (data.length - 2) / 2
  const selector = bytes >= 4 ? (data.slice(0, 10).toLowerCase() as Hex) : null
  const known = selector ? KNOWN.get(selector) : undefined
  if (!selector || !known) return unknownCall(context.contract, selector, bytes)
  let args: readonly unknown[]
  try {
    args = decodeAbiParameters(known.item.inputs, `0x${data.slice(10)}` as Hex)
  } catch {
    return malformedCall(data, context.contract, selector, known)
  }
  const b = new Builder(context, known)
  if (known.static) {
    const expected = 4 + 32 * known.item.inputs.length
    if (bytes > expected) {
      b.line('extra data', `${bytes - expected} bytes after the arguments`)
      b.warn(
        'extra-data',
        `The data has ${bytes - expected} bytes more than ${known.signature} takes: a standard token ignores them, but this is unusual.`,
      )
    }
  }
  const address = (i: number) => getAddress(args[i] as string)
  const uint = (i: number) => args[i] as bigint
  const token = b.tokenAt(context.contract)
  const nft = token?.erc721 === true

  switch (known.kind) {
    case 'erc20.transfer': {
      const [to, amount] = [address(0), uint(1)]
      b.erc20Header(token)
      b.line('recipient', to)
      b.line('amount', formatTokenAmount(amount, units(token)))
      b.checkRecipient(to)
      return b.done(
        { standard: 'erc20', function: 'transfer', args: { to, amount } },
        (short) => `Transfer ${compactTokenAmount(amount, units(token))} to ${short(to)}`,
      )
    }
    case 'approve': {
      if (nft) {
        const [to, tokenId] = [address(0), uint(1)]
        b.nftHeader(token, 'ERC-721')
        b.line('approved', to)
        b.line('token id', tokenId.toString())
        if (to !== ZERO) b.checkSpender(to)
        return b.done({ standard: 'erc721', function: 'approve', args: { to, tokenId } }, (short) =>
          to === ZERO
            ? `Clear the approval of NFT #${shortId(tokenId)} (${collection(token)})`
            : `Let ${short(to)} take NFT #${shortId(tokenId)} (${collection(token)})`,
        )
      }
      const [spender, amount] = [address(0), uint(1)]
      b.erc20Header(token)
      b.line('spender', spender)
      b.allowance('allowance', amount, UNLIMITED_UINT256, units(token), spender)
      if (amount > 0n) b.checkSpender(spender)
      return b.done({ standard: 'erc20', function: 'approve', args: { spender, amount } }, (short) =>
        amount === 0n
          ? `Revoke ${short(spender)}'s allowance of ${symbolOf(token)}`
          : `Approve ${short(spender)} to spend ${allowanceShort(amount, UNLIMITED_UINT256, token)}`,
      )
    }
    case 'erc20.increaseAllowance': {
      const [spender, amount] = [address(0), uint(1)]
      b.erc20Header(token)
      b.line('spender', spender)
      b.allowance('added allowance', amount, UNLIMITED_UINT256, units(token), spender)
      if (amount > 0n) b.checkSpender(spender)
      return b.done(
        { standard: 'erc20', function: 'increaseAllowance', args: { spender, amount } },
        (short) => `Let ${short(spender)} spend ${allowanceShort(amount, UNLIMITED_UINT256, token)} more`,
      )
    }
    case 'transferFrom': {
      const [from, to, value] = [address(0), address(1), uint(2)]
      if (nft) {
        b.nftHeader(token, 'ERC-721')
        b.line('from', from)
        b.line('recipient', to)
        b.line('token id', value.toString())
        b.checkRecipient(to)
        return b.done(
          { standard: 'erc721', function: 'transferFrom', args: { from, to, tokenId: value, data: null } },
          (short) => `Transfer NFT #${shortId(value)} (${collection(token)}) to ${short(to)}`,
        )
      }
      b.erc20Header(token)
      b.line('from', from)
      b.line('recipient', to)
      b.line('amount', formatTokenAmount(value, units(token)))
      b.checkRecipient(to)
      return b.done(
        { standard: 'erc20', function: 'transferFrom', args: { from, to, amount: value } },
        (short) => `Transfer ${compactTokenAmount(value, units(token))} from ${short(from)} to ${short(to)}`,
      )
    }
    case 'erc721.safeTransferFrom':
    case 'erc721.safeTransferFromData': {
      const [from, to, tokenId] = [address(0), address(1), uint(2)]
      const extra = known.kind === 'erc721.safeTransferFromData' ? (args[3] as Hex) : null
      b.nftHeader(token, 'ERC-721')
      b.line('from', from)
      b.line('recipient', to)
      b.line('token id', tokenId.toString())
      if (extra !== null) b.line('data', `${(extra.length - 2) / 2} bytes`)
      b.checkRecipient(to)
      return b.done(
        { standard: 'erc721', function: 'safeTransferFrom', args: { from, to, tokenId, data: extra } },
        (short) => `Transfer NFT #${shortId(tokenId)} (${collection(token)}) to ${short(to)}`,
      )
    }
    case 'setApprovalForAll': {
      const [operator, approved] = [address(0), args[1] as boolean]
      const standard = token?.erc1155 === true && !nft ? 'erc1155' : 'erc721'
      b.nftHeader(token, nft ? 'ERC-721' : standard === 'erc1155' ? 'ERC-1155' : 'ERC-721 or ERC-1155')
      b.line('operator', operator)
      b.line('approved', approved ? 'yes: ALL tokens of this collection' : 'no (revokes the operator)')
      if (approved) {
        b.warn(
          'approval-for-all',
          `Approval for ALL: ${operator} could transfer every token you hold in ${collection(token)}, now and later, without asking again.`,
        )
        b.checkSpender(operator)
      }
      return b.done({ standard, function: 'setApprovalForAll', args: { operator, approved } }, (short) =>
        approved
          ? `Let ${short(operator)} move ALL your ${collection(token)} tokens`
          : `Revoke ${short(operator)} as operator of your ${collection(token)} tokens`,
      )
    }
    case 'erc1155.safeTransferFrom': {
      const [from, to, id, amount] = [address(0), address(1), uint(2), uint(3)]
      const extra = args[4] as Hex
      b.nftHeader(token, 'ERC-1155')
      b.line('from', from)
      b.line('recipient', to)
      b.line('token id', id.toString())
      b.line('amount', amount.toString())
      b.line('data', `${(extra.length - 2) / 2} bytes`)
      b.checkRecipient(to)
      return b.done(
        { standard: 'erc1155', function: 'safeTransferFrom', args: { from, to, id, amount, data: extra } },
        (short) =>
          `Transfer ${compactAmount(amount, 0)} of token #${shortId(id)} (${collection(token)}) to ${short(to)}`,
      )
    }
    case 'erc1155.safeBatchTransferFrom': {
      const [from, to] = [address(0), address(1)]
      const ids = args[2] as readonly bigint[]
      const amounts = args[3] as readonly bigint[]
      const extra = args[4] as Hex
      b.nftHeader(token, 'ERC-1155')
      b.line('from', from)
      b.line('recipient', to)
      const shown = Math.min(ids.length, 50)
      for (let i = 0; i < shown; i++) b.line(`token #${ids[i]}`, `${amounts[i] ?? '(no amount)'}`)
      if (ids.length > shown) b.line('more', `${ids.length - shown} more token ids`)
      if (ids.length !== amounts.length) {
        b.warn(
          'malformed',
          `${ids.length} token ids but ${amounts.length} amounts: a standard contract refuses this.`,
        )
      }
      b.line('data', `${(extra.length - 2) / 2} bytes`)
      b.checkRecipient(to)
      return b.done(
        {
          standard: 'erc1155',
          function: 'safeBatchTransferFrom',
          args: { from, to, ids, amounts, data: extra },
        },
        (short) => `Transfer ${ids.length} kinds of ${collection(token)} tokens to ${short(to)}`,
      )
    }
    case 'erc2612.permit': {
      const [owner, spender, value, deadline] = [address(0), address(1), uint(2), uint(3)]
      b.erc20Header(token)
      b.line('owner', owner)
      b.line('spender', spender)
      b.allowance('allowance', value, UNLIMITED_UINT256, units(token), spender)
      b.line('deadline', formatDeadline(deadline))
      if (value > 0n) b.checkSpender(spender)
      return b.done(
        { standard: 'erc2612', function: 'permit', args: { owner, spender, value, deadline } },
        (short) =>
          `Submit a permit: ${short(spender)} may spend ${allowanceShort(value, UNLIMITED_UINT256, token)}`,
      )
    }
    case 'permit2.approve': {
      const [tokenAddress, spender, amount] = [address(0), address(1), uint(2)]
      const expiration = Number(args[3] as number | bigint)
      const inner = b.tokenAt(tokenAddress)
      b.line('contract', `${context.contract} (Permit2 approve)`)
      b.line('token', tokenLabel(tokenAddress, inner))
      b.line('spender', spender)
      b.allowance('allowance', amount, UNLIMITED_UINT160, units(inner), spender)
      b.line('expires', expiration === MAX_UINT48 ? 'never' : formatDeadline(BigInt(expiration)))
      if (amount > 0n) b.checkSpender(spender)
      return b.done(
        {
          standard: 'permit2',
          function: 'approve',
          args: { token: tokenAddress, spender, amount, expiration },
        },
        (short) => `Permit2: let ${short(spender)} spend ${allowanceShort(amount, UNLIMITED_UINT160, inner)}`,
      )
    }
  }
}

/** Collects display lines, warnings and risks while one call is described. */
class Builder {
  readonly display: DisplayLine[] = []
  readonly warnings: ApprovalWarning[] = []
  readonly risks: CallRisk[] = []

  constructor(
    private readonly context: DecodeCallContext,
    private readonly known: Known,
  ) {
    this.line(
      'function',
      `${known.item.name}(${known.item.inputs.map((i) => `${i.type} ${i.name}`).join(', ')})`,
    )
  }

  tokenAt(address: Address): TokenInfo | null {
    return this.context.tokens.get(address.toLowerCase()) ?? null
  }

  line(label: string, value: string) {
    this.display.push({ label, value })
  }

  warn(risk: CallRisk, message: string) {
    if (!this.risks.includes(risk)) this.risks.push(risk)
    this.warnings.push({ level: 'warning', message })
  }

  erc20Header(token: TokenInfo | null) {
    this.line('standard', 'ERC-20')
    this.line('token', tokenLabel(this.context.contract, token))
    this.noCode(token)
  }

  nftHeader(token: TokenInfo | null, standard: string) {
    this.line('standard', standard)
    this.line('collection', tokenLabel(this.context.contract, token, { decimals: false }))
    this.noCode(token)
  }

  private noCode(token: TokenInfo | null) {
    if (token && !token.hasCode) {
      this.warn(
        'token-without-code',
        `${this.context.contract} has no code: this token call would do nothing (and still cost fees). Check the address.`,
      )
    }
  }

  allowance(label: string, amount: bigint, unlimited: bigint, token: TokenUnits, spender: Address) {
    const yours = token.symbol ? `your ${token.symbol}` : 'of this token'
    if (amount >= unlimited) {
      this.line(label, `UNLIMITED (${amount} raw units)`)
      this.warn(
        'unlimited-allowance',
        `UNLIMITED token approval: ${spender} could spend ALL ${yours}, now and later, without asking again.`,
      )
    } else {
      this.line(label, formatTokenAmount(amount, token))
      if (amount >= HUGE_AMOUNT) {
        this.warn(
          'huge-allowance',
          `Token approval of an enormous amount (${compactTokenAmount(amount, token)}): ${spender} could spend practically all ${yours}.`,
        )
      }
    }
  }

  checkSpender(spender: Address) {
    if (this.context.spenderHasCode === false) {
      this.warn(
        'spender-without-code',
        `The approved address ${spender} is not a contract (it has no code): approvals normally go to contracts (an exchange, a marketplace); approving a plain account is a common phishing pattern.`,
      )
    }
  }

  checkRecipient(to: Address) {
    if (to === ZERO)
      this.warn('to-zero-address', 'The recipient is the zero address: the tokens would be burnt.')
    else if (to.toLowerCase() === this.context.contract.toLowerCase()) {
      this.warn(
        'to-token-contract',
        'The recipient is the token contract itself: tokens sent there are usually lost for good.',
      )
    }
  }

  done<T extends Omit<DecodedCall, keyof Common>>(
    decoded: T,
    summary: (short: (a: Address) => string) => string,
  ): DecodedCall {
    return {
      ...decoded,
      selector: this.known.selector,
      signature: this.known.signature,
      summary: fitSummary(summary),
      display: this.display,
      warnings: this.warnings,
      risks: this.risks,
    } as DecodedCall
  }
}

function unknownCall(contract: Address, selector: Hex | null, bytes: number): DecodedCall {
  const display: DisplayLine[] =
    selector === null
      ? [{ label: 'data', value: `${bytes} bytes (too short to be a function call)` }]
      : [
          { label: 'function', value: `unknown (selector ${selector})` },
          { label: 'data', value: `${bytes} bytes` },
        ]
  return {
    standard: null,
    function: null,
    args: { dataBytes: bytes, looksLike: null },
    selector,
    signature: null,
    summary: fitSummary((short) =>
      selector === null
        ? `Call ${short(contract)} with ${bytes} bytes of data`
        : `Call ${short(contract)} (unknown function ${selector})`,
    ),
    display,
    warnings: [],
    risks: [],
  }
}

function malformedCall(data: Hex, contract: Address, selector: Hex, known: Known): DecodedCall {
  const bytes = (data.length - 2) / 2
  return {
    standard: null,
    function: null,
    args: { dataBytes: bytes, looksLike: known.signature },
    selector,
    signature: null,
    summary: fitSummary((short) => `Call ${short(contract)} (malformed ${known.item.name} call)`),
    display: [
      {
        label: 'function',
        value: `selector ${selector} of ${known.signature}, but the arguments do not decode`,
      },
      { label: 'data', value: `${bytes} bytes` },
    ],
    warnings: [
      {
        level: 'warning',
        message: `The data starts like ${known.signature} but its arguments do not decode: the contract may read them differently than anything walletd can show.`,
      },
    ],
    risks: ['malformed'],
  }
}

const units = (token: TokenInfo | null): TokenUnits => ({
  symbol: token?.symbol ?? null,
  decimals: token?.decimals ?? null,
})

const symbolOf = (token: TokenInfo | null) => token?.symbol ?? 'the token'

/** `Test Token (TT) at 0x…, 18 decimals`, or the address and what could not be read. */
function tokenLabel(address: Address, token: TokenInfo | null, options: { decimals?: boolean } = {}): string {
  if (!token) return `${address} (its metadata could not be read)`
  if (!token.hasCode) return `${address} (no contract at this address)`
  const withDecimals = options.decimals !== false
  const named = [token.name, token.symbol && token.symbol !== token.name ? `(${token.symbol})` : null]
    .filter(Boolean)
    .join(' ')
  const missing = [
    withDecimals && token.decimals === null ? 'decimals()' : null,
    token.symbol === null ? 'symbol()' : null,
  ].filter(Boolean)
  return [
    named ? `${named} at ${address}` : address,
    withDecimals && token.decimals !== null ? `${token.decimals} decimals` : null,
    missing.length ? `token metadata could not be read: ${missing.join(', ')}` : null,
  ]
    .filter(Boolean)
    .join(', ')
}

function collection(token: TokenInfo | null): string {
  return shortText(token?.symbol ?? token?.name ?? 'this collection', 16)
}

function allowanceShort(amount: bigint, unlimited: bigint, token: TokenInfo | null): string {
  const symbol = token?.symbol ? shortText(token.symbol, 16) : null
  if (amount >= unlimited) return `UNLIMITED ${symbol ?? 'tokens'}`
  return compactTokenAmount(amount, { symbol, decimals: token?.decimals ?? null })
}

const shortText = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

/** A token id short enough for a summary line (the details have it in full). */
const shortId = (id: bigint) => {
  const s = id.toString()
  return s.length > 16 ? `${s.slice(0, 6)}…${s.slice(-4)}` : s
}
