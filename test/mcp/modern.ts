// The 2026-07-28 fast path (fastModernRequest in src/mcp/gate.ts, answered by src/mcp/fast-path.ts)
// must answer exactly what the SDK's createMcpHandler answers. Differential tests: two products
// over one deterministic loopback upstream, fast path on and off, get the same requests through
// Fastify inject; status, content type, challenge and JSON body must be equal — for every tool,
// fixed and random arguments and envelopes, upstream errors, narrowing headers, malformed
// envelopes and header/body mismatches, confirmations, the deadline. Whether the SDK served a
// request is observed, not assumed: the modern SDK path connects a Server per request.
import t, { type Test } from 'tap'
import fc from 'fast-check'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import { isDeepStrictEqual } from 'node:util'
import { classifyInboundRequest } from '@modelcontextprotocol/server'
import pilotStatusMcp, { type PilotStatusMcpOptions } from '../../src/app.js'
import { plainEnvelope } from '../../src/mcp/gate.js'
import { modernHandler } from '../../src/mcp/modern.js'
import { scopeAuthInfo, type CallScope } from '../../src/mcp/server.js'
import { ApiClient } from '../../src/api/client.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv'
import { registry } from '../helper.js'
import { fakeUpstream, type FakeUpstream, type Seen } from '../faults/fake-upstream.js'

const seed = Number(process.env.FUZZ_SEED ?? 20260728)
const numRuns = Number(process.env.FUZZ_RUNS ?? 40)

const V = '2026-07-28'
const META = {
  'io.modelcontextprotocol/protocolVersion': V,
  'io.modelcontextprotocol/clientInfo': { name: 'modern-test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {}
}
const KEY = { 'x-api-key': 'ps_modern_test' }
type Headers = Record<string, string | string[]>

const call = (name: string, args?: unknown, extra: Record<string, unknown> = {}, meta: unknown = META, id: unknown = 7) =>
  ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, ...(args === undefined ? {} : { arguments: args }), _meta: meta, ...extra } })
const list = (id: unknown = 8, meta: unknown = META, extra: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/list', params: { _meta: meta, ...extra } })
const discover = (id: unknown = 9, meta: unknown = META, extra: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: meta, ...extra } })
const discoverHeaders = (extra: Headers = {}): Headers => ({ ...KEY, 'mcp-protocol-version': V, 'mcp-method': 'server/discover', ...extra })
const callHeaders = (name: string, extra: Headers = {}): Headers => ({ ...KEY, 'mcp-protocol-version': V, 'mcp-method': 'tools/call', 'mcp-name': name, ...extra })
const listHeaders = (extra: Headers = {}): Headers => ({ ...KEY, 'mcp-protocol-version': V, 'mcp-method': 'tools/list', ...extra })

/** A deterministic upstream: the answer depends only on method, path, query and body. */
function deterministic (r: Seen) {
  if (r.path.includes('/fail403')) return { status: 403, body: '{"error":"This endpoint requires a number-scoped key","code":"TENANT_SCOPE_NOT_ALLOWED"}' }
  if (r.path.includes('/fail500')) return { status: 500, body: '{"error":"boom"}' }
  if (r.path.includes('/missing')) return { status: 404, body: '{"error":"Not found","code":"NOT_FOUND"}' }
  if (r.path.includes('/unauthorised')) return { status: 401, body: '{"error":"invalid token"}' }
  if (r.path.includes('/hang')) return { hang: true }
  const echo = { id: 'x_1', name: 'n', status: 'OK', total: 1, page: 1, pageSize: 30, totalPages: 1, seen: `${r.method} ${r.url} ${r.body}`, items: [], numbers: [], templates: [], messages: [], conversations: [], groups: [], webhooks: [], calls: [], logs: [], newsletters: [], keys: [] }
  return { status: r.method === 'GET' ? 200 : 201, body: JSON.stringify(echo) }
}

/** Envelopes around the valid shapes: valid ones, and one member broken in turn. */
const odd = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null), fc.constant([]), fc.object({ maxDepth: 1 }))
const json = fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
const capabilities = fc.record({
  sampling: fc.record({ context: json, tools: json }, { requiredKeys: [] }),
  elicitation: fc.oneof(fc.constant({}), fc.record({ form: fc.oneof(json, fc.record({ applyDefaults: fc.boolean() })), url: json }, { requiredKeys: [] })),
  roots: fc.record({ listChanged: fc.boolean() }, { requiredKeys: [] }),
  experimental: fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 2 }),
  extensions: fc.dictionary(fc.string({ maxLength: 4 }), json, { maxKeys: 2 })
}, { requiredKeys: [] })
const validEnvelope = fc.record({
  'io.modelcontextprotocol/protocolVersion': fc.constant(V),
  'io.modelcontextprotocol/clientInfo': fc.record({ name: fc.string({ maxLength: 6 }), version: fc.string({ maxLength: 6 }), title: fc.string({ maxLength: 4 }), websiteUrl: fc.string({ maxLength: 4 }) }, { requiredKeys: ['name', 'version'] }),
  'io.modelcontextprotocol/clientCapabilities': capabilities,
  'io.modelcontextprotocol/logLevel': fc.constantFrom('debug', 'info', 'error', 'emergency'),
  progressToken: fc.oneof(fc.string({ maxLength: 4 }), fc.integer())
}, { requiredKeys: ['io.modelcontextprotocol/protocolVersion', 'io.modelcontextprotocol/clientCapabilities'] })
/** A path into the envelope and what to put there: unusual values, valid or not. */
const breakage = fc.tuple(
  fc.constantFrom(
    ['io.modelcontextprotocol/protocolVersion'], ['io.modelcontextprotocol/clientInfo'], ['io.modelcontextprotocol/clientInfo', 'version'],
    ['io.modelcontextprotocol/clientInfo', 'icons'], ['io.modelcontextprotocol/clientCapabilities'], ['io.modelcontextprotocol/clientCapabilities', 'roots', 'listChanged'],
    ['io.modelcontextprotocol/clientCapabilities', 'elicitation'], ['io.modelcontextprotocol/clientCapabilities', 'elicitation', 'form', 'applyDefaults'],
    ['io.modelcontextprotocol/clientCapabilities', 'sampling', 'tools'], ['io.modelcontextprotocol/clientCapabilities', 'experimental', 'x'],
    ['io.modelcontextprotocol/clientCapabilities', 'tasks'], ['io.modelcontextprotocol/logLevel'], ['progressToken'], ['com.example/other']),
  fc.oneof(odd, fc.constantFrom(undefined, '2030-01-01', 2 ** 40, 1.5, [{ src: 'a' }], { list: {} }, 'verbose')))
function broken ([meta, [path, value]]: [Record<string, unknown>, [readonly string[], unknown]]): Record<string, unknown> {
  const copy = structuredClone(meta)
  let node: Record<string, unknown> = copy
  for (const k of path.slice(0, -1)) {
    if (typeof node[k] !== 'object' || node[k] === null || Array.isArray(node[k])) node[k] = {}
    node = node[k] as Record<string, unknown>
  }
  if (value === undefined) delete node[path[path.length - 1]]
  else node[path[path.length - 1]] = value
  return copy
}
const envelopeArb = fc.oneof(validEnvelope, fc.tuple(validEnvelope, breakage).map(broken))

interface Seen2 { status: number, contentType: string | undefined, challenge: string | undefined, body: unknown }

function seen (res: LightMyRequestResponse): Seen2 {
  let body: unknown = res.body
  try { body = res.body === '' ? '' : JSON.parse(res.body) } catch {}
  // A question's request state is signed with a fresh approval id: equal in shape, never in bytes.
  if (typeof (body as { result?: { requestState?: unknown } })?.result?.requestState === 'string') (body as { result: { requestState: string } }).result.requestState = '<state>'
  return { status: res.statusCode, contentType: res.headers['content-type'] as string | undefined, challenge: res.headers['www-authenticate'] as string | undefined, body }
}

// The route hands a request to the SDK's createMcpHandler as a web Request, built for it alone
// (the fast path and the route's own refusals build none): counting them tells who answered.
let handedToSdk = 0
const WebRequest = globalThis.Request
globalThis.Request = class extends WebRequest {
  constructor (...a: ConstructorParameters<typeof WebRequest>) { super(...a); handedToSdk++ }
}
t.teardown(() => { globalThis.Request = WebRequest })

/** Who answered: the SDK, the fast path (a result or an OAuth challenge), or the route refusing before either. */
type By = 'sdk' | 'fast' | 'route'

interface Pair {
  up: FakeUpstream
  fast: FastifyInstance
  sdk: FastifyInstance
  /** Both answers, and who answered on the fast-path product. */
  both (body: unknown, headers: Headers): Promise<{ fast: Seen2, sdk: Seen2, by: By }>
}

async function pair (t: Test, opts: PilotStatusMcpOptions = {}, up?: FakeUpstream): Promise<Pair> {
  up ??= await fakeUpstream(t, deterministic)
  const build = async (fastPath: boolean) => {
    const app = Fastify({ logger: false })
    await app.register(pilotStatusMcp, { apiUrl: up.url, fastPath, upstreamTimeoutMs: 5000, ...opts })
    await app.ready()
    t.teardown(() => app.close())
    return app
  }
  const fast = await build(true)
  const sdk = await build(false)
  const send = (app: FastifyInstance, body: unknown, headers: Headers) => app.inject({
    method: 'POST',
    url: '/mcp',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body)
  })
  return {
    up,
    fast,
    sdk,
    async both (body, headers) {
      const before = handedToSdk
      const a = seen(await send(fast, body, headers))
      const answered = (a.body as { result?: unknown })?.result !== undefined || a.challenge !== undefined
      const by: By = handedToSdk !== before ? 'sdk' : answered ? 'fast' : 'route'
      const b = seen(await send(sdk, body, headers))
      return { fast: a, sdk: b, by }
    }
  }
}

type Case = [label: string, body: unknown, headers: Headers, by: By]

/** Sends each case both ways; equal answers required, and the expected one answered. */
async function compare (t: Test, p: Pair, cases: Case[]): Promise<void> {
  for (const [label, body, headers, expected] of cases) {
    const { fast, sdk, by } = await p.both(body, headers)
    t.same(fast, sdk, `${label}: the same answer`)
    t.equal(by, expected, `${label}: answered by ${expected === 'route' ? 'the route itself' : `the ${expected === 'sdk' ? 'SDK' : 'fast path'}`}`)
  }
}

t.test('every tool, fixed arguments, upstream errors: the same answers, served without the SDK', async (t) => {
  const p = await pair(t)
  const cases: Case[] = [
    ['a read', call('templates_get', { id: 'tpl_1' }), callHeaders('templates_get'), 'fast'],
    ['upstream 403', call('templates_get', { id: 'fail403' }), callHeaders('templates_get'), 'fast'],
    ['upstream 500', call('templates_get', { id: 'fail500' }), callHeaders('templates_get'), 'fast'],
    ['upstream 404', call('templates_get', { id: 'missing' }), callHeaders('templates_get'), 'fast'],
    ['an invalid argument', call('templates_get', { id: 42 }), callHeaders('templates_get'), 'fast'],
    ['an unknown argument', call('templates_get', { id: 'tpl_1', bogus: true }), callHeaders('templates_get'), 'fast'],
    ['no arguments', call('templates_get'), callHeaders('templates_get'), 'fast'],
    ['a progress token', call('templates_get', { id: 'tpl_1' }, {}, { ...META, progressToken: 'p1' }), callHeaders('templates_get'), 'fast'],
    ['a log level', call('templates_get', { id: 'tpl_1' }, {}, { ...META, 'io.modelcontextprotocol/logLevel': 'debug' }), callHeaders('templates_get'), 'fast'],
    ['foreign _meta keys', call('templates_get', { id: 'tpl_1' }, {}, { ...META, 'com.example/trace': { a: [1, 'b'] } }), callHeaders('templates_get'), 'fast'],
    ['no clientInfo', call('templates_get', { id: 'tpl_1' }, {}, { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientCapabilities': {} }), callHeaders('templates_get'), 'fast'],
    ['a string id', call('templates_get', { id: 'tpl_1' }, {}, META, 'req-1'), callHeaders('templates_get'), 'fast'],
    ['id 0', call('templates_get', { id: 'tpl_1' }, {}, META, 0), callHeaders('templates_get'), 'fast'],
    ['a send, no elicitation declared (the confirmation gate runs it)', call('messages_send', { destinationNumber: '+5511988887777', text: 'hi' }), callHeaders('messages_send'), 'fast'],
    ['a send with an invalid number', call('messages_send', { destinationNumber: 'nope', text: 'hi' }), callHeaders('messages_send'), 'fast'],
    ['charset in the content type', call('templates_get', { id: 'tpl_1' }), callHeaders('templates_get', { 'content-type': 'application/json; charset=utf-8' }), 'fast'],
    ['tools/list', list(), listHeaders(), 'fast'],
    ['tools/list with a cursor', list(9, META, { cursor: 'abc' }), listHeaders(), 'fast'],
    ['tools/list with Mcp-Name (ignored)', list(), listHeaders({ 'mcp-name': 'x' }), 'fast'],
    ['server/discover', discover(), discoverHeaders(), 'fast'],
    ['server/discover with a string id and a progress token', discover('d', { ...META, progressToken: 'p' }), discoverHeaders(), 'fast'],
    ['server/discover, client declaring elicitation', discover(4, { ...META, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } }), discoverHeaders(), 'fast'],
    ['server/discover, narrowed by a header (private)', discover(), discoverHeaders({ 'x-mcp-readonly': 'true' }), 'fast'],
    ['server/discover with client icons (valid, validated by the SDK first)', discover(5, { ...META, 'io.modelcontextprotocol/clientInfo': { name: 'x', version: '1', icons: [{ src: 'https://example.com/i.png' }] } }), discoverHeaders(), 'fast']
  ]
  // Every tool: the minimal required strings, and no arguments at all.
  for (const [name, tool] of registry.all) {
    const required = (tool.input.required ?? []) as string[]
    cases.push([`${name} minimal`, call(name, Object.fromEntries(required.map((k) => [k, 'x']))), callHeaders(name), 'fast'])
    cases.push([`${name} {}`, call(name, {}), callHeaders(name), 'fast'])
  }
  await compare(t, p, cases)
  t.ok(cases.length > 120, `${cases.length} requests compared`)
})

t.test('what the fast path leaves to the SDK is answered the same either way', async (t) => {
  const p = await pair(t)
  const noCaps = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientInfo': { name: 'x', version: '1' } }
  const icons = { ...META, 'io.modelcontextprotocol/clientInfo': { name: 'x', version: '1', icons: [{ src: 'https://example.com/i.png' }] } }
  const cases: Case[] = [
    ['Mcp-Method disagrees', call('templates_get', { id: 'a' }), callHeaders('templates_get', { 'mcp-method': 'tools/list' }), 'route'],
    ['Mcp-Name disagrees', call('templates_get', { id: 'a' }), callHeaders('numbers_list'), 'sdk'],
    ['Mcp-Name missing', call('templates_get', { id: 'a' }), { ...KEY, 'mcp-protocol-version': V, 'mcp-method': 'tools/call' }, 'sdk'],
    ['Mcp-Name base64-encoded', call('templates_get', { id: 'a' }), callHeaders('templates_get', { 'mcp-name': `=?base64?${Buffer.from('templates_get').toString('base64')}?=` }), 'sdk'],
    ['Mcp-Name with an invalid sentinel', call('templates_get', { id: 'a' }), callHeaders('templates_get', { 'mcp-name': '=?base64?***?=' }), 'sdk'],
    ['Mcp-Method missing', call('templates_get', { id: 'a' }), { ...KEY, 'mcp-protocol-version': V, 'mcp-name': 'templates_get' }, 'sdk'],
    ['version header missing', call('templates_get', { id: 'a' }), { ...KEY, 'mcp-method': 'tools/call', 'mcp-name': 'templates_get' }, 'sdk'],
    ['version header disagrees', call('templates_get', { id: 'a' }), callHeaders('templates_get', { 'mcp-protocol-version': '2025-11-25' }), 'route'],
    ['header padded with spaces', list(), listHeaders({ 'mcp-method': ' tools/list ' }), 'sdk'],
    ['an unserved version', call('templates_get', { id: 'a' }, {}, { ...META, 'io.modelcontextprotocol/protocolVersion': '2030-01-01' }), callHeaders('templates_get', { 'mcp-protocol-version': '2030-01-01' }), 'route'],
    ['no clientCapabilities', call('templates_get', { id: 'a' }, {}, noCaps), callHeaders('templates_get'), 'route'],
    ['clientCapabilities not an object', call('templates_get', { id: 'a' }, {}, { ...META, 'io.modelcontextprotocol/clientCapabilities': 'all' }), callHeaders('templates_get'), 'route'],
    ['clientInfo without a version', call('templates_get', { id: 'a' }, {}, { ...META, 'io.modelcontextprotocol/clientInfo': { name: 'x' } }), callHeaders('templates_get'), 'route'],
    ['an invalid log level', call('templates_get', { id: 'a' }, {}, { ...META, 'io.modelcontextprotocol/logLevel': 'loud' }), callHeaders('templates_get'), 'route'],
    ['a fractional progress token', call('templates_get', { id: 'a' }, {}, { ...META, progressToken: 1.5 }), callHeaders('templates_get'), 'route'],
    ['roots.listChanged not a boolean', call('templates_get', { id: 'a' }, {}, { ...META, 'io.modelcontextprotocol/clientCapabilities': { roots: { listChanged: 'yes' } } }), callHeaders('templates_get'), 'route'],
    ['an unknown tool', call('no_such_tool', {}), callHeaders('no_such_tool'), 'sdk'],
    ['arguments not an object', call('templates_get', ['a']), callHeaders('templates_get'), 'route'],
    ['no tool name', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { _meta: META } }, { ...KEY, 'mcp-protocol-version': V, 'mcp-method': 'tools/call' }, 'route'],
    ['a task augmentation', call('templates_get', { id: 'a' }, { task: { ttl: 1000 } }), callHeaders('templates_get'), 'sdk'],
    ['a stray params member', call('templates_get', { id: 'a' }, { other: 1 }), callHeaders('templates_get'), 'sdk'],
    ['a request state without a confirmation', call('templates_get', { id: 'a' }, { requestState: 'forged' }), callHeaders('templates_get'), 'sdk'],
    ['input responses without a state', call('templates_get', { id: 'a' }, { inputResponses: { confirm: { action: 'accept' } } }), callHeaders('templates_get'), 'sdk'],
    ['an own __proto__ argument', JSON.parse(JSON.stringify(call('templates_get', { id: 'a' })).replace('"arguments":{', '"arguments":{"__proto__":{"x":1},')), callHeaders('templates_get'), 'sdk'],
    ['a stray request member', { ...call('templates_get', { id: 'a' }), extra: 1 }, callHeaders('templates_get'), 'route'],
    ['an odd content type', call('templates_get', { id: 'a' }), callHeaders('templates_get', { 'content-type': 'application/json;,x' }), 'sdk'],
    ['a repeated Mcp-Method (the values joined by a comma)', list(), listHeaders({ 'mcp-method': ['tools/list', 'tools/list'] }), 'route'],
    ['a cursor that is not a string', list(9, META, { cursor: 5 }), listHeaders(), 'route'],
    ['server/discover with a stray params member', discover(3, META, { other: 1 }), discoverHeaders(), 'sdk'],
    ['server/discover without an envelope', { jsonrpc: '2.0', id: 3, method: 'server/discover' }, discoverHeaders(), 'route'],
    ['server/discover, Mcp-Method disagrees', discover(), discoverHeaders({ 'mcp-method': 'tools/list' }), 'route'],
    ['a notification', { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: META } }, listHeaders({ 'mcp-method': 'notifications/cancelled' }), 'sdk'],
    // Valid but unusual: the SDK's classification validates it, then the fast path answers.
    ['client icons (valid, validated by the SDK first)', call('templates_get', { id: 'a' }, {}, icons), callHeaders('templates_get'), 'fast'],
    ['tasks capability (valid, validated by the SDK first)', list(4, { ...META, 'io.modelcontextprotocol/clientCapabilities': { tasks: { list: {} } } }), listHeaders(), 'fast']
  ]
  await compare(t, p, cases)
})

t.test('a Host the SDK path cannot turn into a web Request: left to it, answered the same', async (t) => {
  const p = await pair(t, { allowedHosts: ['*'] })
  await compare(t, p, [
    ['Host with an impossible port', list(), listHeaders({ host: 'example.com:99999' }), 'route'],
    ['an ordinary Host', list(), listHeaders({ host: 'mcp.example.com' }), 'fast']
  ])
})

t.test('narrowing headers: a narrowed tools/list is private, calls outside the view refused the same way', async (t) => {
  const p = await pair(t)
  const narrow = { 'x-mcp-readonly': 'true' }
  const cases: Case[] = [
    ['read-only tools/list', list(), listHeaders(narrow), 'fast'],
    ['toolsets tools/list', list(), listHeaders({ 'x-mcp-toolsets': 'messages,templates' }), 'fast'],
    ['tools tools/list', list(), listHeaders({ 'x-mcp-tools': 'templates_get' }), 'fast'],
    ['a read in the narrowed view', call('templates_get', { id: 'a' }), callHeaders('templates_get', narrow), 'fast'],
    ['a write outside the read-only view', call('messages_send', { destinationNumber: '+5511988887777', text: 'hi' }), callHeaders('messages_send', narrow), 'sdk'],
    ['a tool outside the allow-list', call('numbers_list', {}), callHeaders('numbers_list', { 'x-mcp-tools': 'templates_get' }), 'sdk'],
    ['an invalid narrowing header', list(), listHeaders({ 'x-mcp-readonly': 'maybe' }), 'route']
  ]
  await compare(t, p, cases)
  const { fast } = await p.both(list(), listHeaders(narrow))
  t.equal((fast.body as { result: { cacheScope: string } }).result.cacheScope, 'private')
  const open = await p.both(list(), listHeaders())
  t.match((open.fast.body as { result: unknown }).result, { resultType: 'complete', ttlMs: 3_600_000, cacheScope: 'public', _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'pilot-status' } } })
})

t.test('random arguments and envelopes for every tool: the same answers', async (t) => {
  const p = await pair(t)
  const names = [...registry.all.keys()]
  const value = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.object({ maxDepth: 1 }),
    fc.constantFrom('+5511988887777', 'fail403', 'fail500', 'missing', '2026-06-01T00:00:00Z', 'MARKETING', '5', 'true'))
  const args = (name: string) => fc.dictionary(fc.constantFrom(...Object.keys(registry.all.get(name)!.input.properties), 'extra'), value, { maxKeys: 5 })
  const request = fc.constantFrom(...names).chain((name) => fc.tuple(fc.constant(name), args(name), fc.oneof(fc.string({ maxLength: 6 }), fc.integer()), envelopeArb))
  let fast = 0
  await fc.assert(fc.asyncProperty(request, async ([name, a, id, meta]) => {
    const r = await p.both(call(name, a, {}, meta, id), callHeaders(name))
    if (!isDeepStrictEqual(r.fast, r.sdk)) throw new Error(`answers differ for ${name} ${JSON.stringify(a)} ${JSON.stringify(meta)}:\nfast ${JSON.stringify(r.fast)}\nsdk  ${JSON.stringify(r.sdk)}`)
    if (r.by === 'fast') fast++
  }), { numRuns, seed })
  t.ok(fast > numRuns / 3, `${fast} of ${numRuns} served by the fast path`)
})

t.test('an envelope plainEnvelope accepts is one the SDK\'s classification serves as modern', async (t) => {
  let plain = 0
  fc.assert(fc.property(envelopeArb, (meta) => {
    if (!plainEnvelope(meta)) return
    plain++
    for (const body of [call('templates_get', { id: 'a' }, {}, meta), list(1, meta)]) {
      const route = classifyInboundRequest({ httpMethod: 'POST', protocolVersionHeader: V, mcpMethodHeader: body.method, mcpNameHeader: 'templates_get', body })
      if (route.kind !== 'modern') throw new Error(`plainEnvelope accepted ${JSON.stringify(meta)}, the SDK ${JSON.stringify(route)}`)
    }
  }), { numRuns: numRuns * 20, seed })
  t.ok(plain > numRuns, `${plain} plain envelopes checked against the SDK`)
})

t.test('confirmations: a question, an answer, policy "required": the same as the SDK', async (t) => {
  const up = await fakeUpstream(t, deterministic)
  const SEND = call('messages_send', { destinationNumber: '+5511988887777', text: 'hi' })
  const asking = (caps: unknown) => ({ ...SEND, params: { ...SEND.params, _meta: { ...META, 'io.modelcontextprotocol/clientCapabilities': caps } } })
  const required = await pair(t, { confirm: 'required' }, up)
  await compare(t, required, [
    ['required, no elicitation declared: refused by the gate', SEND, callHeaders('messages_send'), 'fast'],
    ['required, a read needs no confirmation', call('templates_get', { id: 'a' }), callHeaders('templates_get'), 'fast'],
    ['required, elicitation declared: the question', asking({ elicitation: {} }), callHeaders('messages_send'), 'sdk']
  ])
  const auto = await pair(t, { confirm: 'auto' }, up)
  await compare(t, auto, [
    ['auto, elicitation declared: the question', asking({ elicitation: { form: {} } }), callHeaders('messages_send'), 'sdk'],
    ['auto, url elicitation only: the question', asking({ elicitation: { url: {} } }), callHeaders('messages_send'), 'sdk'],
    ['auto, an asking tool with invalid arguments', { ...asking({ elicitation: {} }), params: { ...asking({ elicitation: {} }).params, arguments: { destinationNumber: 'nope' } } }, callHeaders('messages_send'), 'sdk']
  ])
  // The whole round trip on each product with its own question: accepted, the call runs once.
  const ask = asking({ elicitation: {} })
  const answers: Seen2[] = []
  for (const app of [auto.fast, auto.sdk]) {
    const inject = (body: unknown) => app.inject({ method: 'POST', url: '/mcp', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...callHeaders('messages_send') }, payload: JSON.stringify(body) })
    const q = JSON.parse((await inject(ask)).body)
    t.equal(q.result.resultType, 'input_required')
    const retry = { ...ask, params: { ...ask.params, requestState: q.result.requestState, inputResponses: { confirm: { action: 'accept', content: {} } } } }
    answers.push(seen(await inject(retry)))
  }
  t.same(answers[0], answers[1], 'the accepted retry is answered the same')
  t.equal((answers[0].body as { result: { isError?: boolean } }).result.isError, undefined)
  const off = await pair(t, { confirm: 'off' }, up)
  await compare(t, off, [['confirmations off, elicitation declared: the fast path', asking({ elicitation: {} }), callHeaders('messages_send'), 'fast']])
})

t.test('OAuth challenge and the request deadline: the same on both paths', async (t) => {
  const p = await pair(t, { requestTimeoutMs: 300 })
  const bearer = { authorization: 'Bearer some-token' }
  const { fast, sdk, by } = await p.both(call('templates_get', { id: 'unauthorised' }), callHeaders('templates_get', bearer))
  t.equal(fast.status, 401, 'a bearer token refused upstream is an HTTP 401 challenge')
  t.match(fast.challenge, /error="invalid_token"/)
  t.same(fast, sdk)
  t.equal(by, 'fast')
  const late = await p.both(call('templates_get', { id: 'hang' }), callHeaders('templates_get'))
  t.same(late.fast, { status: 200, contentType: 'application/json', challenge: undefined, body: { jsonrpc: '2.0', id: 7, error: { code: -32001, message: 'Request cancelled or timed out (limit 300 ms)' } } })
  t.same(late.fast, late.sdk, 'the SDK path answers the deadline the same way')
})

t.test('the SDK\'s 2026-07-28 handler is created by the first request that needs it, not before', async (t) => {
  const api = new ApiClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 1000, readRetries: 0 })
  t.teardown(() => api.close())
  const h = modernHandler(api, new AjvJsonSchemaValidator())
  t.equal(h.created, false, 'nothing at construction')
  const scope: CallScope = { credentials: { kind: 'apiKey', key: 'ps_lazy', source: 'header' }, view: registry.view({}), log: { debug () {}, info () {}, warn () {}, error () {} } }
  const discover = { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: META } }
  const res = await h.fetch(new Request('http://localhost/mcp', { method: 'POST', headers: { 'content-type': 'application/json', 'mcp-protocol-version': V, 'mcp-method': 'server/discover' } }), { parsedBody: discover, authInfo: scopeAuthInfo(scope) })
  t.equal(res.status, 200)
  t.match(await res.json(), { result: { resultType: 'complete', supportedVersions: [V, '2025-11-25'] } })
  t.equal(h.created, true, 'created by the first request')
  await h.close()
})
