// The channels toolset against the sandbox: newsletters_list's upstream request (an inferred path,
// kept in one place), the result against its schema, fenced as untrusted, and its scope/provider errors.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { SANDBOX_KEYS, SANDBOX_NUMBERS, errorText, invoke, okResult, registry, sandbox } from '../helper.js'
import { UNTRUSTED_NOTICE } from '../../src/mcp/call.js'
import { SANDBOX_CHANNEL } from '../../sandbox/core.js'
import { hints } from '../../tools/define.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const clock = { now: () => NOW }
const daysAgo = (d: number) => new Date(NOW - d * 86_400_000).toISOString()
const TENANT = { key: SANDBOX_KEYS.tenant }

const CHANNELS = [
  { id: SANDBOX_CHANNEL.jid, name: 'Demo Store News', description: 'Launches and weekly offers from Demo Store.', role: 'OWNER', subscribers: 1284, createdAt: daysAgo(60) },
  { id: '120363000000000098@newsletter', name: 'Pilot Status Updates', description: 'Product news from Pilot Status.', role: 'SUBSCRIBER', subscribers: 5310, createdAt: daysAgo(200) }
]

t.test('catalogue: toolset, scope, hints, untrusted, compact; the inferred path lives in one place', async (t) => {
  const tool = registry.all.get('newsletters_list')!
  t.same([...registry.all.values()].filter((x) => x.def.toolset === 'channels').map((x) => x.def.name), ['newsletters_list'])
  t.equal(tool.def.scope, 'number')
  t.same(tool.def.annotations, hints('RI'))
  t.equal(tool.def.untrusted, true, 'channel names and descriptions are written by others')
  t.ok('whatsappNumberId' in (tool.entry.inputSchema.properties ?? {}))
  t.same(Object.keys(tool.entry.inputSchema.properties ?? {}), ['whatsappNumberId'], 'no other arguments')
  t.ok(JSON.stringify(tool.entry).length < 900, 'tools/list entry is compact')
  t.match(tool.def.description, /messages_send newsletterId/)
  const source = readFileSync(new URL('../../tools/channels.ts', import.meta.url), 'utf8')
  t.equal(source.split("'/v1/newsletters'").length - 1, 1, 'the path is written once')
  t.match(source, /INFERRED endpoint/)
})

t.test('number key: the seeded channels, fenced as untrusted', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'newsletters_list', {})
  const d = okResult(t, 'newsletters_list', r)
  t.equal(sb.requests.length, 1)
  t.match(sb.requests[0], { method: 'GET', path: '/v1/newsletters', body: undefined })
  t.same(sb.requests[0].query, {})
  t.equal(sb.requests[0].headers['x-api-key'], SANDBOX_KEYS.number)
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined)
  t.same(d, { newsletters: CHANNELS })
  const text = r.content[0].type === 'text' ? r.content[0].text : ''
  t.match(text, /^2 channel\(s\)\n/)
  t.ok(text.includes(UNTRUSTED_NOTICE))
  t.ok(text.indexOf('Demo Store News') > text.indexOf('<untrusted-data>'), 'channel names are inside the fence')
  t.ok(text.trimEnd().endsWith('</untrusted-data>'))
})

t.test('tenant key picks the number with the header', async (t) => {
  const sb = await sandbox(t, clock)
  const d = okResult(t, 'newsletters_list', await invoke(sb, 'newsletters_list', { whatsappNumberId: SANDBOX_NUMBERS.demo }, TENANT))
  t.match(sb.requests[0], { method: 'GET', path: '/v1/newsletters' })
  t.same(sb.requests[0].query, {})
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
  t.equal(sb.requests[0].headers['x-api-key'], SANDBOX_KEYS.tenant)
  t.same(d, { newsletters: CHANNELS })
})

t.test('a connected number without channels lists none', async (t) => {
  const sb = await sandbox(t, clock)
  const offline = sb.store.numbers.get(SANDBOX_NUMBERS.offline)!
  offline.state = 'OPEN'
  const r = await invoke(sb, 'newsletters_list', {}, { key: SANDBOX_KEYS.offline })
  t.same(okResult(t, 'newsletters_list', r), { newsletters: [] })
  t.match(r.content[0], { type: 'text', text: /^0 channel\(s\)\n/ })
})

t.test('errors: scope, unknown number, Meta, disconnected session', async (t) => {
  const sb = await sandbox(t, clock)
  let text = errorText(t, await invoke(sb, 'newsletters_list', {}, TENANT))
  t.match(text, 'HTTP 403 TENANT_SCOPE_NOT_ALLOWED')
  t.match(text, 'pass whatsappNumberId (get one from numbers_list)')
  text = errorText(t, await invoke(sb, 'newsletters_list', { whatsappNumberId: 'num_nope' }, TENANT))
  t.match(text, 'HTTP 404 NUMBER_NOT_FOUND: Number num_nope not found')
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_nope')
  text = errorText(t, await invoke(sb, 'newsletters_list', {}, { key: SANDBOX_KEYS.meta }))
  t.match(text, 'HTTP 400 NOT_SUPPORTED_FOR_META: WhatsApp channels are not available on Meta Cloud API numbers')
  t.match(text, 'Hint: Not available on Meta Cloud API numbers; use a Pilot Status (QR) number.')
  text = errorText(t, await invoke(sb, 'newsletters_list', { whatsappNumberId: SANDBOX_NUMBERS.meta }, TENANT))
  t.match(text, 'NOT_SUPPORTED_FOR_META')
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
  text = errorText(t, await invoke(sb, 'newsletters_list', {}, { key: SANDBOX_KEYS.offline }))
  t.match(text, 'HTTP 409 WHATSAPP_INSTANCE_NOT_CONNECTED: Channels need a connected WhatsApp session; number num_offline is CLOSE')
  t.match(text, 'numbers_connect')
})

t.test('invalid arguments are refused before any request', async (t) => {
  const sb = await sandbox(t, clock)
  let text = errorText(t, await invoke(sb, 'newsletters_list', { role: 'OWNER' }))
  t.match(text, '- role: unknown argument')
  t.match(text, 'The tool was not run.')
  t.equal(sb.requests.length, 0)
  text = errorText(t, await invoke(sb, 'newsletters_list', { whatsappNumberId: '' }, TENANT))
  t.match(text, '- whatsappNumberId:')
  t.equal(sb.requests.length, 0)
  text = errorText(t, await invoke(sb, 'newsletters_list', 'not json'))
  t.match(text, 'arguments must be a JSON object')
  t.equal(sb.requests.length, 0)
})
