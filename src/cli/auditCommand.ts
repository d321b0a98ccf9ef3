import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unwatchFile,
  watchFile,
} from 'node:fs'
import { Command, InvalidArgumentError } from 'commander'
import { AuditLogError, NotFoundError } from '../errors/startup.js'
import { out, printJson, reportError } from './output.js'
import { resolveCliPaths, type StateFlags } from './resolveCliPaths.js'

const stateOptions = (c: Command) =>
  c.option('--config <file>', 'config file').option('--data-dir <dir>', 'state directory')

const parseCount = (v: string) => {
  if (!/^\d{1,7}$/.test(v)) throw new InvalidArgumentError('expected a number of lines')
  return Number(v)
}

/** `walletd audit verify | tail`: the hash-chained audit log in the data dir. */
export function createAuditCommand(): Command {
  const audit = new Command('audit').description(
    'The audit log (grants, revokes, approval decisions, signatures, sent transactions), hash-chained.',
  )
  stateOptions(
    audit
      .command('verify')
      .description(
        'Check the hash chain; name the first bad line (edited, removed, reordered, cut short). Exit 1 when broken.',
      )
      .option('--file <file>', 'another log file (e.g. one set aside); its head file is not checked')
      .option('--json', 'machine-readable output'),
  ).action(async (flags: StateFlags & { file?: string; json?: boolean }) => {
    try {
      const paths = await resolveCliPaths(flags)
      const file = flags.file ?? paths.auditLog
      if (!existsSync(file)) throw new NotFoundError(`No audit log at ${file}.`)
      const { verifyAuditLog } = await import('../audit/verifyAuditLog.js')
      const verdict = verifyAuditLog(file, flags.file ? undefined : paths.auditHead)
      if (flags.json) printJson({ file, ...verdict })
      if (!verdict.ok) {
        throw new AuditLogError(`The audit log ${file} is broken at line ${verdict.line}: ${verdict.reason}.`)
      }
      if (!flags.json)
        out(
          `The audit log ${file} verifies: ${verdict.lines} line(s), last hash ${verdict.lastHash}${verdict.head === 'missing' ? ' (no head file: lines removed at the end would not show)' : ''}.`,
        )
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
  stateOptions(
    audit
      .command('tail')
      .description('Print the last lines of the audit log (JSONL); -f follows it.')
      .option('-n, --lines <n>', 'how many lines', parseCount, 10)
      .option('-f, --follow', 'keep printing lines as they are written (Ctrl-C stops)'),
  ).action(async (flags: StateFlags & { lines: number; follow?: boolean }) => {
    try {
      const paths = await resolveCliPaths(flags)
      const file = paths.auditLog
      if (!existsSync(file) && !flags.follow) throw new NotFoundError(`No audit log at ${file}.`)
      let offset = 0
      if (existsSync(file)) {
        const text = readFileSync(file, 'utf8')
        const lines = text.split('\n').filter((l, i, all) => i < all.length - 1 || l.length > 0)
        const shown = lines.slice(Math.max(0, lines.length - flags.lines))
        if (shown.length > 0) out(shown.join('\n'))
        offset = Buffer.byteLength(text)
      }
      if (!flags.follow) return
      let partial = ''
      const pump = () => {
        let size = 0
        try {
          size = statSync(file).size
        } catch {
          return
        }
        if (size < offset) offset = 0 // set aside or replaced: start from the top of the new file
        if (size === offset) return
        const fd = openSync(file, 'r')
        try {
          const buf = Buffer.alloc(size - offset)
          readSync(fd, buf, 0, buf.length, offset)
          offset = size
          const text = partial + buf.toString('utf8')
          const cut = text.lastIndexOf('\n')
          partial = text.slice(cut + 1)
          if (cut !== -1) out(text.slice(0, cut))
        } finally {
          closeSync(fd)
        }
      }
      watchFile(file, { interval: 250 }, pump)
      await new Promise<void>((resolve) => {
        const stop = () => {
          unwatchFile(file)
          resolve()
        }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
    } catch (e) {
      process.exitCode = reportError(e)
    }
  })
  return audit
}
