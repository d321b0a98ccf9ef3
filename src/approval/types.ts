import type { Address, Hex } from 'viem'

/**
 * What a request asks the person to allow. A method declares its kind in its own definition
 * (`approval.kind`); nothing in src/approval matches method names.
 */
export type ApprovalKind = 'connect' | 'message' | 'typedData' | 'transaction' | 'calls' | 'chain' | 'asset'

export const APPROVAL_KINDS: readonly ApprovalKind[] = [
  'connect',
  'message',
  'typedData',
  'transaction',
  'calls',
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

/** The token standards a simulation recognises in logs. */
export type TokenStandard = 'erc20' | 'erc721' | 'erc1155'

/** How the sender's holding of one asset changes: + received, − sent (base units; 1 per NFT). */
export type TokenChange = {
  readonly token: Address
  readonly standard: TokenStandard
  /** ERC-721 / ERC-1155 token id; null for ERC-20. */
  readonly tokenId: bigint | null
  readonly change: bigint
  /** Read from the chain (cached); null when it could not be read. */
  readonly symbol: string | null
  readonly decimals: number | null
}

/**
 * An allowance or operator approval given by the sender (a simulated Approval / ApprovalForAll
 * log, or a signed permit): who may move which tokens, how many, until when.
 */
export type GrantedApproval = {
  readonly standard: TokenStandard | 'permit2' | 'erc2612'
  readonly token: Address
  readonly spender: Address
  /** Base units; null for an approval of a single NFT or of all tokens (see `tokenId`, `forAll`). */
  readonly amount: bigint | null
  /** ERC-721 `approve` of one token. */
  readonly tokenId: bigint | null
  /** `setApprovalForAll(operator, true)`: every token of the collection. */
  readonly forAll: boolean
  /** An allowance of (practically) everything: ≥ 2^255 (2^159 for Permit2), or for all. */
  readonly unlimited: boolean
  /** Unix seconds after which it no longer holds; null: no deadline (or not known). */
  readonly deadline: bigint | null
  readonly symbol: string | null
  readonly decimals: number | null
}

/**
 * What simulating a transaction (or a batch, as one sequence) on the origin's chain said it
 * would do, from the sender's point of view. `by` names what could simulate it:
 * `eth_simulateV1` and `debug_traceCall` see transfers, logs and reverts (`changesKnown`);
 * `eth_call` sees only success or revert; `not-simulated` means nothing could (see `notes`).
 */
export type SimulationFacts = {
  readonly status: 'success' | 'reverted' | 'not-simulated'
  readonly by: 'eth_simulateV1' | 'debug_traceCall' | 'eth_call' | null
  /** True when the balance changes, approvals and created contracts below were observed. */
  readonly changesKnown: boolean
  /** The sender's net native change in wei, fee included (negative: it pays); null when unknown. */
  readonly nativeChange: bigint | null
  /** Gas used × the effective gas price of the filled transaction(s), in wei; null when unknown. */
  readonly fee: bigint | null
  readonly gasUsed: bigint | null
  /** Each call of the sequence (one for a transaction): its outcome and gas used. */
  readonly calls: readonly { readonly status: 'success' | 'reverted'; readonly gasUsed: bigint | null }[]
  /** Token balance changes of the sender (not native), nonzero only. */
  readonly tokenChanges: readonly TokenChange[]
  /** Allowances and operator approvals the sender would grant (revocations are not listed). */
  readonly approvals: readonly GrantedApproval[]
  readonly contractsCreated: readonly Address[]
  /** The first call that reverts: its index in the sequence and the revert data. */
  readonly revert: { readonly callIndex: number; readonly data: Hex } | null
  /**
   * Addresses the sender's native or tokens would flow to that have no code and that walletd
   * has not sent to from this account (see docs/protocol.md, "Simulation").
   */
  readonly newRecipients: readonly Address[]
  /** What was tried and could not be done, in words (shown as a WARNING when not simulated). */
  readonly notes: readonly string[]
}

/** One call of an EIP-5792 batch, as approved. */
export type BatchCallFacts = {
  /** null: contract creation. */
  readonly to: Address | null
  readonly value: bigint
  readonly data: Hex
  readonly selector: Hex | null
  readonly decoded?: DecodedCallFacts | undefined
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
      /** The allowances that signature grants: token, spender, amount, deadline (one per token). */
      readonly allowances?: readonly GrantedApproval[] | undefined
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
      /** What simulating it said (absent only in facts built by hand, e.g. `walletd policy check`). */
      readonly simulation?: SimulationFacts | undefined
    }
  | {
      /** An EIP-5792 batch (`wallet_sendCalls`): sent one by one, in order, approved once. */
      readonly kind: 'calls'
      readonly chainId: number
      readonly account: Address
      readonly calls: readonly BatchCallFacts[]
      /** Total native value of the calls. */
      readonly value: bigint
      /** Sum of the gas limits. */
      readonly gas: bigint
      /** The most the batch can cost in fees, in wei. */
      readonly maxFeeWei: bigint
      readonly simulation?: SimulationFacts | undefined
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
