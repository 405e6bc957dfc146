// What a deployment loads: with the defaults the HTTP server never loads jose (JWT checks), the
// authorization-server routes, the sandbox or qrcode (its QR rendering), not even after a request;
// with JWT checks and the authorization-server routes switched on, both are loaded while the
// server is built, before its first request. One fresh child process (module caches are
// per-process) over the built dist/, with a module-loading hook that records every module loaded.
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT, repoPath } from '../paths.js'
import { node } from '../spawn.js'

// Runs in the child. The hook runs before each module is evaluated and appends its URL to a file
// synchronously, so after an await the file lists everything loaded so far.
const CHILD = `
import { register } from 'node:module'
import { readFileSync, writeFileSync } from 'node:fs'
const log = process.env.LOAD_LOG
writeFileSync(log, '')
register('data:text/javascript,' + encodeURIComponent(
  "import { appendFileSync } from 'node:fs'\\n" +
  "export async function load (url, context, next) { appendFileSync(" + JSON.stringify(log) + ", url + '\\\\n'); return next(url, context) }"))
const loaded = () => readFileSync(log, 'utf8').split('\\n').filter(Boolean)
const dist = process.env.DIST_URL
const { buildHttpServer } = await import(dist + 'src/http.js')
const { loadConfig } = await import(dist + 'src/config.js')
const { createLogger } = await import(dist + 'src/logger.js')
const base = { MCP_TRANSPORT: 'http', LOG_LEVEL: 'silent', PILOT_STATUS_API_URL: 'http://127.0.0.1:9' }
const logger = createLogger('silent')

const plain = await buildHttpServer(loadConfig(base), logger)
await plain.listen({ port: 0, host: '127.0.0.1' })
const res = await fetch('http://127.0.0.1:' + plain.server.address().port + '/mcp', {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_test' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
})
const listed = (await res.json()).result?.tools?.length
const byDefault = loaded()
await plain.close()

const on = await buildHttpServer(loadConfig({ ...base, MCP_TOKEN_VERIFICATION: 'jwt', MCP_AUTH_SERVER_ROUTES: 'true' }), logger)
await on.ready()
const whenOn = loaded()
await on.close()
process.stdout.write(JSON.stringify({ listed, byDefault, whenOn }))
`

interface Report { listed: number, byDefault: string[], whenOn: string[] }

const OPTIONAL = {
  jose: /\/node_modules\/jose\//,
  qrcode: /\/node_modules\/qrcode\//,
  sandbox: /\/dist\/sandbox\//,
  'authorization-server routes': /\/dist\/plugins\/authorization-server\.js$/
}

t.test('the HTTP server loads jose, qrcode, the sandbox and the authorization-server routes only when switched on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-loading-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = { PATH: process.env.PATH ?? '', LOAD_LOG: join(dir, 'loaded.txt'), DIST_URL: pathToFileURL(repoPath('dist')).href + '/' }
  const cmd = node(['--input-type=module', '-e', CHILD], env)
  const child = spawn(cmd.command, cmd.args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { err += d })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.equal(code, 0, `the child ran (stderr: ${err.slice(0, 500)})`)
  const report = JSON.parse(out) as Report
  t.equal(report.listed, 56, 'the default server answered tools/list')
  t.ok(report.byDefault.some((u) => u.endsWith('/dist/src/app.js')), 'the hook saw the product load')
  for (const [what, pattern] of Object.entries(OPTIONAL)) {
    t.same(report.byDefault.filter((u) => pattern.test(u)), [], `${what}: not loaded with the defaults, even after a request`)
  }
  t.ok(report.whenOn.some((u) => OPTIONAL.jose.test(u)), 'jose loaded at start with MCP_TOKEN_VERIFICATION=jwt')
  t.ok(report.whenOn.some((u) => OPTIONAL['authorization-server routes'].test(u)), 'the authorization-server routes loaded at start with MCP_AUTH_SERVER_ROUTES=true')
})
