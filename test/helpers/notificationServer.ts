import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type NotificationServer = {
  busAddress: string
  /** Displayed notifications (dunstctl count displayed). */
  displayed(): Promise<number>
  /** Waits until exactly `n` notifications are displayed. */
  waitDisplayed(n: number): Promise<void>
  /**
   * Opens dunst's context menu (as a right click does) and picks the first entry whose action
   * key is `key`; resolves with the whole menu dunst offered.
   */
  invoke(key: 'approve' | 'reject'): Promise<string>
  stop(): Promise<void>
}

const exec = (file: string, args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<string>((resolve, reject) =>
    execFile(file, args, { env, timeout: 10_000 }, (err, stdout, stderr) =>
      err
        ? reject(new Error(`${file} ${args.join(' ')}: ${err.message} ${stderr}`))
        : resolve(String(stdout)),
    ),
  )

/**
 * A real notification server on a real, private D-Bus session bus: Xvfb (a display for dunst),
 * dbus-daemon, and dunst (Debian packages). Actions are invoked through dunst's own control
 * (`dunstctl context` runs the configured menu program, which picks the entry): the server then
 * emits ActionInvoked like it does for a click.
 */
export async function startNotificationServer(): Promise<NotificationServer> {
  for (const tool of ['Xvfb', 'dbus-daemon', 'dunst', 'dunstctl'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      throw new Error(`${tool} is missing: .ci/run installs dunst, xvfb and dbus`)
  const dir = mkdtempSync(join(tmpdir(), 'walletd-notify-'))
  const children: ChildProcess[] = []
  const started = (
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    stdio: any = ['ignore', 'pipe', 'pipe'],
  ) => {
    const child = spawn(cmd, args, { env, stdio })
    children.push(child)
    return child
  }
  const firstLine = (child: ChildProcess, stream: NodeJS.ReadableStream) =>
    new Promise<string>((resolve, reject) => {
      let text = ''
      const timer = setTimeout(() => reject(new Error(`no output from ${child.spawnfile}`)), 15_000)
      stream.on('data', (c) => {
        text += c
        if (text.includes('\n')) {
          clearTimeout(timer)
          resolve(text.split('\n')[0]!.trim())
        }
      })
      child.once('exit', (code) => reject(new Error(`${child.spawnfile} exited ${code}`)))
    })

  const xvfb = started('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp'], { PATH: process.env.PATH }, [
    'ignore',
    'ignore',
    'ignore',
    'pipe',
  ])
  const display = await firstLine(xvfb, xvfb.stdio[3] as NodeJS.ReadableStream)
  const bus = started(
    'dbus-daemon',
    ['--session', '--nofork', '--print-address=1', `--address=unix:path=${join(dir, 'bus')}`],
    {
      PATH: process.env.PATH,
    },
  )
  const busAddress = await firstLine(bus, bus.stdout!)
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    DISPLAY: `:${display}`,
    DBUS_SESSION_BUS_ADDRESS: busAddress,
  }

  const choice = join(dir, 'choice')
  const menu = join(dir, 'menu')
  const pick = join(dir, 'pick.sh')
  writeFileSync(pick, `#!/bin/sh\ncat > '${menu}'\ngrep -m1 ",$(cat '${choice}')\\]\\$" '${menu}'\n`)
  chmodSync(pick, 0o700)
  writeFileSync(join(dir, 'dunstrc'), `[global]\n    dmenu = ${pick}\n    markup = full\n`)
  started('dunst', ['-config', join(dir, 'dunstrc')], env)
  // dunst owns the name once dunstctl can talk to it.
  const deadline = Date.now() + 15_000
  for (;;) {
    try {
      await exec('dunstctl', ['is-paused'], env)
      break
    } catch (err) {
      if (Date.now() > deadline) throw err
    }
  }

  const displayed = async () => Number((await exec('dunstctl', ['count', 'displayed'], env)).trim())
  return {
    busAddress,
    displayed,
    async waitDisplayed(n) {
      const until = Date.now() + 20_000
      while ((await displayed()) !== n)
        if (Date.now() > until) throw new Error(`not ${n} notification(s) shown: ${await displayed()}`)
    },
    async invoke(key) {
      writeFileSync(choice, key)
      writeFileSync(menu, '')
      await exec('dunstctl', ['context'], env)
      // dunst runs the menu program in a thread: wait until it has written what it offered.
      const until = Date.now() + 10_000
      for (;;) {
        const text = readFileSync(menu, 'utf8')
        if (text.length > 0) return text
        if (Date.now() > until) throw new Error('dunst did not open its context menu')
        await exec('dunstctl', ['is-paused'], env)
      }
    },
    async stop() {
      for (const c of children.reverse()) {
        if (c.exitCode === null) {
          const gone = new Promise((r) => c.once('exit', r))
          c.kill('SIGTERM')
          await gone
        }
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
