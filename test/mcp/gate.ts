// The route's gate (src/mcp/gate.ts) against the SDK itself: the envelope check accepts exactly
// what the SDK's JSONRPCRequestSchema accepts (whatever it refuses, the SDK's Server would drop
// unanswered, so the route must refuse it first), ids are read back whenever they can be, and
// the one registry the app builds is what the route and stdio serve.
import t from 'tap'
import fc from 'fast-check'
import Fastify from 'fastify'
import { isJSONRPCRequest } from '@modelcontextprotocol/server'
import { checkEnvelope, checkParams, readId } from '../../src/mcp/gate.js'
import { buildRegistry } from '../../src/mcp/server.js'
import { ToolRegistry } from '../../src/mcp/registry.js'
import toolGroup from '../../plugins/tool-group.js'
import { ALL_TOOLS } from '../../tools/index.js'

const seed = Number(process.env.FUZZ_SEED ?? 20261202)
const numRuns = Number(process.env.FUZZ_RUNS ?? 2000)

t.test('checkEnvelope accepts exactly what the SDK\'s JSONRPCRequestSchema accepts', async (t) => {
  const odd = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null), fc.constant([]), fc.object({ maxDepth: 1 }))
  const meta = fc.oneof(
    fc.constant(undefined),
    odd,
    fc.record({ progressToken: odd }, { requiredKeys: [] }),
    fc.record({ 'io.modelcontextprotocol/related-task': fc.oneof(odd, fc.record({ taskId: odd })) }),
    fc.record({ progressToken: fc.oneof(fc.string(), fc.integer()), other: odd }, { requiredKeys: [] })
  )
  const params = fc.oneof(fc.constant(undefined), odd, meta.map((m) => (m === undefined ? { name: 'x' } : { name: 'x', _meta: m })))
  const envelope = fc.record({
    jsonrpc: fc.oneof(fc.constant('2.0'), fc.constant('2.0'), odd),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), odd, fc.constant(2 ** 60)),
    method: fc.oneof(fc.constantFrom('tools/call', 'tools/list', 'ping'), odd),
    params
  }, { requiredKeys: [] })
  const withMember = envelope.chain((e) => fc.oneof(
    { weight: 4, arbitrary: fc.constant(e) },
    fc.constantFrom('extra', '__proto__', 'result', 'error').map((k) => JSON.parse(JSON.stringify(e).replace(/^\{/, `{"${k}":1${Object.keys(e).some((x) => (e as Record<string, unknown>)[x] !== undefined) ? ',' : ''}`)) as Record<string, unknown>)
  ))
  let accepted = 0
  fc.assert(fc.property(withMember, (m) => {
    const ours = checkEnvelope(m as Record<string, unknown>) === undefined
    const sdk = isJSONRPCRequest(m)
    if (ours !== sdk) throw new Error(`gate says ${ours ? 'valid' : 'invalid'}, the SDK ${sdk ? 'valid' : 'invalid'}: ${JSON.stringify(m)}`)
    if (ours) accepted++
  }), { numRuns, seed })
  t.ok(accepted > 50, `${accepted} valid envelopes among ${numRuns}, all agreed on`)
})

t.test('refusals name what is wrong; ids are read back when they can be', async (t) => {
  t.match(checkEnvelope(JSON.parse('{"__proto__":{},"jsonrpc":"2.0","id":1,"method":"ping"}'))?.message, /unexpected member "__proto__"/)
  t.match(checkEnvelope({ jsonrpc: '2.0', id: 1, method: 'ping', params: { _meta: { progressToken: true } } })?.message, /progressToken must be a string or an integer/)
  t.match(checkParams('tools/list', { cursor: 5 })?.message, /cursor must be a string/)
  t.match(checkParams('tools/call', { name: 'a', arguments: [] })?.message, /arguments of a must be a JSON object/)
  t.equal(checkParams('tools/call', { name: 'a', arguments: {}, extra: 1 }), undefined, 'extra params are the SDK\'s to ignore')
  t.same([readId({ id: 3 }), readId({ id: 'x' }), readId({ id: 1.5 }), readId({ id: true }), readId({ id: null }), readId([{ id: 1 }]), readId('x')], [3, 'x', 1.5, null, null, null, null])
})

t.test('the registry is built once: buildRegistry for stdio, the tool-group plugins for the app', async (t) => {
  const built = buildRegistry({ defs: ALL_TOOLS, toolsets: ['messages'], readOnly: true })
  t.equal(built.registry.all.size, ALL_TOOLS.length)
  t.ok([...built.view.tools.values()].every((x) => x.def.toolset === 'messages' && x.def.annotations.readOnlyHint), 'the configured view')

  const app = Fastify()
  const registry = new ToolRegistry()
  const before = registry.view({})
  const messages = ALL_TOOLS.filter((d) => d.toolset === 'messages')
  await app.register(toolGroup, { toolset: 'messages', tools: messages, registry })
  await app.ready()
  t.equal(registry.all.size, messages.length, 'the group added its tools to the registry object it was given')
  t.not(registry.view({}), before, 'views built before an addition are not reused')

  const twice = Fastify()
  const shared = new ToolRegistry(messages)
  await t.rejects(async () => { await twice.register(toolGroup, { toolset: 'messages', tools: messages, registry: shared }).ready() }, /duplicate tool name/)
})
