// Telemetry over stdio, in-process (runStdio over stream pairs, in-memory providers registered
// globally): a SERVER span per request with network.transport pipe and the negotiated protocol
// version, the upstream call as its CLIENT child, a tool error's error.type, both eras.
import t from 'tap'
import { PassThrough } from 'node:stream'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.js'
import { runStdio, stdioTelemetry } from '../../src/stdio.js'
import { ATTR, METRICS } from '../../src/telemetry/names.js'
import { CLIENT, SERVER, childrenOf, inMemoryOtel, upstream } from './harness.js'

const MODERN = '2026-07-28'
const MODERN_META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientInfo': { name: 'otel-test', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} }
const TRACE_ID = 'a'.repeat(32)

t.test('stdio: spans and metrics for a call, a tool error and an upstream 5xx, in both eras', async (t) => {
  const otel = inMemoryOtel(t)
  const up = await upstream(t)
  const config = loadConfig({ PILOT_STATUS_API_URL: up.url, PILOT_STATUS_API_KEY: 'ps_test_key', LOG_LEVEL: 'silent', PILOT_STATUS_TIMEOUT_MS: '20000' })
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const handle = runStdio(config, { kind: 'apiKey', key: 'ps_test_key', source: 'env' }, pino({ level: 'silent' }), { stdin, stdout, telemetry: await stdioTelemetry() })
  t.teardown(() => handle.close())
  const answers = new Map<number, any>()
  const waiting = new Map<number, () => void>()
  let buf = ''
  stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8')
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const m = JSON.parse(buf.slice(0, i))
      buf = buf.slice(i + 1)
      answers.set(m.id, m)
      waiting.get(m.id)?.()
    }
  })
  const send = async (m: Record<string, unknown>): Promise<any> => {
    const id = m.id as number
    const answered = new Promise<void>((resolve) => waiting.set(id, resolve))
    stdin.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n')
    await answered
    return answers.get(id)
  }

  const init = await send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } })
  t.equal(init.result.protocolVersion, '2025-11-25')
  stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n')

  const ok = await send({ id: 2, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' }, _meta: { traceparent: `00-${TRACE_ID}-${'b'.repeat(16)}-01` } } })
  t.notOk(ok.result.isError, JSON.stringify(ok))
  up.answer(500, { error: 'boom' })
  const failed = await send({ id: 3, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } })
  t.equal(failed.result.isError, true)
  up.answer(404, { error: 'nope', code: 'TEMPLATE_NOT_FOUND' })
  const modern = await send({ id: 4, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'x' }, _meta: MODERN_META } })
  t.equal(modern.result.isError, true, JSON.stringify(modern))

  const servers = otel.spans().filter((s) => s.kind === SERVER)
  t.same(servers.map((s) => s.name), ['initialize', 'tools/call templates_get', 'tools/call templates_get', 'tools/call templates_get'])
  t.same(servers.map((s) => [s.attributes[ATTR.transport], s.attributes[ATTR.protocolVersion], s.attributes[ATTR.errorType]]), [
    ['pipe', '2025-11-25', undefined],
    ['pipe', '2025-11-25', undefined],
    ['pipe', '2025-11-25', 'tool_error'],
    ['pipe', MODERN, 'TEMPLATE_NOT_FOUND']
  ])
  t.equal(servers[1].spanContext().traceId, TRACE_ID, 'trace context from params._meta')
  const [client] = childrenOf(otel.spans(), servers[1])
  t.equal(client.kind, CLIENT)
  t.equal(up.seen[0].headers.traceparent, `00-${TRACE_ID}-${client.spanContext().spanId}-01`)
  t.same(childrenOf(otel.spans(), servers[2]).map((s) => s.attributes[ATTR.statusCode]), [500], 'a 500 is not retried: one CLIENT span')
  const classes = (await otel.points(METRICS.upstreamRequests)).map((p) => `${String(p.attributes[ATTR.statusClass])}=${p.value}`).sort()
  t.same(classes, ['2xx=1', '4xx=1', '5xx=1'])
  const durations = (await otel.points(METRICS.operationDuration)).map((p) => `${String(p.attributes[ATTR.method])}/${String(p.attributes[ATTR.errorType] ?? '-')}/${String(p.attributes[ATTR.protocolVersion])}=${p.value}`).sort()
  t.same(durations, ['initialize/-/2025-11-25=1', 'tools/call/-/2025-11-25=1', `tools/call/TEMPLATE_NOT_FOUND/${MODERN}=1`, 'tools/call/tool_error/2025-11-25=1'])
})
