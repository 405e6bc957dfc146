// The HTTP fast path (src/mcp/fast-path.ts) must answer exactly what the SDK Server answers.
// Differential tests: the same request goes through the SDK (the long-lived Server behind the
// multiplexing transport) and through the fast path, against a deterministic upstream, and the
// two JSON-RPC answers must be deep-equal — for every tool, with fixed and random arguments,
// tools/list with every params shape, and error results. The pre-classification that lets
// requests skip classifyInboundRequest must never disagree with it. Then through HTTP: the
// fast path keeps the request deadline, the client-disconnect abort and the OAuth challenge.
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { classifyInboundRequest, type JSONRPCRequest } from '@modelcontextprotocol/server'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv'
import { ApiClient } from '../../src/api/client.js'
import { createMcpServer, scopeAuthInfo, type CallScope } from '../../src/mcp/server.js'
import { MultiplexTransport } from '../../src/mcp/multiplex.js'
import { fastAnswer } from '../../src/mcp/fast-path.js'
import { fastNotification, fastRequest } from '../../src/mcp/gate.js'
import { headerValue } from '../../src/header.js'
import { product, rawPost, registry } from '../helper.js'
import { fakeUpstream, until, type Seen } from '../faults/fake-upstream.js'

const seed = Number(process.env.FUZZ_SEED ?? 20261125)
const numRuns = Number(process.env.FUZZ_RUNS ?? 250)
const silent = { debug () {}, info () {}, warn () {}, error () {} }

/** A deterministic upstream: the answer depends only on method, path, query and body. */
function deterministic (r: Seen) {
  if (r.path.includes('/fail403')) return { status: 403, body: '{"error":"This endpoint requires a number-scoped key","code":"TENANT_SCOPE_NOT_ALLOWED"}' }
  if (r.path.includes('/fail500')) return { status: 500, body: '{"error":"boom"}' }
  if (r.path.includes('/missing')) return { status: 404, body: '{"error":"Not found","code":"NOT_FOUND"}' }
  const echo = { id: 'x_1', name: 'n', status: 'OK', total: 1, page: 1, pageSize: 30, totalPages: 1, seen: `${r.method} ${r.url} ${r.body}`, items: [], numbers: [], templates: [], messages: [], conversations: [], groups: [], webhooks: [], calls: [], logs: [], newsletters: [], keys: [] }
  return { status: r.method === 'GET' ? 200 : 201, body: JSON.stringify(echo) }
}

async function setup (t: Test, view = registry.view({})) {
  const up = await fakeUpstream(t, deterministic)
  const api = new ApiClient({ baseUrl: up.url, timeoutMs: 5000, readRetries: 0 })
  t.teardown(() => api.close())
  const server = createMcpServer({ api, validator: new AjvJsonSchemaValidator() })
  const mux = new MultiplexTransport()
  await server.connect(mux)
  t.teardown(() => server.close())
  const scope: CallScope = { credentials: { kind: 'apiKey', key: 'ps_fast_path', source: 'header' }, view, log: silent }
  const authInfo = scopeAuthInfo(scope)
  const cancelled = () => 'cancelled'
  /** Both answers, parsed; `fast` is undefined when the fast path declines the request. */
  async function both (msg: Record<string, unknown>): Promise<{ sdk: unknown, fast: unknown }> {
    const sdk = await mux.request(msg as unknown as JSONRPCRequest, authInfo, new AbortController().signal)
    const req = fastRequest(msg, undefined, view)
    const answer = req && await fastAnswer(api, req, scope, new AbortController().signal, cancelled)
    return { sdk: JSON.parse(JSON.stringify(sdk)), fast: answer === undefined ? undefined : JSON.parse(answer.json) }
  }
  return { up, both }
}

const init = (params: Record<string, unknown>, id: string | number = 'init') => ({ jsonrpc: '2.0', id, method: 'initialize', params })
const CLIENT = { name: 'claude-ai', version: '0.1.0' }
/** initialize requests the fast path answers: every served version, an unknown and a 2026 one (the SDK answers its newest 2025 version), the capability shapes clients send. */
const INITIALIZE_TAKEN = [
  ...['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07', '1999-01-01', '2026-07-28', ''].map((v, i) => init({ protocolVersion: v, capabilities: {}, clientInfo: CLIENT }, i)),
  init({ protocolVersion: '2025-06-18', capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} }, clientInfo: { ...CLIENT, title: 'Claude' } }),
  init({ protocolVersion: '2025-11-25', capabilities: { elicitation: { form: {}, url: {} }, experimental: { x: { y: 1 } }, extensions: { 'io.example/e': {} } }, clientInfo: { name: 'mcp-inspector', version: '0.17.0', websiteUrl: 'https://example.com', description: 'd' } }),
  init({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT, _meta: { progressToken: 'p' } })
]
/** initialize requests left to the SDK: invalid ones (its own error answer) and unusual valid ones (client icons, task capabilities). */
const INITIALIZE_DECLINED = [
  init({ protocolVersion: '2025-11-25', capabilities: {} }),
  init({ protocolVersion: '2025-11-25', clientInfo: CLIENT }),
  init({ protocolVersion: 20251125, capabilities: {}, clientInfo: CLIENT }),
  init({ protocolVersion: '2025-11-25', capabilities: 'all', clientInfo: CLIENT }),
  init({ protocolVersion: '2025-11-25', capabilities: { roots: { listChanged: 'yes' } }, clientInfo: CLIENT }),
  init({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c' } }),
  init({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { ...CLIENT, icons: [{ src: 'https://example.com/i.png' }] } }),
  init({ protocolVersion: '2025-11-25', capabilities: { tasks: { list: {} } }, clientInfo: CLIENT }),
  init({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT, other: 1 }),
  { jsonrpc: '2.0', id: 1, method: 'initialize' }
]

const call = (name: string, args?: unknown, extra: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, ...(args === undefined ? {} : { arguments: args }), ...extra } })

t.test('fixed cases: every tool, valid and invalid arguments, upstream errors — same answer both ways', async (t) => {
  const { both } = await setup(t)
  const fixed: Array<Record<string, unknown>> = [
    call('templates_get', { id: 'tpl_1' }),
    call('templates_get', { id: 'fail403' }),
    call('templates_get', { id: 'fail500' }),
    call('templates_get', { id: 'missing' }),
    call('templates_get', { id: 42 }),
    call('templates_get', { id: '' }),
    call('templates_get', { id: '..' }),
    call('templates_get', {}),
    call('templates_get'),
    call('templates_get', { id: 'tpl_1', bogus: true }),
    call('templates_get', { id: 'tpl_1' }, { _meta: { progressToken: 3 } }),
    call('messages_send', { destinationNumber: '+5511988887777', text: 'hi' }),
    call('messages_send', { destinationNumber: '+5511988887777', text: 'hi', whatsappNumberId: 'num_1' }),
    call('messages_send', { destinationNumber: 'not a number', text: 'hi' }),
    call('messages_send', { destinationNumber: '+5511988887777' }),
    call('numbers_list', {}),
    call('numbers_create', { phoneNumber: '+5511999990001' }),
    { jsonrpc: '2.0', id: 'list-1', method: 'tools/list' },
    { jsonrpc: '2.0', id: 'list-2', method: 'tools/list', params: {} },
    { jsonrpc: '2.0', id: 'list-3', method: 'tools/list', params: { cursor: 'abc' } },
    { jsonrpc: '2.0', id: 'list-4', method: 'tools/list', params: { _meta: { progressToken: 'p' } } },
    ...INITIALIZE_TAKEN,
    { jsonrpc: '2.0', id: 'ping-1', method: 'ping' },
    { jsonrpc: '2.0', id: 2, method: 'ping', params: {} },
    { jsonrpc: '2.0', id: 3, method: 'ping', params: { _meta: { progressToken: 1 } } }
  ]
  let compared = 0
  for (const msg of fixed) {
    const { sdk, fast } = await both(msg)
    t.not(fast, undefined, `the fast path takes ${JSON.stringify(msg).slice(0, 90)}`)
    t.same(fast, sdk, `same answer: ${JSON.stringify(msg).slice(0, 90)}`)
    compared++
  }
  // One valid-looking call per tool: the empty arguments and the minimal required strings.
  for (const [name, tool] of registry.all) {
    const required = (tool.input.required ?? []) as string[]
    const args = Object.fromEntries(required.map((k) => [k, 'x']))
    for (const a of [args, {}]) {
      const { sdk, fast } = await both(call(name, a))
      t.same(fast, sdk, `${name} ${JSON.stringify(a)}: same answer`)
      compared++
    }
  }
  t.ok(compared > 120, `${compared} requests compared`)
})

t.test('requests the fast path leaves to the SDK', async (t) => {
  const { both } = await setup(t, registry.view({ readOnly: true }))
  const declined: Array<Record<string, unknown>> = [
    call('no_such_tool', {}),
    call('messages_send', { destinationNumber: '+5511988887777', text: 'hi' }), // outside the read-only view
    call('templates_get', 'not an object'),
    call('templates_get', ['tpl_1']),
    call('templates_get', null),
    call('templates_get', { id: 'tpl_1' }, { task: { ttl: 1000 } }),
    // The SDK's handler sees a zod copy of the arguments, without an own "__proto__".
    JSON.parse('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"templates_get","arguments":{"__proto__":{"x":1},"id":"tpl_1"}}}'),
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { arguments: {} } },
    { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 5 } },
    { jsonrpc: '2.0', id: 1, method: 'tools/call' },
    { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { cursor: 5 } },
    { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { other: true } },
    { jsonrpc: '2.0', id: 1, method: 'ping', params: { other: 1 } },
    ...INITIALIZE_DECLINED,
    { jsonrpc: '2.0', id: 1, method: 'resources/list' }
  ]
  // A non-object _meta or a stray member: declined here; the route answers them itself (the SDK would never answer).
  t.equal(fastRequest(call('templates_get', { id: 'tpl_1' }, { _meta: 'x' }), undefined, registry.view({})), undefined)
  t.equal(fastRequest({ ...call('templates_get', { id: 'tpl_1' }), extra: 1 }, undefined, registry.view({})), undefined)
  for (const msg of declined) {
    const { sdk, fast } = await both(msg)
    t.equal(fast, undefined, `declined: ${JSON.stringify(msg).slice(0, 100)}`)
    t.ok(sdk, 'and the SDK answers it')
  }
})

t.test('random arguments for every tool: the fast path answers exactly as the SDK', async (t) => {
  const { both } = await setup(t)
  const names = [...registry.all.keys()]
  const value = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.object({ maxDepth: 1 }),
    fc.constantFrom('+5511988887777', 'fail403', 'fail500', 'missing', '2026-06-01T00:00:00Z', 'MARKETING', '5', 'true', '{"a":1}'))
  const args = (name: string) => fc.dictionary(fc.oneof(fc.constantFrom(...Object.keys(registry.all.get(name)!.input.properties), 'extra')), value, { maxKeys: 5 })
  const request = fc.constantFrom(...names).chain((name) => fc.tuple(fc.constant(name), args(name), fc.oneof(fc.string({ maxLength: 6 }), fc.integer())))
  let taken = 0
  await fc.assert(fc.asyncProperty(request, async ([name, a, id]) => {
    const msg = { ...call(name, a), id }
    const { sdk, fast } = await both(msg)
    if (fast === undefined) throw new Error(`declined ${JSON.stringify(msg)}`)
    if (!isDeepStrictEqual(fast, sdk)) throw new Error(`answers differ for ${JSON.stringify(msg)}:\nfast ${JSON.stringify(fast)}\nsdk  ${JSON.stringify(sdk)}`)
    taken++
  }), { numRuns, seed })
  t.equal(taken, numRuns)
})

t.test('the pre-classification never disagrees with classifyInboundRequest', async (t) => {
  const meta = fc.oneof(fc.constant(undefined), fc.object({ maxDepth: 1 }), fc.constant({ 'io.modelcontextprotocol/protocolVersion': '2026-07-28' }), fc.constant({ 'io.modelcontextprotocol/protocolVersion': 5 }), fc.constant('m'), fc.constant(null))
  const params = fc.oneof(fc.constant(undefined), fc.constant(null), fc.constant([]), fc.string(),
    { weight: 6, arbitrary: meta.chain((m) => fc.record({ name: fc.constantFrom(...registry.all.keys()), arguments: fc.object({ maxDepth: 1 }), _meta: fc.constant(m) }, { requiredKeys: ['name'] })) },
    { weight: 3, arbitrary: meta.chain((m) => fc.record({ cursor: fc.oneof(fc.string(), fc.integer()), _meta: fc.constant(m) }, { requiredKeys: [] })) },
    meta.chain((m) => fc.record({ name: fc.oneof(fc.constantFrom(...registry.all.keys()), fc.string(), fc.integer()), arguments: fc.jsonValue({ maxDepth: 1 }) }).map((p) => m === undefined ? p : { ...p, _meta: m })),
    { weight: 3, arbitrary: meta.chain((m) => fc.record({ protocolVersion: fc.oneof(fc.constantFrom('2025-11-25', '2026-07-28'), fc.string(), fc.integer()), capabilities: fc.oneof(fc.constant({}), fc.object({ maxDepth: 2 }), fc.constant({ elicitation: {} })), clientInfo: fc.oneof(fc.constant(CLIENT), fc.object({ maxDepth: 1 })), _meta: fc.constant(m) }, { requiredKeys: [] })) })
  const body = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({ jsonrpc: fc.constantFrom('2.0', '2.0', '2.0', '1.0'), id: fc.oneof(fc.integer(), fc.integer(), fc.string(), fc.constant(null), fc.double()), method: fc.constantFrom('tools/call', 'tools/call', 'tools/list', 'initialize', 'ping', 'x'), params }, { requiredKeys: ['jsonrpc', 'method', 'id'] })
        .chain((r) => fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, fc.constantFrom('extra', 'result', '__proto__')).map((k) => k === null ? r : JSON.parse(JSON.stringify(r).replace(/^\{/, `{"${k}":1,`))))
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }
  )
  const header = fc.oneof(fc.constant(undefined), fc.constantFrom('2025-11-25', '2025-06-18', ' 2025-03-26 ', '2026-07-28', '2026-07-28 ', '2030-01-01', 'garbage', ''))
  let plain = 0
  const view = registry.view({})
  const plainLegacyToolRequest = (b: unknown, h: string | undefined) => fastRequest(b, headerValue(h), view) !== undefined
  await fc.assert(fc.property(body, header, (b, h) => {
    if (!plainLegacyToolRequest(b, h)) return
    plain++
    const route = classifyInboundRequest({ httpMethod: 'POST', protocolVersionHeader: h, body: b })
    if (route.kind !== 'legacy') throw new Error(`pre-classified legacy, SDK says ${route.kind}: ${JSON.stringify({ b, h })}`)
  }), { numRuns: numRuns * 8, seed })
  t.ok(plain > 20, `${plain} plain legacy requests checked against the SDK`)
  t.equal(plainLegacyToolRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'numbers_list', _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } }, undefined), false, 'an envelope claim goes to the SDK')
  t.equal(plainLegacyToolRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'numbers_list' } }, '2026-07-28'), false, 'a modern header goes to the SDK')
  t.equal(plainLegacyToolRequest({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'numbers_list' } }, '2025-11-25'), true)
})

t.test('random initialize requests: whatever the fast path takes, it answers as the SDK', async (t) => {
  const { both } = await setup(t)
  const version = fc.oneof(fc.constantFrom('2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07', '2026-07-28'), fc.string({ maxLength: 12 }), fc.integer())
  const jsonish = fc.oneof(fc.constant({}), fc.object({ maxDepth: 1 }), fc.string({ maxLength: 4 }), fc.boolean())
  const capabilities = fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, fc.record({ roots: fc.oneof(fc.constant({}), fc.record({ listChanged: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })) })), sampling: jsonish, elicitation: fc.oneof(fc.constant({}), fc.record({ form: jsonish, url: jsonish }, { requiredKeys: [] }), jsonish), experimental: fc.dictionary(fc.string({ maxLength: 4 }), jsonish, { maxKeys: 2 }), tasks: jsonish }, { requiredKeys: [] }), fc.object({ maxDepth: 2 }))
  const clientInfo = fc.oneof({ weight: 3, arbitrary: fc.constant(CLIENT) }, fc.record({ name: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), version: fc.oneof(fc.string({ maxLength: 6 }), fc.constant(undefined)), title: fc.string({ maxLength: 6 }), websiteUrl: fc.constant('https://example.com'), icons: fc.constant([{ src: 'x' }]) }, { requiredKeys: ['name'] }))
  // Mostly the shapes clients send, each member sometimes broken or missing.
  const params = fc.oneof(
    { weight: 3, arbitrary: fc.record({ protocolVersion: version, capabilities, clientInfo, _meta: fc.constantFrom({ progressToken: 1 }, {}) }, { requiredKeys: ['protocolVersion', 'capabilities', 'clientInfo'] }) },
    fc.record({ protocolVersion: version, capabilities, clientInfo, _meta: fc.constantFrom({ progressToken: 1 }, {}), other: fc.constant(1) }, { requiredKeys: [] }))
  let taken = 0
  await fc.assert(fc.asyncProperty(params, fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), async (p, id) => {
    const msg = JSON.parse(JSON.stringify(init(p, id)))
    const { sdk, fast } = await both(msg)
    if (fast === undefined) return
    taken++
    if (!isDeepStrictEqual(fast, sdk)) throw new Error(`answers differ for ${JSON.stringify(msg)}:\nfast ${JSON.stringify(fast)}\nsdk  ${JSON.stringify(sdk)}`)
  }), { numRuns: numRuns * 2, seed })
  t.ok(taken > numRuns / 4, `${taken} of ${numRuns * 2} random initialize requests taken by the fast path and answered as the SDK`)
})

t.test('a notification the route acknowledges without the SDK is one its classification calls legacy', async (t) => {
  const meta = fc.oneof(fc.constant(undefined), fc.object({ maxDepth: 1 }), fc.constant({ 'io.modelcontextprotocol/protocolVersion': '2026-07-28' }), fc.constant('m'), fc.constant(null))
  const body = fc.record({
    jsonrpc: fc.constantFrom('2.0', '2.0', '1.0'),
    method: fc.oneof(fc.constantFrom('notifications/initialized', 'notifications/cancelled', 'notifications/progress', 'notifications/roots/list_changed'), fc.string({ maxLength: 8 }), fc.integer()),
    params: fc.oneof(fc.constant(undefined), fc.constant([]), fc.string({ maxLength: 3 }), meta.chain((m) => fc.record({ requestId: fc.integer(), reason: fc.string({ maxLength: 5 }), _meta: fc.constant(m) }, { requiredKeys: [] }))),
    extra: fc.constant(1)
  }, { requiredKeys: ['jsonrpc', 'method'] })
  const header = fc.oneof(fc.constant(undefined), fc.constantFrom('2025-11-25', '2025-06-18', '2026-07-28', '2030-01-01', 'garbage'))
  let plain = 0
  fc.assert(fc.property(body, header, (raw, h) => {
    const b = JSON.parse(JSON.stringify(raw))
    if (!fastNotification(b, headerValue(h))) return
    plain++
    const route = classifyInboundRequest({ httpMethod: 'POST', protocolVersionHeader: h, body: b })
    if (route.kind !== 'legacy') throw new Error(`acknowledged as legacy, SDK says ${route.kind}: ${JSON.stringify({ b, h })}`)
  }), { numRuns: numRuns * 8, seed })
  t.ok(plain > 20, `${plain} plain notifications checked against the SDK`)
  t.equal(fastNotification({ jsonrpc: '2.0', method: 'notifications/initialized' }, undefined), true)
  t.equal(fastNotification({ jsonrpc: '2.0', method: 'notifications/initialized' }, '2026-07-28'), false, 'a modern header goes to the SDK')
  t.equal(fastNotification({ jsonrpc: '2.0', id: 1, method: 'notifications/initialized' }, undefined), false, 'a request is not a notification')
})

t.test('over HTTP: deadline, disconnect and the OAuth challenge still hold on the fast path', async (t) => {
  const up = await fakeUpstream(t, () => ({ hang: true }))
  const p = await product(t, up.url, { upstreamTimeoutMs: 20_000, requestTimeoutMs: 300 })
  const res = await rawPost(p.mcp, call('templates_get', { id: 'tpl_1' }), { 'x-api-key': 'ps_fast' })
  t.same(res.json, { jsonrpc: '2.0', id: 7, error: { code: -32001, message: 'Request cancelled or timed out (limit 300 ms)' } })
  await until(() => up.requests[0]?.aborted === true, 5000, 'the upstream request to be abandoned')
  t.equal(up.requests.length, 1)

  up.behave(() => ({ status: 401, body: '{"error":"invalid token"}' }))
  const challenged = await rawPost(p.mcp, call('templates_get', { id: 'tpl_1' }), { authorization: 'Bearer expired-token' })
  t.equal(challenged.status, 401, 'a bearer token refused upstream is an HTTP 401 challenge')
  t.match(challenged.headers.get('www-authenticate') ?? '', /error="invalid_token"/)

  up.behave(() => ({ status: 200, body: '{"id":"tpl_1","name":"n"}' }))
  for (const meta of ['x', 5, null, ['a']]) {
    const bad = await rawPost(p.mcp, call('templates_get', { id: 'tpl_1' }, { _meta: meta }), { 'x-api-key': 'ps_fast' })
    t.equal(bad.status, 400, `_meta ${JSON.stringify(meta)}: refused at once by the SDK's classification (its Server would never answer it)`)
    t.equal(bad.json.error.code, -32600)
  }
  const batch = await rawPost(p.mcp, [call('templates_get', { id: 'tpl_1' }), { jsonrpc: '2.0', id: 8, method: 'ping' }, { jsonrpc: '2.0', id: 9, method: 'tools/list' }], { 'x-api-key': 'ps_fast' })
  t.equal(batch.status, 200)
  t.same(batch.json.map((m: { id: number }) => m.id), [7, 8, 9], 'a batch mixing fast and SDK requests is answered in order')
  t.equal(batch.json[0].result.structuredContent.id, 'tpl_1')
  t.same(batch.json[1].result, {})
  t.equal(batch.json[2].result.tools.length, 56)
})
