import { Command } from 'commander'
import { out, printJson, reportError } from './output.js'
import { resolveCliPaths } from './resolveCliPaths.js'

type Common = { config?: string; dataDir?: string; json?: boolean }

const common = (c: Command) =>
  c
    .option('--json', 'machine-readable output')
    .option('--config <file>', 'config file')
    .option('--data-dir <dir>', 'state directory')

/** `walletd policy attest|check`: approval policies for CI and automation (see docs/policy.md). */
export function createPolicyCommand(): Command {
  const policy = new Command('policy').description(
    'Approval policies: rules that approve or reject without a person (CI). See docs/policy.md.',
  )
  common(
    policy
      .command('attest <file>')
      .description(
        'Validate a policy file and record its sha256: only this exact content may run with start --policy.',
      ),
  ).action(async (file: string, flags: Common) => {
    try {
      const { attestPolicy } = await import('../approval/policy/loadPolicy.js')
      const paths = await resolveCliPaths(flags)
      const { ensurePrivateDir } = await import('../util/writeFileAtomic.js')
      ensurePrivateDir(paths.dataDir)
      const loaded = attestPolicy(file, paths.policyAttestationsFile)
      if (flags.json) printJson({ file, sha256: loaded.hash, rules: loaded.policy.rules.map((r) => r.name) })
      else
        out(
          `attested ${file}\n  sha256  ${loaded.hash}\n  rules   ${loaded.policy.rules.map((r) => `${r.name} (${r.action})`).join(', ')}`,
        )
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
  common(
    policy
      .command('check <file>')
      .description('Say which rule of a policy file would decide a request (for writing policies).')
      .requiredOption(
        '--request <json>',
        'the request: {"origin":"token:ci","method":"eth_sendTransaction","facts":{"kind":"transaction","chainId":31337,"account":"0x…","to":"0x…","value":"1000"}}',
      ),
  ).action(async (file: string, flags: Common & { request: string }) => {
    try {
      const [{ readPolicyFile }, { evaluatePolicy }, { requestFromJson }, { PolicyInvalidError }] =
        await Promise.all([
          import('../approval/policy/loadPolicy.js'),
          import('../approval/policy/evaluatePolicy.js'),
          import('../approval/policy/checkRequest.js'),
          import('../errors/startup.js'),
        ])
      const { policy: p, hash } = readPolicyFile(file)
      let json: unknown
      try {
        json = JSON.parse(flags.request)
      } catch {
        throw new PolicyInvalidError('--request is not valid JSON.')
      }
      const verdict = evaluatePolicy(p, requestFromJson(json), { spent: () => 0n }, Date.now())
      const decision =
        verdict.decision === undefined ? 'none' : verdict.decision.approved ? 'approve' : 'reject'
      if (flags.json) printJson({ sha256: hash, decision, rule: verdict.rule, why: verdict.why })
      else out(`${decision}${verdict.rule ? ` (rule "${verdict.rule}")` : ''}: ${verdict.why}`)
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
  return policy
}
