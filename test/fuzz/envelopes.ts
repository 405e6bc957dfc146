// Property tests of the MCP endpoint with fast-check: random JSON-RPC envelopes and batches,
// random bodies and random headers never crash the server, never give a 5xx, and always get a
// JSON-RPC response (or 202 for notifications, or a 4xx carrying a JSON-RPC error) at once —
// never the request deadline's error — carrying the request's id whenever it can be read; with
// the fast path on and off. Seeded, so a failure reproduces; FUZZ_SEED=<n> (and FUZZ_RUNS=<n>)
// explore other inputs.
import t from 'tap'
import fc from 'fast-check'
import { product, registry } from '../helper.js'
import { fakeUpstream } from '../faults/fake-upstream.js'
import { agent, assertProperAnswer, post } from './wire.js'

const seed = Number(process.env.FUZZ_SEED ?? 20260728)
const numRuns = Number(process.env.FUZZ_RUNS ?? 300)
const BASE = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_fuzz_key' }
const TOOL_NAMES = [...registry.all.keys()]
const METHODS = ['initialize', 'ping', 'tools/list', 'tools/call', 'server/discover', 'notifications/initialized', 'notifications/cancelled',
  'notifications/progress', 'resources/list', 'resources/read', 'prompts/list', 'prompts/get', 'completion/complete', 'logging/setLevel',
  'subscriptions/listen', 'tasks/get', 'sampling/createMessage', 'elicitation/create', 'roots/list']
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'fuzz', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {}
}

const id = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null), fc.double(), fc.boolean(), fc.object({ maxDepth: 1 }))
const meta = fc.oneof(
  fc.constant(MODERN_META),
  fc.record({ progressToken: fc.oneof(fc.boolean(), fc.double(), fc.constant(null), fc.object({ maxDepth: 1 })) }),
  fc.record({ 'io.modelcontextprotocol/related-task': fc.oneof(fc.record({ taskId: fc.string() }), fc.jsonValue({ maxDepth: 1 })) }),
  fc.constantFrom('m', 5, null, ['a']),
  fc.record({ 'io.modelcontextprotocol/protocolVersion': fc.oneof(fc.constantFrom('2026-07-28', '2025-11-25', '2025-06-18', '1999-01-01'), fc.string()) }, { requiredKeys: [] }),
  fc.record({ progressToken: fc.oneof(fc.integer(), fc.string()) }),
  fc.object({ maxDepth: 2 })
)
const params = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({
    name: fc.oneof(fc.constantFrom(...TOOL_NAMES), fc.string()),
    arguments: fc.oneof(fc.object({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 })),
    _meta: meta
  }, { requiredKeys: [] }),
  fc.record({
    protocolVersion: fc.oneof(fc.constantFrom('2025-11-25', '2025-06-18', '2024-11-05', '2026-07-28'), fc.string()),
    capabilities: fc.object({ maxDepth: 2 }),
    clientInfo: fc.record({ name: fc.string(), version: fc.string() }, { requiredKeys: [] })
  }, { requiredKeys: [] }),
  fc.record({ _meta: meta, cursor: fc.string() }, { requiredKeys: [] })
)
const plainEnvelope = fc.record({
  jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('2.0'), fc.constant('1.0'), fc.jsonValue({ maxDepth: 1 })),
  id,
  method: fc.oneof(fc.constantFrom(...METHODS), fc.string({ maxLength: 20 })),
  params,
  result: fc.object({ maxDepth: 1 }),
  error: fc.record({ code: fc.integer(), message: fc.string() })
}, { requiredKeys: [] })
/** Sometimes one more member: a stray key, or `__proto__` (an own member once JSON.parse reads it). */
const envelope = plainEnvelope.chain((e) => fc.oneof(
  { weight: 3, arbitrary: fc.constant(e) },
  fc.tuple(fc.constantFrom('extra', '__proto__', 'result', 'error', 'Method'), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => ({ ...e, [RAW]: [k, v] }))
))
const RAW = Symbol('raw member')
/** JSON text for an envelope, with its raw member (if any) written first, as a client would send it. */
function text (e: unknown): string {
  if (Array.isArray(e)) return `[${e.map(text).join(',')}]`
  const raw = (e as Record<symbol, [string, unknown]>)[RAW]
  const json = JSON.stringify(e)
  return raw ? json.replace(/^\{/, `{${JSON.stringify(raw[0])}:${JSON.stringify(raw[1] ?? null)}${json === '{}' ? '' : ','}`) : json
}

/** Headers an MCP request may carry, with values that are interesting for each. */
const HEADER_VALUES: Record<string, fc.Arbitrary<string>> = {
  accept: fc.constantFrom('application/json, text/event-stream', '*/*', 'application/json', 'text/event-stream', 'text/html', '', 'application/*'),
  'content-type': fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/jsonx', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', ''),
  'mcp-protocol-version': fc.constantFrom('2025-11-25', '2025-06-18', '2026-07-28', '1999-01-01', '', 'latest'),
  'mcp-method': fc.constantFrom('tools/call', 'tools/list', 'ping', 'server/discover', 'bogus'),
  'mcp-name': fc.constantFrom(...TOOL_NAMES.slice(0, 5), 'no_such_tool'),
  'mcp-session-id': fc.constantFrom('abc', '00000000-0000-0000-0000-000000000000'),
  'x-api-key': fc.constantFrom('ps_fuzz_key', '', 'ps_', 'not-a-key'),
  'x-api-key-id': fc.constantFrom('kid_1', ''),
  authorization: fc.constantFrom('Bearer tok_fuzz', 'Bearer', 'Basic dXNlcjpwYXNz', 'bearer  a.b.c', 'Bearer ====', ''),
  'x-mcp-toolsets': fc.constantFrom('messages', 'templates,groups', 'nope', ',,', ''),
  'x-mcp-tools': fc.constantFrom('templates_get', 'messages_send,numbers_list', 'nope', ''),
  'x-mcp-readonly': fc.constantFrom('true', 'false', '1', 'yes', ''),
  origin: fc.constantFrom('http://localhost:6274', 'https://evil.example', 'null', 'not a url', 'https://mcp.pilotstatuss.com'),
  host: fc.constantFrom('127.0.0.1', 'localhost:1', 'evil.example', '[::1]:80', 'a b', ''),
  'x-whatsapp-number-id': fc.constantFrom('num_1', 'num 2', ''),
  'x-forwarded-for': fc.constantFrom('10.0.0.1', 'garbage', '1.1.1.1, 2.2.2.2'),
  'x-forwarded-host': fc.constantFrom('evil.example', 'localhost'),
  'x-forwarded-proto': fc.constantFrom('https', 'gopher'),
  'content-encoding': fc.constantFrom('gzip', 'identity', 'br', 'bogus'),
  'last-event-id': fc.constantFrom('1', 'x')
}
/** Printable ASCII without CR/LF: anything node:http will put on the wire. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 })
const headers = fc.record(Object.fromEntries(Object.entries(HEADER_VALUES).map(([k, v]) => [k, fc.oneof(v, headerText)])), { requiredKeys: [] })
  .chain((known) => fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,12}$/), headerText, { maxKeys: 3 }).map((extra) => ({ ...extra, ...known } as Record<string, string>)))

for (const fastPath of [true, false]) {
  t.test(`random envelopes, batches and bodies (fast path ${fastPath ? 'on' : 'off'})`, async (t) => {
    const up = await fakeUpstream(t)
    // A long request deadline: an answer that waits for it is a defect (assertProperAnswer).
    const p = await product(t, up.url, { upstreamTimeoutMs: 2000, requestTimeoutMs: 60_000, bodyLimitBytes: 64 * 1024, fastPath })
    t.teardown(() => agent.destroy())
    let runs = 0
    await fc.assert(fc.asyncProperty(
      fc.oneof(
        { weight: 5, arbitrary: envelope.map(text) },
        { weight: 2, arbitrary: fc.array(envelope, { maxLength: 4 }).map(text) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: fc.string({ maxLength: 60 }) }
      ),
      fc.boolean(),
      async (body, modernHeaders) => {
        runs++
        const h: Record<string, string> = modernHeaders ? { ...BASE, 'mcp-protocol-version': '2026-07-28' } : BASE
        assertProperAnswer(await post(p.mcp, body, h), body, body)
      }
    ), { numRuns, seed })
    t.equal(runs >= numRuns, true, `${runs} random bodies, every answer proper`)
    const health = await fetch(`${p.url}/health`)
    t.equal(health.status, 200, 'still healthy')
  })
}

t.test('random headers', async (t) => {
  const up = await fakeUpstream(t)
  const p = await product(t, up.url, { upstreamTimeoutMs: 2000 })
  t.teardown(() => agent.destroy())
  const bodies = [
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } }),
    JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' }, _meta: MODERN_META } }),
    JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'server/discover', params: { _meta: MODERN_META } }),
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })
  ]
  let runs = 0
  await fc.assert(fc.asyncProperty(headers, fc.constantFrom(...bodies), async (h, body) => {
    runs++
    const statusSeen = await post(p.mcp, body, h).catch((err: Error) => { throw new Error(`request failed: ${err.message}\n  headers: ${JSON.stringify(h)}`) })
    assertProperAnswer(statusSeen, `${JSON.stringify(h)} ${body}`)
  }), { numRuns, seed })
  t.equal(runs >= numRuns, true, `${runs} random header sets, every answer proper`)
  t.equal((await fetch(`${p.url}/health`)).status, 200, 'still healthy')
})
