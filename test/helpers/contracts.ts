import { readFileSync } from 'node:fs'
import type { Abi, Hex } from 'viem'

/**
 * Test contracts (sources in test/fixtures/contracts/*.sol), compiled by
 * `node scripts/compile-fixtures.js` into artifacts.json, which is committed.
 */
type Artifact = { abi: Abi; bytecode: Hex }
const file = new URL('../fixtures/contracts/artifacts.json', import.meta.url)
const { artifacts } = JSON.parse(readFileSync(file, 'utf8')) as { artifacts: Record<string, Artifact> }

const artifact = (name: string): Artifact => {
  const a = artifacts[name]
  if (!a) throw new Error(`no artifact ${name}: run node scripts/compile-fixtures.js`)
  return a
}

export const Counter = artifact('Counter')
export const TestToken = artifact('TestToken')
export const TestNFT = artifact('TestNFT')
export const Reverter = artifact('Reverter')
export const TestMultiToken = artifact('TestMultiToken')
export const TestSwap = artifact('TestSwap')
