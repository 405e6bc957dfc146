// The simulator's templates API: seeds, lookup by id or name within a number, create/update/delete
// with the structure rules, Meta review states, and the error codes, driven over HTTP.
import type { Test } from 'tap'
import { sandbox, api, ok, fails, SANDBOX_NUMBERS } from './api.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const now = () => NOW
const SEEDED = new Date(NOW - 30 * 86_400_000).toISOString()
const FULL = {
  header: { type: 'TEXT', text: 'Order {{order}}' },
  body: { text: 'Hi {{name}}, your order is on its way.' },
  footer: { text: 'Demo Store' },
  buttons: [
    { type: 'URL', text: 'Track', url: 'https://shop.example/track/{{code}}' },
    { type: 'QUICK_REPLY', text: 'Thanks' }
  ]
}

export default async function suite (t: Test): Promise<void> {
  t.test('list and get: each number its own templates; by id or name; sendable = local or approved', async (t) => {
    const sb = await sandbox(t, { now })
    const list = await ok(t, sb, 'GET', '/v1/templates')
    t.ok(Array.isArray(list), 'a bare array, as the API answers')
    t.same(list.map((x: any) => x.id), ['tpl_order_update', 'tpl_welcome'])
    t.strictSame(list[0], {
      id: 'tpl_order_update',
      name: 'order_update',
      category: 'UTILITY',
      language: 'pt_BR',
      body: { body: { text: 'Hi {{name}}, your order {{order}} has shipped.' } },
      variables: ['name', 'order'],
      examples: { name: 'Maria', order: '#1042' },
      source: 'PILOT_STATUS',
      metaStatus: null,
      metaLanguage: null,
      sendable: true,
      createdAt: SEEDED,
      updatedAt: SEEDED
    })
    const metaList = await ok(t, sb, 'GET', '/v1/templates', { key: 'tenant', number: SANDBOX_NUMBERS.meta })
    t.same(metaList.map((x: any) => [x.name, x.sendable, x.metaStatus]),
      [['appointment_reminder', true, 'APPROVED'], ['promo_pending', false, 'PENDING']])
    await fails(t, sb, 'GET', '/v1/templates', 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant' })

    t.equal((await ok(t, sb, 'GET', '/v1/templates/order_update')).id, 'tpl_order_update', 'by name')
    t.match(await ok(t, sb, 'GET', '/v1/templates/tpl_promo_pending', { key: 'meta' }), { source: 'META', metaStatus: 'PENDING', sendable: false })
    await fails(t, sb, 'GET', '/v1/templates/tpl_appointment', 404, 'TEMPLATE_NOT_FOUND', {}) // another number's
    await fails(t, sb, 'GET', '/v1/templates/nope', 404, 'TEMPLATE_NOT_FOUND')
  })

  t.test('create: names normalised, variables in order, defaults; Meta numbers submit for review', async (t) => {
    const sb = await sandbox(t, { now })
    const d = await ok(t, sb, 'POST', '/v1/templates', { body: { name: 'Shipping Update-2026', category: 'UTILITY', language: 'en_US', body: FULL, examples: { order: '#1042', name: 'Maria', code: 'AB12' } } })
    t.match(d, { id: /^tpl_sbx/, name: 'Shipping_Update_2026', category: 'UTILITY', language: 'en_US', source: 'PILOT_STATUS', metaStatus: null, sendable: true, createdAt: new Date(NOW).toISOString() })
    t.same(d.variables, ['order', 'name', 'code'], 'header, body, then URL button variables')
    t.strictSame(d.body, FULL)
    const list = await ok(t, sb, 'GET', '/v1/templates')
    t.same(list.map((x: any) => x.name), ['order_update', 'welcome', 'Shipping_Update_2026'])

    const plain = await ok(t, sb, 'POST', '/v1/templates', { body: { name: 'hello', body: 'Hello! We are open today.' } })
    t.match(plain, { body: { body: { text: 'Hello! We are open today.' } }, category: 'UTILITY', language: 'pt_BR' }, 'plain text, no variables, defaults')
    const banner = { header: { type: 'IMAGE', url: 'https://cdn.example/banner.png' }, body: { text: 'New arrivals today.' } }
    t.strictSame((await ok(t, sb, 'POST', '/v1/templates', { body: { name: 'banner', category: 'MARKETING', body: banner } })).body, banner, 'a header image by URL')

    const m = await ok(t, sb, 'POST', '/v1/templates', { key: 'tenant', number: SANDBOX_NUMBERS.meta, body: { name: 'reminder', body: { body: { text: 'Hello {{name}}, see you soon.' } }, examples: { name: 'Ana' } } })
    t.match(m, { source: 'META', metaStatus: 'PENDING', metaLanguage: 'pt_BR', sendable: false })
    t.match(await fails(t, sb, 'POST', '/v1/templates', 400, 'META_TEMPLATE_SUBMIT_FAILED', { key: 'meta', body: { name: 'bad', body: 'Please REJECTME now.' } }), /./)
    t.equal([...sb.store.templates.values()].filter((x) => x.name === 'bad').length, 0, 'a refused submission is not stored')
  })

  t.test('create: examples required, unique names per number, scope', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await api(sb, 'POST', '/v1/templates', { body: { name: 'x', body: FULL, examples: { name: 'Maria' } } })
    t.equal(r.status, 400)
    t.match(r.body, { code: 'TEMPLATE_EXAMPLES_REQUIRED', details: { missing: ['order', 'code'] } })
    await fails(t, sb, 'POST', '/v1/templates', 409, 'TEMPLATE_NAME_EXISTS', { body: { name: 'order update', body: 'Thanks for your order.' } })
    await ok(t, sb, 'POST', '/v1/templates', { key: 'meta', body: { name: 'order_update', body: 'Thanks for your order.' } })
    await fails(t, sb, 'POST', '/v1/templates', 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant', body: { name: 'x', body: 'Hi.' } })
  })

  t.test('create: the structure rules → VALIDATION_ERROR naming the field', async (t) => {
    const sb = await sandbox(t, { now })
    const cases: Array<[unknown, RegExp]> = [
      ['{{name}}, your order shipped.', /body\.body\.text must not begin or end with a variable/],
      [{ body: { text: 'Hi there' }, footer: { text: 'Bye {{name}}' } }, /body\.footer\.text must not contain variables/],
      [{ header: { type: 'TEXT', text: '{{a}} and {{b}}' }, body: { text: 'Hi there' } }, /at most one variable/],
      [{ header: { type: 'TEXT', text: 'x'.repeat(61) }, body: { text: 'Hi there' } }, /body\.header\.text must be at most 60/],
      [{ body: { text: 'x'.repeat(1025) } }, /body\.body\.text must be at most 1024/],
      [{ body: { text: 'Hi' }, buttons: [1, 2, 3].map((i) => ({ type: 'URL', text: `L${i}`, url: `https://a.example/${i}` })) }, /at most 2 URL/],
      [{ body: { text: 'Hi' }, buttons: [{ type: 'PHONE_NUMBER', text: 'Call', phone_number: '123' }] }, /phone_number must be an E\.164/],
      [{ body: { text: 'Hi' }, buttons: [{ type: 'URL', text: 'Go', url: 'https://a.example/{{x}}/page' }] }, /dynamic URL ends with exactly one variable/],
      [{ header: { type: 'LOCATION' }, body: { text: 'Hi' } }, /LOCATION is not supported/],
      [{ footer: { text: 'no body' } }, /body\.body must be an object/]
    ]
    for (const [body, re] of cases) {
      t.match(await fails(t, sb, 'POST', '/v1/templates', 400, 'VALIDATION_ERROR', { body: { name: 'rules', body, examples: { a: '1', b: '2', name: 'N', x: 'y' } } }), re, JSON.stringify(body).slice(0, 60))
    }
  })

  t.test('update: replaces content, keeps the category, re-submits approved Meta templates; refusals change nothing', async (t) => {
    let clock = NOW
    const sb = await sandbox(t, { now: () => clock })
    clock += 60_000
    const d = await ok(t, sb, 'PUT', '/v1/templates/welcome', { body: { language: 'en_US', body: { body: { text: 'Welcome {{name}}! Reply STOP to opt out.' } }, examples: { name: 'Maria' } } })
    t.match(d, { id: 'tpl_welcome', category: 'MARKETING', language: 'en_US', updatedAt: new Date(NOW + 60_000).toISOString() })
    t.same(d.variables, ['name'])
    t.equal((await ok(t, sb, 'GET', '/v1/templates/tpl_welcome')).body.body.text, 'Welcome {{name}}! Reply STOP to opt out.')

    t.match(await ok(t, sb, 'PUT', '/v1/templates/tpl_appointment', { key: 'meta', body: { body: 'Hello {{name}}, see you on {{date}} at 10h.', examples: { name: 'João', date: '12/07' } } }), { metaStatus: 'PENDING', sendable: false })
    sb.store.templates.get('tpl_appointment')!.metaStatus = 'APPROVED'
    await fails(t, sb, 'PUT', '/v1/templates/appointment_reminder', 400, 'META_TEMPLATE_SUBMIT_FAILED', { key: 'meta', body: { body: 'REJECTME please' } })
    t.equal(sb.store.templates.get('tpl_appointment')!.metaStatus, 'APPROVED', 'a refused edit changes nothing')

    await fails(t, sb, 'PUT', '/v1/templates/nope', 404, 'TEMPLATE_NOT_FOUND', { body: { body: 'Hi.' } })
    const ex = await api(sb, 'PUT', '/v1/templates/order_update', { body: { body: 'Hi {{name}}, thanks.' } })
    t.match(ex, { status: 400, body: { code: 'TEMPLATE_EXAMPLES_REQUIRED', details: { missing: ['name'] } } })
    t.match(await fails(t, sb, 'PUT', '/v1/templates/welcome', 400, 'VALIDATION_ERROR', { body: { category: 'UTILITY', body: 'Hi.' } }), /category is fixed at creation/)
    await fails(t, sb, 'PUT', '/v1/templates/welcome', 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant', body: { body: 'Hi.' } })
  })

  t.test('delete: gone afterwards; another number\'s and unknown ones are not found', async (t) => {
    const sb = await sandbox(t, { now })
    t.strictSame(await ok(t, sb, 'DELETE', '/v1/templates/welcome'), { deleted: true, id: 'tpl_welcome' })
    await fails(t, sb, 'GET', '/v1/templates/tpl_welcome', 404, 'TEMPLATE_NOT_FOUND')
    await fails(t, sb, 'DELETE', '/v1/templates/tpl_welcome', 404, 'TEMPLATE_NOT_FOUND')
    await fails(t, sb, 'DELETE', '/v1/templates/tpl_promo_pending', 404, 'TEMPLATE_NOT_FOUND')
    t.equal((await ok(t, sb, 'DELETE', '/v1/templates/tpl_promo_pending', { key: 'tenant', number: SANDBOX_NUMBERS.meta })).id, 'tpl_promo_pending')
    await fails(t, sb, 'DELETE', '/v1/templates/order_update', 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant' })
    t.ok(sb.store.templates.has('tpl_order_update'))
  })
}
