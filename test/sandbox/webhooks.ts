// The simulator's webhooks API: seeds, number/tenant scope, create/update/delete with the event
// rules per provider, the seeded delivery log with its filters, and the error codes, over HTTP.
import type { Test } from 'tap'
import { sandbox, api, ok, fails, SANDBOX_NUMBERS } from './api.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const now = () => NOW
const min = (n: number) => new Date(NOW - n * 60_000).toISOString()
const ids = (list: Array<{ id: string }>) => list.map((w) => w.id)

export default async function suite (t: Test): Promise<void> {
  t.test('list and get: a number key sees its number\'s webhooks; a tenant key all or one number\'s; never the secret', async (t) => {
    const sb = await sandbox(t, { now })
    const mine = await ok(t, sb, 'GET', '/v1/webhooks')
    t.same(ids(mine), ['wh_demo_orders'])
    t.match(mine[0], {
      name: 'Order bot',
      url: 'https://hooks.demo-store.example/whatsapp',
      active: true,
      events: ['message.received', 'message.sent', 'message.delivered', 'message.read', 'message.failed'],
      whatsappNumberIds: [SANDBOX_NUMBERS.demo],
      whatsappInstanceIds: ['inst_num_demo'],
      environment: 'LIVE',
      apiKeys: [{ id: 'key_demo_number', name: 'Default' }],
      lastTriggered: min(5),
      tenantId: 'ten_demo'
    })
    t.same(ids(await ok(t, sb, 'GET', '/v1/webhooks', { key: 'tenant' })), ['wh_demo_orders', 'wh_meta_all'])
    const metaHooks = await ok(t, sb, 'GET', '/v1/webhooks', { key: 'tenant', number: SANDBOX_NUMBERS.meta })
    t.match(metaHooks, [{ id: 'wh_meta_all', active: false, events: ['*'], lastTriggered: null }])
    t.same(await ok(t, sb, 'GET', '/v1/webhooks', { key: 'tenant', number: SANDBOX_NUMBERS.offline }), [])
    await fails(t, sb, 'GET', '/v1/webhooks', 404, 'NUMBER_NOT_FOUND', { key: 'tenant', number: 'num_nope' })
    await fails(t, sb, 'GET', '/v1/webhooks', 401, 'UNAUTHORIZED', { key: 'ps_wrong' })

    t.equal((await ok(t, sb, 'GET', '/v1/webhooks/wh_demo_orders')).name, 'Order bot')
    t.equal((await ok(t, sb, 'GET', '/v1/webhooks/wh_meta_all', { key: 'tenant', number: SANDBOX_NUMBERS.meta })).id, 'wh_meta_all')
    await fails(t, sb, 'GET', '/v1/webhooks/wh_meta_all', 404, 'WEBHOOK_NOT_FOUND')
    await fails(t, sb, 'GET', '/v1/webhooks/wh_meta_all', 404, 'WEBHOOK_NOT_FOUND', { key: 'tenant', number: SANDBOX_NUMBERS.demo })
    await fails(t, sb, 'GET', '/v1/webhooks/wh_nope', 404, 'WEBHOOK_NOT_FOUND', { key: 'tenant' })
    t.notMatch(JSON.stringify(await ok(t, sb, 'GET', '/v1/webhooks', { key: 'tenant' })), /secret|whsec_/i, 'the signing secret is never returned')
  })

  t.test('create: bound to the key\'s number or the one named; events filtered per provider; defaults', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await api(sb, 'POST', '/v1/webhooks', { key: 'tenant', body: { url: 'https://example.com/hook', name: 'Support bot', events: ['message.received', 'call.ended', 'message.received'], whatsappNumberId: SANDBOX_NUMBERS.offline } })
    t.equal(r.status, 201)
    t.match(r.body, { id: /^wh_/, active: true, name: 'Support bot', whatsappNumberIds: [SANDBOX_NUMBERS.offline], createdAt: new Date(NOW).toISOString() })
    t.same(r.body.events, ['message.received'], 'call.* dropped on an EVO_V2 number, duplicates merged')
    t.notMatch(JSON.stringify(r.body), /secret|whsec_/i)
    t.same(ids(await ok(t, sb, 'GET', '/v1/webhooks', { key: 'tenant', number: SANDBOX_NUMBERS.offline })), [r.body.id])
    t.equal((await ok(t, sb, 'GET', `/v1/webhooks/${r.body.id}`, { key: 'offline' })).name, 'Support bot')

    const d = await ok(t, sb, 'POST', '/v1/webhooks', { body: { url: 'http://example.com/h', events: ['call.ended', 'message.newsletter'] } })
    t.match(d, { whatsappNumberIds: [SANDBOX_NUMBERS.demo], events: ['call.ended', 'message.newsletter'], name: 'example.com' }, 'EVO_GO emits both; name defaults to the host')
    t.same((await ok(t, sb, 'POST', '/v1/webhooks', { key: 'meta', body: { url: 'https://example.com/m', events: ['calls', 'message.newsletter', 'message.read'] } })).events, ['calls', 'message.read'], 'no channels on Meta')
    t.same((await ok(t, sb, 'POST', '/v1/webhooks', { body: { url: 'https://example.com/n' } })).events, [], 'omitted events = nothing delivered')
    t.same((await ok(t, sb, 'POST', '/v1/webhooks', { key: 'tenant', number: SANDBOX_NUMBERS.meta, body: { url: 'https://example.com/hdr' } })).whatsappNumberIds, [SANDBOX_NUMBERS.meta], 'the header names the number too')
  })

  t.test('create: refusals create nothing', async (t) => {
    const sb = await sandbox(t, { now })
    await fails(t, sb, 'POST', '/v1/webhooks', 400, 'NUMBER_REQUIRED', { key: 'tenant', body: { url: 'https://example.com/h', events: ['*'] } })
    await fails(t, sb, 'POST', '/v1/webhooks', 400, 'NUMBER_MISMATCH', { body: { url: 'https://example.com/h', whatsappNumberId: SANDBOX_NUMBERS.meta } })
    await fails(t, sb, 'POST', '/v1/webhooks', 404, 'NUMBER_NOT_FOUND', { key: 'tenant', body: { url: 'https://example.com/h', whatsappNumberId: 'num_other_tenant' } })
    t.match(await fails(t, sb, 'POST', '/v1/webhooks', 400, 'VALIDATION_ERROR', { body: { url: 'https://example.com/h', events: ['message.received', 'message.unknown', 'order.paid'] } }), /^Unknown webhook event\(s\): message\.unknown, order\.paid/)
    await fails(t, sb, 'POST', '/v1/webhooks', 400, 'VALIDATION_ERROR', { body: { url: 'ftp://x' } })
    await fails(t, sb, 'POST', '/v1/webhooks', 400, 'VALIDATION_ERROR', { body: { url: 'https://x.example', events: 'message.read' } })
    t.equal((await ok(t, sb, 'GET', '/v1/webhooks', { key: 'tenant' })).length, 2, 'nothing was created')
  })

  t.test('update replaces what it names and validates everything first; delete removes', async (t) => {
    let clock = NOW
    const sb = await sandbox(t, { now: () => clock })
    clock += 60_000
    const d = await ok(t, sb, 'PATCH', '/v1/webhooks/wh_demo_orders', { body: { events: ['message.failed'], active: false } })
    t.match(d, { events: ['message.failed'], active: false, url: 'https://hooks.demo-store.example/whatsapp' }, 'events replaced, not merged; url kept')
    t.match(await ok(t, sb, 'GET', '/v1/webhooks/wh_demo_orders'), { events: ['message.failed'], active: false, updatedAt: new Date(NOW + 60_000).toISOString() })
    t.match(await ok(t, sb, 'PATCH', '/v1/webhooks/wh_meta_all', { key: 'tenant', number: SANDBOX_NUMBERS.meta, body: { name: 'CRM', url: 'https://crm.example/v2', active: true } }),
      { id: 'wh_meta_all', name: 'CRM', url: 'https://crm.example/v2', active: true, events: ['*'] })

    t.match(await fails(t, sb, 'PATCH', '/v1/webhooks/wh_demo_orders', 400, 'VALIDATION_ERROR', { body: { name: 'New', events: ['message.bogus'] } }), /Unknown webhook event\(s\): message\.bogus/)
    t.equal((await ok(t, sb, 'GET', '/v1/webhooks/wh_demo_orders')).name, 'Order bot', 'a rejected update changes nothing')
    t.match(await fails(t, sb, 'PATCH', '/v1/webhooks/wh_demo_orders', 400, 'VALIDATION_ERROR', { body: { whatsappNumberId: SANDBOX_NUMBERS.meta } }), /number cannot change/)
    t.match(await fails(t, sb, 'PATCH', '/v1/webhooks/wh_demo_orders', 400, 'VALIDATION_ERROR', { body: { secret: 'x' } }), /Unknown field\(s\): secret/)
    await fails(t, sb, 'PATCH', '/v1/webhooks/wh_demo_orders', 400, 'VALIDATION_ERROR', { body: { active: 'no' } })
    await fails(t, sb, 'PATCH', '/v1/webhooks/wh_meta_all', 404, 'WEBHOOK_NOT_FOUND', { body: { active: true } })

    t.same(await ok(t, sb, 'DELETE', '/v1/webhooks/wh_demo_orders'), { success: true, id: 'wh_demo_orders' })
    await fails(t, sb, 'GET', '/v1/webhooks/wh_demo_orders', 404, 'WEBHOOK_NOT_FOUND')
    await fails(t, sb, 'DELETE', '/v1/webhooks/wh_demo_orders', 404, 'WEBHOOK_NOT_FOUND')
    await fails(t, sb, 'DELETE', '/v1/webhooks/wh_meta_all', 404, 'WEBHOOK_NOT_FOUND')
    t.same(ids(await ok(t, sb, 'GET', '/v1/webhooks', { key: 'tenant' })), ['wh_meta_all'])
  })

  t.test('delivery log: 10 seeded attempts newest first, limit and event filters', async (t) => {
    const sb = await sandbox(t, { now })
    const logs = await ok(t, sb, 'GET', '/v1/webhooks/wh_demo_orders/logs')
    t.equal(logs.length, 10)
    t.same(logs.map((l: any) => l.event).slice(0, 4), ['message.read', 'message.delivered', 'message.sent', 'message.received'])
    t.same(logs[0], {
      event: 'message.read',
      status: 'SUCCESS',
      statusCode: 200,
      payload: { event: 'message.read', data: { id: '3EB0000101D4E5F6', messageId: '3EB0000101D4E5F6', internalMessageId: 'msg_whk000101', numberId: 'num_demo', to: '+5511987650001', status: 'READ', createdAt: min(5) } },
      response: '{"received":true}',
      durationMs: 80,
      createdAt: min(5)
    })
    const failed = logs.filter((l: any) => l.status === 'FAILED')
    t.same(failed.map((l: any) => l.statusCode), [500, 500])
    t.equal(failed[0].payload.data.content, 'Vocês entregam em Niterói?')
    t.same((await ok(t, sb, 'GET', '/v1/webhooks/wh_demo_orders/logs', { query: { limit: 2, event: 'message.received' } })).map((l: any) => l.createdAt), [min(12), min(95)])
    t.same(await ok(t, sb, 'GET', '/v1/webhooks/wh_meta_all/logs', { key: 'tenant', number: SANDBOX_NUMBERS.meta }), [])
    for (const limit of [0, 51, 'x']) await fails(t, sb, 'GET', '/v1/webhooks/wh_demo_orders/logs', 400, 'VALIDATION_ERROR', { query: { limit } })
    await fails(t, sb, 'GET', '/v1/webhooks/wh_meta_all/logs', 404, 'WEBHOOK_NOT_FOUND')
  })
}
