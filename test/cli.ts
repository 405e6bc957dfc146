// The CLI's arguments and subcommands as a user runs them: `check` against the sandbox (good
// number key, good tenant key, bad key; exit 0/1, never the key), both spellings of --port and
// --host, and a busy port named with the way out.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import net from 'node:net'
import { checkKey, describeCheck } from '../src/check.js'
import { sandbox, SANDBOX_KEYS, SANDBOX_KEY_IDS, SANDBOX_NUMBERS } from './helper.js'
import { CLI } from './paths.js'
import { node } from './spawn.js'

interface Run { code: number | null, stdout: string, stderr: string }

/**
 * Runs the CLI; with `until`, stops it (SIGTERM) once stderr matches. Only `covered` runs carry
 * tap's per-process hook (one per path through src/cli.ts, for its coverage): see test/spawn.ts.
 */
function cli (args: string[], env: Record<string, string> = {}, opts: { until?: RegExp, covered?: boolean } = {}): Promise<Run> {
  const { until, covered = false } = opts
  return new Promise((resolve, reject) => {
    const childEnv = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env }
    const cmd = covered ? { command: process.execPath, args: [CLI, ...args] } : node([CLI, ...args], childEnv)
    const child = spawn(cmd.command, cmd.args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => {
      stderr += d
      if (until?.test(stderr)) child.kill('SIGTERM')
    })
    child.on('error', reject)
    child.on('exit', (code) => { clearTimeout(guard); resolve({ code, stdout, stderr }) })
  })
}

async function freePort (): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise((resolve) => srv.close(resolve))
  return port
}

t.test('checkKey: the scope of a number key and its number, a tenant key, a bad key', async (t) => {
  const sb = await sandbox(t)
  const number = await checkKey({ apiUrl: sb.url, credentials: { kind: 'apiKey', key: SANDBOX_KEYS.number, source: 'env' } })
  t.same(number, { ok: true, scope: 'number', number: { id: SANDBOX_NUMBERS.demo, number: '5511999990001', name: 'Demo Store' } })
  t.match(describeCheck(number, sb.url), /^OK: a number key for \+5511999990001 "Demo Store" \(whatsappNumberId num_demo\)/)
  const byId = await checkKey({ apiUrl: sb.url, credentials: { kind: 'apiKeyId', keyId: SANDBOX_KEY_IDS.meta, source: 'env' } })
  t.match(byId, { ok: true, scope: 'number', number: { id: SANDBOX_NUMBERS.meta } }, 'a key id alone works too')
  const tenant = await checkKey({ apiUrl: sb.url, credentials: { kind: 'apiKey', key: SANDBOX_KEYS.tenant, source: 'env' } })
  t.same(tenant, { ok: true, scope: 'tenant' })
  const bad = await checkKey({ apiUrl: sb.url, credentials: { kind: 'apiKey', key: 'ps_not_a_real_key', source: 'env' } })
  t.match(bad, { ok: false, status: 401, code: 'UNAUTHORIZED' })
  t.notMatch(describeCheck(bad, sb.url), 'ps_not_a_real_key')
  const down = await checkKey({ apiUrl: 'http://127.0.0.1:9', credentials: { kind: 'apiKey', key: 'ps_x', source: 'env' }, timeoutMs: 3000 })
  t.match(down, { ok: false, status: undefined })
  t.match(describeCheck(down, 'http://127.0.0.1:9'), /^FAILED: could not check the key against http:\/\/127\.0\.0\.1:9/)
})

t.test('pilot-status-mcp check: exit 0 with the scope, exit 1 with the API\'s code and never the key', async (t) => {
  const sb = await sandbox(t)
  const env = { PILOT_STATUS_API_URL: sb.url }
  const good = await cli(['check'], { ...env, PILOT_STATUS_API_KEY: SANDBOX_KEYS.number }, { covered: true })
  t.equal(good.code, 0, good.stderr)
  t.match(good.stdout, /^OK: a number key for \+5511999990001 "Demo Store" \(whatsappNumberId num_demo\)/)
  t.notMatch(good.stdout + good.stderr, SANDBOX_KEYS.number, 'the key is not printed')

  const tenant = await cli(['check', '--key', SANDBOX_KEYS.tenant], env)
  t.equal(tenant.code, 0, tenant.stderr)
  t.match(tenant.stdout, /^OK: a tenant key/)

  const bad = await cli(['check', '--key=ps_wrong_key_1234'], env)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /^FAILED: .* refused the key: 401 UNAUTHORIZED/)
  t.notMatch(bad.stdout + bad.stderr, 'ps_wrong_key_1234', 'the key is not printed')

  const malformed = await cli(['check', '--key', 'sk_live_secret'], env)
  t.equal(malformed.code, 1)
  t.match(malformed.stderr, /--key must be a Pilot Status key: ps_ followed by letters, digits, _ or - \(value not shown\)/)
  t.notMatch(malformed.stderr, 'sk_live_secret')

  const none = await cli(['check'], env, { covered: true })
  t.equal(none.code, 1)
  t.match(none.stderr, /check needs a key: --key ps_\.\.\., or PILOT_STATUS_API_KEY/)
})

t.test('check --sandbox: the demo number key by default, any sandbox key with --key', async (t) => {
  const demo = await cli(['check', '--sandbox'], {}, { covered: true })
  t.equal(demo.code, 0, demo.stderr)
  t.match(demo.stdout, /^OK: a number key for \+5511999990001 "Demo Store".* at the sandbox/)
  const tenant = await cli(['check', '--sandbox', '--key', SANDBOX_KEYS.tenant])
  t.equal(tenant.code, 0, tenant.stderr)
  t.match(tenant.stdout, /^OK: a tenant key/)
})

t.test('--port and --host take both spellings: "--port 8080" and "--port=8080"', async (t) => {
  for (const spelled of ['split', 'joined'] as const) {
    const port = await freePort()
    const args = spelled === 'split' ? ['http', '--sandbox', '--port', String(port), '--host', '127.0.0.1'] : ['http', '--sandbox', `--port=${port}`, '--host=127.0.0.1']
    const r = await cli(args, {}, { until: /HTTP MCP endpoint/, covered: spelled === 'split' })
    t.match(r.stderr, `HTTP MCP endpoint: http://127.0.0.1:${port}/mcp`, `${spelled}: listening on the given port and host`)
  }
  const bad = await cli(['http', '--port=abc'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /--port must be a whole number from 0 to 65535 \(got "abc"\)/)
  const missing = await cli(['http', '--port'])
  t.equal(missing.code, 1)
  t.match(missing.stderr, /--port needs a value, e\.g\. --port 8080/)
})

t.test('a busy port is named, with how to pick another', async (t) => {
  const busy = net.createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => busy.close(resolve)))
  const port = (busy.address() as net.AddressInfo).port
  const r = await cli(['http', '--host', '127.0.0.1', '--port', String(port)], { PILOT_STATUS_API_URL: 'http://127.0.0.1:9' }, { covered: true })
  t.equal(r.code, 1)
  t.match(r.stderr, `port ${port} on 127.0.0.1 is already in use`)
  t.match(r.stderr, /pick another port with --port <n> \(or PORT=<n>\)/)
  t.notMatch(r.stderr, /EADDRINUSE/, 'not the raw error code')
})

t.test('test/spawn.ts: a child started without tap\'s hook keeps the rest of NODE_OPTIONS', async (t) => {
  const hook = '--import=file:///somewhere/node_modules/@tapjs/processinfo/dist/esm/import.mjs'
  const env = { PATH: process.env.PATH ?? '', NODE_OPTIONS: `--title=spawn-probe ${hook}` }
  const probe = ['-p', 'JSON.stringify([process.env.NODE_OPTIONS ?? null, process.title])']
  const kept = node(probe, env)
  t.same(kept.args.slice(0, 1), ['NODE_OPTIONS=--title=spawn-probe'], 'the hook is taken out, the rest is kept')
  const r = spawnSync(kept.command, kept.args, { env, encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr)
  t.same(JSON.parse(r.stdout), ['--title=spawn-probe', 'spawn-probe'], 'the child runs with the remaining options')
  const none = node(probe, { PATH: env.PATH, NODE_OPTIONS: hook })
  t.same(none.args.slice(0, 2), ['-u', 'NODE_OPTIONS'], 'nothing left: NODE_OPTIONS is unset')
  const bare = spawnSync(none.command, none.args, { env: { PATH: env.PATH }, encoding: 'utf8' })
  t.equal(bare.status, 0, bare.stderr)
  t.same(JSON.parse(bare.stdout)[0], null, 'not even the hook tap adds to every spawn')
})
