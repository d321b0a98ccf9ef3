import { z } from 'zod'

const port = z.number().int().min(0).max(65535)
const positiveInt = z.number().int().positive()
const ms = z.number().int().positive()

/**
 * One token-bucket tier set. Every tier is a token bucket (refilled continuously, never a fixed
 * window): a request needs a token in each. In any window of T seconds a key passes at most
 * `burst + perSecond·T`, `perMinute·(1 + T/60)` and `perHour·(1 + T/3600)`.
 */
export const RateTierSchema = z
  .object({
    burst: positiveInt.describe('Capacity of the first bucket: requests allowed at once.'),
    perSecond: z
      .number()
      .positive()
      .max(1e6)
      .describe('Refill of the burst bucket per second (the sustained rate; 0.05 = one per 20 s).'),
    perMinute: positiveInt
      .optional()
      .describe('A bucket of this capacity refilled evenly over a minute (sustained rate per minute).'),
    perHour: positiveInt
      .optional()
      .describe('A bucket of this capacity refilled evenly over an hour (sustained rate per hour).'),
  })
  .strict()

export const CostClassSchema = z.enum(['read', 'prompt', 'sign'])

export const ChainSchema = z
  .object({
    chainId: positiveInt.describe('EIP-155 chain id.'),
    name: z.string().min(1).max(100),
    rpcUrls: z
      .array(z.url({ protocol: /^(wss?|https?)$/ }))
      .min(1)
      .describe('Upstream RPC URLs; ws(s) preferred (subscriptions), http(s) as fallback.'),
    nativeCurrency: z
      .object({
        name: z.string().min(1),
        symbol: z.string().min(1).max(12),
        decimals: z.number().int().min(0).max(36),
      })
      .strict()
      .default({ name: 'Ether', symbol: 'ETH', decimals: 18 }),
    blockExplorerUrls: z.array(z.url({ protocol: /^https?$/ })).default([]),
  })
  .strict()

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    dataDir: z
      .string()
      .min(1)
      .nullable()
      .describe('State directory (keystore, tokens, sessions, audit log). null: $XDG_DATA_HOME/walletd.'),
    runtimeDir: z
      .string()
      .min(1)
      .nullable()
      .describe('Runtime directory (runtime file, lock, admin socket). null: derived from $XDG_RUNTIME_DIR.'),
    dev: z.boolean().describe('Dev mode: start Anvil from @foundry-rs/anvil and use its test accounts.'),
    server: z
      .object({
        host: z.string().min(1).describe('Bind address. Anything but loopback needs allowRemote.'),
        allowRemote: z.boolean().describe('Allow binding a non-loopback address (prints a warning).'),
        port: port.describe('First port to try; 0 picks any free port.'),
        portRangeEnd: port.describe('Last port tried when the port is taken (bind-and-retry).'),
        strictPort: z.boolean().describe('Fail instead of moving to the next port.'),
        maxPayloadBytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024),
        maxJsonDepth: z.number().int().min(2).max(512),
        maxBatchSize: z.number().int().min(1).max(10000),
        maxIdLength: z.number().int().min(8).max(4096),
        maxHeaderBytes: z.number().int().min(1024).max(65536),
        maxHeadersCount: z.number().int().min(8).max(2000),
        headersTimeoutMs: ms,
        requestTimeoutMs: ms,
        keepAliveTimeoutMs: ms,
        authTimeoutMs: ms.describe(
          'A connection that opened without a token and has not finished the handshake is closed after this.',
        ),
        heartbeatMs: ms.describe('Ping interval; a socket that misses a pong is terminated.'),
        shutdownGraceMs: ms,
      })
      .strict()
      .refine((s) => s.headersTimeoutMs <= s.requestTimeoutMs, {
        message: 'headersTimeoutMs must be at most requestTimeoutMs',
        path: ['headersTimeoutMs'],
      }),
    connections: z
      .object({
        maxPerOrigin: positiveInt,
        maxPerDomain: positiveInt.describe(
          'Open WebSockets per registrable domain (eTLD+1) of the origin, all its subdomains together.',
        ),
        maxPerToken: positiveInt.describe('Open WebSockets per host token, whatever origins it presents.'),
        maxTotal: positiveInt,
        maxUnauthenticated: positiveInt.describe(
          'Connections still in the handshake (opened without a token) at most, in all; more are refused (429).',
        ),
        maxInFlightPerConnection: positiveInt,
        maxSubscriptionsPerConnection: positiveInt,
        maxBufferedBytes: positiveInt.describe(
          'A socket whose unsent data exceeds this is closed (slow reader).',
        ),
      })
      .strict(),
    chains: z.array(ChainSchema).describe('The chain registry.'),
    defaultChainId: positiveInt.nullable().describe('Chain a new origin starts on. null: the first chain.'),
    upstream: z
      .object({
        requestTimeoutMs: ms,
        connectTimeoutMs: ms,
        reconnectInitialMs: ms,
        reconnectMaxMs: ms,
        httpConnections: positiveInt,
      })
      .strict(),
    rateLimit: z
      .object({
        enabled: z.boolean().describe('false turns every rate limit off (connection caps stay).'),
        classes: z
          .object({ read: RateTierSchema, prompt: RateTierSchema, sign: RateTierSchema })
          .strict()
          .describe(
            'Budgets per origin and cost class. prompt and sign produce approval prompts: keep them strict.',
          ),
        methods: z
          .record(z.string().min(1).max(128), RateTierSchema)
          .describe(
            'Per-method budgets; a method listed here gets its own budget instead of its class budget.',
          ),
        domainFactor: z
          .number()
          .min(1)
          .max(1000)
          .describe(
            'A registrable domain (eTLD+1) gets this many times an origin budget, shared by its subdomains.',
          ),
        connection: RateTierSchema.describe('Every frame of a connection, before parsing.'),
        global: RateTierSchema.describe('All requests of all origins.'),
        authFailures: RateTierSchema.describe(
          'Failed host-token checks, all callers together; past it failures get 429 + Retry-After.',
        ),
        maxKeys: positiveInt.describe(
          'Buckets kept at most per kind (origins, domains, connections); buckets that are full again are forgotten first, then the least recently used.',
        ),
        logQuietMs: ms.describe(
          'A refused key is logged once, then at most once per this interval (with a count).',
        ),
      })
      .strict(),
    forwarding: z
      .object({
        maxLogBlockRange: positiveInt.describe(
          'eth_getLogs / eth_newFilter: the most blocks one query may span (-32602 beyond).',
        ),
      })
      .strict(),
    approval: z
      .object({
        timeoutMs: ms.describe('An approval not decided in time is rejected (4001, reason timeout).'),
        maxPending: positiveInt.describe(
          'Approval requests pending at once across all origins; more get -32002.',
        ),
        cooldownAfter: positiveInt.describe(
          'Rejections in a row (by a person) after which an origin is refused without asking for cooldownMs.',
        ),
        cooldownMs: ms.describe('How long an origin that was rejected too often is refused without asking.'),
      })
      .strict(),
    simulation: z
      .object({
        enabled: z
          .boolean()
          .describe('false: transactions are not simulated before their prompt (each prompt says so).'),
        timeoutMs: ms
          .max(60_000)
          .describe(
            'The most a simulation may add before a prompt; after it the prompt says what was not simulated.',
          ),
      })
      .strict(),
    batches: z
      .object({
        maxCalls: positiveInt
          .max(1000)
          .describe('Calls in one wallet_sendCalls batch at most; more get 5740.'),
        maxPerOrigin: positiveInt.describe(
          'Batches kept per origin; the oldest finished ones are forgotten first.',
        ),
        maxTotal: positiveInt.describe('Batches kept in all.'),
        retentionMs: ms.describe('How long a batch status stays readable (wallet_getCallsStatus).'),
        receiptTimeoutMs: ms.describe(
          "How long walletd waits for each call's receipt before it stops sending the rest.",
        ),
      })
      .strict(),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
        format: z.enum(['auto', 'json', 'pretty']).describe('auto: pretty on a TTY, JSON otherwise.'),
      })
      .strict(),
    devChain: z
      .object({
        anvilPort: port.describe('Port for the dev Anvil; 0 picks a free one.'),
        blockTimeSeconds: z.number().int().positive().nullable().describe('null: mine on demand.'),
        stateIntervalSeconds: z
          .number()
          .int()
          .positive()
          .max(3600)
          .nullable()
          .describe(
            'Anvil saves its chain state this often, so a restarted dev Anvil keeps it. null: a restart begins a fresh chain.',
          ),
      })
      .strict(),
    provider: z
      .object({
        isMetaMask: z.boolean().describe('Set isMetaMask on the injected provider (compatibility).'),
        windowEthereum: z
          .boolean()
          .describe(
            'Bundles written by `walletd provider` also set window.ethereum (when no other wallet holds it).',
          ),
      })
      .strict(),
  })
  .strict()

export type Config = z.infer<typeof ConfigSchema>
export type ChainConfig = z.infer<typeof ChainSchema>
export type RateTier = z.infer<typeof RateTierSchema>
export type CostClass = z.infer<typeof CostClassSchema>

/** The JSON schema for editors (config/walletd.schema.json is generated from this). */
export function toConfigJsonSchema(): unknown {
  return optionalEverywhere(z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }))
}

/**
 * A user file is a partial overlay on config/default.json, so for editors no key is required —
 * except inside array items (a chain needs its chainId, name and rpcUrls).
 */
function optionalEverywhere(node: unknown, inArrayItem = false): unknown {
  if (Array.isArray(node)) return node.map((n) => optionalEverywhere(n, inArrayItem))
  if (typeof node !== 'object' || node === null) return node
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node)) {
    if (k === 'required' && !inArrayItem) continue
    out[k] = optionalEverywhere(v, inArrayItem || k === 'items')
  }
  return out
}
