import { mnemonicToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ApprovalDecision, ApprovalRequest, Approver } from '../../src/approval/types.js'
import { ANVIL_MNEMONIC } from '../../src/dev/startAnvil.js'
import { createSigner } from '../../src/signer/createSigner.js'
import { anvilRpc } from '../helpers/anvilRpc.js'
import { fakeClock } from '../helpers/fakeClock.js'
import { privateKeyOf } from '../helpers/privateKeyOf.js'
import { startTestDaemon, type TestDaemon } from '../helpers/startTestDaemon.js'
import type { RpcClient } from '../helpers/wsClient.js'

/**
 * Prompt limits that fit a person (the default rate limits, nothing raised): someone answering
 * at human speed never meets -32005, while a page that fires requests without waiting gets one
 * prompt and -32002 for the rest. The daemon's clock is a fake one that the "person" advances by
 * about a second per answer, so the test runs at machine speed.
 */
const person = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 44 })
const clock = fakeClock(1_800_000_000_000)

/** A person at a prompt: sees one request at a time (queued like a terminal), answers after ~1 s. */
function humanApprover(answers: () => 'approve' | 'reject') {
  const shown: ApprovalRequest[] = []
  let holding: ((d: ApprovalDecision) => void) | null = null
  const approver: Approver & { shown: ApprovalRequest[]; hold: boolean; release(): void } = {
    name: 'person',
    shown,
    hold: false,
    release() {
      holding?.({ approved: false, reason: 'rejected' })
      holding = null
    },
    async decide(request, signal) {
      shown.push(request)
      if (approver.hold)
        return new Promise((resolve) => {
          holding = resolve
          signal.addEventListener('abort', () => resolve({ approved: false, reason: 'cancelled' }), {
            once: true,
          })
        })
      clock.advance(800 + (shown.length % 5) * 100) // reading and typing
      if (answers() === 'reject') return { approved: false, reason: 'rejected' }
      return request.choices
        ? { approved: true, accounts: [request.choices.accounts[0]!] }
        : { approved: true }
    },
  }
  return approver
}

let n = 0
const approver = humanApprover(() => (++n % 9 === 0 ? 'reject' : 'approve'))
let d: TestDaemon
let client: RpcClient

beforeAll(async () => {
  await anvilRpc('anvil_setBalance', [person.address, '0x56bc75e2d63100000'])
  d = await startTestDaemon({
    approver,
    signer: createSigner({ privateKeys: [person].map(privateKeyOf) }),
    now: clock.now,
  })
  client = await d.connect({ origin: 'https://careful.example' })
})

afterAll(async () => {
  await client?.close()
  await d?.close()
})

describe('prompt limits at the defaults', () => {
  test('a person answering about once a second through 50 connects, signatures and sends never gets -32005', async () => {
    const account = person.address.toLowerCase()
    const codes: number[] = []
    for (let i = 0; i < 50; i++) {
      clock.advance(200) // the person clicks the next button
      const step = i % 5
      const r =
        step === 0
          ? await client.call('wallet_requestPermissions', [{ eth_accounts: {} }])
          : step === 1
            ? await client.call('personal_sign', [`0x${Buffer.from(`step ${i}`).toString('hex')}`, account])
            : step === 2
              ? await client.call('eth_signTypedData_v4', [
                  account,
                  JSON.stringify({
                    domain: { name: 'Flow', chainId: 31337 },
                    types: {
                      EIP712Domain: [
                        { name: 'name', type: 'string' },
                        { name: 'chainId', type: 'uint256' },
                      ],
                      Step: [{ name: 'n', type: 'uint256' }],
                    },
                    primaryType: 'Step',
                    message: { n: i },
                  }),
                ])
              : await client.call('eth_sendTransaction', [
                  { from: account, to: '0x000000000000000000000000000000000000feed', value: '0x1' },
                ])
      if (r.error) codes.push(r.error.code)
    }
    expect(
      codes.filter((c) => c === -32005),
      JSON.stringify(codes),
    ).toEqual([])
    // The person rejected a few (every ninth answer): those are 4001, nothing else failed.
    expect(
      codes.every((c) => c === 4001),
      JSON.stringify(codes),
    ).toBe(true)
    expect(codes.length).toBe(Math.floor(50 / 9))
    expect(approver.shown).toHaveLength(50)
  })

  test('a page firing 50 requests without waiting gets one pending prompt and -32002 for the rest, not -32005', async () => {
    approver.hold = true
    const flood = await d.connect({ origin: 'https://flood.example' })
    try {
      const granted = approver.shown.length
      const connect = flood.call('eth_requestAccounts', [])
      await expect.poll(() => approver.shown.length).toBe(granted + 1)
      const rest = await Promise.all(Array.from({ length: 49 }, () => flood.call('eth_requestAccounts', [])))
      expect(rest.map((r) => r.error?.code)).toEqual(Array(49).fill(-32002))
      expect(approver.shown.length).toBe(granted + 1)
      approver.release()
      expect((await connect).error).toMatchObject({ code: 4001, data: { reason: 'rejected' } })
    } finally {
      approver.hold = false
      await flood.close()
    }
  })
})
