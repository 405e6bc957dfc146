// A client that goes away mid-call, or a request that overruns MCP_REQUEST_TIMEOUT_MS: the
// product aborts its upstream request (the fake upstream sees the socket close before it
// answered), in both protocol eras, and keeps serving.
import t, { type Test } from 'tap'
import http from 'node:http'
import { product, rawPost } from '../helper.js'
import { fakeUpstream, until } from './fake-upstream.js'

// Every fault runs with the HTTP fast path on and off: the SDK path keeps its own deadline,
// cancellation and retry behaviour, and both must hold.
function bothWays (name: string, fn: (t: Test, fastPath: boolean) => Promise<void>): void {
  for (const fastPath of [true, false]) t.test(`${fastPath ? '' : '[fast path off] '}${name}`, (t) => fn(t, fastPath))
}

const KEY = 'ps_fault_disconnect_key'
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'fault-test', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {}
}

function body (name: string, args: unknown, modern: boolean): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, ...(modern ? { _meta: MODERN_META } : {}) } })
}

function headers (name: string, modern: boolean): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'x-api-key': KEY,
    ...(modern ? { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name } : {})
  }
}

bothWays('a client disconnecting mid-call aborts the upstream request', async (t, fastPath) => {
  const up = await fakeUpstream(t, () => ({ hang: true }))
  const p = await product(t, up.url, { fastPath, upstreamTimeoutMs: 20_000, requestTimeoutMs: 30_000 })
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['templates_get', { id: 'tpl_1' }, false],
    ['templates_get', { id: 'tpl_1' }, true],
    ['messages_send', { destinationNumber: '+5511988887777', text: 'hi' }, false],
    ['messages_send', { destinationNumber: '+5511988887777', text: 'hi' }, true]
  ]
  for (const [name, args, modern] of cases) {
    const label = `${name} (${modern ? '2026-07-28' : '2025-11-25'})`
    up.behave(() => ({ hang: true }))
    up.requests.length = 0
    const arrived = up.nextRequest()
    const req = http.request(p.mcp, { method: 'POST', headers: headers(name, modern) })
    req.on('error', () => {})
    req.end(body(name, args, modern))
    const seen = await arrived
    const started = Date.now()
    req.destroy()
    await until(() => seen.aborted, 5000, `${label}: upstream socket close`)
    t.equal(seen.aborted, true, `${label}: the upstream saw its request abandoned (${Date.now() - started} ms after the client left)`)
    t.equal(up.requests.length, 1, `${label}: one upstream request, not retried`)

    up.behave(() => ({ status: 200, body: '{"id":"tpl_1","name":"n"}' }))
    const next = await rawPost(p.mcp, body('templates_get', { id: 'tpl_1' }, false), { 'x-api-key': KEY })
    t.equal(next.status, 200)
    t.equal(next.json.result.isError, undefined, `${label}: the server keeps serving`)
  }
  t.equal((await fetch(`${p.url}/health`)).status, 200)
})

bothWays('a request overrunning the request deadline is answered and its upstream call aborted', async (t, fastPath) => {
  const up = await fakeUpstream(t, () => ({ hang: true }))
  const p = await product(t, up.url, { fastPath, upstreamTimeoutMs: 20_000, requestTimeoutMs: 400 })
  const started = Date.now()
  const res = await rawPost(p.mcp, body('templates_get', { id: 'tpl_1' }, false), { 'x-api-key': KEY })
  const ms = Date.now() - started
  t.equal(res.status, 200)
  t.same(res.json, { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'Request cancelled or timed out (limit 400 ms)' } })
  t.ok(ms >= 380 && ms < 15_000, `answered at the request deadline, not the 20 s upstream one (${ms} ms)`)
  await until(() => up.requests[0]?.aborted === true, 5000, 'upstream socket close')
  t.equal(up.requests.length, 1)
  t.equal(up.requests[0].aborted, true, 'the upstream request was abandoned')
})
