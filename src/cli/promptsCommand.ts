import { Command } from 'commander'
import { approvalRequestFromJson, decidedFromJson } from '../approval/approvalRequestJson.js'
import { createTerminalApprover } from '../approval/createTerminalApprover.js'
import type { ApprovalDecision, DecisionReason } from '../approval/types.js'
import { ApprovalRefusedError, NotFoundError, UsageError } from '../errors/startup.js'
import { connectAdmin } from './adminClient.js'
import { err, out, reportError } from './output.js'
import { resolveCliPaths, type StateFlags } from './resolveCliPaths.js'

/** Terminal outcomes that are a person's answer (sent to the daemon); the rest only end the prompt here. */
const ANSWERS: ReadonlySet<DecisionReason> = new Set(['rejected', 'eof', 'interrupted', 'too-large', 'error'])

/** What a request settled elsewhere tells the prompt showing it. */
const withdrawnAs = (reason: string | undefined): DecisionReason =>
  reason === 'timeout' || reason === 'cancelled' || reason === 'shutdown' ? reason : 'withdrawn'

/**
 * `walletd prompts`: the careful terminal prompt of `walletd start` (escaping, type-ahead flush,
 * input delay, default reject — the same createTerminalApprover), attached to a running daemon
 * from any terminal through the admin socket. Requests are shown one at a time as they arrive;
 * an answer here is sent as a decision (`by: prompts`); a request decided elsewhere meanwhile (the
 * daemon's own terminal, `walletd approve`, a notification) is withdrawn on screen. Ctrl-C
 * rejects the prompt shown, then quits; quitting otherwise decides nothing.
 */
export function createPromptsCommand(): Command {
  return new Command('prompts')
    .description('Answer approval requests of a running walletd in this terminal.')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')
    .action(async (flags: StateFlags) => {
      try {
        if (!process.stdin.isTTY || !process.stdout.isTTY) {
          throw new UsageError(
            '`walletd prompts` needs stdin and stdout to be a terminal; use `walletd pending` / `walletd approve ID` from scripts.',
          )
        }
        await runPrompts(await resolveCliPaths(flags))
      } catch (e) {
        process.exitCode = reportError(e)
      }
    })
}

async function runPrompts(paths: Awaited<ReturnType<typeof resolveCliPaths>>): Promise<void> {
  const client = await connectAdmin(paths)
  const controllers = new Map<string, AbortController>()
  const settled = new Set<string>()
  let quitting = false
  const terminal = createTerminalApprover({
    input: process.stdin,
    output: process.stdout,
    // Raw mode turns Ctrl-C into a keystroke: the prompt is rejected (and that is sent), then quit.
    onInterrupt: () => setImmediate(() => quit()),
  })

  function quit(): void {
    if (quitting) return
    quitting = true
    terminal.close()
    client.close()
  }

  function show(raw: unknown): void {
    const request = approvalRequestFromJson(raw)
    const { id } = request
    if (controllers.has(id) || settled.has(id) || quitting) return
    const controller = new AbortController()
    controllers.set(id, controller)
    terminal.decide(request, controller.signal).then(async (decision: ApprovalDecision | undefined) => {
      controllers.delete(id)
      if (!decision || controller.signal.aborted || quitting) return
      if (!decision.approved && !ANSWERS.has(decision.reason)) return
      try {
        await client.call('walletd_decide', [
          decision.approved
            ? {
                id,
                approved: true,
                ...(decision.accounts ? { accounts: decision.accounts } : {}),
                via: 'prompts',
              }
            : { id, approved: false, via: 'prompts' },
        ])
      } catch (e) {
        if (e instanceof NotFoundError)
          err(`walletd: request ${id} was decided elsewhere first; your answer was not used.`)
        else reportError(e)
      }
    })
  }

  client.onNotification((n) => {
    if (n.method !== 'walletd_prompt') return
    const result = (
      n.params as { result?: { type?: string; request?: unknown; id?: string; decided?: unknown } }
    )?.result
    if (result?.type === 'added') show(result.request)
    else if (result?.type === 'settled' && typeof result.id === 'string') {
      settled.add(result.id)
      const reason = (() => {
        try {
          const d = decidedFromJson(result.decided)
          return d.approved ? undefined : d.reason
        } catch {
          return undefined
        }
      })()
      controllers.get(result.id)?.abort(new Error(withdrawnAs(reason)))
    }
  })

  const status = await client.call<{ pid?: number; health?: { approvers?: string[] } }>('walletd_status')
  if (!status.health?.approvers?.includes('cli')) {
    client.close()
    throw new ApprovalRefusedError(
      'This walletd takes no decisions from the CLI: it was started without the cli approver (--approver).',
    )
  }
  const { pending } = await client.call<{ subscription: string; pending: unknown[] }>(
    'walletd_subscribePrompts',
  )
  out(
    `walletd prompts: attached to walletd${status.pid ? ` (pid ${status.pid})` : ''}; ${pending.length} request(s) waiting. Requests appear here as they arrive; Ctrl-C quits.`,
  )
  for (const raw of pending) show(raw)

  process.once('SIGINT', quit)
  process.once('SIGTERM', quit)
  await client.closed
  if (!quitting) {
    out('walletd prompts: walletd closed the connection (it stopped).')
    quitting = true
    terminal.close()
  }
}
