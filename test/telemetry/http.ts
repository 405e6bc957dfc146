// Telemetry over HTTP, with the product embedded as a plugin under globally registered in-memory
// providers (no SDK started by the product): spans (names, kinds, parent/child, attributes) and
// metrics for a successful call, a tool error, an upstream 5xx and an auth challenge, in the
// 2025-11-25 era (fast path and SDK path) and the 2026-07-28 envelope; W3C trace context from
// params._meta and headers reaching the API as traceparent.
import t, { type Test } from 'tap'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { product, rawPost } from '../helper.js'
import { ATTR, METRICS } from '../../src/telemetry/names.js'
import { CLIENT, SERVER, childrenOf, inMemoryOtel, upstream, type Otel, type Point } from './harness.js'

const KEY = { 'x-api-key': 'ps_test_key' }
const MODERN = '2026-07-28'
const MODERN_META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientInfo': { name: 'otel-test', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} }
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`

type Era = 'legacy' | 'legacy-sdk' | 'modern'

function call (era: Era, name: string, args: unknown, meta: Record<string, unknown> = {}) {
  const body = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args, _meta: era === 'modern' ? { ...MODERN_META, ...meta } : meta } }
  const headers: Record<string, string> = era === 'modern'
    ? { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': name }
    : { 'mcp-protocol-version': '2025-11-25' }
  return { body, headers }
}

async function setup (t: Test, era: Era) {
  const otel = inMemoryOtel(t)
  const up = await upstream(t)
  const p = await product(t, up.url, { fastPath: era !== 'legacy-sdk' })
  return { otel, up, p }
}

function serverSpan (otel: Otel): ReadableSpan {
  const servers = otel.spans().filter((s) => s.kind === SERVER)
  if (servers.length !== 1) throw new Error(`expected one SERVER span, got ${servers.map((s) => s.name).join(', ') || 'none'}`)
  return servers[0]
}

function only (points: Point[]): Point {
  if (points.length !== 1) throw new Error(`expected one data point, got ${JSON.stringify(points)}`)
  return points[0]
}

for (const era of ['legacy', 'legacy-sdk', 'modern'] as const) {
  const version = era === 'modern' ? MODERN : '2025-11-25'

  t.test(`${era}: a successful call is a SERVER span with a CLIENT child, and one duration point`, async (t) => {
    const { otel, up, p } = await setup(t, era)
    const { body, headers } = call(era, 'templates_get', { id: 'tpl_1' }, { traceparent: TRACEPARENT })
    const res = await rawPost(p.mcp, body, { ...KEY, ...headers })
    t.equal(res.status, 200, res.text)
    t.equal(res.json.result.isError, undefined)
    const server = serverSpan(otel)
    t.equal(server.name, 'tools/call templates_get')
    t.same(server.attributes, {
      [ATTR.method]: 'tools/call',
      [ATTR.tool]: 'templates_get',
      [ATTR.transport]: 'tcp',
      [ATTR.protocolVersion]: version
    })
    t.equal(server.spanContext().traceId, TRACE_ID, 'the trace continues the one in params._meta')
    t.equal(server.parentSpanContext?.spanId, PARENT_ID)
    const [client] = childrenOf(otel.spans(), server)
    t.equal(client?.kind, CLIENT)
    t.equal(client.name, 'GET')
    t.equal(client.attributes[ATTR.httpMethod], 'GET')
    t.equal(client.attributes[ATTR.statusCode], 200)
    t.equal(client.spanContext().traceId, TRACE_ID)
    t.equal(up.seen.length, 1)
    t.equal(up.seen[0].path, '/v1/templates/tpl_1')
    t.equal(up.seen[0].headers.traceparent, `00-${TRACE_ID}-${client.spanContext().spanId}-01`, 'the API sees the CLIENT span as its parent')

    const d = only(await otel.points(METRICS.operationDuration))
    t.same(d.attributes, { [ATTR.method]: 'tools/call', [ATTR.tool]: 'templates_get', [ATTR.transport]: 'tcp', [ATTR.protocolVersion]: version })
    t.equal(d.value, 1)
    const u = only(await otel.points(METRICS.upstreamRequests))
    t.same(u.attributes, { [ATTR.tool]: 'templates_get', [ATTR.httpMethod]: 'GET', [ATTR.statusClass]: '2xx' })
    t.equal(only(await otel.points(METRICS.upstreamDuration)).value, 1)
  })

  t.test(`${era}: a tool error carries the API's error code as error.type`, async (t) => {
    const { otel, up, p } = await setup(t, era)
    up.answer(404, { error: 'No template', code: 'TEMPLATE_NOT_FOUND' })
    const { body, headers } = call(era, 'templates_get', { id: 'nope' })
    const res = await rawPost(p.mcp, body, { ...KEY, ...headers })
    t.equal(res.status, 200)
    t.equal(res.json.result.isError, true)
    const server = serverSpan(otel)
    t.equal(server.attributes[ATTR.errorType], 'TEMPLATE_NOT_FOUND')
    t.equal(server.status.code, 2, 'span status ERROR')
    t.equal(server.parentSpanContext, undefined, 'no trace context given: a root span')
    const [client] = childrenOf(otel.spans(), server)
    t.equal(client.attributes[ATTR.statusCode], 404)
    t.equal(client.attributes[ATTR.errorType], '404')
    t.match(up.seen[0].headers.traceparent, new RegExp(`^00-${server.spanContext().traceId}-${client.spanContext().spanId}-01$`))
    t.same(only(await otel.points(METRICS.operationDuration)).attributes[ATTR.errorType], 'TEMPLATE_NOT_FOUND')
    t.same(only(await otel.points(METRICS.upstreamRequests)).attributes[ATTR.statusClass], '4xx')
  })

  t.test(`${era}: an upstream 5xx is retried for a read, counted and classed 5xx`, async (t) => {
    const { otel, up, p } = await setup(t, era)
    up.answer(503, { error: 'down' })
    const { body, headers } = call(era, 'templates_get', { id: 'tpl_1' })
    const res = await rawPost(p.mcp, body, { ...KEY, ...headers })
    t.equal(res.json.result.isError, true)
    t.equal(up.seen.length, 3, 'two retries')
    t.equal(serverSpan(otel).attributes[ATTR.errorType], 'tool_error', 'no API code: tool_error')
    t.same(only(await otel.points(METRICS.upstreamRequests)).attributes, { [ATTR.tool]: 'templates_get', [ATTR.httpMethod]: 'GET', [ATTR.statusClass]: '5xx' })
    t.same(only(await otel.points(METRICS.upstreamRetries)), { attributes: { [ATTR.tool]: 'templates_get' }, value: 2 })
    const [client] = childrenOf(otel.spans(), serverSpan(otel))
    t.equal(client.attributes[ATTR.statusCode], 503)
  })

  t.test(`${era}: an OAuth token the API refuses becomes a challenge, counted by kind`, async (t) => {
    const { otel, up, p } = await setup(t, era)
    up.answer(401, { error: 'invalid token' })
    const { body, headers } = call(era, 'templates_get', { id: 'tpl_1' })
    const res = await rawPost(p.mcp, body, { authorization: 'Bearer not-a-real-token', ...headers })
    t.equal(res.status, 401)
    t.match(res.headers.get('www-authenticate'), /error="invalid_token"/)
    t.same(only(await otel.points(METRICS.authChallenges)), { attributes: { [ATTR.authKind]: 'invalid_token' }, value: 1 })
    t.equal(serverSpan(otel).attributes[ATTR.errorType], 'tool_error')
    t.same(only(await otel.points(METRICS.upstreamRequests)).attributes[ATTR.statusClass], '4xx')
  })
}

t.test('a request without credentials is challenged before any MCP operation', async (t) => {
  const { otel, up, p } = await setup(t, 'legacy')
  const res = await rawPost(p.mcp, call('legacy', 'templates_get', {}).body)
  t.equal(res.status, 401)
  t.same(only(await otel.points(METRICS.authChallenges)), { attributes: { [ATTR.authKind]: 'missing_credentials' }, value: 1 })
  t.same(otel.spans(), [])
  t.equal(up.seen.length, 0)
})

t.test('trace context: the traceparent header is used without _meta; _meta wins over it', async (t) => {
  const { otel, up, p } = await setup(t, 'legacy')
  const other = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`
  await rawPost(p.mcp, call('legacy', 'templates_get', { id: 'a' }).body, { ...KEY, traceparent: other })
  t.equal(serverSpan(otel).spanContext().traceId, '1'.repeat(32), 'from the header')
  otel.reset()
  await rawPost(p.mcp, call('legacy', 'templates_get', { id: 'b' }, { traceparent: TRACEPARENT, tracestate: 'vendor=x' }).body, { ...KEY, traceparent: other })
  const server = serverSpan(otel)
  t.equal(server.spanContext().traceId, TRACE_ID, 'from params._meta')
  t.equal(up.seen[1].headers.tracestate, 'vendor=x', 'tracestate travels on')
  t.ok(up.seen[1].headers.traceparent?.includes(TRACE_ID))
})

t.test('a batch: one SERVER span per request, JSON-RPC errors by code, unknown names bounded', async (t) => {
  const { otel, p } = await setup(t, 'legacy')
  const res = await rawPost(p.mcp, [
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { jsonrpc: '2.0', id: 2, method: 'no/such-method' },
    { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'no_such_tool_9f3', arguments: {} } },
    { jsonrpc: '2.0', method: 'notifications/initialized' }
  ], KEY)
  t.equal(res.status, 200, res.text)
  const names = otel.spans().filter((s) => s.kind === SERVER).map((s) => s.name).sort()
  t.same(names, ['_OTHER', 'tools/call _OTHER', 'tools/list'], 'client-chosen names never become span names or labels')
  const points = await otel.points(METRICS.operationDuration)
  const byMethod = Object.fromEntries(points.map((pt) => [`${String(pt.attributes[ATTR.method])} ${String(pt.attributes[ATTR.errorType] ?? '')}`, pt.value]))
  t.same(byMethod, { 'tools/list ': 1, '_OTHER -32601': 1, 'tools/call -32602': 1 })
})

t.test('the MCP port serves no /metrics', async (t) => {
  const { p } = await setup(t, 'legacy')
  const res = await fetch(`${p.url}/metrics`)
  t.equal(res.status, 404)
  await res.body?.cancel()
})

for (const era of ['legacy', 'legacy-sdk', 'modern'] as const) {
  t.test(`${era}: the audit line of an irreversible call carries the trace id of its SERVER span`, async (t) => {
    const { otel, p } = await setup(t, era)
    const { body, headers } = call(era, 'webhooks_delete', { webhookId: 'wh_1' }, { traceparent: TRACEPARENT })
    const res = await rawPost(p.mcp, body, { ...KEY, ...headers })
    t.equal(res.status, 200, res.text)
    const audits = p.logs.map((l) => JSON.parse(l) as { msg?: string, audit?: { tool: string, traceId?: string } }).filter((l) => l.msg === 'audit')
    t.equal(audits.length, 1, 'one audit line')
    t.equal(audits[0]?.audit?.tool, 'webhooks_delete')
    t.equal(audits[0]?.audit?.traceId, serverSpan(otel).spanContext().traceId, 'the SERVER span\'s trace id')
    t.equal(audits[0]?.audit?.traceId, TRACE_ID, 'the caller\'s trace continues')
  })
}
