import { defineMethod } from '../defineMethod.js'
import { zNoParams } from '../schemas/primitives.js'
import type { AdminControl } from './types.js'

/** Admin: `walletd stop`. Answers, then the daemon shuts down as on SIGTERM. */
export function createWalletdStop(control: AdminControl) {
  return defineMethod({
    method: 'walletd_stop',
    params: zNoParams,
    permission: 'none',
    cost: 'read',
    handler: async () => {
      // After this answer is written: the socket closes with everything else.
      setTimeout(() => control.stop(), 20).unref?.()
      return { stopping: true, pid: process.pid }
    },
  })
}
