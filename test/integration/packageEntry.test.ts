import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mnemonicToAccount } from 'viem/accounts'
import { expect, inject, test } from 'vitest'
// By package name, as a program that embeds walletd imports it: resolved through the package's
// own `exports` (node resolves a package's self-reference), i.e. the built dist/index.js.
import {
  type ApprovalBroker,
  type ApprovalDecision,
  type ApprovalRequest,
  type Approver,
  createWalletd,
  loadConfig,
} from 'walletd'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { connect } from '../helpers/wsClient.js'

const MNEMONIC = 'test test test test test test test test test test test junk'

test('the package entry is dist/index.js and starts a daemon with a custom approver', async () => {
  expect(createRequire(import.meta.url).resolve('walletd')).toMatch(/\/dist\/index\.js$/)
  const { createSigner } = await import('../../src/signer/createSigner.js')
  const dataDir = mkdtempSync(join(tmpdir(), 'walletd-embed-'))
  const seen: ApprovalRequest[] = []
  // A host's own approver: connects the second account, signs only messages that say "ok".
  const approver: Approver = {
    name: 'host',
    async decide(request): Promise<ApprovalDecision> {
      seen.push(request)
      if (request.facts.kind === 'connect') return { approved: true, accounts: [request.facts.accounts[1]!] }
      if (request.facts.kind === 'message' && request.facts.text === 'ok') return { approved: true }
      return { approved: false, reason: 'rejected' }
    },
  }
  const daemon = await createWalletd({
    config: loadConfig({
      env: { XDG_CONFIG_HOME: join(dataDir, 'none') },
      overrides: {
        dataDir,
        runtimeDir: join(dataDir, 'run'),
        server: { port: 0 },
        log: { level: 'silent' },
        chains: [
          {
            chainId: 31337,
            name: 'Anvil',
            rpcUrls: [inject('anvilWsUrl')],
            nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
            blockExplorerUrls: [],
          },
        ],
      },
    }),
    env: {},
    approvers: [approver],
    signer: createSigner({
      privateKeys: [0, 1].map((i) => privateKeyOf(mnemonicToAccount(MNEMONIC, { addressIndex: i }))),
    }),
  })
  try {
    const broker: ApprovalBroker = daemon.services.approvals
    expect(broker.approverNames).toEqual(['host'])
    const { token } = daemon.tokens.create('embedder')
    const c = await connect(`ws://127.0.0.1:${daemon.port}/rpc`, { token, origin: 'https://host.example' })
    const second = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'
    expect((await c.call('eth_requestAccounts')).result).toEqual([second])
    expect((await c.call('personal_sign', ['0x6f6b', second])).result).toMatch(/^0x[0-9a-f]{130}$/)
    expect((await c.call('personal_sign', ['0x6e6f', second])).error).toMatchObject({ code: 4001 })
    expect(seen.map((r) => r.kind)).toEqual(['connect', 'message', 'message'])
    await c.close()
  } finally {
    await daemon.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
