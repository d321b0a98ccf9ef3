import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { resolvePaths } from '../../src/config/paths.js'

/**
 * The built CLI, as a user runs it: `walletd start --dev` answers on the URL it prints,
 * `status` and `stop` work, SIGTERM exits cleanly and removes the runtime file.
 */
const bin = new URL('../../bin/walletd.js', import.meta.url).pathname
let home: string
let env: NodeJS.ProcessEnv

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 30_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function startDaemon(
  args: string[],
): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, 'start', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let errText = ''
  child.stderr!.on('data', (c) => (errText += c))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner; stderr: ${errText}`)), 30_000)
    child.stdout!.on('data', (c) => {
      out += c
      if (out.includes('dev token') || out.includes('chains')) {
        clearTimeout(timer)
        setTimeout(() => resolve({ child, stdout: () => out, stderr: () => errText }), 50)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited ${code}: ${errText}`))
    })
  })
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => {
    if (child.exitCode !== null) return r({ code: child.exitCode, signal: null })
    child.once('exit', (code, signal) => r({ code, signal }))
  })

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'walletd-cli-'))
  env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR: join(home, 'run'),
    WALLETD_LOG__FORMAT: 'json',
  }
})
afterAll(() => rmSync(home, { recursive: true, force: true }))

describe('walletd CLI', () => {
  test('--help and --version', () => {
    const help = run(['--help'])
    expect(help.code).toBe(0)
    for (const cmd of ['start', 'status', 'stop', 'config', 'token']) expect(help.stdout).toContain(cmd)
    expect(run(['start', '--help']).stdout).toContain('--strict-port')
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  test('an unknown command or option is a usage error (exit 2)', () => {
    expect(run(['frobnicate']).code).toBe(2)
    expect(run(['start', '--no-such-flag']).code).toBe(2)
  })

  test('status and stop when nothing runs: exit 4', () => {
    const s = run(['status', '--json'])
    expect(s.code).toBe(4)
    expect(JSON.parse(s.stdout)).toMatchObject({ running: false })
    expect(run(['stop']).code).toBe(4)
  })

  test('config check: valid, and an invalid value names the key (exit 3)', () => {
    expect(run(['config', 'check']).code).toBe(0)
    const bad = spawnSync(process.execPath, [bin, 'config', 'check', '--json'], {
      env: { ...env, WALLETD_SERVER__PORT: '"x"' },
      encoding: 'utf8',
    })
    expect(bad.status).toBe(3)
    expect(JSON.parse(bad.stdout).issues.join('\n')).toContain('config.server.port')
  })

  test('start without any chain is a clear error (exit 7)', () => {
    const r = run(['start', '--port', '0'])
    expect(r.code).toBe(7)
    expect(r.stderr).toContain('WALLETD_ERR_UPSTREAM_UNAVAILABLE')
    expect(r.stderr).toContain('--dev')
  })

  test('start --dev answers on the printed URL; status; a second start is refused; stop', async () => {
    const d = await startDaemon(['--dev', '--port', '0'])
    try {
      const out = d.stdout()
      const url = /HTTP\s+(http:\/\/\S+)/.exec(out)![1]!
      const token = /dev token\s+(\S+)/.exec(out)![1]!
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }),
      })
      expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' })
      const bn = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_blockNumber' }),
      })
      expect(((await bn.json()) as { result: string }).result).toMatch(/^0x[0-9a-f]+$/)

      const status = run(['status', '--json'])
      expect(status.code).toBe(0)
      const info = JSON.parse(status.stdout)
      expect(info).toMatchObject({ running: true, pid: d.child.pid, dev: true })
      expect(info.health.chains[0]).toMatchObject({ chainId: 31337, connected: true })

      const second = run(['start', '--dev', '--port', '0'])
      expect(second.code).toBe(5)
      expect(second.stderr).toContain('WALLETD_ERR_ALREADY_RUNNING')

      const stop = run(['stop'])
      expect(stop.code, `${stop.stderr}\n${d.stderr()}`).toBe(0)
      expect(await exited(d.child)).toEqual({ code: 0, signal: null })
      expect(run(['status']).code).toBe(4)
      expect(d.stderr()).not.toContain(token)
    } finally {
      d.child.kill('SIGKILL')
    }
  })

  test('status --json shows the identity key; provider writes a bundle with its injection options; /provider.js is served', async () => {
    expect(run(['provider']).code).toBe(4) // nothing runs: no port, no key
    const d = await startDaemon(['--dev', '--port', '0'])
    try {
      const info = JSON.parse(run(['status', '--json']).stdout)
      expect(info.identity).toMatchObject({ alg: 'ES256' })
      expect(run(['status']).stdout).toContain(info.identity.publicKey)
      const file = join(home, 'out', 'walletd-provider.js')
      const r = run([
        'provider',
        '--out',
        file,
        '--origin',
        'https://App.Example:443',
        '--token-name',
        'webview',
      ])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toBe('')
      expect(statSync(file).mode & 0o777).toBe(0o600)
      const text = readFileSync(file, 'utf8')
      const options = JSON.parse(
        /^globalThis\.walletdProviderOptions = Object\.assign\((\{.*?\}), /.exec(text)![1]!,
      )
      expect(options).toMatchObject({
        url: info.urls.ws,
        publicKey: info.identity.publicKey,
        isMetaMask: false,
        windowEthereum: false,
      })
      expect(options.token).toMatch(/^wdt_/)
      const tokens = JSON.parse(run(['token', 'list', '--json']).stdout)
      expect(tokens.find((t: { name: string }) => t.name === 'webview')?.origins).toEqual([
        'https://app.example',
      ])
      expect(text).toContain('eip6963:announceProvider')
      const unbound = run(['provider', '--window-ethereum', '--is-metamask'])
      expect(unbound.code).toBe(0)
      expect(unbound.stdout).toContain('"isMetaMask":true,"windowEthereum":true')
      expect(unbound.stderr).toContain('not bound to an origin')
      // The bundle by URL: public code, for any page (no token in it).
      const served = await fetch(`${info.urls.http.replace(/\/rpc$/, '')}/provider.js`, {
        headers: { origin: 'https://app.example' },
      })
      expect(served.status).toBe(200)
      expect(served.headers.get('content-type')).toContain('javascript')
      const js = await served.text()
      expect(js).toContain('eip6963:requestProvider')
      expect(js).not.toContain('wdt_')
    } finally {
      d.child.kill('SIGTERM')
      await exited(d.child)
    }
  })

  test('SIGTERM: clean exit, runtime file removed, open sockets closed with 1001', async () => {
    const d = await startDaemon(['--dev', '--port', '0'])
    const info = JSON.parse(run(['status', '--json']).stdout)
    const runtimeFile = resolvePaths({ dataDir: info.dataDir, runtimeDir: null }, env).runtimeFile
    expect(existsSync(runtimeFile)).toBe(true)
    const token = /dev token\s+(\S+)/.exec(d.stdout())![1]!
    const { default: WebSocket } = await import('ws')
    const ws = new WebSocket(info.urls.ws, ['walletd.v1', `walletd.token.${token}`], {
      headers: { origin: 'https://app.example' },
    })
    await new Promise((r) => ws.once('open', r))
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)))
    d.child.kill('SIGTERM')
    expect(await closed).toBe(1001)
    expect(await exited(d.child)).toEqual({ code: 0, signal: null })
    expect(existsSync(runtimeFile)).toBe(false)
    expect(run(['status']).code).toBe(4)
  })

  test('SIGUSR1 does not open the Node inspector; the daemon keeps answering', async () => {
    // What listens on 9229 before (another process on a shared machine may): inspector targets, or null.
    const inspectorTargets = async (): Promise<Array<{ url: string }> | null> => {
      try {
        const res = await fetch('http://127.0.0.1:9229/json/list', { signal: AbortSignal.timeout(2000) })
        const body = (await res.json()) as unknown
        return Array.isArray(body) ? (body as Array<{ url: string }>) : []
      } catch {
        return null
      }
    }
    const ours = (targets: Array<{ url: string }> | null) =>
      (targets ?? []).filter((t) => String(t.url).startsWith(pathToFileURL(bin).href))
    expect(ours(await inspectorTargets())).toEqual([])

    const d = await startDaemon(['--dev', '--port', '0'])
    try {
      d.child.kill('SIGUSR1')
      // Wait for the signal's effect: walletd's log line, or Node's own inspector messages
      // ("Debugger listening on …", or "Starting inspector on … failed" when 9229 is taken).
      for (
        let i = 0;
        i < 400 && !/SIGUSR1 received|Debugger listening|Starting inspector/.test(d.stderr());
        i++
      ) {
        await new Promise((r) => setTimeout(r, 25))
      }
      expect(d.stderr()).toContain('SIGUSR1 received and ignored')
      expect(d.stderr()).not.toMatch(/Debugger listening|Starting inspector/)
      expect(ours(await inspectorTargets())).toEqual([])

      const url = /HTTP\s+(http:\/\/\S+)/.exec(d.stdout())![1]!
      const token = /dev token\s+(\S+)/.exec(d.stdout())![1]!
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }),
      })
      expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 1, result: '0x7a69' })
      d.child.kill('SIGTERM')
      expect(await exited(d.child)).toEqual({ code: 0, signal: null })
    } finally {
      d.child.kill('SIGKILL')
    }
  })

  test('token create/list/revoke; the secret is shown once and never listed', () => {
    const created = run(['token', 'create', 'myhost', '--json'])
    expect(created.code).toBe(0)
    const { token } = JSON.parse(created.stdout)
    expect(token).toMatch(/^wdt_/)
    const list = run(['token', 'list', '--json'])
    expect(JSON.parse(list.stdout).map((t: { name: string }) => t.name)).toContain('myhost')
    expect(list.stdout).not.toContain(token)
    expect(run(['token', 'create', 'myhost']).code).toBe(2)
    expect(run(['token', 'revoke', 'myhost']).code).toBe(0)
    expect(run(['token', 'revoke', 'myhost']).code).toBe(2)
    expect(run(['token', 'create', 'bad name']).code).toBe(2)
  })

  test('token create where tokens.json cannot be written: WALLETD_ERR_DATA_DIR with the cause, no secret printed, nothing left behind', () => {
    // A directory where the file should be refuses the atomic rename even to root (EISDIR).
    const dir = mkdtempSync(join(tmpdir(), 'walletd-cli-blocked-'))
    try {
      mkdirSync(join(dir, 'tokens.json'))
      const r = spawnSync(process.execPath, [bin, 'token', 'create', 'host', '--data-dir', dir], {
        env,
        encoding: 'utf8',
        timeout: 30_000,
      })
      expect(r.status).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr).toMatch(
        /tokens\.json cannot be written: .*\(EISDIR\)\. Nothing was changed.*\[WALLETD_ERR_DATA_DIR\]/,
      )
      expect(r.stderr).not.toMatch(/wdt_|unexpected/)
      expect(readdirSync(dir)).toEqual(['tokens.json'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('token create --url prints both URLs and says a URL on a command line is visible in ps', () => {
    const json = run(['token', 'create', 'script', '--url', '--json'])
    expect(json.code).toBe(0)
    const { token, url, urls } = JSON.parse(json.stdout)
    expect(url).toBe(true)
    expect(urls.ws).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/rpc/${token}$`))
    expect(urls.http).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/rpc/${token}$`))
    const text = run(['token', 'create', 'script2', '--url'])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/rpc\/wdt_/m)
    expect(text.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rpc\/wdt_/m)
    expect(text.stdout).toContain('`ps`')
    expect(run(['token', 'list']).stdout).toMatch(/script\t.*\turl/)
    expect(run(['token', 'create', 'both', '--url', '--origin', 'https://a.example']).code).toBe(2)
  })

  test("the README's quick start runs the clone's own bin: `npm run dev` prints the banner and stops on SIGTERM", async () => {
    const root = new URL('../../', import.meta.url)
    const readme = readFileSync(new URL('README.md', root), 'utf8')
    const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!
    expect(quickStart.split('\n').filter(Boolean)).toEqual(['npm ci', 'npm run dev'])
    expect(readme).not.toMatch(/^npx walletd/m)
    const scripts = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).scripts
    // A smaller young generation keeps many idle connections small (docs/configuration.md).
    expect(scripts.dev).toBe('node --max-semi-space-size=4 bin/walletd.js start --dev')
    expect(scripts.start).toBe('node --max-semi-space-size=4 bin/walletd.js start')

    // npm runs the script in the clone (no install into npm's cache); --port 0 for a free port.
    const npm = spawn('npm', ['run', '--silent', 'dev', '--', '--port', '0'], {
      cwd: fileURLToPath(root),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let errText = ''
    npm.stderr!.on('data', (c) => (errText += c))
    try {
      await new Promise<void>((resolve, reject) => {
        npm.stdout!.on('data', (c) => {
          out += c
          if (out.includes('dev token')) resolve()
        })
        npm.once('exit', (code) => reject(new Error(`npm run dev exited ${code}: ${errText}`)))
      })
      expect(out).toMatch(/walletd \S+ listening/)
      expect(out).toContain('Anvil (dev) (31337)')
      const stop = run(['stop'])
      expect(stop.code, `${stop.stderr}\n${errText}`).toBe(0)
      expect((await exited(npm)).code).toBe(0)
    } finally {
      npm.kill('SIGKILL')
    }
  })

  test.each([
    ['as soon as its Anvil is up (walletd still starting)', /"msg":"dev Anvil started"/],
    ['the moment its banner arrives', /listening/],
  ])('SIGTERM %s: walletd exits 0 and stops its Anvil', async (_, when) => {
    const child = spawn(process.execPath, [bin, 'start', '--dev', '--port', '0'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let text = ''
    let anvilPort = 0
    const onData = (chunk: Buffer) => {
      text += chunk
      anvilPort ||= Number(/"port":(\d+),"msg":"dev Anvil started"/.exec(text)?.[1] ?? 0)
      if (when.test(text) && child.signalCode === null && !child.killed) child.kill('SIGTERM')
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    try {
      expect(await exited(child), text).toEqual({ code: 0, signal: null })
      expect(anvilPort).toBeGreaterThan(0)
      // Nothing listens on the Anvil port any more.
      const refused = await fetch(`http://127.0.0.1:${anvilPort}`, { method: 'POST' }).then(
        () => false,
        () => true,
      )
      expect(refused).toBe(true)
      expect(run(['status']).code).toBe(4)
    } finally {
      child.kill('SIGKILL')
    }
  })

  test('a non-loopback --host is refused without --allow-remote', () => {
    const r = run(['start', '--dev', '--host', '0.0.0.0', '--port', '0'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--allow-remote')
  })
})
