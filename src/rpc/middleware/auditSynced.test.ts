import { describe, expect, it } from 'vitest'
import { accounts, createSigningHarness, recordingApprover } from '../../../test/helpers/signingFakes.js'
import type { AuditEvent, AuditSink } from '../../audit/types.js'

const a0 = accounts[0]!

/**
 * An audit sink whose sync the test holds: `asked` resolves when the pipeline first waits for
 * the records to be on disk; nothing it waits for resolves until `release()`. It notes how many
 * records existed when each wait began.
 */
function heldAudit() {
  const records: AuditEvent[] = []
  const waits: number[] = []
  let release!: () => void
  const held = new Promise<void>((resolve) => {
    release = resolve
  })
  let onAsked!: () => void
  const asked = new Promise<void>((resolve) => {
    onAsked = resolve
  })
  const sink: AuditSink = {
    record: (event) => {
      records.push(event)
    },
    synced: () => {
      waits.push(records.length)
      onAsked()
      return held
    },
  }
  return { sink, records, waits, asked, release }
}

/** Runs `call` and reports whether it settled; the answer is kept for later. */
function track<T>(p: Promise<T>) {
  const state = { settled: false }
  const done = p.then((v) => {
    state.settled = true
    return v
  })
  return { state, done }
}

describe('auditSynced: an answer leaves only once its audit records are on disk', () => {
  it('personal_sign: the signature waits for the sync that covers its decision and signature records', async () => {
    const audit = heldAudit()
    const h = createSigningHarness({ audit: audit.sink })
    const call = track(h.call('personal_sign', ['0x68656c6c6f', a0.address]))
    await audit.asked
    // Both records are written before the wait begins; the answer is held by the wait.
    expect(audit.records.map((r) => r.type)).toEqual(['approval', 'signature'])
    expect(audit.waits).toEqual([2])
    expect(call.state.settled).toBe(false)
    audit.release()
    const { result } = await call.done
    expect(result).toBe(await a0.signMessage({ message: 'hello' }))
    expect(audit.records[1]).toMatchObject({ type: 'signature', signature: result })
  })

  it('a rejection waits for its decision record too', async () => {
    const audit = heldAudit()
    const { approver } = recordingApprover(async () => ({ approved: false, reason: 'rejected' }))
    const h = createSigningHarness({ approver, audit: audit.sink })
    const call = track(h.call('personal_sign', ['0x68656c6c6f', a0.address]))
    await audit.asked
    expect(audit.records).toEqual([expect.objectContaining({ type: 'approval', approved: false })])
    expect(call.state.settled).toBe(false)
    audit.release()
    expect((await call.done).error?.code).toBe(4001)
  })

  it('a method that changes the session (revoke) waits; a read never asks', async () => {
    const audit = heldAudit()
    const h = createSigningHarness({ audit: audit.sink })
    expect((await h.call('eth_chainId')).result).toBe('0x7a69')
    expect(audit.waits).toEqual([])
    const call = track(h.call('wallet_revokePermissions', [{ eth_accounts: {} }]))
    await audit.asked
    expect(call.state.settled).toBe(false)
    audit.release()
    expect((await call.done).error).toBeUndefined()
  })
})
