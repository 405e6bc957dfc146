// Tests of the webhooks toolset against the sandbox: the exact upstream requests, results against
// the output schemas, the number/tenant scope rules and each documented error code.
import t from 'tap'
import { sandbox, invoke, okResult, errorText, registry, SANDBOX_KEYS, SANDBOX_NUMBERS } from '../helper.js'
import { UNTRUSTED_NOTICE } from '../../src/mcp/call.js'
import { hints } from '../../tools/define.js'
import type { RunningSandbox } from '../../sandbox/server.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const now = () => NOW
const tenant = { key: SANDBOX_KEYS.tenant }
const min = (n: number) => new Date(NOW - n * 60_000).toISOString()

async function raw (sb: RunningSandbox, method: string, path: string, key: string = SANDBOX_KEYS.number) {
  const res = await fetch(sb.url + path, { method, headers: { 'x-api-key': key } })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

t.test('catalogue: scope, hints, selectsNumber and size', async (t) => {
  const expected: Record<string, string> = {
    webhooks_list: 'RI', webhook_get: 'RI', webhooks_create: '', webhooks_update: 'I', webhooks_delete: 'DI', webhook_events: 'RI'
  }
  for (const [name, letters] of Object.entries(expected)) {
    const tool = registry.all.get(name)!
    t.ok(tool, name)
    t.equal(tool.def.toolset, 'webhooks', `${name} toolset`)
    t.equal(tool.def.scope, 'any', `${name} scope`)
    t.equal(tool.def.selectsNumber, true, `${name} selects a number`)
    t.same(tool.def.annotations, hints(letters), `${name} hints`)
    t.ok('whatsappNumberId' in (tool.entry.inputSchema.properties ?? {}), `${name} takes whatsappNumberId`)
    t.ok(JSON.stringify(tool.entry).length < 1300, `${name} tools/list entry is compact`)
  }
  t.equal(registry.all.get('webhook_events')!.def.untrusted, true, 'delivery payloads are untrusted')
  t.match(registry.all.get('webhooks_update')!.def.description, /REPLACES/)
})

t.test('webhooks_list', async (t) => {
  t.test('number key sees only its number\'s webhooks', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await invoke(sb, 'webhooks_list', {})
    const d = okResult(t, 'webhooks_list', r)
    t.equal(sb.requests.length, 1)
    t.match(sb.requests[0], { method: 'GET', path: '/v1/webhooks', query: {} })
    t.same(sb.requests[0].query, {})
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined)
    t.equal(sb.requests[0].headers['x-api-key'], SANDBOX_KEYS.number)
    t.same(d.webhooks.map((w: { id: string }) => w.id), ['wh_demo_orders'])
    const w = d.webhooks[0]
    t.equal(w.url, 'https://hooks.demo-store.example/whatsapp')
    t.equal(w.active, true)
    t.same(w.events, ['message.received', 'message.sent', 'message.delivered', 'message.read', 'message.failed'])
    t.same(w.whatsappNumberIds, [SANDBOX_NUMBERS.demo])
    t.same(w.whatsappInstanceIds, ['inst_num_demo'])
    t.equal(w.environment, 'LIVE')
    t.same(w.apiKeys, [{ id: 'key_demo_number', name: 'Default' }])
    t.equal(w.lastTriggered, min(5))
    const text = r.content[0].type === 'text' ? r.content[0].text : ''
    t.match(text, /^1 webhook\(s\):\n- wh_demo_orders "Order bot" on num_demo → https:\/\/hooks\.demo-store\.example\/whatsapp \(active;/)
    t.notMatch(JSON.stringify(r), /secret|whsec_/i, 'the signing secret is never returned')
  })

  t.test('tenant key sees all, or one number with whatsappNumberId (header)', async (t) => {
    const sb = await sandbox(t, { now })
    let d = okResult(t, 'webhooks_list', await invoke(sb, 'webhooks_list', {}, tenant))
    t.same(d.webhooks.map((w: { id: string }) => w.id), ['wh_demo_orders', 'wh_meta_all'])
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined)
    d = okResult(t, 'webhooks_list', await invoke(sb, 'webhooks_list', { whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant))
    t.match(sb.requests[0], { method: 'GET', path: '/v1/webhooks' })
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.same(d.webhooks.map((w: { id: string }) => w.id), ['wh_meta_all'])
    t.equal(d.webhooks[0].active, false)
    t.same(d.webhooks[0].events, ['*'])
    t.equal(d.webhooks[0].lastTriggered, null)
    d = okResult(t, 'webhooks_list', await invoke(sb, 'webhooks_list', { whatsappNumberId: SANDBOX_NUMBERS.offline }, tenant))
    t.same(d.webhooks, [])
    t.match((d as Record<string, unknown>), { webhooks: [] })
  })

  t.test('unknown number → NUMBER_NOT_FOUND', async (t) => {
    const sb = await sandbox(t, { now })
    const text = errorText(t, await invoke(sb, 'webhooks_list', { whatsappNumberId: 'num_nope' }, tenant))
    t.match(text, /HTTP 404 NUMBER_NOT_FOUND/)
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_nope')
  })

  t.test('unknown argument is refused before any request', async (t) => {
    const sb = await sandbox(t, { now })
    const text = errorText(t, await invoke(sb, 'webhooks_list', { number: 'x' }))
    t.match(text, /number: unknown argument/)
    t.equal(sb.requests.length, 0)
  })
})

t.test('webhook_get', async (t) => {
  t.test('reads a webhook in scope', async (t) => {
    const sb = await sandbox(t, { now })
    const d = okResult(t, 'webhook_get', await invoke(sb, 'webhook_get', { webhookId: 'wh_demo_orders' }))
    t.match(sb.requests[0], { method: 'GET', path: '/v1/webhooks/wh_demo_orders', body: undefined })
    t.same(sb.requests[0].query, {})
    t.equal(d.id, 'wh_demo_orders')
    t.equal(d.name, 'Order bot')
    t.equal(d.tenantId, 'ten_demo')
    t.notOk('secret' in d)
  })

  t.test('tenant key with a number header gets it', async (t) => {
    const sb = await sandbox(t, { now })
    const d = okResult(t, 'webhook_get', await invoke(sb, 'webhook_get', { webhookId: 'wh_meta_all', whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant))
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.equal(d.id, 'wh_meta_all')
  })

  t.test('outside the key\'s scope → WEBHOOK_NOT_FOUND', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'webhook_get', { webhookId: 'wh_meta_all' })), /HTTP 404 WEBHOOK_NOT_FOUND/)
    t.match(errorText(t, await invoke(sb, 'webhook_get', { webhookId: 'wh_meta_all', whatsappNumberId: SANDBOX_NUMBERS.demo }, tenant)), /WEBHOOK_NOT_FOUND/)
    t.match(errorText(t, await invoke(sb, 'webhook_get', { webhookId: 'wh_nope' }, tenant)), /WEBHOOK_NOT_FOUND/)
  })

  t.test('ids are one encoded path segment', async (t) => {
    const sb = await sandbox(t, { now })
    const text = errorText(t, await invoke(sb, 'webhook_get', { webhookId: '../numbers' }))
    t.equal(sb.requests[0].path, '/v1/webhooks/%2E%2E%2Fnumbers')
    t.match(text, /WEBHOOK_NOT_FOUND/)
    await invoke(sb, 'webhook_get', { webhookId: 'wh_1/logs' })
    t.equal(sb.requests[0].path, '/v1/webhooks/wh_1%2Flogs')
  })

  t.test('missing webhookId is refused before any request', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'webhook_get', {})), /webhookId/)
    t.equal(sb.requests.length, 0)
  })
})

t.test('webhooks_create', async (t) => {
  t.test('tenant key: number in the body (and header); unsupported events dropped; then listed and readable', async (t) => {
    const sb = await sandbox(t, { now })
    const args = { url: 'https://example.com/hook', name: 'Support bot', events: ['message.received', 'call.ended', 'message.received'], whatsappNumberId: SANDBOX_NUMBERS.offline }
    const r = await invoke(sb, 'webhooks_create', args, tenant)
    const d = okResult(t, 'webhooks_create', r)
    t.equal(sb.requests.length, 1)
    t.match(sb.requests[0], { method: 'POST', path: '/v1/webhooks' })
    t.same(sb.requests[0].body, { url: 'https://example.com/hook', name: 'Support bot', events: ['message.received', 'call.ended', 'message.received'], whatsappNumberId: SANDBOX_NUMBERS.offline })
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.offline)
    t.match(d.id, /^wh_/)
    t.equal(d.active, true)
    t.same(d.events, ['message.received'], 'call.* dropped on an EVO_V2 number, duplicates merged')
    t.same(d.whatsappNumberIds, [SANDBOX_NUMBERS.offline])
    t.notMatch(JSON.stringify(r), /secret|whsec_/i)

    const list = okResult(t, 'webhooks_list', await invoke(sb, 'webhooks_list', { whatsappNumberId: SANDBOX_NUMBERS.offline }, tenant))
    t.same(list.webhooks.map((w: { id: string }) => w.id), [d.id])
    const got = okResult(t, 'webhook_get', await invoke(sb, 'webhook_get', { webhookId: d.id }, { key: SANDBOX_KEYS.offline }))
    t.equal(got.name, 'Support bot')
  })

  t.test('number key: no number sent, bound to the key\'s number; provider rules', async (t) => {
    const sb = await sandbox(t, { now })
    const d = okResult(t, 'webhooks_create', await invoke(sb, 'webhooks_create', { url: 'http://example.com/h', events: ['call.ended', 'message.newsletter'] }))
    t.same(sb.requests[0].body, { url: 'http://example.com/h', events: ['call.ended', 'message.newsletter'] })
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined)
    t.same(d.whatsappNumberIds, [SANDBOX_NUMBERS.demo])
    t.same(d.events, ['call.ended', 'message.newsletter'], 'EVO_GO emits both')
    t.equal(d.name, 'example.com', 'name defaults to the URL host')

    const m = okResult(t, 'webhooks_create', await invoke(sb, 'webhooks_create', { url: 'https://example.com/m', events: ['calls', 'message.newsletter', 'message.read'] }, { key: SANDBOX_KEYS.meta }))
    t.same(m.events, ['calls', 'message.read'], 'no channels on Meta')

    const none = okResult(t, 'webhooks_create', await invoke(sb, 'webhooks_create', { url: 'https://example.com/n' }))
    t.same(sb.requests[0].body, { url: 'https://example.com/n' })
    t.same(none.events, [], 'omitted events = nothing delivered')
  })

  t.test('documented errors', async (t) => {
    const sb = await sandbox(t, { now })
    const before = okResult(t, 'webhooks_list', await invoke(sb, 'webhooks_list', {}, tenant)).webhooks.length

    let text = errorText(t, await invoke(sb, 'webhooks_create', { url: 'https://example.com/h', events: ['*'] }, tenant))
    t.match(text, /HTTP 400 NUMBER_REQUIRED/)
    t.match(text, /Hint: With a tenant key or OAuth login, say which number/)

    text = errorText(t, await invoke(sb, 'webhooks_create', { url: 'https://example.com/h', whatsappNumberId: SANDBOX_NUMBERS.meta }))
    t.same(sb.requests[0].body, { url: 'https://example.com/h', whatsappNumberId: SANDBOX_NUMBERS.meta })
    t.match(text, /HTTP 400 NUMBER_MISMATCH/)

    text = errorText(t, await invoke(sb, 'webhooks_create', { url: 'https://example.com/h', whatsappNumberId: 'num_other_tenant' }, tenant))
    t.match(text, /HTTP 404 NUMBER_NOT_FOUND/)

    text = errorText(t, await invoke(sb, 'webhooks_create', { url: 'https://example.com/h', events: ['message.received', 'message.unknown', 'order.paid'] }))
    t.match(text, /HTTP 400 VALIDATION_ERROR: Unknown webhook event\(s\): message\.unknown, order\.paid/)

    const after = okResult(t, 'webhooks_list', await invoke(sb, 'webhooks_list', {}, tenant)).webhooks.length
    t.equal(after, before, 'nothing was created')
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'webhooks_create', { url: 'ftp://example.com/h' })), /- url:/)
    t.equal(sb.requests.length, 0)
    t.match(errorText(t, await invoke(sb, 'webhooks_create', { name: 'x' })), /url/)
    t.equal(sb.requests.length, 0)
    t.match(errorText(t, await invoke(sb, 'webhooks_create', { url: 'https://example.com', events: [{ name: 'message.received' }] })), /- events\.0:/)
    t.equal(sb.requests.length, 0)
  })
})

t.test('webhooks_update', async (t) => {
  t.test('events are replaced, not merged; active false pauses', async (t) => {
    const sb = await sandbox(t, { now: () => NOW })
    const d = okResult(t, 'webhooks_update', await invoke(sb, 'webhooks_update', { webhookId: 'wh_demo_orders', events: ['message.failed'], active: false }))
    t.match(sb.requests[0], { method: 'PATCH', path: '/v1/webhooks/wh_demo_orders' })
    t.same(sb.requests[0].body, { events: ['message.failed'], active: false })
    t.same(d.events, ['message.failed'])
    t.equal(d.active, false)
    t.equal(d.url, 'https://hooks.demo-store.example/whatsapp', 'url kept')
    const got = okResult(t, 'webhook_get', await invoke(sb, 'webhook_get', { webhookId: 'wh_demo_orders' }))
    t.same(got.events, ['message.failed'])
    t.equal(got.active, false)
    t.equal(got.updatedAt, new Date(NOW).toISOString())
  })

  t.test('tenant key with the number header renames and moves the url', async (t) => {
    const sb = await sandbox(t, { now })
    const d = okResult(t, 'webhooks_update', await invoke(sb, 'webhooks_update', { webhookId: 'wh_meta_all', name: 'CRM', url: 'https://crm.example/v2', active: true, whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant))
    t.same(sb.requests[0].body, { name: 'CRM', url: 'https://crm.example/v2', active: true })
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.match(d, { id: 'wh_meta_all', name: 'CRM', url: 'https://crm.example/v2', active: true, events: ['*'] })
  })

  t.test('errors: unknown event (nothing changes), out of scope', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'webhooks_update', { webhookId: 'wh_demo_orders', name: 'New', events: ['message.bogus'] })), /VALIDATION_ERROR: Unknown webhook event\(s\): message\.bogus/)
    const got = okResult(t, 'webhook_get', await invoke(sb, 'webhook_get', { webhookId: 'wh_demo_orders' }))
    t.equal(got.name, 'Order bot', 'a rejected update changes nothing')
    t.equal(got.events.length, 5)
    t.match(errorText(t, await invoke(sb, 'webhooks_update', { webhookId: 'wh_meta_all', active: true })), /HTTP 404 WEBHOOK_NOT_FOUND/)
  })

  t.test('no field to change / bad url → refused before any request', async (t) => {
    const sb = await sandbox(t, { now })
    let text = errorText(t, await invoke(sb, 'webhooks_update', { webhookId: 'wh_demo_orders' }))
    t.match(text, /pass at least one of name, url, active, events/)
    t.equal(sb.requests.length, 0)
    text = errorText(t, await invoke(sb, 'webhooks_update', { webhookId: 'wh_demo_orders', url: 'javascript:alert(1)' }))
    t.match(text, /- url:/)
    t.equal(sb.requests.length, 0)
  })
})

t.test('webhooks_delete', async (t) => {
  const sb = await sandbox(t, { now })
  const d = okResult(t, 'webhooks_delete', await invoke(sb, 'webhooks_delete', { webhookId: 'wh_demo_orders' }))
  t.match(sb.requests[0], { method: 'DELETE', path: '/v1/webhooks/wh_demo_orders', body: undefined })
  t.equal(d.success, true)
  t.equal(d.id, 'wh_demo_orders')
  t.match(errorText(t, await invoke(sb, 'webhook_get', { webhookId: 'wh_demo_orders' })), /WEBHOOK_NOT_FOUND/)
  t.match(errorText(t, await invoke(sb, 'webhooks_delete', { webhookId: 'wh_demo_orders' })), /HTTP 404 WEBHOOK_NOT_FOUND/)
  t.match(errorText(t, await invoke(sb, 'webhooks_delete', { webhookId: 'wh_meta_all' })), /WEBHOOK_NOT_FOUND/, 'another number\'s webhook is out of scope')
  const list = okResult(t, 'webhooks_list', await invoke(sb, 'webhooks_list', {}, tenant))
  t.same(list.webhooks.map((w: { id: string }) => w.id), ['wh_meta_all'])
  t.match(errorText(t, await invoke(sb, 'webhooks_delete', {})), /webhookId/)
  t.equal(sb.requests.length, 0)
})

t.test('webhook_events', async (t) => {
  t.test('the seeded log, newest first, fenced as untrusted', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await invoke(sb, 'webhook_events', { webhookId: 'wh_demo_orders' })
    const d = okResult(t, 'webhook_events', r)
    t.match(sb.requests[0], { method: 'GET', path: '/v1/webhooks/wh_demo_orders/logs' })
    t.same(sb.requests[0].query, {})
    t.equal(d.logs.length, 10)
    t.same(d.logs.map((l: { event: string }) => l.event).slice(0, 4), ['message.read', 'message.delivered', 'message.sent', 'message.received'])
    t.same(d.logs[0], {
      event: 'message.read',
      status: 'SUCCESS',
      statusCode: 200,
      payload: { event: 'message.read', data: { id: '3EB0000101D4E5F6', messageId: '3EB0000101D4E5F6', internalMessageId: 'msg_whk000101', numberId: 'num_demo', to: '+5511987650001', status: 'READ', createdAt: min(5) } },
      response: '{"received":true}',
      durationMs: 80,
      createdAt: min(5)
    })
    const failed = d.logs.filter((l: { status: string }) => l.status === 'FAILED')
    t.equal(failed.length, 2)
    t.same(failed.map((l: { statusCode: number }) => l.statusCode), [500, 500])
    t.equal(failed[0].payload.data.content, 'Vocês entregam em Niterói?')
    const text = r.content[0].type === 'text' ? r.content[0].text : ''
    t.match(text, /^10 delivery attempt\(s\) for wh_demo_orders, 2 FAILED\./)
    t.ok(text.includes(UNTRUSTED_NOTICE))
    t.ok(text.indexOf('Olá! Meu pedido') > text.indexOf('<untrusted-data>'), 'message text is inside the fence')
  })

  t.test('limit and event filter', async (t) => {
    const sb = await sandbox(t, { now })
    const d = okResult(t, 'webhook_events', await invoke(sb, 'webhook_events', { webhookId: 'wh_demo_orders', limit: 2, event: 'message.received' }))
    t.same(sb.requests[0].query, { limit: '2', event: 'message.received' })
    t.equal(d.logs.length, 2)
    t.same(d.logs.map((l: { createdAt: string }) => l.createdAt), [min(12), min(95)])
  })

  t.test('tenant key with header; empty log', async (t) => {
    const sb = await sandbox(t, { now })
    const d = okResult(t, 'webhook_events', await invoke(sb, 'webhook_events', { webhookId: 'wh_meta_all', whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant))
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.same(d.logs, [])
  })

  t.test('errors', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'webhook_events', { webhookId: 'wh_meta_all' })), /HTTP 404 WEBHOOK_NOT_FOUND/)
    t.match(errorText(t, await invoke(sb, 'webhook_events', { webhookId: 'wh_demo_orders', limit: 51 })), /- limit:/)
    t.equal(sb.requests.length, 0)
    t.match(errorText(t, await invoke(sb, 'webhook_events', { webhookId: 'wh_demo_orders', limit: 0 })), /- limit:/)
    t.equal(sb.requests.length, 0)
    const res = await raw(sb, 'GET', '/v1/webhooks/wh_demo_orders/logs?limit=0')
    t.equal(res.status, 400)
    t.equal(res.body.code, 'VALIDATION_ERROR')
    await invoke(sb, 'webhook_events', { webhookId: 'a/../b' })
    t.equal(sb.requests[0].path, '/v1/webhooks/a%2F%2E%2E%2Fb/logs')
  })
})

t.test('sandbox: body validation the tools cannot reach', async (t) => {
  const sb = await sandbox(t, { now })
  const post = async (body: unknown, key: string = SANDBOX_KEYS.number) => {
    const res = await fetch(sb.url + '/v1/webhooks', { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  }
  t.match(await post({ url: 'ftp://x' }), { status: 400, body: { code: 'VALIDATION_ERROR' } })
  t.match(await post({ url: 'https://x.example', events: 'message.read' }), { status: 400, body: { code: 'VALIDATION_ERROR' } })
  t.match(await post({ url: 'https://x.example', whatsappNumberId: SANDBOX_NUMBERS.meta }, SANDBOX_KEYS.tenant), { status: 201 })
  const patch = await fetch(sb.url + '/v1/webhooks/wh_demo_orders', { method: 'PATCH', headers: { 'x-api-key': SANDBOX_KEYS.number, 'content-type': 'application/json' }, body: JSON.stringify({ whatsappNumberId: SANDBOX_NUMBERS.meta }) })
  t.equal(patch.status, 400, 'the number of a webhook cannot change')
  t.match(await raw(sb, 'GET', '/v1/webhooks', 'ps_wrong'), { status: 401 })
})
