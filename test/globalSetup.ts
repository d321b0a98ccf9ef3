import 'vitest'
import type { TestProject } from 'vitest/node'
import { startAnvil } from '../src/dev/startAnvil.js'

declare module 'vitest' {
  export interface ProvidedContext {
    anvilHttpUrl: string
    anvilWsUrl: string
  }
}

/**
 * One real Anvil (from the npm package @foundry-rs/anvil) on a free port for the whole run; its
 * chain id is checked before any test uses it. Tests that change chain state take an
 * `evm_snapshot` / `evm_revert` of their own, or start a private Anvil with `startAnvil()`.
 */
export default async function setup(project: TestProject) {
  const anvil = await startAnvil({ port: 0 })
  project.provide('anvilHttpUrl', anvil.httpUrl)
  project.provide('anvilWsUrl', anvil.wsUrl)
  return async () => {
    await anvil.stop()
  }
}
