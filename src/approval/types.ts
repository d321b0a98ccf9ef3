import type { Address, Hex } from 'viem'

/**
 * What a request asks the person to allow. A method declares its kind in its own definition
 * (`approval.kind`); nothing in src/approval matches method names.
 */
export type ApprovalKind = 'connect' | 'message' | 'typedData' | 'transaction' | 'chain' | 'asset'

export const APPROVAL_KINDS: readonly ApprovalKind[] = [
  'connect',
  'message',
  'typedData',
  'transaction',
  'chain',
  'asset',
]

/** `critical` blocks the request without asking; `warning` is shown to whoever decides. */
export type ApprovalWarning = { level: 'critical' | 'warning'; message: string }

/** What approving takes: `yes`, or for a transaction to an address the last 4 hex characters of the recipient. */
export type AnswerRule = 'yes' | 'recipient'

/** An ERC-20 / 721 / 1155 / Permit call decoded from calldata or typed data (display-independent). */
export type DecodedCallFacts = {
  /** `erc20`, `erc721`, `erc1155`, `permit2`, … or `unknown`. */
  readonly standard: string
  /** The function name (`approve`, `transfer`, `setApprovalForAll`, …). */
  readonly name: string
  /** The recipient, spender or operator the call names, when it names one. */
  readonly counterparty?: Address | undefined
  /** The token amount in base units, when the call moves or allows one. */
  readonly amount?: bigint | undefined
  /** True for an allowance or operator approval (approve, permit, setApprovalForAll true, …). */
  readonly grantsApproval: boolean
  /** An allowance of (practically) everything: max uint, or an approval for all. */
  readonly unlimited: boolean
}

/**
 * Machine-readable facts of a request, typed per kind, beside its display text. Approvers that
 * decide without a person (the policy) read these and never the display strings.
 * `chainId` is always the origin's active chain.
 */
export type ApprovalFacts =
  | {
      readonly kind: 'connect'
      readonly chainId: number
      /** The accounts the person may choose from. */
      readonly accounts: readonly Address[]
    }
  | {
      readonly kind: 'message'
      readonly chainId: number
      readonly account: Address
      /** The exact bytes that are signed (EIP-191 prefix not included). */
      readonly bytes: Hex
      /** The message as UTF-8 text, or null when it is not valid UTF-8. */
      readonly text: string | null
      /** Sign-In with Ethereum fields when the text is one. */
      readonly siwe: { readonly domain: string; readonly uri?: string | undefined } | null
    }
  | {
      readonly kind: 'typedData'
      readonly chainId: number
      readonly account: Address
      readonly primaryType: string
      readonly domain: {
        readonly name?: string | undefined
        readonly version?: string | undefined
        readonly chainId?: number | undefined
        readonly verifyingContract?: Address | undefined
      }
      /** A recognised allowance signature (Permit, Permit2), when it is one. */
      readonly decoded?: DecodedCallFacts | undefined
    }
  | {
      readonly kind: 'transaction'
      readonly chainId: number
      readonly account: Address
      /** null: contract creation. */
      readonly to: Address | null
      readonly value: bigint
      readonly data: Hex
      /** The 4-byte selector, or null without calldata. */
      readonly selector: Hex | null
      readonly gas: bigint
      /** The most the transaction can cost in fees (gas × max fee per gas), in wei. */
      readonly maxFeeWei: bigint
      readonly decoded?: DecodedCallFacts | undefined
    }
  | {
      readonly kind: 'chain'
      readonly chainId: number
      readonly action: 'switch' | 'add'
      /** The chain the origin would switch to (or add). */
      readonly targetChainId: number
      /** For `add`: scheme, host and port of the RPC URL (no path or query). */
      readonly rpcHost?: string | undefined
    }
  | {
      readonly kind: 'asset'
      readonly chainId: number
      readonly standard: string
      readonly address: Address
      readonly symbol: string
      readonly decimals: number
    }

/**
 * What a method's `prepare` returns: one summary line, the details shown to a person, the facts,
 * the warnings, and what the handler will need afterwards (`prepared`: a filled transaction, the
 * exact bytes), handed on typed.
 */
export type ApprovalDraft<Prepared = unknown> = {
  /** One human line under 100 characters: "Sign a message", "Send 1.5 ETH to 0x…". */
  summary: string
  /** Decoded, displayable details: only what will actually be signed or sent. */
  details: Record<string, unknown>
  facts: ApprovalFacts
  warnings: ApprovalWarning[]
  prepared: Prepared
  /** For connect: the accounts offered and the ones chosen when the approver picks none. */
  choices?: { accounts: readonly Address[]; defaults: readonly Address[] } | undefined
}

/** Immutable once created: what every approver is shown. */
export type ApprovalRequest = Readonly<{
  id: string
  origin: string
  method: string
  kind: ApprovalKind
  chainId: number
  summary: string
  details: Readonly<Record<string, unknown>>
  facts: ApprovalFacts
  warnings: readonly ApprovalWarning[]
  answer: AnswerRule
  choices?: Readonly<{ accounts: readonly Address[]; defaults: readonly Address[] }> | undefined
  createdAt: number
  expiresAt: number
}>

/**
 * Why a request was not approved. `rejected`: a person (or a policy rule) said no; `blocked`: a
 * critical finding; `no-approver`: nobody who could decide; `timeout`; `cancelled`: the
 * connection closed; `withdrawn`: another approver decided first (what the others are told);
 * `cooldown`: the origin was rejected too often; `locked`: no account is unlocked; `invalid-decision`:
 * an answer that was not a well-formed approval; the rest come from the terminal.
 */
export type DecisionReason =
  | 'rejected'
  | 'blocked'
  | 'no-approver'
  | 'timeout'
  | 'cancelled'
  | 'withdrawn'
  | 'cooldown'
  | 'locked'
  | 'error'
  | 'invalid-decision'
  | 'interrupted'
  | 'eof'
  | 'shutdown'
  | 'too-large'

export const DECISION_REASONS: readonly DecisionReason[] = [
  'rejected',
  'blocked',
  'no-approver',
  'timeout',
  'cancelled',
  'withdrawn',
  'cooldown',
  'locked',
  'error',
  'invalid-decision',
  'interrupted',
  'eof',
  'shutdown',
  'too-large',
]

/**
 * An approver's answer. An approval of a connect request may name the accounts chosen (a subset
 * of `request.choices.accounts`); `rule` names the policy rule that decided; a rejection may carry
 * a `note` (at most 200 characters kept).
 */
export type ApprovalDecision =
  | { approved: true; accounts?: readonly Address[] | undefined; rule?: string | undefined }
  | {
      approved: false
      reason: DecisionReason
      rule?: string | undefined
      /** Free text from the person who rejected (`walletd reject ID --reason TEXT`): audit log only, never sent to the page. */
      note?: string | undefined
    }

/** The broker's verdict: the decision, who made it, and whether anyone was asked at all. */
export type Decided = ApprovalDecision & {
  /** The approver that decided (`terminal`, `cli`, `policy`, …), or `walletd` when nobody was asked. */
  by: string
  /** False when the request was refused before any approver saw it (critical, cooldown, no approver). */
  asked: boolean
}

/**
 * Decides approval requests: a person at the terminal, an OS notification, an attested policy.
 * Approvers race in the broker; the first decision wins and the others' signals abort (reason
 * `withdrawn`, or `timeout` / `cancelled`). `decide` resolves with a decision, or with `undefined`
 * to abstain (a policy with no matching rule), and must settle when its signal aborts. Anything
 * thrown counts as an abstention by that approver; it never approves.
 */
export interface Approver {
  readonly name: string
  /**
   * Decides at once, without a person (a policy). Instant approvers are asked first, outside the
   * queue rules; only when they all abstain does the request queue for the others.
   */
  readonly instant?: boolean
  decide(request: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision | undefined>
  /** Rejects what it shows and releases its resources (the terminal). */
  close?(): void
}
