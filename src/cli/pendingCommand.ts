import { Command } from 'commander'
import { approvalRequestFromJson } from '../approval/approvalRequestJson.js'
import { renderApprovalRequest } from '../approval/renderApprovalRequest.js'
import { adminCall } from './adminClient.js'
import { out, printJson, reportError } from './output.js'
import { resolveCliPaths, type StateFlags } from './resolveCliPaths.js'

/** `walletd pending [--json]`: the approval requests waiting, shown with the one renderer. */
export function createPendingCommand(): Command {
  return new Command('pending')
    .description('List the approval requests waiting for a decision (over the admin socket).')
    .option('--json', 'machine-readable output (bigints as decimal strings)')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')
    .action(async (flags: StateFlags & { json?: boolean }) => {
      try {
        const list = await adminCall<unknown[]>(await resolveCliPaths(flags), 'walletd_pending')
        if (flags.json) {
          printJson(list)
          return
        }
        if (list.length === 0) {
          out('No approval requests are waiting.')
          return
        }
        const now = Date.now()
        for (const raw of list) {
          const request = approvalRequestFromJson(raw)
          const rendered = renderApprovalRequest(request, {
            now,
            waiting: 0,
            instruction: `walletd approve ${request.id}${request.choices ? ' [--accounts 0x…,0x…]' : ''}  ·  walletd reject ${request.id} [--reason TEXT]`,
          })
          out(rendered.ok ? rendered.text : `request ${request.id}: too large to show here`)
        }
      } catch (e) {
        process.exitCode = reportError(e)
      }
    })
}
