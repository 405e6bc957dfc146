// Tests of the templates toolset against the sandbox: the exact upstream requests, results against
// the output schemas, the number-scope rule, the structure rules and each documented error code.
import t, { type Test } from 'tap'
import { sandbox, invoke, okResult, errorText, registry, SANDBOX_KEYS, SANDBOX_NUMBERS } from '../helper.js'
import { hints } from '../../tools/define.js'
import type { RunningSandbox } from '../../sandbox/server.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const now = () => NOW
const tenant = { key: SANDBOX_KEYS.tenant }
const meta = { key: SANDBOX_KEYS.meta }

function text (r: { content: Array<{ type: string, text?: string }> }): string {
  return r.content[0].type === 'text' ? r.content[0].text ?? '' : ''
}

function sent (t: Test, sb: RunningSandbox, method: string, path: string, body?: unknown) {
  t.equal(sb.requests.length, 1, 'one upstream request')
  const r = sb.requests[0]
  t.equal(r.method, method)
  t.equal(r.path, path)
  t.strictSame(r.query, {})
  t.strictSame(r.body, body)
  return r
}

const FULL = {
  header: { type: 'TEXT', text: 'Order {{order}}' },
  body: { text: 'Hi {{name}}, your order is on its way.' },
  footer: { text: 'Demo Store' },
  buttons: [
    { type: 'URL', text: 'Track', url: 'https://shop.example/track/{{code}}' },
    { type: 'QUICK_REPLY', text: 'Thanks' }
  ]
}

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

t.test('templates_list', async (t) => {
  t.test('number key lists its number\'s templates', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await invoke(sb, 'templates_list', {})
    const d = okResult(t, 'templates_list', r)
    const req = sent(t, sb, 'GET', '/v1/templates')
    t.equal(req.headers['x-api-key'], SANDBOX_KEYS.number)
    t.equal(req.headers['x-whatsapp-number-id'], undefined)
    t.same(d.templates.map((x: { id: string }) => x.id), ['tpl_order_update', 'tpl_welcome'])
    t.strictSame(d.templates[0], {
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
      createdAt: new Date(NOW - 30 * 86_400_000).toISOString(),
      updatedAt: new Date(NOW - 30 * 86_400_000).toISOString()
    })
    t.match(text(r), /^2 template\(s\), 2 sendable\.\n/)
  })

  t.test('tenant key picks the Meta number with whatsappNumberId', async (t) => {
    const sb = await sandbox(t, { now })
    const d = okResult(t, 'templates_list', await invoke(sb, 'templates_list', { whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant))
    const req = sent(t, sb, 'GET', '/v1/templates')
    t.equal(req.headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.same(d.templates.map((x: { name: string, sendable: boolean, metaStatus: string }) => [x.name, x.sendable, x.metaStatus]),
      [['appointment_reminder', true, 'APPROVED'], ['promo_pending', false, 'PENDING']])
  })

  t.test('tenant key without a number → TENANT_SCOPE_NOT_ALLOWED', async (t) => {
    const sb = await sandbox(t, { now })
    const msg = errorText(t, await invoke(sb, 'templates_list', {}, tenant))
    t.match(msg, /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
    t.match(msg, /pass whatsappNumberId/)
  })

  t.test('unknown argument is refused before any request', async (t) => {
    const sb = await sandbox(t, { now })
    const msg = errorText(t, await invoke(sb, 'templates_list', { status: 'APPROVED' }))
    t.match(msg, /status: unknown argument/)
    t.equal(sb.requests.length, 0)
  })
})

t.test('templates_get', async (t) => {
  t.test('by name', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await invoke(sb, 'templates_get', { id: 'order_update' })
    const d = okResult(t, 'templates_get', r)
    sent(t, sb, 'GET', '/v1/templates/order_update')
    t.equal(d.id, 'tpl_order_update')
    t.same(d.variables, ['name', 'order'])
    t.match(text(r), /^Template order_update \(tpl_order_update\): sendable\./)
  })

  t.test('a pending Meta template by id is not sendable', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await invoke(sb, 'templates_get', { id: 'tpl_promo_pending' }, meta)
    const d = okResult(t, 'templates_get', r)
    sent(t, sb, 'GET', '/v1/templates/tpl_promo_pending')
    t.equal(d.source, 'META')
    t.equal(d.metaStatus, 'PENDING')
    t.equal(d.sendable, false)
    t.match(text(r), /not sendable: Meta status PENDING/)
  })

  t.test('another number\'s template and unknown ids → TEMPLATE_NOT_FOUND', async (t) => {
    const sb = await sandbox(t, { now })
    const msg = errorText(t, await invoke(sb, 'templates_get', { id: 'tpl_appointment' }))
    t.match(msg, /HTTP 404 TEMPLATE_NOT_FOUND/)
    t.match(msg, /templates_list/)
  })

  t.test('the id is one encoded path segment', async (t) => {
    const sb = await sandbox(t, { now })
    const msg = errorText(t, await invoke(sb, 'templates_get', { id: '../numbers' }))
    t.equal(sb.requests[0].path, '/v1/templates/%2E%2E%2Fnumbers')
    t.match(msg, /TEMPLATE_NOT_FOUND/)
  })

  t.test('missing id is refused before any request', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'templates_get', {})), /- id: /)
    t.equal(sb.requests.length, 0)
  })
})

t.test('templates_create', async (t) => {
  t.test('Pilot Status number: full structure, usable at once', async (t) => {
    const sb = await sandbox(t, { now })
    const args = { name: 'Shipping Update-2026', category: 'UTILITY', language: 'en_US', body: FULL, examples: { order: '#1042', name: 'Maria', code: 'AB12' } }
    const r = await invoke(sb, 'templates_create', args)
    const d = okResult(t, 'templates_create', r)
    const req = sent(t, sb, 'POST', '/v1/templates', args)
    t.equal(req.headers['content-type'], 'application/json')
    t.match(d.id, /^tpl_sbx/)
    t.equal(d.name, 'Shipping_Update_2026', 'separators become _')
    t.equal(d.category, 'UTILITY')
    t.equal(d.language, 'en_US')
    t.equal(d.source, 'PILOT_STATUS')
    t.equal(d.metaStatus, null)
    t.equal(d.sendable, true)
    t.same(d.variables, ['order', 'name', 'code'], 'header, body, then URL button variables')
    t.strictSame(d.body, FULL)
    t.match(text(r), /^Created template Shipping_Update_2026 \(tpl_sbx\w+\): sendable\./)

    const list = okResult(t, 'templates_list', await invoke(sb, 'templates_list', {}))
    t.same(list.templates.map((x: { name: string }) => x.name), ['order_update', 'welcome', 'Shipping_Update_2026'])
  })

  t.test('plain-text body without variables needs no examples; category defaults to UTILITY', async (t) => {
    const sb = await sandbox(t, { now })
    const d = okResult(t, 'templates_create', await invoke(sb, 'templates_create', { name: 'hello', body: 'Hello! We are open today.' }))
    sent(t, sb, 'POST', '/v1/templates', { name: 'hello', body: 'Hello! We are open today.' })
    t.strictSame(d.body, { body: { text: 'Hello! We are open today.' } })
    t.equal(d.category, 'UTILITY')
    t.equal(d.language, 'pt_BR')
  })

  t.test('a JSON-string body is sent as an object', async (t) => {
    const sb = await sandbox(t, { now })
    const body = { body: { text: 'Your code is ready.' }, buttons: [{ type: 'COPY_CODE', example: ['PROMO10'] }] }
    const d = okResult(t, 'templates_create', await invoke(sb, 'templates_create', { name: 'code', category: 'MARKETING', body: JSON.stringify(body) }))
    sent(t, sb, 'POST', '/v1/templates', { name: 'code', category: 'MARKETING', body })
    t.strictSame(d.body, body)
  })

  t.test('Meta number: submitted for review, PENDING and not sendable', async (t) => {
    const sb = await sandbox(t, { now })
    const args = { name: 'reminder', category: 'UTILITY', body: { body: { text: 'Hello {{name}}, see you soon.' } }, examples: { name: 'Ana' } }
    const r = await invoke(sb, 'templates_create', { ...args, whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant)
    const d = okResult(t, 'templates_create', r)
    const req = sent(t, sb, 'POST', '/v1/templates', args)
    t.equal(req.headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.equal(d.source, 'META')
    t.equal(d.metaStatus, 'PENDING')
    t.equal(d.metaLanguage, 'pt_BR')
    t.equal(d.sendable, false)
    t.match(text(r), /not sendable: Meta status PENDING/)
  })

  t.test('Meta refuses the submission → META_TEMPLATE_SUBMIT_FAILED, nothing stored', async (t) => {
    const sb = await sandbox(t, { now })
    const msg = errorText(t, await invoke(sb, 'templates_create', { name: 'bad', body: 'Please REJECTME now.' }, meta))
    t.match(msg, /HTTP 400 META_TEMPLATE_SUBMIT_FAILED/)
    t.match(msg, /Hint: Meta refused the template/)
    t.equal([...sb.store.templates.values()].filter((x) => x.name === 'bad').length, 0)
  })

  t.test('variables without examples → TEMPLATE_EXAMPLES_REQUIRED with details.missing', async (t) => {
    const sb = await sandbox(t, { now })
    const msg = errorText(t, await invoke(sb, 'templates_create', { name: 'x', body: FULL, examples: { name: 'Maria' } }))
    t.match(msg, /HTTP 400 TEMPLATE_EXAMPLES_REQUIRED/)
    t.match(msg, /Details: \{"missing":\["order","code"\]\}/)
    t.match(msg, /Hint: Pass `examples`/)
  })

  t.test('the name is unique per number → 409 TEMPLATE_NAME_EXISTS', async (t) => {
    const sb = await sandbox(t, { now })
    const msg = errorText(t, await invoke(sb, 'templates_create', { name: 'order update', body: 'Thanks for your order.' }))
    t.match(msg, /HTTP 409 TEMPLATE_NAME_EXISTS/)
    // The same name on another number is fine.
    okResult(t, 'templates_create', await invoke(sb, 'templates_create', { name: 'order_update', body: 'Thanks for your order.' }, meta))
  })

  t.test('structure rules → VALIDATION_ERROR naming the field', async (t) => {
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
      const msg = errorText(t, await invoke(sb, 'templates_create', { name: 'rules', body, examples: { a: '1', b: '2', name: 'N', x: 'y' } }))
      t.match(msg, /HTTP 400 VALIDATION_ERROR/)
      t.match(msg, re)
    }
  })

  t.test('header media: URL accepted, base64 refused before any request', async (t) => {
    const sb = await sandbox(t, { now })
    const okBody = { header: { type: 'IMAGE', url: 'https://cdn.example/banner.png' }, body: { text: 'New arrivals today.' } }
    const d = okResult(t, 'templates_create', await invoke(sb, 'templates_create', { name: 'banner', category: 'MARKETING', body: okBody }))
    t.strictSame(d.body, okBody)

    const msg = errorText(t, await invoke(sb, 'templates_create', {
      name: 'banner2', body: { header: { type: 'IMAGE', base64: 'data:image/png;base64,iVBORw0KGgo=' }, body: { text: 'Hi there.' } }
    }))
    t.match(msg, /body\.header\.base64: .*pass body\.header\.url/)
    t.equal(sb.requests.length, 0)
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'templates_create', { name: 'x', category: 'PROMO', body: 'Hi.' })), /- category: /)
    t.match(errorText(t, await invoke(sb, 'templates_create', { name: 'x' })), /- body: /)
    t.match(errorText(t, await invoke(sb, 'templates_create', { name: 'x', body: '{"body": broken' })), /body: looks like JSON but does not parse/)
    t.match(errorText(t, await invoke(sb, 'templates_create', { name: 'x', body: 'Hi.', examples: ['Maria'] })), /- examples: /)
    t.equal(sb.requests.length, 0)
  })

  t.test('tenant key without a number → TENANT_SCOPE_NOT_ALLOWED', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'templates_create', { name: 'x', body: 'Hi.' }, tenant)), /TENANT_SCOPE_NOT_ALLOWED/)
  })
})

t.test('templates_update', async (t) => {
  t.test('replaces the content; by name', async (t) => {
    const sb = await sandbox(t, { now: () => NOW + 60_000 })
    const args = { language: 'en_US', body: { body: { text: 'Welcome {{name}}! Reply STOP to opt out.' } }, examples: { name: 'Maria' } }
    const r = await invoke(sb, 'templates_update', { id: 'welcome', ...args })
    const d = okResult(t, 'templates_update', r)
    sent(t, sb, 'PUT', '/v1/templates/welcome', args)
    t.equal(d.id, 'tpl_welcome')
    t.equal(d.category, 'MARKETING', 'category kept')
    t.same(d.variables, ['name'])
    t.equal(d.updatedAt, new Date(NOW + 60_000).toISOString())
    t.match(text(r), /^Updated template welcome \(tpl_welcome\): sendable\./)
    const got = okResult(t, 'templates_get', await invoke(sb, 'templates_get', { id: 'tpl_welcome' }))
    t.equal(got.body.body.text, 'Welcome {{name}}! Reply STOP to opt out.')
  })

  t.test('an approved Meta template goes back to PENDING', async (t) => {
    const sb = await sandbox(t, { now })
    const args = { body: 'Hello {{name}}, see you on {{date}} at 10h.', examples: { name: 'João', date: '12/07' } }
    const d = okResult(t, 'templates_update', await invoke(sb, 'templates_update', { id: 'tpl_appointment', ...args }, meta))
    sent(t, sb, 'PUT', '/v1/templates/tpl_appointment', args)
    t.equal(d.metaStatus, 'PENDING')
    t.equal(d.sendable, false)
  })

  t.test('documented errors', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'templates_update', { id: 'nope', body: 'Hi.' })), /HTTP 404 TEMPLATE_NOT_FOUND/)
    t.match(errorText(t, await invoke(sb, 'templates_update', { id: 'order_update', body: 'Hi {{name}}, thanks.' })), /TEMPLATE_EXAMPLES_REQUIRED[\s\S]*"missing":\["name"\]/)
    t.match(errorText(t, await invoke(sb, 'templates_update', { id: 'appointment_reminder', body: 'REJECTME please' }, meta)), /META_TEMPLATE_SUBMIT_FAILED/)
    t.equal(sb.store.templates.get('tpl_appointment')!.metaStatus, 'APPROVED', 'a refused edit changes nothing')
  })

  t.test('the category is fixed at creation (REST check)', async (t) => {
    const sb = await sandbox(t, { now })
    const res = await fetch(`${sb.url}/v1/templates/welcome`, {
      method: 'PUT',
      headers: { 'x-api-key': SANDBOX_KEYS.number, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'UTILITY', body: 'Hi.' })
    })
    t.equal(res.status, 400)
    t.match(await res.json(), { code: 'VALIDATION_ERROR', error: /category is fixed at creation/ })
  })

  t.test('path encoding, refused arguments and scope', async (t) => {
    const sb = await sandbox(t, { now })
    errorText(t, await invoke(sb, 'templates_update', { id: 'a/b', body: 'Hi.' }))
    t.equal(sb.requests[0].path, '/v1/templates/a%2Fb')
    t.match(errorText(t, await invoke(sb, 'templates_update', { id: 'welcome' })), /- body: /)
    t.match(errorText(t, await invoke(sb, 'templates_update', { id: 'welcome', category: 'UTILITY', body: 'Hi.' })), /category: unknown argument/)
    t.match(errorText(t, await invoke(sb, 'templates_update', { id: 'welcome', body: { header: { type: 'IMAGE', base64: 'data:image/png;base64,AA==' }, body: { text: 'Hi.' } } })), /body\.header\.base64/)
    t.equal(sb.requests.length, 0)
    t.match(errorText(t, await invoke(sb, 'templates_update', { id: 'welcome', body: 'Hi.' }, tenant)), /TENANT_SCOPE_NOT_ALLOWED/)
  })
})

t.test('templates_delete', async (t) => {
  t.test('deletes, then the template is gone', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await invoke(sb, 'templates_delete', { id: 'welcome' })
    const d = okResult(t, 'templates_delete', r)
    sent(t, sb, 'DELETE', '/v1/templates/welcome')
    t.strictSame(d, { deleted: true, id: 'tpl_welcome' })
    t.match(text(r), /^Deleted template tpl_welcome\./)
    t.match(errorText(t, await invoke(sb, 'templates_get', { id: 'tpl_welcome' })), /HTTP 404 TEMPLATE_NOT_FOUND/)
    t.match(errorText(t, await invoke(sb, 'templates_delete', { id: 'tpl_welcome' })), /HTTP 404 TEMPLATE_NOT_FOUND/)
  })

  t.test('tenant key with whatsappNumberId', async (t) => {
    const sb = await sandbox(t, { now })
    const d = okResult(t, 'templates_delete', await invoke(sb, 'templates_delete', { id: 'tpl_promo_pending', whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant))
    const req = sent(t, sb, 'DELETE', '/v1/templates/tpl_promo_pending')
    t.equal(req.headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.equal(d.id, 'tpl_promo_pending')
  })

  t.test('path encoding, refused arguments and scope', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'templates_delete', { id: '../numbers/num_demo' })), /TEMPLATE_NOT_FOUND/)
    t.equal(sb.requests[0].path, '/v1/templates/%2E%2E%2Fnumbers%2Fnum_demo')
    t.match(errorText(t, await invoke(sb, 'templates_delete', { id: '' })), /- id: /)
    t.equal(sb.requests.length, 0)
    t.match(errorText(t, await invoke(sb, 'templates_delete', { id: 'welcome' }, tenant)), /TENANT_SCOPE_NOT_ALLOWED/)
    t.ok(sb.store.templates.has('tpl_welcome'))
  })
})
