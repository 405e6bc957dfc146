// Telemetry off loads no OpenTelemetry module at all: a fresh process records every module the ESM loader
// resolves (a resolve hook) and every CommonJS module cached, starts the built HTTP server as the
// CLI does, serves calls, and reports the @opentelemetry modules it saw; then, as the control,
// turns telemetry on in the same process, where the SDK modules show up. Needs `npm run build`.
import t from 'tap'
import { spawn } from 'node:child_process'
import { repoPath } from '../paths.js'
import { node } from '../spawn.js'

const HOOK = `
let port
export async function initialize (data) { port = data.port }
export async function resolve (specifier, context, next) {
  const r = await next(specifier, context)
  port.postMessage(r.url)
  return r
}`

// Runs in the child: only node: modules are imported before the hook is registered.
const CHILD = `
import { register, createRequire } from 'node:module'
import { MessageChannel } from 'node:worker_threads'
import http from 'node:http'
const seen = new Set()
const { port1, port2 } = new MessageChannel()
port1.on('message', (u) => seen.add(u))
port1.unref()
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}), import.meta.url, { data: { port: port2 }, transferList: [port2] })
const dist = process.env.DIST
const up = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.setHeader('content-type', 'application/json'); res.end('{"id":"tpl_1"}') }) })
await new Promise((r) => up.listen(0, '127.0.0.1', r))
const { loadConfig } = await import(dist + '/src/config.js')
const { runHttp } = await import(dist + '/src/http.js')
const { pino } = await import('pino')
const config = loadConfig({ ...process.env, PILOT_STATUS_API_URL: 'http://127.0.0.1:' + up.address().port, MCP_TRANSPORT: 'http', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' })
const app = await runHttp(config, pino({ level: 'silent' }))
const mcp = 'http://127.0.0.1:' + app.server.address().port + '/mcp'
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_test_key' }
const modern = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} }
const statuses = []
for (const [h, meta] of [[{}, { traceparent: '00-${'c'.repeat(32)}-${'d'.repeat(16)}-01' }], [{ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'templates_get' }, modern]]) {
  const res = await fetch(mcp, { method: 'POST', headers: { ...headers, ...h }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' }, _meta: meta } }) })
  statuses.push(res.status)
  await res.text()
}
await app.close()
up.close()
// The resolve hook runs on its own thread: a round trip through it flushes the URLs it saw.
await import('data:text/javascript,export default 1')
await new Promise((r) => setTimeout(r, 50))
const opentelemetry = () => [...seen, ...Object.keys(createRequire(import.meta.url).cache)].filter((u) => u.includes('@opentelemetry'))
const off = opentelemetry()
const total = seen.size
// The control, in the same process: turned on, the SDK does show up.
const { startTelemetry } = await import(dist + '/src/telemetry/start.js')
const handle = await startTelemetry({ metricsPort: 0, metricsHost: '127.0.0.1' }, {}, pino({ level: 'silent' }))
await handle.shutdown()
await import('data:text/javascript,export default 2')
await new Promise((r) => setTimeout(r, 50))
process.stdout.write(JSON.stringify({ statuses, off, on: opentelemetry(), total }))
`

async function run (): Promise<{ statuses: number[], off: string[], on: string[], total: number }> {
  // No OTEL_* or METRICS_* variable reaches the child.
  const env = { PATH: process.env.PATH ?? '', DIST: repoPath('dist') }
  const cmd = node(['--input-type=module', '--eval', CHILD], env)
  const child = spawn(cmd.command, cmd.args, {
    cwd: repoPath(),
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`child exited ${code}: ${err.slice(0, 2000)}`)
  return JSON.parse(out)
}

t.test('telemetry off: no @opentelemetry module is loaded while serving both eras; on, the SDK is', async (t) => {
  const r = await run()
  t.same(r.statuses, [200, 200])
  t.ok(r.total > 100, `the hook saw the server's modules (${r.total})`)
  t.same(r.off, [], 'off: no @opentelemetry module at all, not even the API')
  t.ok(r.on.some((u) => u.includes('@opentelemetry/api/')), 'control, on: the API seen')
  t.ok(r.on.some((u) => u.includes('@opentelemetry/sdk-metrics/')), 'control, on: sdk-metrics seen')
  t.ok(r.on.some((u) => u.includes('@opentelemetry/exporter-prometheus/')), 'control, on: the Prometheus exporter seen')
})
