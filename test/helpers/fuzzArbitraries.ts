import fc from 'fast-check'
import type { Address } from 'viem'

/**
 * fast-check arbitraries for the JSON-RPC surface: envelopes (ids of every type, missing and
 * extra fields, wrong versions), params for every method (valid-shaped and hostile), typed
 * data, transactions, raw frame bytes, HTTP request targets and headers. Test-only.
 */

/** Method names that must never dispatch to anything: prototype keys, case variants, admin-ish names. */
export const HOSTILE_METHODS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'prototype',
  'eth_sign',
  'ETH_SIGN',
  'Eth_Sign',
  'eth_signTransaction',
  'ETH_SENDTRANSACTION',
  'Personal_Sign',
  'personal_sign ',
  ' personal_sign',
  'personal_sign\u0000',
  'eth_sendTransaction\n',
  'wallet_sendTransaction',
  'eth_decrypt',
  'personal_unlockAccount',
  'personal_importRawKey',
  'admin_addPeer',
  'admin_nodeInfo',
  'debug_setHead',
  'miner_setEtherbase',
  'anvil_setBalance',
  'anvil_impersonateAccount',
  'hardhat_setBalance',
  'evm_revert',
  'walletd_auth',
  'walletd_status',
  'walletd_approve',
  'walletd_revokeToken',
  'eth_',
  '',
  'rpc.discover',
  'rpc.on',
]

/** The methods that produce a signature or send a transaction (each asks for an approval). */
export const SIGNING_METHODS = [
  'personal_sign',
  'eth_signTypedData_v4',
  'eth_signTypedData_v3',
  'eth_sendTransaction',
  'wallet_sendCalls',
]

/** Accounts the daemon holds (Anvil's first ones): a valid-shaped `from` is often one of them. */
export const held = (accounts: readonly Address[]) => fc.constantFrom(...accounts)

const hex = (minBytes: number, maxBytes: number) =>
  fc
    .uint8Array({ minLength: minBytes, maxLength: maxBytes })
    .map((b) => `0x${Buffer.from(b).toString('hex')}`)

export const address = fc.oneof(
  hex(20, 20),
  hex(20, 20).map((a) => a.toUpperCase().replace('0X', '0x')),
  fc.constantFrom(
    '0x0000000000000000000000000000000000000000',
    '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    '0x70997970c51812dc3a010c7d01b50e0d17dc79c9',
  ),
)

const quantity = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n }).map((n) => `0x${n.toString(16)}`),
  fc.bigInt({ min: 0n, max: 2n ** 256n + 5n }).map((n) => `0x${n.toString(16)}`),
  fc.constantFrom('0x', '0x00', '0x-1', '1', '-1', '0xZZ', '1e18', 'NaN', '0x1p3'),
  fc.integer(),
  fc.double(),
)

const blockTag = fc.oneof(
  fc.constantFrom('latest', 'earliest', 'pending', 'safe', 'finalized', 'LATEST', 'latest\u0000'),
  quantity,
  hex(32, 32),
  fc.record({ blockHash: hex(32, 32), requireCanonical: fc.boolean() }, { requiredKeys: [] }),
)

/** Any JSON value, nested a little, with the keys attackers like. */
export const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, 1e308, '', '0x', 'latest'),
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    address,
    quantity,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(
        fc.string({ maxLength: 8 }),
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'origin'),
      ),
      tie('v'),
      { maxKeys: 4 },
    ),
  ),
})).v

const typeName = fc.constantFrom(
  'uint256',
  'uint8',
  'int8',
  'address',
  'bool',
  'string',
  'bytes',
  'bytes32',
  'bytes0',
  'uint7',
  'uint256[]',
  'Inner',
  'Inner[]',
  'Inner[2]',
  'Outer',
  'Missing',
  'string[][]',
)

const fields = fc.uniqueArray(
  fc.record({ name: fc.oneof(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,6}$/), fc.string()), type: typeName }),
  { maxLength: 5, selector: (f) => f.name },
)

/** EIP-712 documents: mostly well-formed, with random types, values, domains and chain ids. */
export const typedData = fc
  .record({
    domain: fc.record(
      {
        name: fc.string({ maxLength: 12 }),
        version: fc.constantFrom('1', '2', ''),
        chainId: fc.oneof(fc.constantFrom(31337, '31337', '0x7a69', 1, '0x1', -1, 'x'), jsonish),
        verifyingContract: address,
        salt: hex(32, 32),
      },
      { requiredKeys: [] },
    ),
    inner: fields,
    outer: fields,
    primaryType: fc.constantFrom('Outer', 'Inner', 'EIP712Domain', 'Missing', '__proto__'),
    message: fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,6}$/), jsonish, { maxKeys: 5 }),
    asString: fc.boolean(),
  })
  .map(({ domain, inner, outer, primaryType, message, asString }) => {
    const doc = { domain, types: { Inner: inner, Outer: outer }, primaryType, message }
    return asString ? JSON.stringify(doc) : doc
  })

/** Well-formed EIP-712 documents for the active chain (random names and values): these reach the approver. */
export const wellFormedTypedData = fc
  .record({
    name: fc.string({ maxLength: 16 }),
    to: hex(20, 20),
    amount: fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
    note: fc.string({ maxLength: 40 }),
    flags: fc.array(fc.boolean(), { maxLength: 3 }),
  })
  .map(({ name, to, amount, note, flags }) => ({
    domain: { name, version: '1', chainId: 31337 },
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
      ],
      Order: [
        { name: 'to', type: 'address' },
        { name: 'amount', type: 'uint256' },
        { name: 'note', type: 'string' },
        { name: 'flags', type: 'bool[]' },
      ],
    },
    primaryType: 'Order',
    message: { to, amount: amount.toString(), note, flags },
  }))

/** Well-formed sends from a held account (small values, sometimes calldata): these reach the approver. */
export const wellFormedTransaction = (accounts: readonly Address[]) =>
  fc.record(
    {
      from: held(accounts),
      to: hex(20, 20),
      value: fc.bigInt({ min: 0n, max: 10n ** 15n }).map((n) => `0x${n.toString(16)}`),
      data: hex(0, 36),
    },
    { requiredKeys: ['from', 'to'] },
  )

/** Transaction objects: random subsets of every field, valid-shaped or not. */
export const transaction = (accounts: readonly Address[]) =>
  fc.record(
    {
      from: fc.oneof(held(accounts), address, jsonish),
      to: fc.oneof(address, fc.constantFrom(null, '0x', ''), jsonish),
      value: fc.oneof(fc.constantFrom('0x0', '0x1', '0xde0b6b3a7640000'), quantity),
      data: fc.oneof(hex(0, 68), fc.constantFrom('0x095ea7b3', '0x', 'zz')),
      input: hex(0, 8),
      gas: quantity,
      gasLimit: quantity,
      gasPrice: quantity,
      maxFeePerGas: quantity,
      maxPriorityFeePerGas: quantity,
      nonce: quantity,
      chainId: fc.oneof(fc.constantFrom('0x7a69', '0x1', 31337), quantity),
      type: fc.constantFrom('0x0', '0x1', '0x2', '0x3', '0x4', '0x7e'),
      accessList: fc.array(fc.record({ address, storageKeys: fc.array(hex(32, 32), { maxLength: 2 }) }), {
        maxLength: 2,
      }),
      authorizationList: fc.array(jsonish, { maxLength: 1 }),
    },
    { requiredKeys: [] },
  )

/** Params for a method: shaped after what such a method takes, or anything at all. */
export const paramsFor = (method: string, accounts: readonly Address[]): fc.Arbitrary<unknown> => {
  const tx = transaction(accounts)
  const from = fc.oneof(held(accounts), address)
  const message = fc.oneof(
    fc.string(),
    hex(0, 64),
    fc.constantFrom(
      `0x${'ab'.repeat(32)}`,
      'evil.example wants you to sign in with your Ethereum account:\n',
    ),
  )
  const shaped: Record<string, fc.Arbitrary<unknown>> = {
    personal_sign: fc.oneof(
      fc.tuple(message, from),
      fc.tuple(from, message),
      fc.tuple(message, from, jsonish),
    ),
    personal_ecRecover: fc.tuple(message, hex(65, 65)),
    eth_signTypedData_v4: fc.tuple(held(accounts), fc.oneof(wellFormedTypedData, typedData)),
    eth_signTypedData_v3: fc.tuple(from, typedData),
    eth_sendTransaction: fc.oneof(fc.tuple(wellFormedTransaction(accounts)), fc.tuple(tx)),
    eth_call: fc.tuple(tx, blockTag),
    eth_estimateGas: fc.tuple(tx),
    wallet_sendCalls: fc.tuple(
      fc.record(
        {
          version: fc.constantFrom('2.0.0', '1.0', 1),
          chainId: fc.constantFrom('0x7a69', '0x1'),
          from,
          atomicRequired: fc.boolean(),
          calls: fc.array(
            fc.record({ to: address, value: quantity, data: hex(0, 8) }, { requiredKeys: [] }),
            {
              maxLength: 3,
            },
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    wallet_switchEthereumChain: fc.tuple(
      fc.record({ chainId: fc.oneof(fc.constantFrom('0x7a69', '0x1'), quantity) }),
    ),
    // Only RPC URLs that cannot be reached (refused schemes, non-loopback http, a closed loopback port).
    wallet_addEthereumChain: fc.tuple(
      fc.record(
        {
          chainId: quantity,
          chainName: fc.string(),
          rpcUrls: fc.array(
            fc.constantFrom(
              'http://evil.example',
              'ftp://x',
              'javascript:alert(1)',
              'http://127.0.0.1:1',
              '',
            ),
            { maxLength: 2 },
          ),
          nativeCurrency: jsonish,
        },
        { requiredKeys: [] },
      ),
    ),
    wallet_watchAsset: fc.record(
      {
        type: fc.constantFrom('ERC20', 'ERC721', 'erc20'),
        options: fc.record({ address, symbol: fc.string(), decimals: fc.integer() }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
    eth_getBalance: fc.tuple(address, blockTag),
    eth_getLogs: fc.tuple(
      fc.record(
        {
          fromBlock: blockTag,
          toBlock: blockTag,
          address: fc.oneof(address, fc.array(address)),
          topics: jsonish,
        },
        { requiredKeys: [] },
      ),
    ),
    eth_feeHistory: fc.tuple(quantity, blockTag, fc.array(fc.double(), { maxLength: 4 })),
    eth_subscribe: fc.tuple(
      fc.constantFrom('newHeads', 'logs', 'newPendingTransactions', 'syncing', 'x'),
      jsonish,
    ),
  }
  const generic = fc.oneof(
    fc.constant(undefined),
    fc.constant([]),
    fc.array(fc.oneof(address, blockTag, quantity, hex(0, 40), jsonish), { maxLength: 4 }),
    jsonish,
  )
  // Own keys only: `shaped['__proto__']` would be Object.prototype (the very bug walletd's Map avoids).
  return Object.hasOwn(shaped, method)
    ? fc.oneof({ weight: 3, arbitrary: shaped[method]! }, { weight: 1, arbitrary: generic })
    : generic
}

/** An id of any JSON type (and sometimes none: a notification). */
export const idArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer() },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, 1.5, -0, 1e300, {}, [], [1], { a: 1 }) },
  { weight: 1, arbitrary: fc.string({ minLength: 250, maxLength: 300 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
)

/** One request object: a method from the daemon's table or a hostile name, params for it, odd envelopes sometimes. */
export const envelope = (methods: readonly string[], accounts: readonly Address[]) =>
  fc
    .record({
      // The methods that sign or send are asked for more often: that is where a slip costs most.
      method: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...methods) },
        { weight: 3, arbitrary: fc.constantFrom(...SIGNING_METHODS) },
        { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_METHODS) },
      ),
      id: idArb,
      jsonrpc: fc.oneof(
        { weight: 12, arbitrary: fc.constant('2.0') },
        { weight: 1, arbitrary: fc.constantFrom('1.0', 2, null, undefined, '2.0 ') },
      ),
      extra: fc.oneof(
        { weight: 8, arbitrary: fc.constant({}) },
        {
          weight: 1,
          arbitrary: fc.dictionary(
            fc.constantFrom('origin', '__frameOrigin', 'result', 'error', 'x'),
            jsonish,
            { maxKeys: 2 },
          ),
        },
      ),
    })
    .chain(({ method, id, jsonrpc, extra }) =>
      paramsFor(method, accounts).map((params) => {
        const e: Record<string, unknown> = { ...extra }
        if (jsonrpc !== undefined) e.jsonrpc = jsonrpc
        if (id !== undefined) e.id = id
        e.method = method
        if (params !== undefined) e.params = params
        return e
      }),
    )

/** What goes into one frame: one request, a batch, or a non-request JSON value. */
export const frameArb = (methods: readonly string[], accounts: readonly Address[]) =>
  fc.record({
    body: fc.oneof(
      { weight: 8, arbitrary: envelope(methods, accounts) },
      { weight: 2, arbitrary: fc.array(envelope(methods, accounts), { minLength: 0, maxLength: 6 }) },
      { weight: 1, arbitrary: jsonish },
    ),
    approve: fc.boolean(),
  })

/** Raw frame bytes: garbage, invalid UTF-8, truncated JSON, huge nesting. */
export const rawFrameArb = fc.record({
  bytes: fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
    fc
      .tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom('[', '{"a":'))
      .map(([n, open]) => Buffer.from(open.repeat(n))),
    fc.string({ maxLength: 200 }).map((s) => Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"${s}`)),
  ),
  binary: fc.boolean(),
})

const headerName = fc.oneof(
  fc.constantFrom(
    'Origin',
    'Host',
    'Authorization',
    'Cookie',
    'Content-Type',
    'Content-Length',
    'Transfer-Encoding',
    'X-Forwarded-For',
    'X-Forwarded-Host',
    'Sec-WebSocket-Protocol',
    'Upgrade',
    'Connection',
  ),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/),
)
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, '')),
  fc.constantFrom(
    'null',
    'https://evil.example',
    'websocket',
    'Upgrade',
    'chunked',
    '-1',
    '99999999',
    'text/plain',
  ),
)

/** HTTP requests on a raw socket: method, target and headers of all kinds. */
export const httpRequestArb = fc.record({
  method: fc.constantFrom(
    'GET',
    'POST',
    'OPTIONS',
    'PUT',
    'DELETE',
    'HEAD',
    'PATCH',
    'TRACE',
    'CONNECT',
    'BREW',
  ),
  target: fc.oneof(
    fc.constantFrom(
      '/rpc',
      '/health',
      '/healthz',
      '/readyz',
      '/metrics',
      '/provider.js',
      '/events',
      '/rpc/wdt_x',
      '*',
      '/%72pc',
      '/rpc#x',
      '//rpc',
      '/./rpc',
      '/rpc?token=x',
      'http://127.0.0.1/rpc',
    ),
    fc.stringMatching(/^\/[!-~]{0,40}$/),
  ),
  hostKind: fc.constantFrom('good', 'good', 'good', 'evil', 'none'),
  withToken: fc.boolean(),
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
  body: fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 200 }),
    jsonish.map((v) => JSON.stringify(v) ?? ''),
  ),
})
