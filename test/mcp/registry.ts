// Registry-wide invariants, conformance to the tool catalogue, the committed tools/list
// snapshot (UPDATE_SNAPSHOTS=1 regenerates it), and toolset / allow-list / read-only views.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { registry, sandbox, product, mcpClient, rawPost, SANDBOX_KEYS } from '../helper.js'
import { CATALOGUE } from '../fixtures/catalogue.js'
import { NUMBER_ID_PARAM, compact } from '../../src/mcp/registry.js'
import { repoPath } from '../paths.js'

const SNAPSHOT = repoPath('test/snapshots/tools-list.json')
const hintLetters = (a: { readOnlyHint: boolean, destructiveHint: boolean, idempotentHint: boolean, openWorldHint: boolean }) =>
  `${a.readOnlyHint ? 'R' : ''}${a.destructiveHint ? 'D' : ''}${a.idempotentHint ? 'I' : ''}${a.openWorldHint ? 'O' : ''}`

t.test('the registry holds exactly the catalogue: names, toolsets, scopes, hints', async (t) => {
  t.same([...registry.all.keys()].sort(), CATALOGUE.map(([n]) => n).sort(), 'the 56 catalogue names')
  for (const [name, toolset, scope, hints] of CATALOGUE) {
    const tool = registry.all.get(name)
    if (!tool) continue
    t.equal(tool.def.toolset, toolset, `${name} toolset`)
    t.equal(tool.def.scope, { N: 'number', T: 'tenant', A: 'any' }[scope], `${name} scope`)
    t.equal(hintLetters(tool.def.annotations), hints, `${name} hints`)
  }
})

t.test('invariants over every tool', async (t) => {
  for (const [name, tool] of registry.all) {
    const e = tool.entry
    t.match(name, /^[a-z][a-z0-9_]*$/, `${name}: name shape`)
    t.ok(e.title && e.title.length <= 60, `${name}: title`)
    for (const h of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
      t.type(e.annotations?.[h], 'boolean', `${name}: ${h} is boolean`)
    }
    t.notOk(e.annotations?.readOnlyHint && e.annotations?.destructiveHint, `${name}: never read-only and destructive`)
    const description = e.description ?? ''
    t.ok(description.length >= 60 && description.length <= 600, `${name}: description length ${description.length}`)
    const input = e.inputSchema as Record<string, unknown>
    t.equal(input.type, 'object', `${name}: input is an object`)
    for (const k of ['anyOf', 'oneOf', 'allOf']) t.notOk(k in input, `${name}: no top-level ${k}`)
    for (const [prop, schema] of Object.entries((input.properties ?? {}) as Record<string, { description?: string }>)) {
      t.ok(schema.description && schema.description.length > 0, `${name}.${prop} has a description`)
    }
    t.equal((e.outputSchema as Record<string, unknown>).type, 'object', `${name}: output is an object`)
    if (tool.def.scope === 'number') t.ok(NUMBER_ID_PARAM in (input.properties as object), `${name}: accepts whatsappNumberId`)
  }
})

t.test('tools/list matches the committed snapshot and stays under 40 KB', async (t) => {
  const list = registry.view().listResult
  const json = JSON.stringify(list, null, 2) + '\n'
  if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(SNAPSHOT, json)
  const committed = readFileSync(SNAPSHOT, 'utf8')
  t.same(JSON.parse(committed), list, 'tools/list equals test/snapshots/tools-list.json (UPDATE_SNAPSHOTS=1 to regenerate)')
  const bytes = Buffer.byteLength(JSON.stringify(list))
  t.ok(bytes < 40 * 1024, `tools/list is ${bytes} bytes`)
})

t.test('the listed schemas are compact but carry the same choices; output schemas on request', async (t) => {
  const lean = registry.view().listResult.tools
  const full = registry.view({ outputSchemas: true }).listResult.tools
  t.equal(lean.length, 56)
  t.ok(lean.every((e) => e.outputSchema === undefined), 'default list has no output schemas')
  t.ok(full.every((e) => (e.outputSchema as { type?: string } | undefined)?.type === 'object'), 'outputSchemas: true lists them all')
  const send = lean.find((e) => e.name === 'messages_send')!.inputSchema as { properties: Record<string, Record<string, unknown>>, additionalProperties?: boolean }
  t.same(send.properties.mediaType, { description: send.properties.mediaType.description, type: 'string', enum: ['image', 'video', 'document', 'audio'] }, 'a union of literals is listed as one enum')
  t.equal(send.additionalProperties, undefined, 'not listed...')
  const r = await (async () => {
    const { callTool } = await import('../../src/mcp/call.js')
    return callTool(registry.all.get('messages_send')!, { text: 'x', destinationNumber: '+5511999999999', colour: 'red' }, { api: undefined as never, credentials: { kind: 'apiKey', key: 'ps_x', source: 'header' }, signal: new AbortController().signal, log: { debug () {}, info () {}, warn () {}, error () {} } })
  })()
  t.equal(r.isError, true, '...but unknown arguments are still refused')
  t.match(JSON.stringify(r.content), /colour/)
  t.same(compact({ anyOf: [{ const: 1, type: 'number' }, { const: 'a', type: 'string' }] }), { anyOf: [{ const: 1, type: 'number' }, { const: 'a', type: 'string' }] }, 'mixed-type literal unions stay as they are')
})

t.test('views: toolsets, allow-list, read-only', async (t) => {
  const ro = registry.view({ readOnly: true })
  t.ok(ro.tools.size > 0)
  for (const tool of ro.tools.values()) t.equal(tool.def.annotations.readOnlyHint, true)
  t.equal(ro.refusal('messages_send'), 'Tool messages_send changes data and this server runs in read-only mode.')
  const msgs = registry.view({ toolsets: ['messages'] })
  t.same([...msgs.tools.keys()].sort(), ['message_get', 'messages_cancel', 'messages_history', 'messages_send'])
  t.match(msgs.refusal('groups_list'), /not enabled on this server/)
  t.equal(msgs.refusal('nope'), undefined, 'unknown names are not refusals')
  const allow = registry.view({ tools: ['templates_list', 'templates_get'], readOnly: true })
  t.same([...allow.tools.keys()].sort(), ['templates_get', 'templates_list'])
  t.equal(registry.view({ readOnly: true }), ro, 'views are cached')
})

t.test('over HTTP: read-only refuses writes by name, and headers narrow but never widen', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url, { readOnly: true, toolsets: ['messages', 'templates', 'numbers'] })
  const headers = { 'x-api-key': SANDBOX_KEYS.number }
  const c = await mcpClient(t, p.mcp, { headers })
  const names = (await c.listTools()).tools.map((x) => x.name)
  t.ok(names.includes('templates_list'))
  t.notOk(names.includes('messages_send'), 'write tools are not listed')
  t.notOk(names.includes('groups_list'), 'other toolsets are not listed')
  sb.requests.length = 0
  const refused = await c.callTool({ name: 'messages_send', arguments: { destinationNumber: '+5511988887777', text: 'hi' } })
  t.equal(refused.isError, true)
  t.match((refused.content as Array<{ text: string }>)[0].text, /read-only mode/)
  t.equal(sb.requests.length, 0, 'nothing was sent')

  const list = async (h: Record<string, string>) => (await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { ...headers, ...h })).json.result.tools.map((x: { name: string }) => x.name) as string[]
  const narrowed = await list({ 'x-mcp-toolsets': 'templates' })
  t.ok(narrowed.length > 0 && narrowed.every((n) => n.startsWith('templates_')), 'narrowed to one toolset')
  const widened = await list({ 'x-mcp-toolsets': 'groups,templates', 'x-mcp-readonly': 'false' })
  t.notOk(widened.some((n) => n.startsWith('group')), 'a header cannot add a toolset')
  t.notOk(widened.includes('templates_create'), 'a header cannot lift read-only')
  const one = await list({ 'x-mcp-tools': 'templates_get,messages_send' })
  t.same(one, ['templates_get'])
})
