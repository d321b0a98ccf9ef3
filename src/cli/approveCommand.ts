import { Command } from 'commander'
import { decidedFromJson } from '../approval/approvalRequestJson.js'
import { UsageError } from '../errors/startup.js'
import { adminCall } from './adminClient.js'
import { out, printJson, reportError } from './output.js'
import { resolveCliPaths, type StateFlags } from './resolveCliPaths.js'

type DecideResult = { id: string; decided: unknown }

/** `walletd approve ID [--accounts 0x…,0x…]`: approves a pending request (approver `cli`). */
export function createApproveCommand(): Command {
  return new Command('approve')
    .description('Approve a pending request by id (see `walletd pending`).')
    .argument('<id>', 'the request id')
    .option(
      '--accounts <list>',
      'connect requests: the accounts to connect, comma-separated (default: those marked *)',
    )
    .option('--json', 'machine-readable output')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')
    .action(async (id: string, flags: StateFlags & { accounts?: string; json?: boolean }) => {
      try {
        const accounts = flags.accounts
          ?.split(',')
          .map((a) => a.trim())
          .filter((a) => a.length > 0)
        if (accounts && accounts.length === 0) throw new UsageError('--accounts needs at least one address.')
        const res = await adminCall<DecideResult>(await resolveCliPaths(flags), 'walletd_decide', [
          { id, approved: true, ...(accounts ? { accounts } : {}), via: 'cli' },
        ])
        const decided = decidedFromJson(res.decided)
        if (flags.json) printJson(res)
        else
          out(
            `Approved ${id}${decided.approved && decided.accounts ? ` (accounts: ${decided.accounts.join(', ')})` : ''}.`,
          )
      } catch (e) {
        process.exitCode = reportError(e)
      }
    })
}

/** `walletd reject ID [--reason TEXT]`: rejects a pending request; the page gets 4001. */
export function createRejectCommand(): Command {
  return new Command('reject')
    .description(
      'Reject a pending request by id; the page gets 4001 (the reason text goes to the audit log only).',
    )
    .argument('<id>', 'the request id')
    .option(
      '--reason <text>',
      'why (at most 200 characters; recorded in the audit log, not sent to the page)',
    )
    .option('--json', 'machine-readable output')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')
    .action(async (id: string, flags: StateFlags & { reason?: string; json?: boolean }) => {
      try {
        if (flags.reason !== undefined && flags.reason.length > 200)
          throw new UsageError('--reason is at most 200 characters.')
        const res = await adminCall<DecideResult>(await resolveCliPaths(flags), 'walletd_decide', [
          { id, approved: false, ...(flags.reason ? { reason: flags.reason } : {}), via: 'cli' },
        ])
        if (flags.json) printJson(res)
        else out(`Rejected ${id}.`)
      } catch (e) {
        process.exitCode = reportError(e)
      }
    })
}
