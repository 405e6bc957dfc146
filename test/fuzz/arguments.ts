// Property tests of tool arguments with fast-check. Random arguments for every tool always give a
// tool result or a JSON-RPC error — never a 5xx, never "internal error". Path parameters full of
// `../`, `%2F`, `?`, `#`, NUL and unicode never reach another endpoint: the upstream sees exactly
// one request whose path has the id as exactly one segment, decoding to the input. Unknown
// arguments are all named in one refusal. Seeded.
import t from 'tap'
import fc from 'fast-check'
import { product, registry } from '../helper.js'
import { fakeUpstream } from '../faults/fake-upstream.js'
import { agent, assertProperAnswer, post } from './wire.js'

const seed = Number(process.env.FUZZ_SEED ?? 20260728)
const numRuns = Number(process.env.FUZZ_RUNS ?? 300)
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_fuzz_key' }
const call = (name: string, args: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } })

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** Tools whose upstream path carries an id, and where it goes. */
const PATH_TOOLS: Array<{ tool: string, param: string, method: string, prefix: string, suffix: string, extra?: Record<string, string>, query?: string }> = [
  { tool: 'templates_get', param: 'id', method: 'GET', prefix: '/v1/templates/', suffix: '' },
  { tool: 'templates_delete', param: 'id', method: 'DELETE', prefix: '/v1/templates/', suffix: '' },
  { tool: 'message_get', param: 'messageId', method: 'GET', prefix: '/v1/messages/', suffix: '' },
  { tool: 'numbers_get', param: 'id', method: 'GET', prefix: '/v1/numbers/', suffix: '' },
  { tool: 'numbers_status', param: 'id', method: 'GET', prefix: '/v1/numbers/', suffix: '/status' },
  { tool: 'group_info', param: 'groupId', method: 'GET', prefix: '/v1/groups/', suffix: '' },
  { tool: 'webhook_get', param: 'webhookId', method: 'GET', prefix: '/v1/webhooks/', suffix: '' },
  { tool: 'webhook_events', param: 'webhookId', method: 'GET', prefix: '/v1/webhooks/', suffix: '/logs', query: 'limit=10' },
  { tool: 'call_get', param: 'callId', method: 'GET', prefix: '/v1/calls/', suffix: '' },
  { tool: 'media_get', param: 'mediaId', method: 'GET', prefix: '/v1/media/', suffix: '', extra: { phoneNumberId: 'pn_1' }, query: 'phoneNumberId=pn_1' }
]

const hostileChar = fc.constantFrom('.', '.', '/', '/', '\\', '%', '2', 'F', 'e', '?', '#', '&', '=', '+', ';', ':', '@', ' ', '\u0000', '\n', '\u202e', 'é', '😀', '\uD800', '\uDC00', 'a')
const hostileId = fc.oneof(
  fc.constantFrom('../numbers', '..%2Fnumbers', '%2e%2e', '%2E%2E%2Fnumbers', './x', 'a/../../v1/numbers', '?x=1', '#frag', 'a\u0000b', '..', '.', '/', '//', 'a/b', '%00', '\u202e', 'ü', '𝒳', '..\\..', '%252e'),
  fc.string({ unit: hostileChar, minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
)

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

t.test('hostile path parameters stay one segment of the intended endpoint', async (t) => {
  const up = await fakeUpstream(t, () => ({ status: 200, body: '{"id":"x","name":"n"}' }))
  const p = await product(t, up.url, { upstreamTimeoutMs: 3000 })
  t.teardown(() => agent.destroy())
  let sent = 0
  let refused = 0
  await fc.assert(fc.asyncProperty(fc.constantFrom(...PATH_TOOLS), hostileId, async (pt, value) => {
    up.requests.length = 0
    const body = call(pt.tool, { ...pt.extra, [pt.param]: value })
    const answer = await post(p.mcp, body, HEADERS)
    assertProperAnswer(answer, body)
    const result = JSON.parse(answer.text).result
    if (value === '.' || value === '..') {
      // No encoding survives URL parsing for these: refused before anything is sent.
      if (result?.isError !== true || up.requests.length !== 0) throw new Error(`${JSON.stringify(value)} was not refused: ${answer.text}`)
      refused++
      return
    }
    if (up.requests.length !== 1) throw new Error(`${up.requests.length} upstream requests for ${JSON.stringify(value)}: ${up.requests.map((r) => r.url).join(' ')}`)
    const seen = up.requests[0]
    if (seen.method !== pt.method) throw new Error(`method ${seen.method} for ${pt.tool}`)
    if (seen.url.includes('#')) throw new Error(`a fragment reached the upstream: ${seen.url}`)
    const [path, query] = [seen.url.split('?')[0], seen.url.split('?').slice(1).join('?')]
    if (query !== (pt.query ?? '')) throw new Error(`query ${JSON.stringify(query)} for ${JSON.stringify(value)} (${seen.url})`)
    const m = new RegExp(`^${escapeRe(pt.prefix)}([^/?#]+)${escapeRe(pt.suffix)}$`).exec(path)
    if (!m) throw new Error(`${JSON.stringify(value)} escaped its segment: ${seen.url}`)
    const decoded = decodeURIComponent(m[1])
    if (decoded !== value.replace(LONE_SURROGATE, '\uFFFD')) throw new Error(`segment ${m[1]} decodes to ${JSON.stringify(decoded)}, not ${JSON.stringify(value)}`)
    sent++
  }), { numRuns, seed, examples: [[PATH_TOOLS[0], '../numbers'], [PATH_TOOLS[0], '..'], [PATH_TOOLS[2], '%2F'], [PATH_TOOLS[5], 'a?b#c'], [PATH_TOOLS[9], '\u0000'], [PATH_TOOLS[0], '\uD800x']] })
  t.ok(sent > numRuns / 2, `${sent} hostile ids sent, each as one segment`)
  t.ok(refused >= 1, `${refused} dot-segment ids refused without an upstream call`)
})

/** Property names of a tool's input schema (whatsappNumberId included where it takes one). */
function propsOf (name: string): string[] {
  return Object.keys(registry.all.get(name)!.input.properties)
}

const anyValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 10 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 4 }),
  fc.object({ maxDepth: 2 }),
  fc.constantFrom('+5511988887777', 'https://example.com/h', '2026-06-01T00:00:00Z', 'true', '5', '{"a":1}', '[1,2]', 'MARKETING', '*')
)

const PLAUSIBLE = JSON.stringify({
  id: 'x',
  name: 'n',
  status: 'OK',
  total: 0,
  page: 1,
  pageSize: 30,
  totalPages: 0,
  calls: [],
  templates: [],
  numbers: [],
  groups: [],
  webhooks: [],
  messages: [],
  conversations: [],
  logs: [],
  items: [],
  newsletters: [],
  keys: []
})

const toolAndArgs = fc.constantFrom(...registry.all.keys()).chain((name) => fc.tuple(
  fc.constant(name),
  fc.oneof(
    { weight: 6, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...propsOf(name), 'extra'), fc.string({ maxLength: 6 })), anyValue, { maxKeys: 5 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }
  )
))

t.test('random arguments for every tool: a result or a JSON-RPC error, never a crash', async (t) => {
  // A plausible answer for any endpoint (list keys present), so what is fuzzed is the arguments.
  const up = await fakeUpstream(t, (r) => r.method === 'GET' ? { status: 200, body: PLAUSIBLE } : { status: 201, body: '{"id":"x"}' })
  const p = await product(t, up.url, { upstreamTimeoutMs: 3000 })
  t.teardown(() => agent.destroy())
  const outcomes = { ok: 0, toolError: 0, rpcError: 0, unknownNamed: 0 }
  await fc.assert(fc.asyncProperty(toolAndArgs, async ([name, args]) => {
    up.requests.length = 0
    const body = call(name, args)
    const answer = await post(p.mcp, body, HEADERS)
    assertProperAnswer(answer, body)
    if (answer.status !== 200) throw new Error(`status ${answer.status} for ${body}`)
    const msg = JSON.parse(answer.text)
    if (msg.error) { outcomes.rpcError++; return }
    const text = msg.result.content.map((c: { text?: string }) => c.text ?? '').join('\n')
    if (/internal error of the MCP server/.test(text)) throw new Error(`internal error for ${body}`)
    if (msg.result.isError) outcomes.toolError++
    else outcomes.ok++
    // Every unknown argument is named in the one answer, next to whatever else is wrong.
    if (args !== null && typeof args === 'object' && !Array.isArray(args)) {
      const unknown = Object.keys(args).filter((k) => !propsOf(name).includes(k))
      if (unknown.length > 0 && !text.startsWith(`Invalid arguments for ${name}:\n`)) throw new Error(`unknown arguments ${JSON.stringify(unknown)} not refused: ${body}`)
      for (const k of unknown) {
        if (!text.includes(`\n- ${k || '""'}: unknown argument`)) throw new Error(`unknown argument ${JSON.stringify(k)} not named: ${text}`)
      }
      if (unknown.length > 0) outcomes.unknownNamed++
    }
    for (const r of up.requests) {
      if (!r.path.startsWith('/v1/')) throw new Error(`upstream path outside /v1/: ${r.url}`)
    }
  }), { numRuns, seed })
  t.ok(outcomes.ok > 0 && outcomes.toolError > 0 && outcomes.unknownNamed > 0, `outcomes ${JSON.stringify(outcomes)}`)
  t.equal((await fetch(`${p.url}/health`)).status, 200, 'still healthy')
})
