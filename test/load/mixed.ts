// A short load test in the suite: a fixed number of requests over 50 concurrent connections
// mixing reads, sends, tools/list, ping and the 2026-07-28 envelope against a zero-latency fake
// upstream. Every answer must be a 200 with the JSON-RPC result expected for its request (no
// errors, no timeouts, no isError), each tool call must reach the upstream exactly once, over
// a few kept-alive connections, not one per call. No throughput floor: how fast is measured by
// bench/ (bench/load.mjs is the long version: 200 clients for 60 s with RSS samples).
import t from 'tap'
import { createRequire } from 'node:module'
import { product } from '../helper.js'
import { fakeUpstream } from '../faults/fake-upstream.js'

interface AutocannonRequest { method?: string, path?: string, headers?: Record<string, string>, body?: string, onResponse?: (status: number, body: string) => void }
interface AutocannonResult { requests: { total: number }, errors: number, timeouts: number, non2xx: number, '2xx': number }
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>

const CONNECTIONS = 50
// 12 requests per connection: each connection cycles twice through the six kinds below.
const REQUESTS = 600
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_load_key' }
const MODERN = { ...HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'templates_get' }
const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'load', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} }
const TEMPLATE = { id: 'tpl_1', name: 'order_update', sendable: true }
const SENT = { id: 'msg_1', correlationId: 'c_1', status: 'QUEUED', createdAt: '2026-06-20T10:00:00.000Z' }

t.test(`${REQUESTS} mixed requests over ${CONNECTIONS} connections: every answer right, each call upstream once, keep-alive`, async (t) => {
  const up = await fakeUpstream(t, (r) => {
    if (r.method === 'GET' && r.path === '/v1/templates/tpl_1') return { status: 200, body: JSON.stringify(TEMPLATE) }
    if (r.method === 'POST' && r.path === '/v1/messages/send') return { status: 202, body: JSON.stringify(SENT) }
    if (r.method === 'GET' && r.path === '/v1/numbers') return { status: 200, body: '{"numbers":[{"id":"num_1","state":"OPEN"}]}' }
    return { status: 404, body: '{"error":"unexpected"}' }
  })
  const p = await product(t, up.url, { upstreamTimeoutMs: 10_000 })
  const bad: string[] = []
  const counts: Record<string, number> = {}
  const expect = (label: string, check: (m: any) => boolean) => (status: number, body: string) => {
    counts[label] = (counts[label] ?? 0) + 1
    let m: any
    try { m = JSON.parse(body) } catch { m = undefined }
    if (status !== 200 || !m || !check(m)) bad.push(`${label}: ${status} ${body.slice(0, 200)}`)
  }
  const call = (name: string, args: unknown, meta?: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } })
  const requests: AutocannonRequest[] = [
    { body: call('templates_get', { id: 'tpl_1' }), onResponse: expect('templates_get', (m) => m.result?.isError === undefined && m.result.structuredContent.id === 'tpl_1') },
    { body: call('messages_send', { destinationNumber: '+5511988887777', text: 'load' }), onResponse: expect('messages_send', (m) => m.result?.isError === undefined && m.result.structuredContent.id === 'msg_1') },
    { body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), onResponse: expect('tools/list', (m) => m.id === 2 && m.result?.tools.length > 50) },
    { body: call('numbers_list', {}), onResponse: expect('numbers_list', (m) => m.result?.isError === undefined && m.result.structuredContent.numbers[0].id === 'num_1') },
    { headers: MODERN, body: call('templates_get', { id: 'tpl_1' }, META), onResponse: expect('templates_get 2026-07-28', (m) => m.result?.isError === undefined && m.result.structuredContent.id === 'tpl_1') },
    { body: JSON.stringify({ jsonrpc: '2.0', id: 'p', method: 'ping' }), onResponse: expect('ping', (m) => m.id === 'p' && typeof m.result === 'object') }
  ]
  // A generous per-request timeout: a busy machine may be slow, never wrong.
  const r = await autocannon({ url: p.mcp, method: 'POST', headers: HEADERS, connections: CONNECTIONS, amount: REQUESTS, timeout: 60, requests })
  t.same(bad.slice(0, 5), [], 'every answer is the expected JSON-RPC result')
  t.equal(bad.length, 0)
  t.equal(r.errors, 0, 'no connection errors')
  t.equal(r.timeouts, 0, 'no timeouts')
  t.equal(r.non2xx, 0, 'no non-2xx')
  t.equal(r.requests.total, REQUESTS, 'every request was made')
  t.equal(Object.values(counts).reduce((a, b) => a + b, 0), REQUESTS, 'and answered')
  t.same(counts, {
    templates_get: REQUESTS / 6,
    messages_send: REQUESTS / 6,
    'tools/list': REQUESTS / 6,
    numbers_list: REQUESTS / 6,
    'templates_get 2026-07-28': REQUESTS / 6,
    ping: REQUESTS / 6
  }, 'every kind of request, evenly')
  const upstreamCalls = up.requests.length
  t.equal(upstreamCalls, counts.templates_get + counts.messages_send + counts.numbers_list + counts['templates_get 2026-07-28'], 'each tool call reached the upstream exactly once (no retry, no duplicate send)')
  t.equal(up.requests.filter((x) => x.method === 'POST').length, counts.messages_send, 'one upstream send per messages_send')
  t.ok(up.connections <= CONNECTIONS, `${upstreamCalls} upstream calls over ${up.connections} TCP connections (keep-alive)`)
  t.ok(up.connections < upstreamCalls / 4, 'connections are reused, not one per call')
  t.equal((await fetch(`${p.url}/health`)).status, 200, 'healthy afterwards')
})
