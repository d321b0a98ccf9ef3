import { z } from 'zod'
import type { ApprovalDraft, ApprovalWarning } from '../../approval/types.js'
import { MAX_WATCHED_ASSETS, type WatchedAsset } from '../../assets/createWatchedAssetStore.js'
import { InternalError, InvalidParamsError } from '../../errors/rpc.js'
import { cleanTokenText } from '../../upstream/createTokenInfoCache.js'
import { redactUrl } from '../../upstream/redactUrl.js'
import { fitSummary } from '../decode/fitSummary.js'
import { defineMethod } from '../defineMethod.js'
import { zAddress } from '../schemas/primitives.js'
import { upstreamFor } from '../upstreamFor.js'

/** decimals as a number or a numeric string (MetaMask accepts both), 0–36. */
const zDecimals = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^\d{1,2}$/)
      .transform(Number),
  ])
  .pipe(z.number().int().min(0).max(36))

/** EIP-747: an object, not an array. Unknown keys are dropped (as MetaMask does). */
const zParams = z.object({
  type: z.enum(['ERC20', 'ERC721', 'ERC1155'], {
    error: 'expected "ERC20" (or ERC721/ERC1155, not supported)',
  }),
  options: z.object({
    address: zAddress,
    symbol: z.string().min(1).max(11).optional(),
    decimals: zDecimals.optional(),
    image: z.string().max(2048).optional(),
    tokenId: z.string().max(80).optional(),
  }),
})

/**
 * EIP-747 `wallet_watchAsset` for ERC-20: `{ type: 'ERC20', options: { address, symbol?, decimals?,
 * image? } }`. The token's real decimals and symbol are read from the chain before the prompt; a
 * site that says otherwise is flagged (a decimals mismatch strongly: amounts would be off by
 * powers of ten), and walletd stores the contract's values. Returns `true` after approval (as
 * MetaMask does; the EIP's "true at once" would answer before the person decided), 4001 when
 * rejected. ERC721/ERC1155 are -32602 (not supported). The image is stored, never fetched.
 */
export const walletWatchAsset = defineMethod({
  method: 'wallet_watchAsset',
  params: zParams,
  permission: 'none',
  cost: 'prompt',
  approval: {
    kind: 'asset',
    prepare: async ({ params, ctx, services }): Promise<ApprovalDraft<Omit<WatchedAsset, 'addedAt'>>> => {
      if (params.type !== 'ERC20') {
        throw new InvalidParamsError({
          message: `Invalid parameters: wallet_watchAsset of ${params.type} tokens is not supported by walletd (only ERC20).`,
        })
      }
      const { address, symbol: saidSymbol, decimals: saidDecimals, image } = params.options
      const chainId = ctx.session.chainId
      const info = await services.tokenInfo.get(upstreamFor(services, ctx), address, { signal: ctx.signal })
      if (info.complete && !info.hasCode) {
        throw new InvalidParamsError({
          message: `Invalid parameters: there is no contract at ${address} on chain ${chainId}.`,
        })
      }
      const warnings: ApprovalWarning[] = []
      const warn = (message: string) => warnings.push({ level: 'warning', message })

      const symbol = info.symbol ?? (saidSymbol === undefined ? null : cleanTokenText(saidSymbol, 11))
      const decimals = info.decimals ?? saidDecimals ?? null
      if (symbol === null || decimals === null) {
        throw new InvalidParamsError({
          message: `Invalid parameters: the ${info.symbol === null ? 'symbol' : 'decimals'} of ${address} could not be read from the chain and the site did not give ${info.symbol === null ? 'it' : 'them'}.`,
        })
      }
      if (!info.complete) {
        warn(
          "walletd could not reach the chain to check this token: the symbol and decimals shown are the site's, unverified.",
        )
      }
      if (info.erc721 || info.erc1155) {
        warn(
          `The contract says it is an ${info.erc721 ? 'ERC-721' : 'ERC-1155'} (NFT) contract, not an ERC-20 token.`,
        )
      } else if (info.complete && info.decimals === null) {
        warn(
          "The contract does not answer decimals(): it may not be an ERC-20 token. The decimals shown are the site's.",
        )
      }
      if (saidDecimals !== undefined && info.decimals !== null && saidDecimals !== info.decimals) {
        const factor = Math.abs(saidDecimals - info.decimals)
        warn(
          `DECIMALS MISMATCH: the site says ${saidDecimals} decimals, the contract says ${info.decimals}. Amounts shown with the site's value would be off by a factor of 10^${factor}. walletd keeps the contract's ${info.decimals}.`,
        )
      }
      if (saidSymbol !== undefined && info.symbol !== null && saidSymbol !== info.symbol) {
        warn(
          `Symbol mismatch: the site says "${cleanTokenText(saidSymbol, 11) ?? ''}", the contract says "${info.symbol}"${saidSymbol.toLowerCase() === info.symbol.toLowerCase() ? ' (they differ in case only)' : ''}. walletd keeps the contract's.`,
        )
      }
      const already = services.watchedAssets.get(chainId, address)
      if (!already && services.watchedAssets.size >= MAX_WATCHED_ASSETS) throw tooMany()
      const asset: Omit<WatchedAsset, 'addedAt'> = {
        chainId,
        address,
        symbol,
        decimals,
        name: info.name,
        image: image ?? null,
        addedBy: ctx.conn.origin,
      }
      return {
        summary: fitSummary((short) => `Watch token ${shortText(symbol, 16)} at ${short(address)}`),
        details: {
          token: address,
          chainId,
          symbol:
            info.symbol === null ? `${symbol} (given by the site; not readable from the contract)` : symbol,
          decimals:
            info.decimals === null
              ? `${decimals} (given by the site; not readable from the contract)`
              : decimals,
          ...(info.name ? { name: info.name } : {}),
          ...(saidSymbol !== undefined ? { 'site says symbol': cleanTokenText(saidSymbol, 11) ?? '' } : {}),
          ...(saidDecimals !== undefined ? { 'site says decimals': saidDecimals } : {}),
          ...(image ? { image: `${redactUrl(image)} (not fetched)` } : {}),
          ...(already ? { note: `already watched (as ${already.symbol}); approving updates it` } : {}),
        },
        facts: { kind: 'asset', chainId, standard: 'erc20', address, symbol, decimals },
        warnings,
        prepared: asset,
      }
    },
  },
  handler: async ({ services, approved }) => {
    const asset = approved?.prepared
    if (!asset) throw new InternalError({ details: 'wallet_watchAsset ran without a prepared asset' })
    if (
      !services.watchedAssets.get(asset.chainId, asset.address) &&
      services.watchedAssets.size >= MAX_WATCHED_ASSETS
    )
      throw tooMany()
    services.watchedAssets.watch(asset)
    return true
  },
})

const tooMany = () =>
  new InvalidParamsError({
    message: `walletd already watches ${MAX_WATCHED_ASSETS} assets; no more can be added.`,
  })

const shortText = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)
