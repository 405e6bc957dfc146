// What the templates tools themselves do (the simulator's template rules are in
// test/sandbox/templates.ts): catalogue data, summary lines, a JSON-string body sent as an
// object, base64 header media refused locally, error hints and details, encoded ids, the number header.
import type { Test } from 'tap'
import { sandbox, invoke, okResult, errorText, registry, SANDBOX_KEYS, SANDBOX_NUMBERS } from './harness.js'
import { hints } from '../../tools/define.js'

const tenant = { key: SANDBOX_KEYS.tenant }
const meta = { key: SANDBOX_KEYS.meta }
const text = (r: { content: Array<{ type: string, text?: string }> }) => (r.content[0].type === 'text' ? r.content[0].text ?? '' : '')

export default async function suite (t: Test): Promise<void> {
  t.test('catalogue: scope, hints and size', async (t) => {
    const expected: Record<string, string> = {
      templates_list: 'RI', templates_get: 'RI', templates_create: '', templates_update: 'I', templates_delete: 'DI'
    }
    for (const [name, letters] of Object.entries(expected)) {
      const tool = registry.all.get(name)!
      t.equal(tool.def.toolset, 'templates', `${name} toolset`)
      t.equal(tool.def.scope, 'number', `${name} scope`)
      t.same(tool.def.annotations, hints(letters), `${name} hints`)
      t.ok('whatsappNumberId' in (tool.entry.inputSchema.properties ?? {}), `${name} takes whatsappNumberId`)
      t.ok(tool.def.description.length <= 300, `${name} description is short`)
      t.ok(JSON.stringify(tool.entry).length < 1800, `${name} tools/list entry is compact`)
    }
    const body = registry.all.get('templates_create')!.entry.inputSchema.properties!.body as { anyOf: Array<{ type: string }> }
    t.same(body.anyOf.map((a) => a.type), ['object', 'string'], 'body takes an object or a string')
    t.notOk('anyOf' in registry.all.get('templates_create')!.entry.inputSchema, 'no top-level union')
  })

  t.test('template tools', async (t) => {
    const sb = await sandbox(t)

    t.test('summary lines: counts, sendable or the Meta status', async (t) => {
      t.match(text(await invoke(sb, 'templates_list', {})), /^2 template\(s\), 2 sendable\.\n/)
      t.match(text(await invoke(sb, 'templates_get', { id: 'order_update' })), /^Template order_update \(tpl_order_update\): sendable\./)
      t.match(text(await invoke(sb, 'templates_get', { id: 'tpl_promo_pending' }, meta)), /not sendable: Meta status PENDING/)
      const c = await invoke(sb, 'templates_create', { name: 'Shipping Update-2026', body: 'Your order shipped.' })
      t.match(text(c), /^Created template Shipping_Update_2026 \(tpl_sbx\w+\): sendable\./)
      t.match(text(await invoke(sb, 'templates_update', { id: 'Shipping_Update_2026', body: 'Your order is on its way.' })), /^Updated template Shipping_Update_2026 \(tpl_sbx\w+\): sendable\./)
      const d = await invoke(sb, 'templates_delete', { id: 'Shipping_Update_2026' })
      t.match(text(d), /^Deleted template tpl_sbx\w+\./)
      okResult(t, 'templates_delete', d)
    })

    t.test('templates_create: a JSON-string body is sent as an object; a plain string as it is', async (t) => {
      const body = { body: { text: 'Your code is ready.' }, buttons: [{ type: 'COPY_CODE', example: ['PROMO10'] }] }
      const d = okResult(t, 'templates_create', await invoke(sb, 'templates_create', { name: 'code', category: 'MARKETING', body: JSON.stringify(body) }))
      t.strictSame(sb.requests[0].body, { name: 'code', category: 'MARKETING', body })
      t.strictSame(d.body, body)
      okResult(t, 'templates_create', await invoke(sb, 'templates_create', { name: 'hello', body: 'Hello! We are open today.' }))
      t.strictSame(sb.requests[0].body, { name: 'hello', body: 'Hello! We are open today.' })
      t.equal(sb.requests[0].headers['content-type'], 'application/json')
    })

    t.test('API refusals read with their hint and details', async (t) => {
      const ex = errorText(t, await invoke(sb, 'templates_create', { name: 'x', body: { header: { type: 'TEXT', text: 'Order {{order}}' }, body: { text: 'Hi {{name}}, thanks.' } }, examples: { name: 'Maria' } }))
      t.match(ex, /HTTP 400 TEMPLATE_EXAMPLES_REQUIRED/)
      t.match(ex, /Details: \{"missing":\["order"\]\}/)
      t.match(ex, /Hint: Pass `examples`/)
      const rej = errorText(t, await invoke(sb, 'templates_create', { name: 'bad', body: 'Please REJECTME now.' }, meta))
      t.match(rej, /HTTP 400 META_TEMPLATE_SUBMIT_FAILED/)
      t.match(rej, /Hint: Meta refused the template/)
      t.match(errorText(t, await invoke(sb, 'templates_create', { name: 'rules', body: '{{name}}, your order shipped.', examples: { name: 'N' } })), /HTTP 400 VALIDATION_ERROR: .*body\.body\.text/)
      const nf = errorText(t, await invoke(sb, 'templates_get', { id: 'tpl_appointment' }))
      t.match(nf, /HTTP 404 TEMPLATE_NOT_FOUND/)
      t.match(nf, /templates_list/, 'the hint names the tool that lists ids')
    })

    t.test('tenant key: whatsappNumberId goes as the header; without it the error says so', async (t) => {
      const d = okResult(t, 'templates_list', await invoke(sb, 'templates_list', { whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant))
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
      t.equal(d.templates.length, 2)
      const args = { name: 'reminder', body: { body: { text: 'Hello {{name}}, see you soon.' } }, examples: { name: 'Ana' } }
      okResult(t, 'templates_create', await invoke(sb, 'templates_create', { ...args, whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant))
      t.strictSame(sb.requests[0].body, args, 'not in the body')
      for (const [name, a] of [['templates_list', {}], ['templates_create', { name: 'x', body: 'Hi.' }], ['templates_update', { id: 'welcome', body: 'Hi.' }], ['templates_delete', { id: 'welcome' }]] as const) {
        const msg = errorText(t, await invoke(sb, name, a, tenant))
        t.match(msg, /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
        t.match(msg, /pass whatsappNumberId/)
      }
    })

    t.test('ids are one encoded path segment', async (t) => {
      errorText(t, await invoke(sb, 'templates_get', { id: '../numbers' }))
      t.equal(sb.requests[0].path, '/v1/templates/%2E%2E%2Fnumbers')
      errorText(t, await invoke(sb, 'templates_update', { id: 'a/b', body: 'Hi.' }))
      t.equal(sb.requests[0].path, '/v1/templates/a%2Fb')
      errorText(t, await invoke(sb, 'templates_delete', { id: '../numbers/num_demo' }))
      t.equal(sb.requests[0].path, '/v1/templates/%2E%2E%2Fnumbers%2Fnum_demo')
    })

    t.test('invalid arguments are refused before any request', async (t) => {
      const b64 = { header: { type: 'IMAGE', base64: 'data:image/png;base64,iVBORw0KGgo=' }, body: { text: 'Hi there.' } }
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['templates_list', { status: 'APPROVED' }, /status: unknown argument/],
        ['templates_get', {}, /id/],
        ['templates_create', { name: 'x', category: 'PROMO', body: 'Hi.' }, /category/],
        ['templates_create', { name: 'x' }, /body/],
        ['templates_create', { name: 'x', body: '{"body": broken' }, /body: looks like JSON but does not parse/],
        ['templates_create', { name: 'x', body: 'Hi.', examples: ['Maria'] }, /examples/],
        ['templates_create', { name: 'banner2', body: b64 }, /body\.header\.base64: .*pass body\.header\.url/],
        ['templates_update', { id: 'welcome' }, /body/],
        ['templates_update', { id: 'welcome', category: 'UTILITY', body: 'Hi.' }, /category: unknown argument/],
        ['templates_update', { id: 'welcome', body: b64 }, /body\.header\.base64/],
        ['templates_delete', { id: '' }, /id/]
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
