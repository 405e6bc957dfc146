// What a deployment loads: with the defaults the HTTP server never loads jose (JWT checks), the
// authorization-server routes, the sandbox or qrcode (its QR rendering), not even after a request;
// with JWT checks and the authorization-server routes switched on, both are loaded while the
// server is built, before its first request. The MCP SDK (and the route's SDK Server) is not
// loaded while the fast path answers (tools/list and tools/call of either era, a 2025-era client's
// initialize, notifications/initialized and ping, a 2026-07-28 client's server/discover); the
// first request it does not take (here resources/list) loads it, and with MCP_FAST_PATH=false it
// is loaded at start.
// Fresh child processes (module caches are per-process) over the built dist/, with a
// module-loading hook that records every module loaded.
import t, { type Test } from 'tap'
import * as sdk from '@modelcontextprotocol/server'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT, repoPath } from '../paths.js'
import { node } from '../spawn.js'
import { buildHttpServer } from '../../src/http.js'
import { loadConfig } from '../../src/config.js'
import { createLogger } from '../../src/logger.js'
import { CLIENT_CAPABILITIES_META_KEY, LEGACY_PROTOCOL_VERSIONS, SERVED_VERSIONS, SERVER_INFO_META_KEY } from '../../src/mcp/versions.js'

// Runs in the child. The hook runs before each module is evaluated and appends its URL to a file
// synchronously, so after an await the file lists everything loaded so far.
const CHILD = `
import { register, createRequire } from 'node:module'
import { readFileSync, writeFileSync } from 'node:fs'
const log = process.env.LOAD_LOG
writeFileSync(log, '')
register('data:text/javascript,' + encodeURIComponent(
  "import { appendFileSync } from 'node:fs'\\n" +
  "export async function load (url, context, next) { appendFileSync(" + JSON.stringify(log) + ", url + '\\\\n'); return next(url, context) }"))
// ES modules through the hook; CommonJS ones (Fastify's dependencies) from the require cache.
const cjs = createRequire(import.meta.url).cache
const loaded = () => [...readFileSync(log, 'utf8').split('\\n').filter(Boolean), ...Object.keys(cjs)]
const dist = process.env.DIST_URL
const { buildHttpServer } = await import(dist + 'src/http.js')
const { loadConfig } = await import(dist + 'src/config.js')
const { createLogger } = await import(dist + 'src/logger.js')
const base = { MCP_TRANSPORT: 'http', LOG_LEVEL: 'silent', PILOT_STATUS_API_URL: 'http://127.0.0.1:9' }
const logger = createLogger('silent')

const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_test' }
const post = async (app, body, extra = {}) => (await fetch('http://127.0.0.1:' + app.server.address().port + '/mcp', { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) })).json()

if (process.env.FAST_PATH_OFF) {
  const off = await buildHttpServer(loadConfig({ ...base, MCP_FAST_PATH: 'false' }), logger)
  await off.ready()
  const atStart = loaded()
  await off.close()
  process.stdout.write(JSON.stringify({ atStart }))
  process.exit(0)
}

const plain = await buildHttpServer(loadConfig(base), logger)
await plain.listen({ port: 0, host: '127.0.0.1' })
const listed = (await post(plain, { jsonrpc: '2.0', id: 1, method: 'tools/list' })).result?.tools?.length
const modern = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} }
const listedModern = (await post(plain, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: modern } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' })).result?.tools?.length
const init = await post(plain, { jsonrpc: '2.0', id: 3, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } })
const initialized = (await fetch('http://127.0.0.1:' + plain.server.address().port + '/mcp', { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).status
const ping = await post(plain, { jsonrpc: '2.0', id: 4, method: 'ping' }, { 'mcp-protocol-version': '2025-11-25' })
const discover = await post(plain, { jsonrpc: '2.0', id: 5, method: 'server/discover', params: { _meta: modern } }, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' })
const byDefault = loaded()
const other = await post(plain, { jsonrpc: '2.0', id: 6, method: 'resources/list' })
const afterInitialize = loaded()
await plain.close()

const on = await buildHttpServer(loadConfig({ ...base, MCP_TOKEN_VERIFICATION: 'jwt', MCP_AUTH_SERVER_ROUTES: 'true' }), logger)
await on.ready()
const whenOn = loaded()
await on.close()
process.stdout.write(JSON.stringify({ listed, listedModern, init, initialized, ping, discover, byDefault, other, afterInitialize, whenOn }))
`

interface Report { listed: number, listedModern: number, byDefault: string[], init: { result?: { protocolVersion?: string, serverInfo?: { name?: string } } }, initialized: number, ping: unknown, discover: { result?: { supportedVersions?: string[] } }, other: { error?: { code?: number } }, afterInitialize: string[], whenOn: string[] }

/** The MCP SDK's package, and the product's modules that build on it (the route's SDK side). */
const SDK = /\/node_modules\/@modelcontextprotocol\/server\//
const SDK_SIDE = /\/dist\/src\/mcp\/(server|modern|multiplex)\.js$/

const OPTIONAL = {
  jose: /\/node_modules\/jose\//,
  qrcode: /\/node_modules\/qrcode\//,
  sandbox: /\/dist\/sandbox\//,
  'authorization-server routes': /\/dist\/plugins\/authorization-server\.js$/,
  "Fastify's schema compilers (Ajv, fast-json-stringify)": /\/node_modules\/(ajv|ajv-formats|@fastify\/ajv-compiler|@fastify\/fast-json-stringify-compiler)\/|\/node_modules\/fast-json-stringify\/index\.js$/
}

async function runChild (t: Test, env: Record<string, string> = {}): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-loading-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const childEnv = { PATH: process.env.PATH ?? '', LOAD_LOG: join(dir, 'loaded.txt'), DIST_URL: pathToFileURL(repoPath('dist')).href + '/', ...env }
  const cmd = node(['--input-type=module', '-e', CHILD], childEnv)
  const child = spawn(cmd.command, cmd.args, {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { err += d })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.equal(code, 0, `the child ran (stderr: ${err.slice(0, 500)})`)
  return JSON.parse(out)
}

t.test('the HTTP server loads jose, qrcode, the sandbox and the authorization-server routes only when switched on', async (t) => {
  const report = await runChild(t) as Report
  t.equal(report.listed, 56, 'the default server answered tools/list')
  t.ok(report.byDefault.some((u) => u.endsWith('/dist/src/app.js')), 'the hook saw the product load')
  for (const [what, pattern] of Object.entries(OPTIONAL)) {
    t.same(report.byDefault.filter((u) => pattern.test(u)), [], `${what}: not loaded with the defaults, even after a request`)
  }
  t.ok(report.whenOn.some((u) => OPTIONAL.jose.test(u)), 'jose loaded at start with MCP_TOKEN_VERIFICATION=jwt')
  t.ok(report.whenOn.some((u) => OPTIONAL['authorization-server routes'].test(u)), 'the authorization-server routes loaded at start with MCP_AUTH_SERVER_ROUTES=true')
  t.ok(report.byDefault.some((u) => /\/node_modules\/fastify\/lib\//.test(u)), 'the require cache is read too (Fastify is CommonJS)')

  t.equal(report.listedModern, 56, 'the default server answered a 2026-07-28 tools/list')
  t.equal(report.init.result?.protocolVersion, '2025-11-25', 'initialize was answered')
  t.equal(report.init.result?.serverInfo?.name, 'pilot-status', 'with the server\'s identity')
  t.equal(report.initialized, 202, 'notifications/initialized was acknowledged')
  t.same(report.ping, { jsonrpc: '2.0', id: 4, result: {} }, 'ping was answered')
  t.same(report.discover.result?.supportedVersions, SERVED_VERSIONS, 'a 2026-07-28 server/discover was answered')
  t.same(report.byDefault.filter((u) => SDK.test(u) || SDK_SIDE.test(u)), [], 'the MCP SDK and the route\'s SDK server are not loaded while the fast path answers (a 2025-era session, a 2026-07-28 discover and list)')
  t.equal(report.other.error?.code, -32601, 'a method this server does not serve was answered by the SDK')
  t.ok(report.afterInitialize.some((u) => SDK.test(u)), 'the first request the fast path does not take loaded the SDK')
  t.ok(report.afterInitialize.some((u) => /\/dist\/src\/mcp\/server\.js$/.test(u)), 'and the route\'s SDK server')
})

t.test('a route with a JSON schema added to the standalone server still gets Fastify\'s validation and serialisation', async (t) => {
  const app = await buildHttpServer(loadConfig({ MCP_TRANSPORT: 'http', LOG_LEVEL: 'silent', PILOT_STATUS_API_URL: 'http://127.0.0.1:9' }), createLogger('silent'))
  t.teardown(() => app.close())
  app.post('/echo', {
    schema: {
      body: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: 1 } } },
      response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } }
    }
  }, async (req) => ({ n: (req.body as { n: number }).n, secret: 'dropped by the response schema' }))
  const ok = await app.inject({ method: 'POST', url: '/echo', payload: { n: 2 } })
  t.equal(ok.statusCode, 200)
  t.same(JSON.parse(ok.body), { n: 2 }, 'serialised through the response schema')
  const bad = await app.inject({ method: 'POST', url: '/echo', payload: { n: 0 } })
  t.equal(bad.statusCode, 400, 'validated through the body schema')
  t.match(JSON.parse(bad.body).message, /body\/n must be >= 1/)
})

t.test('with MCP_FAST_PATH=false the route\'s SDK server is created at start, before any request', async (t) => {
  const { atStart } = await runChild(t, { FAST_PATH_OFF: '1' }) as { atStart: string[] }
  t.ok(atStart.some((u) => SDK.test(u)), 'the SDK is loaded while the server is built')
  t.ok(atStart.some((u) => /\/dist\/src\/mcp\/server\.js$/.test(u)), 'and the route\'s SDK server')
})

t.test('the protocol constants the fast path keeps (so as not to load the SDK) are the installed SDK\'s', async (t) => {
  t.same(LEGACY_PROTOCOL_VERSIONS, sdk.SUPPORTED_PROTOCOL_VERSIONS, 'the 2025-era versions')
  t.same(SERVED_VERSIONS, ['2026-07-28', ...sdk.SUPPORTED_PROTOCOL_VERSIONS], 'every version served')
  t.equal(SERVER_INFO_META_KEY, sdk.SERVER_INFO_META_KEY)
  t.equal(CLIENT_CAPABILITIES_META_KEY, sdk.CLIENT_CAPABILITIES_META_KEY)
})
