import { type Address, decodeAbiParameters, getAddress, type Hex, toEventSelector } from 'viem'
import type { ApprovalLog, AssetMovement, NativeTransfer, RawLog } from './types.js'

/** Event topics the simulation reads (computed once from their signatures). */
export const TOPICS = {
  transfer: toEventSelector('Transfer(address,address,uint256)'),
  approval: toEventSelector('Approval(address,address,uint256)'),
  approvalForAll: toEventSelector('ApprovalForAll(address,address,bool)'),
  transferSingle: toEventSelector('TransferSingle(address,address,address,uint256,uint256)'),
  transferBatch: toEventSelector('TransferBatch(address,address,address,uint256[],uint256[])'),
  permit2Approval: toEventSelector('Approval(address,address,address,uint160,uint48)'),
} as const

/**
 * The address eth_simulateV1 with `traceTransfers` gives the logs of native transfers (ERC-7528),
 * with the ERC-20 Transfer signature.
 */
export const NATIVE_TRANSFER_ADDRESS = '0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'

/** ERC-1155 batch transfers longer than this are read in part (a contract chooses the length). */
const MAX_BATCH_IDS = 256

export type ReadLog =
  | { kind: 'native'; transfer: NativeTransfer }
  | { kind: 'movements'; movements: AssetMovement[] }
  | { kind: 'approval'; approval: ApprovalLog }
  | null

/**
 * What one log says about assets: a native transfer (eth_simulateV1's pseudo-log), ERC-20 /
 * ERC-721 `Transfer` (3 topics: an amount in the data; 4: a token id), ERC-1155
 * `TransferSingle` / `TransferBatch`, ERC-20 / ERC-721 `Approval`, `ApprovalForAll`, and Permit2's
 * `Approval`. null for anything else, or a log whose fields do not decode (a contract could emit
 * a look-alike). Pure; never throws.
 */
export function readAssetLog(log: RawLog): ReadLog {
  const [topic0, t1, t2, t3] = log.topics
  if (!topic0) return null
  try {
    switch (topic0.toLowerCase()) {
      case TOPICS.transfer: {
        if (!t1 || !t2) return null
        const from = topicAddress(t1)
        const to = topicAddress(t2)
        if (log.topics.length === 3) {
          const amount = word(log.data)
          if (amount === null) return null
          if (log.address.toLowerCase() === NATIVE_TRANSFER_ADDRESS)
            return { kind: 'native', transfer: { from, to, value: amount } }
          return {
            kind: 'movements',
            movements: [
              { token: getAddress(log.address), standard: 'erc20', tokenId: null, from, to, amount },
            ],
          }
        }
        if (log.topics.length === 4 && t3) {
          return {
            kind: 'movements',
            movements: [
              {
                token: getAddress(log.address),
                standard: 'erc721',
                tokenId: BigInt(t3),
                from,
                to,
                amount: 1n,
              },
            ],
          }
        }
        return null
      }
      case TOPICS.transferSingle: {
        if (log.topics.length !== 4 || !t2 || !t3) return null
        const [id, amount] = decodeAbiParameters([{ type: 'uint256' }, { type: 'uint256' }], log.data)
        return {
          kind: 'movements',
          movements: [
            {
              token: getAddress(log.address),
              standard: 'erc1155',
              tokenId: id,
              from: topicAddress(t2),
              to: topicAddress(t3),
              amount,
            },
          ],
        }
      }
      case TOPICS.transferBatch: {
        if (log.topics.length !== 4 || !t2 || !t3) return null
        const [ids, amounts] = decodeAbiParameters([{ type: 'uint256[]' }, { type: 'uint256[]' }], log.data)
        if (ids.length !== amounts.length) return null
        const token = getAddress(log.address)
        const from = topicAddress(t2)
        const to = topicAddress(t3)
        return {
          kind: 'movements',
          movements: ids.slice(0, MAX_BATCH_IDS).map((id, i) => ({
            token,
            standard: 'erc1155' as const,
            tokenId: id,
            from,
            to,
            amount: amounts[i]!,
          })),
        }
      }
      case TOPICS.approval: {
        if (!t1 || !t2) return null
        const owner = topicAddress(t1)
        const spender = topicAddress(t2)
        const token = getAddress(log.address)
        if (log.topics.length === 3) {
          const amount = word(log.data)
          if (amount === null) return null
          const approval: ApprovalLog = {
            standard: 'erc20',
            token,
            owner,
            spender,
            amount,
            tokenId: null,
            forAll: false,
            grants: amount > 0n,
            expiration: null,
          }
          return { kind: 'approval', approval }
        }
        if (log.topics.length === 4 && t3) {
          const approval: ApprovalLog = {
            standard: 'erc721',
            token,
            owner,
            spender,
            amount: null,
            tokenId: BigInt(t3),
            forAll: false,
            grants: BigInt(spender) !== 0n,
            expiration: null,
          }
          return { kind: 'approval', approval }
        }
        return null
      }
      case TOPICS.approvalForAll: {
        if (log.topics.length !== 3 || !t1 || !t2) return null
        const approved = word(log.data)
        if (approved === null || approved > 1n) return null
        const approval: ApprovalLog = {
          // ERC-721 and ERC-1155 share the event; which one the token is comes from its metadata.
          standard: 'erc721',
          token: getAddress(log.address),
          owner: topicAddress(t1),
          spender: topicAddress(t2),
          amount: null,
          tokenId: null,
          forAll: true,
          grants: approved === 1n,
          expiration: null,
        }
        return { kind: 'approval', approval }
      }
      case TOPICS.permit2Approval: {
        if (log.topics.length !== 4 || !t1 || !t2 || !t3) return null
        const [amount, expiration] = decodeAbiParameters([{ type: 'uint160' }, { type: 'uint48' }], log.data)
        const approval: ApprovalLog = {
          standard: 'permit2',
          token: topicAddress(t2),
          owner: topicAddress(t1),
          spender: topicAddress(t3),
          amount,
          tokenId: null,
          forAll: false,
          grants: amount > 0n,
          expiration: BigInt(expiration),
        }
        return { kind: 'approval', approval }
      }
      default:
        return null
    }
  } catch {
    return null
  }
}

/** An indexed address topic (32 bytes, the top 12 zero). */
function topicAddress(topic: Hex): Address {
  if (!/^0x0{24}[0-9a-fA-F]{40}$/.test(topic)) throw new Error('not an address topic')
  return getAddress(`0x${topic.slice(26)}`)
}

/** A single 32-byte word of data as a uint, or null when the data is not exactly one word. */
function word(data: Hex): bigint | null {
  return /^0x[0-9a-fA-F]{64}$/.test(data) ? BigInt(data) : null
}
