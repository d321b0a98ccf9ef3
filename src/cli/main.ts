import { Command, CommanderError } from 'commander'
import { ExitCode } from '../errors/startup.js'
import { VERSION } from '../version.js'
import { createAccountCommand } from './accountCommand.js'
import { createApproveCommand, createRejectCommand } from './approveCommand.js'
import { createAuditCommand } from './auditCommand.js'
import { createConfigCommand } from './configCommand.js'
import { reportError } from './output.js'
import { createPendingCommand } from './pendingCommand.js'
import { createPolicyCommand } from './policyCommand.js'
import { createPromptsCommand } from './promptsCommand.js'
import { createProviderCommand } from './providerCommand.js'
import { createPermissionsCommand, createRevokeCommand, createSessionsCommand } from './sessionsCommand.js'
import { createStartCommand } from './startCommand.js'
import { createStatusCommand } from './statusCommand.js'
import { createStopCommand } from './stopCommand.js'
import { createTokenCommand } from './tokenCommand.js'

export function createProgram(): Command {
  const program = new Command('walletd')
    .description('Headless local signer daemon for Ethereum (EIP-1193 over loopback WebSocket/HTTP).')
    .version(VERSION)
    .showHelpAfterError()
  program.addCommand(createStartCommand())
  program.addCommand(createStatusCommand())
  program.addCommand(createStopCommand())
  program.addCommand(createPendingCommand())
  program.addCommand(createApproveCommand())
  program.addCommand(createRejectCommand())
  program.addCommand(createPromptsCommand())
  program.addCommand(createSessionsCommand())
  program.addCommand(createRevokeCommand())
  program.addCommand(createPermissionsCommand())
  program.addCommand(createConfigCommand())
  program.addCommand(createTokenCommand())
  program.addCommand(createAccountCommand())
  program.addCommand(createPolicyCommand())
  program.addCommand(createAuditCommand())
  program.addCommand(createProviderCommand())
  return program
}

/** Entry point of bin/walletd.js. Exit codes are documented in the README. */
export async function main(argv: string[]): Promise<void> {
  const program = createProgram()
  // Usage errors in the one shape of every CLI failure: `walletd: … [WALLETD_ERR_USAGE]` on stderr, exit 2.
  const output = {
    outputError: (text: string, write: (s: string) => void) =>
      write(`walletd: ${text.trim().replace(/^error: /, '')} [WALLETD_ERR_USAGE]\n`),
  }
  const override = (c: Command) => {
    c.exitOverride()
    c.configureOutput(output)
    for (const sub of c.commands) override(sub)
  }
  override(program)
  try {
    await program.parseAsync(argv)
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? ExitCode.ok : ExitCode.usage
      return
    }
    process.exitCode = reportError(e)
  }
}
