/** EIP-2612 `Permit` typed data as a dApp sends it to eth_signTypedData_v4 (before JSON.stringify). */
export function eip2612Permit(p: {
  name: string
  chainId: number
  token: string
  owner: string
  spender: string
  value: bigint
  deadline: bigint
  nonce?: bigint
}) {
  return {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      Permit: [
        { name: 'owner', type: 'address' },
        { name: 'spender', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
      ],
    },
    primaryType: 'Permit',
    domain: { name: p.name, version: '1', chainId: p.chainId, verifyingContract: p.token },
    message: {
      owner: p.owner,
      spender: p.spender,
      value: p.value.toString(),
      nonce: (p.nonce ?? 0n).toString(),
      deadline: p.deadline.toString(),
    },
  }
}
