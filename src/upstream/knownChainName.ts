const NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'Ethereum'],
  [10, 'OP Mainnet'],
  [56, 'BNB Smart Chain'],
  [100, 'Gnosis'],
  [137, 'Polygon'],
  [8453, 'Base'],
  [42161, 'Arbitrum One'],
  [17000, 'Holesky'],
  [560048, 'Hoodi'],
  [11155111, 'Sepolia'],
  [31337, 'Local (Anvil/Hardhat)'],
])

/** A display name for a chain id found by asking an `--upstream` node; `Chain N` when unknown. */
export function knownChainName(chainId: number): string {
  return NAMES.get(chainId) ?? `Chain ${chainId}`
}
