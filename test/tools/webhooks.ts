// What the webhooks tools themselves do (the simulator's webhook rules are in
// test/sandbox/webhooks.ts): catalogue data, the number in body and header, summary lines,
// the fenced delivery log, error hints, encoded ids and local argument checks.
import type { Test } from 'tap'
import { sandbox, invoke, okResult, errorText, registry, SANDBOX_KEYS, SANDBOX_NUMBERS } from './harness.js'
import { UNTRUSTED_NOTICE, type ToolResult } from '../../src/mcp/call.js'
import { hints } from '../../tools/define.js'

const tenant = { key: SANDBOX_KEYS.tenant }
const text = (r: ToolResult) => (r.content[0].type === 'text' ? r.content[0].text : '')

export default async function suite (t: Test): Promise<void> {
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

  t.test('webhook tools', async (t) => {
    const sb = await sandbox(t)

    t.test('webhooks_list: one summary line per webhook; tenant keys may pick a number by header', async (t) => {
      const r = await invoke(sb, 'webhooks_list', {})
      okResult(t, 'webhooks_list', r)
      t.match(text(r), /^1 webhook\(s\):\n- wh_demo_orders "Order bot" on num_demo → https:\/\/hooks\.demo-store\.example\/whatsapp \(active;/)
      t.notMatch(JSON.stringify(r), /secret|whsec_/i)
      okResult(t, 'webhooks_list', await invoke(sb, 'webhooks_list', {}, tenant))
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined, 'a tenant key may list them all')
      const one = await invoke(sb, 'webhooks_list', { whatsappNumberId: SANDBOX_NUMBERS.offline }, tenant)
      t.same(okResult(t, 'webhooks_list', one).webhooks, [])
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.offline)
      t.equal(text(one).split('\n')[0], 'No webhooks.')
    })

    t.test('webhooks_create: a tenant key\'s number goes in the body and the header; a number key sends none', async (t) => {
      const args = { url: 'https://example.com/hook', name: 'Support bot', events: ['message.received'] }
      const r = await invoke(sb, 'webhooks_create', { ...args, whatsappNumberId: SANDBOX_NUMBERS.offline }, tenant)
      const d = okResult(t, 'webhooks_create', r)
      t.same(sb.requests[0].body, { ...args, whatsappNumberId: SANDBOX_NUMBERS.offline })
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.offline)
      t.match(text(r), new RegExp(`^Created webhook ${d.id} "Support bot" on num_offline`))
      okResult(t, 'webhooks_create', await invoke(sb, 'webhooks_create', { url: 'https://example.com/n' }))
      t.same(sb.requests[0].body, { url: 'https://example.com/n' }, 'only what was given')
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined)
      const hint = errorText(t, await invoke(sb, 'webhooks_create', { url: 'https://example.com/h' }, tenant))
      t.match(hint, /HTTP 400 NUMBER_REQUIRED/)
      t.match(hint, /Hint: With a tenant key or OAuth login, say which number/)
      t.match(errorText(t, await invoke(sb, 'webhooks_create', { url: 'https://example.com/h', events: ['order.paid'] })), /HTTP 400 VALIDATION_ERROR: Unknown webhook event\(s\): order\.paid/)
    })

    t.test('webhooks_update sends only the fields given; webhooks_delete reports success', async (t) => {
      const r = await invoke(sb, 'webhooks_update', { webhookId: 'wh_meta_all', name: 'CRM', active: true, whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant)
      okResult(t, 'webhooks_update', r)
      t.same(sb.requests[0].body, { name: 'CRM', active: true })
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
      t.match(text(r), /^Updated webhook wh_meta_all "CRM"/)
      const c = okResult(t, 'webhooks_create', await invoke(sb, 'webhooks_create', { url: 'https://example.com/gone' }))
      const del = await invoke(sb, 'webhooks_delete', { webhookId: c.id })
      t.same(okResult(t, 'webhooks_delete', del), { success: true, id: c.id })
      t.equal(text(del).split('\n')[0], `Deleted webhook ${c.id}.`)
      t.match(errorText(t, await invoke(sb, 'webhooks_delete', { webhookId: c.id })), /HTTP 404 WEBHOOK_NOT_FOUND/)
    })

    t.test('webhook_events: the summary counts failures; payloads sit inside the untrusted fence', async (t) => {
      const r = await invoke(sb, 'webhook_events', { webhookId: 'wh_demo_orders' })
      const d = okResult(t, 'webhook_events', r)
      t.equal(d.logs.length, 10)
      t.match(text(r), /^10 delivery attempt\(s\) for wh_demo_orders, 2 FAILED\./)
      t.ok(text(r).includes(UNTRUSTED_NOTICE))
      t.ok(text(r).indexOf('Olá! Meu pedido') > text(r).indexOf('<untrusted-data>'), 'message text is inside the fence')
      const empty = await invoke(sb, 'webhook_events', { webhookId: 'wh_meta_all', whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant)
      t.equal(text(empty).split('\n')[0], '0 delivery attempt(s) for wh_meta_all.')
    })

    t.test('ids are one encoded path segment', async (t) => {
      t.match(errorText(t, await invoke(sb, 'webhook_get', { webhookId: '../numbers' })), /WEBHOOK_NOT_FOUND/)
      t.equal(sb.requests[0].path, '/v1/webhooks/%2E%2E%2Fnumbers')
      await invoke(sb, 'webhook_get', { webhookId: 'wh_1/logs' })
      t.equal(sb.requests[0].path, '/v1/webhooks/wh_1%2Flogs')
      await invoke(sb, 'webhook_events', { webhookId: 'a/../b' })
      t.equal(sb.requests[0].path, '/v1/webhooks/a%2F%2E%2E%2Fb/logs')
    })

    t.test('invalid arguments are refused before any request', async (t) => {
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['webhooks_list', { number: 'x' }, /number: unknown argument/],
        ['webhook_get', {}, /webhookId/],
        ['webhooks_create', { url: 'ftp://example.com/h' }, /url/],
        ['webhooks_create', { name: 'x' }, /url/],
        ['webhooks_create', { url: 'https://example.com', events: [{ name: 'message.received' }] }, /events/],
        ['webhooks_update', { webhookId: 'wh_demo_orders' }, /pass at least one of name, url, active, events/],
        ['webhooks_update', { webhookId: 'wh_demo_orders', url: 'javascript:alert(1)' }, /url/],
        ['webhooks_delete', {}, /webhookId/],
        ['webhook_events', { webhookId: 'wh_demo_orders', limit: 51 }, /limit/],
        ['webhook_events', { webhookId: 'wh_demo_orders', limit: 0 }, /limit/]
      ]
      for (const [name, args, re] of cases) {
        const msg = errorText(t, await invoke(sb, name, args))
        t.match(msg, new RegExp(name))
        t.match(msg, re, JSON.stringify(args))
        t.equal(sb.requests.length, 0, 'no upstream request')
      }
    })
  })
}
