// The time the simulation adds before a prompt (issue 10): two walletd daemons in this process
// (createWalletd from dist) against the bench's Anvil over HTTP, one with simulation.enabled true and one
// with it false; the same eth_sendTransaction requests to each, alternating, one at a time. The
// approver notes when it is asked (the prompt) and approves; the time from sending the request
// to that moment is "time to prompt". The difference of the medians is what the simulation adds.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, encodeFunctionData, http } from 'viem'
import { mnemonicToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { loadConfig } from '../dist/config/loadConfig.js'
import { createWalletd } from '../dist/createWalletd.js'
import { ANVIL_MNEMONIC } from '../dist/dev/startAnvil.js'
import { createSigner } from '../dist/signer/createSigner.js'
import { connectRpc, median, percentile, resultOf } from './wsRpc.js'

const ORIGIN = 'https://simulation.bench.example'
/** Anvil account 9: the other benches use 0. */
const ACCOUNT_INDEX = 9
const RAISED = { burst: 1_000_000, perSecond: 1_000_000, perMinute: 100_000_000, perHour: 1_000_000_000 }
const { artifacts } = JSON.parse(
  readFileSync(new URL('../test/fixtures/contracts/artifacts.json', import.meta.url), 'utf8'),
)

/**
 * @param {{ cleanup: ReturnType<import('./processes.js').createCleanup>, anvil: { httpUrl: string, wsUrl: string }, iterations?: number }} options
 */
export async function benchSimulation({ cleanup, anvil, iterations = 40 }) {
  const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: ACCOUNT_INDEX })
  const chain = { ...foundry, rpcUrls: { default: { http: [anvil.httpUrl] } } }
  const reader = createPublicClient({ chain, transport: http(anvil.httpUrl) })
  const deployer = createWalletClient({ account, chain, transport: http(anvil.httpUrl) })
  const { TestToken } = artifacts
  const deployHash = await deployer.deployContract({
    abi: TestToken.abi,
    bytecode: TestToken.bytecode,
    args: ['Bench Token', 'BT', 6],
  })
  const token = (await reader.waitForTransactionReceipt({ hash: deployHash })).contractAddress
  await reader.waitForTransactionReceipt({
    hash: await deployer.writeContract({
      address: token,
      abi: TestToken.abi,
      functionName: 'mint',
      args: [account.address, 10n ** 15n],
    }),
  })

  const daemons = {}
  for (const enabled of [false, true])
    daemons[enabled ? 'on' : 'off'] = await startDaemon({ cleanup, anvil, account, enabled })

  const friend = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: ACCOUNT_INDEX + 1 }).address
  const requests = {
    eth: () => ({ from: account.address, to: friend, value: '0x1' }),
    erc20: () => ({
      from: account.address,
      to: token,
      data: encodeFunctionData({ abi: TestToken.abi, functionName: 'transfer', args: [friend, 1n] }),
    }),
  }
  const samples = { off: { eth: [], erc20: [] }, on: { eth: [], erc20: [] } }
  // Warm both (token metadata cached, sockets open), then alternate on/off so load drifts hit both.
  for (const d of Object.values(daemons))
    for (const make of Object.values(requests)) await d.timeToPrompt(make())
  for (let i = 0; i < iterations; i++) {
    for (const [kind, make] of Object.entries(requests)) {
      for (const mode of i % 2 ? ['on', 'off'] : ['off', 'on'])
        samples[mode][kind].push(await daemons[mode].timeToPrompt(make()))
    }
  }
  for (const d of Object.values(daemons)) await d.close()
  // Directly on Anvil (HTTP), no walletd: eth_estimateGas alone, and overlapping an eth_simulateV1.
  const rpc = (method, params) =>
    fetch(anvil.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    }).then((r) => r.json())
  const call = { from: account.address, to: friend, value: '0x1' }
  const simulate = () =>
    rpc('eth_simulateV1', [{ blockStateCalls: [{ calls: [call] }], traceTransfers: true }, 'latest'])
  const direct = { estimate: [], simulate: [], overlapped: [] }
  for (let i = 0; i < iterations; i++) {
    let t = performance.now()
    await rpc('eth_estimateGas', [call])
    direct.estimate.push(performance.now() - t)
    t = performance.now()
    await simulate()
    direct.simulate.push(performance.now() - t)
    t = performance.now()
    await Promise.all([rpc('eth_estimateGas', [call]), simulate()])
    direct.overlapped.push(performance.now() - t)
  }
  const stats = (values) => {
    const sorted = [...values].sort((a, b) => a - b)
    return { n: values.length, p50Ms: median(values), p95Ms: percentile(sorted, 0.95) }
  }
  const result = {}
  for (const mode of ['off', 'on'])
    result[mode] = { eth: stats(samples[mode].eth), erc20: stats(samples[mode].erc20) }
  result.boundMs = daemons.on.boundMs
  result.direct = {
    estimateP50Ms: median(direct.estimate),
    simulateP50Ms: median(direct.simulate),
    overlappedP50Ms: median(direct.overlapped),
  }
  return result
}

/** A daemon with the approver that times the prompt; `timeToPrompt(tx)` in ms. */
async function startDaemon({ cleanup, anvil, account, enabled }) {
  const dir = cleanup.tempDir('walletd-bench-sim-')
  const config = loadConfig({
    env: { XDG_CONFIG_HOME: join(dir, 'config') },
    overrides: {
      dataDir: dir,
      runtimeDir: join(dir, 'run'),
      server: { port: 0 },
      log: { level: 'warn', format: 'json' },
      chains: [
        {
          chainId: 31337,
          name: 'Anvil',
          // HTTP: Anvil's WebSocket answers two overlapping requests ~40 ms late (Nagle against a
          // delayed ACK), which would drown what is measured here.
          rpcUrls: [anvil.httpUrl],
          nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
          blockExplorerUrls: [],
        },
      ],
      rateLimit: { classes: { sign: RAISED }, connection: RAISED },
      simulation: { enabled },
    },
  })
  let promptedAt = 0
  const daemon = await createWalletd({
    config,
    env: {},
    approvers: [
      {
        name: 'bench',
        instant: true,
        decide: async () => {
          promptedAt = performance.now()
          return { approved: true }
        },
      },
    ],
    signer: createSigner({ privateKeys: [Uint8Array.from(account.getHdKey().privateKey)] }),
  })
  cleanup.add(() => daemon.close())
  const { token } = daemon.tokens.create('bench')
  const client = await connectRpc(`ws://127.0.0.1:${daemon.port}/rpc`, {
    protocols: ['walletd.v1', `walletd.token.${token}`],
    headers: { origin: ORIGIN },
  })
  cleanup.add(() => client.close())
  resultOf(await client.call('eth_requestAccounts'), 'eth_requestAccounts')
  return {
    boundMs: config.simulation.timeoutMs,
    async timeToPrompt(tx) {
      promptedAt = 0
      const t = performance.now()
      resultOf(await client.call('eth_sendTransaction', [tx]), 'eth_sendTransaction')
      if (promptedAt === 0) throw new Error('the approver was not asked')
      return promptedAt - t
    },
    async close() {
      await client.close()
      await daemon.close()
    },
  }
}

/**
 * The report section and the summary row (printed by run.js with its own helpers).
 * @param {Awaited<ReturnType<typeof benchSimulation>>} r
 */
export function simulationReport(r) {
  const ms = (v) => `${v.toFixed(1)} ms`
  const addedEth = r.on.eth.p50Ms - r.off.eth.p50Ms
  const addedErc20 = r.on.erc20.p50Ms - r.off.erc20.p50Ms
  const added = Math.max(addedEth, addedErc20)
  const met = r.on.eth.p95Ms - r.off.eth.p95Ms < r.boundMs && r.on.erc20.p95Ms - r.off.erc20.p95Ms < r.boundMs
  const lines = [
    '5. Simulation before the prompt (issue 10): eth_sendTransaction → the approver is asked, one at a time,',
    `   ${r.on.eth.n} of each, alternating between two in-process daemons: simulation on and off (Anvil account 9).`,
    '   The simulation (eth_simulateV1 + token metadata + recipient code) runs beside the other prepare reads.',
    `    ${'request'.padEnd(28)} ${'off p50'.padStart(9)} ${'on p50'.padStart(9)} ${'added p50'.padStart(10)} ${'off p95'.padStart(9)} ${'on p95'.padStart(9)}`,
    ...[
      ['ETH transfer', r.off.eth, r.on.eth],
      ['ERC-20 transfer', r.off.erc20, r.on.erc20],
    ].map(
      ([what, off, on]) =>
        `    ${what.padEnd(28)} ${ms(off.p50Ms).padStart(9)} ${ms(on.p50Ms).padStart(9)} ${ms(on.p50Ms - off.p50Ms).padStart(10)} ${ms(off.p95Ms).padStart(9)} ${ms(on.p95Ms).padStart(9)}`,
    ),
    `    bound: simulation.timeoutMs ${r.boundMs} ms; added p95 below it: ${met ? 'target met' : 'target NOT met'}`,
    `    directly on Anvil (p50): eth_estimateGas ${ms(r.direct.estimateP50Ms)}, eth_simulateV1 ${ms(r.direct.simulateP50Ms)}, both at once ${ms(r.direct.overlappedP50Ms)}.`,
    '    The daemons use Anvil over HTTP: over its WebSocket, two overlapping requests are answered ~40 ms late',
    '    (Nagle against a delayed ACK), which would drown the measure; a remote node adds its own round trip once.',
  ]
  return {
    lines,
    summary: ['time the simulation adds before a prompt (p50)', ms(added), `< ${r.boundMs} ms`, met],
  }
}
