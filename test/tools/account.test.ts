// Tests of the account toolset against the sandbox: API keys, subscription and billing, branding,
// the analytics dashboard and media download — upstream requests, results, scopes and errors.
import t from 'tap'
import { sandbox, invoke, okResult, errorText, registry, SANDBOX_KEYS, SANDBOX_NUMBERS } from '../helper.js'
import { hints } from '../../tools/define.js'
import type { RunningSandbox } from '../../sandbox/server.js'
import type { SandboxMessage } from '../../sandbox/core.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const now = () => NOW
const tenant = { key: SANDBOX_KEYS.tenant }
const meta = { key: SANDBOX_KEYS.meta }
const META_PHONE_ID = '100200300400500'

async function raw (sb: RunningSandbox, method: string, path: string, body?: unknown, key: string = SANDBOX_KEYS.tenant) {
  const headers: Record<string, string> = { 'x-api-key': key }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(sb.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, body: await res.json() as Record<string, any> }
}

const textOf = (r: { content: Array<{ type: string, text?: string }> }) => r.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n')

t.test('catalogue: scope, hints and descriptions', async (t) => {
  const expected: Record<string, [string, string]> = {
    api_keys_list: ['tenant', 'RI'],
    api_keys_regenerate_number: ['tenant', 'D'],
    subscription_extra_numbers_get: ['tenant', 'RI'],
    subscription_extra_numbers_add: ['tenant', 'O'],
    subscription_extra_numbers_remove: ['tenant', 'D'],
    billing_checkout: ['tenant', 'O'],
    branding_get: ['tenant', 'RI'],
    branding_upsert: ['tenant', 'I'],
    analytics_dashboard: ['number', 'RI'],
    media_get: ['number', 'RI']
  }
  for (const [name, [scope, letters]] of Object.entries(expected)) {
    const tool = registry.all.get(name)!
    t.ok(tool, name)
    t.equal(tool.def.toolset, 'account', `${name} toolset`)
    t.equal(tool.def.scope, scope, `${name} scope`)
    t.same(tool.def.annotations, hints(letters), `${name} hints`)
    t.equal('whatsappNumberId' in (tool.entry.inputSchema.properties ?? {}), scope === 'number' || name === 'api_keys_regenerate_number', `${name} whatsappNumberId argument`)
    t.ok(JSON.stringify(tool.entry).length < 1450, `${name} tools/list entry is compact`)
  }
  t.match(registry.all.get('api_keys_regenerate_number')!.def.description, /OLD key stops working/)
  for (const name of ['subscription_extra_numbers_add', 'billing_checkout']) {
    t.match(registry.all.get(name)!.def.description, /CHARGES MONEY/, `${name} says it charges money`)
    t.match(registry.all.get(name)!.def.description, /explicitly/, `${name} asks for explicit consent`)
  }
})

t.test('wrong scope: number key on every tenant tool → NUMBER_SCOPE_NOT_ALLOWED', async (t) => {
  const sb = await sandbox(t, { now })
  const calls: Array<[string, Record<string, unknown>]> = [
    ['api_keys_list', {}],
    ['api_keys_regenerate_number', { whatsappNumberId: SANDBOX_NUMBERS.demo }],
    ['subscription_extra_numbers_get', {}],
    ['subscription_extra_numbers_add', { quantity: 1, confirm: true }],
    ['subscription_extra_numbers_remove', { quantity: 1 }],
    ['billing_checkout', { purpose: 'add_card' }],
    ['branding_get', {}],
    ['branding_upsert', { companyName: 'X' }]
  ]
  for (const [name, args] of calls) {
    const text = errorText(t, await invoke(sb, name, args))
    t.match(text, /HTTP 403 NUMBER_SCOPE_NOT_ALLOWED/, name)
    t.equal(sb.requests.length, 1, `${name} reached the API once`)
  }
  t.equal(sb.store.tenant.plan, 'FREE', 'nothing was bought')
  t.equal(sb.store.keys.get(SANDBOX_KEYS.number)?.id, 'key_demo_number', 'no key was replaced')
})

t.test('api_keys_list', async (t) => {
  const sb = await sandbox(t, { now })
  const r = await invoke(sb, 'api_keys_list', {}, tenant)
  const d = okResult(t, 'api_keys_list', r)
  t.match(sb.requests[0], { method: 'GET', path: '/v1/api-keys', body: undefined })
  t.same(sb.requests[0].query, {})
  t.same(d.keys, [
    { numberId: 'num_demo', number: '5511999990001', displayName: 'Demo Store', keyId: 'key_demo_number', keyLast4: 'mber', key: SANDBOX_KEYS.number, revealable: true },
    { numberId: 'num_meta', number: '5511999990002', displayName: 'Demo Meta', keyId: 'key_meta_number', keyLast4: 'mber', key: SANDBOX_KEYS.meta, revealable: true },
    { numberId: 'num_offline', number: '5511999990003', displayName: 'Support', keyId: 'key_offline_number', keyLast4: 'mber', key: SANDBOX_KEYS.offline, revealable: true }
  ])
  t.match(textOf(r), /^3 number key\(s\): num_demo …mber, num_meta …mber, num_offline …mber/)
})

t.test('api_keys_regenerate_number: new key once, old key stops working', async (t) => {
  const sb = await sandbox(t, { now })
  const r = await invoke(sb, 'api_keys_regenerate_number', { whatsappNumberId: SANDBOX_NUMBERS.demo }, tenant)
  const d = okResult(t, 'api_keys_regenerate_number', r)
  t.match(sb.requests[0], { method: 'POST', path: '/v1/api-keys' })
  t.same(sb.requests[0].body, { whatsappNumberId: SANDBOX_NUMBERS.demo })
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined, 'the number goes in the body only')
  t.match(d.key, /^ps_sandbox_[0-9a-f]{32}$/)
  t.not(d.key, SANDBOX_KEYS.number)
  t.match(d, { name: 'Default', scope: 'number', whatsappNumberId: SANDBOX_NUMBERS.demo, keyLast4: d.key.slice(-4) })
  t.match(d.id, /^key_/)
  t.match(textOf(r), /the previous key no longer works/)

  const old = errorText(t, await invoke(sb, 'analytics_dashboard', {}, { key: SANDBOX_KEYS.number }))
  t.match(old, /HTTP 401/)
  t.notOk(old.includes(SANDBOX_KEYS.number), 'the key never appears in an error')
  okResult(t, 'analytics_dashboard', await invoke(sb, 'analytics_dashboard', {}, { key: d.key }))
  t.equal(sb.requests[0].headers['x-api-key'], d.key)

  const list = okResult(t, 'api_keys_list', await invoke(sb, 'api_keys_list', {}, tenant))
  t.match(list.keys[0], { numberId: 'num_demo', keyId: d.id, key: d.key, revealable: true })
  t.equal(list.keys.length, 3)
})

t.test('api_keys_regenerate_number: errors', async (t) => {
  const sb = await sandbox(t, { now })
  t.match(errorText(t, await invoke(sb, 'api_keys_regenerate_number', { whatsappNumberId: 'num_nope' }, tenant)), /HTTP 404 NUMBER_NOT_FOUND/)
  t.match(errorText(t, await invoke(sb, 'api_keys_regenerate_number', {}, tenant)), /- whatsappNumberId:/)
  t.equal(sb.requests.length, 0)
  t.match(await raw(sb, 'POST', '/v1/api-keys', {}), { status: 400, body: { code: 'VALIDATION_ERROR' } })
  t.equal(sb.store.keys.size, 4, 'no key was removed by failed calls')
})

t.test('subscription_extra_numbers_get', async (t) => {
  const sb = await sandbox(t, { now })
  const r = await invoke(sb, 'subscription_extra_numbers_get', { quantity: 2 }, tenant)
  const d = okResult(t, 'subscription_extra_numbers_get', r)
  t.match(sb.requests[0], { method: 'GET', path: '/v1/subscription/extra-numbers' })
  t.same(sb.requests[0].query, { quantity: '2' })
  t.match(d, {
    requiresConversion: true,
    fromPlan: 'FREE',
    toPlan: 'ON_DEMAND',
    currentNumbers: 3,
    requested: 2,
    billedQuantity: 2,
    unitPriceBRL: 49.9,
    monthlyTotalBRL: 99.8,
    messagesBecomeUnlimited: true,
    hasSavedCard: false
  })
  t.match(d.explanation.en, /Free to On Demand.*R\$ 99,80\/month/)
  t.match(d.explanation.pt, /Free para On Demand/)
  t.equal(textOf(r).split('\n')[0], d.explanation.en)

  const one = okResult(t, 'subscription_extra_numbers_get', await invoke(sb, 'subscription_extra_numbers_get', {}, tenant))
  t.same(sb.requests[0].query, {})
  t.match(one, { requested: 1, billedQuantity: 1, monthlyTotalBRL: 49.9 })

  t.match(errorText(t, await invoke(sb, 'subscription_extra_numbers_get', { quantity: 0 }, tenant)), /- quantity:/)
  t.equal(sb.requests.length, 0)
  t.match(await raw(sb, 'GET', '/v1/subscription/extra-numbers?quantity=abc'), { status: 400, body: { code: 'VALIDATION_ERROR' } })
})

t.test('subscription_extra_numbers_add: confirmation, checkout, then charge', async (t) => {
  const sb = await sandbox(t, { now })
  const refused = errorText(t, await invoke(sb, 'subscription_extra_numbers_add', { quantity: 1 }, tenant))
  t.same(sb.requests[0].body, { quantity: 1 })
  t.match(refused, /HTTP 409 CONFIRMATION_REQUIRED/)
  t.match(refused, /Preview: \{"requiresConversion":true,"fromPlan":"FREE","toPlan":"ON_DEMAND".*"monthlyTotalBRL":49\.9/)
  t.match(refused, /Hint: This moves the account from the Free plan/)
  t.match(sb.store.tenant, { plan: 'FREE', paidExtraNumbers: 0 })

  t.match(errorText(t, await invoke(sb, 'subscription_extra_numbers_add', { quantity: 1, confirm: false }, tenant)), /CONFIRMATION_REQUIRED/)
  t.same(sb.requests[0].body, { quantity: 1, confirm: false })

  const first = await invoke(sb, 'subscription_extra_numbers_add', { quantity: 1, confirm: true }, tenant)
  const d1 = okResult(t, 'subscription_extra_numbers_add', first)
  t.match(sb.requests[0], { method: 'POST', path: '/v1/subscription/extra-numbers' })
  t.same(sb.requests[0].body, { quantity: 1, confirm: true })
  t.equal(d1.success, true)
  t.equal(d1.charged, false, 'no saved card: checkout instead of a charge')
  t.match(d1.checkoutUrl, /^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/)
  t.match(textOf(first), /the user must pay at https:\/\/checkout\.stripe\.com/)
  t.match(sb.store.tenant, { plan: 'ON_DEMAND', paidExtraNumbers: 1, hasSavedCard: true })

  const second = okResult(t, 'subscription_extra_numbers_add', await invoke(sb, 'subscription_extra_numbers_add', { quantity: 2 }, tenant))
  t.same(sb.requests[0].body, { quantity: 2 })
  t.same(second, { success: true, charged: true, plan: 'ON_DEMAND', paidExtraNumbers: 3, monthlyTotalBRL: 149.7 })

  const preview = okResult(t, 'subscription_extra_numbers_get', await invoke(sb, 'subscription_extra_numbers_get', {}, tenant))
  t.match(preview, { requiresConversion: false, fromPlan: 'ON_DEMAND', billedQuantity: 4, messagesBecomeUnlimited: false, hasSavedCard: true })

  t.match(errorText(t, await invoke(sb, 'subscription_extra_numbers_add', { quantity: 1.5 }, tenant)), /- quantity:/)
  t.equal(sb.requests.length, 0)
})

t.test('subscription_extra_numbers_remove', async (t) => {
  const sb = await sandbox(t, { now })
  Object.assign(sb.store.tenant, { plan: 'ON_DEMAND', paidExtraNumbers: 2, hasSavedCard: true })
  const d = okResult(t, 'subscription_extra_numbers_remove', await invoke(sb, 'subscription_extra_numbers_remove', { quantity: 1 }, tenant))
  t.match(sb.requests[0], { method: 'DELETE', path: '/v1/subscription/extra-numbers' })
  t.same(sb.requests[0].body, { quantity: 1 })
  t.same(d, { success: true, charged: false, plan: 'ON_DEMAND', paidExtraNumbers: 1, maxNumbers: 4, proratedTotal: 0 })

  t.match(errorText(t, await invoke(sb, 'subscription_extra_numbers_remove', { quantity: 2 }, tenant)), /HTTP 400 VALIDATION_ERROR: quantity 2 exceeds the 1 paid/)

  // A 4th number in use: the remaining allowance (3) would be too small.
  const demo = sb.store.numbers.get(SANDBOX_NUMBERS.demo)!
  sb.store.numbers.set('num_fourth', { ...demo, id: 'num_fourth', number: '5511999990004' })
  const text = errorText(t, await invoke(sb, 'subscription_extra_numbers_remove', {}, tenant))
  t.same(sb.requests[0].body, {})
  t.match(text, /HTTP 409 NUMBER_LIMIT_EXCEEDED/)
  t.match(text, /Hint: More numbers are in use than the plan would allow/)
  t.equal(sb.store.tenant.paidExtraNumbers, 1, 'unchanged')

  t.match(errorText(t, await invoke(sb, 'subscription_extra_numbers_remove', { quantity: -1 }, tenant)), /- quantity:/)
  t.equal(sb.requests.length, 0)
})

t.test('billing_checkout', async (t) => {
  const sb = await sandbox(t, { now })
  const args = { purpose: 'wallet_topup', amount: 100, successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/cancel' }
  const r = await invoke(sb, 'billing_checkout', args, tenant)
  const d = okResult(t, 'billing_checkout', r)
  t.match(sb.requests[0], { method: 'POST', path: '/v1/billing/checkout' })
  t.same(sb.requests[0].body, args)
  t.match(d.url, /^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_\w+$/)
  t.match(d.orderId, /^cto_/)
  t.match(d, { purpose: 'wallet_topup', amount: 100, currency: 'BRL' })
  t.match(textOf(r), /for wallet_topup \(R\$ 100\): give the user this link/)
  t.equal(sb.store.tenant.hasSavedCard, false)

  const card = okResult(t, 'billing_checkout', await invoke(sb, 'billing_checkout', { purpose: 'add_card' }, tenant))
  t.same(sb.requests[0].body, { purpose: 'add_card' })
  t.match(card, { purpose: 'add_card', amount: null, currency: 'BRL' })
  t.equal(sb.store.tenant.hasSavedCard, true, 'the sandbox treats the card checkout as completed')

  t.match(errorText(t, await invoke(sb, 'billing_checkout', { purpose: 'wallet_topup' }, tenant)), /amount: required/)
  t.equal(sb.requests.length, 0)
  t.match(errorText(t, await invoke(sb, 'billing_checkout', { purpose: 'wallet_topup', amount: 0 }, tenant)), /- amount:/)
  t.equal(sb.requests.length, 0)
  t.match(errorText(t, await invoke(sb, 'billing_checkout', { purpose: 'refund' }, tenant)), /- purpose:/)
  t.equal(sb.requests.length, 0)
  t.match(errorText(t, await invoke(sb, 'billing_checkout', { purpose: 'add_card', successUrl: 'app://x' }, tenant)), /- successUrl:/)
  t.equal(sb.requests.length, 0)

  t.match(await raw(sb, 'POST', '/v1/billing/checkout', { purpose: 'wallet_topup' }), { status: 400, body: { code: 'VALIDATION_ERROR' } })
  t.match(await raw(sb, 'POST', '/v1/billing/checkout', { purpose: 'wallet_topup', amount: -5 }), { status: 400, body: { code: 'VALIDATION_ERROR' } })
  t.match(await raw(sb, 'POST', '/v1/billing/checkout', { purpose: 'gift' }), { status: 400, body: { code: 'VALIDATION_ERROR' } })
})

t.test('branding_get and branding_upsert', async (t) => {
  const sb = await sandbox(t, { now })
  const seeded = {
    logoUrl: null,
    primaryColor: '#25D366',
    backgroundColor: null,
    companyName: 'Demo Store',
    subtitle: null,
    supportUrl: 'https://demo-store.example/help',
    defaultRedirectUrl: null,
    hidePilotStatusBranding: false
  }
  const got = okResult(t, 'branding_get', await invoke(sb, 'branding_get', {}, tenant))
  t.match(sb.requests[0], { method: 'GET', path: '/v1/branding', body: undefined })
  t.same(got, { branding: seeded })

  const r = await invoke(sb, 'branding_upsert', { companyName: 'Loja Azul', primaryColor: '#0a84ff', logoUrl: 'https://cdn.example/logo.png', subtitle: null }, tenant)
  const d = okResult(t, 'branding_upsert', r)
  t.match(sb.requests[0], { method: 'PUT', path: '/v1/branding' })
  t.same(sb.requests[0].body, { companyName: 'Loja Azul', primaryColor: '#0a84ff', logoUrl: 'https://cdn.example/logo.png', subtitle: null })
  t.same(d.branding, { ...seeded, companyName: 'Loja Azul', primaryColor: '#0a84ff', logoUrl: 'https://cdn.example/logo.png' })
  t.match(textOf(r), /^Branding updated \(companyName, primaryColor, logoUrl, subtitle\)\./)

  const cleared = okResult(t, 'branding_upsert', await invoke(sb, 'branding_upsert', { supportUrl: null, hidePilotStatusBranding: true }, tenant))
  t.same(sb.requests[0].body, { supportUrl: null, hidePilotStatusBranding: true })
  t.same(cleared.branding, { ...seeded, companyName: 'Loja Azul', primaryColor: '#0a84ff', logoUrl: 'https://cdn.example/logo.png', supportUrl: null, hidePilotStatusBranding: true })
  t.same(okResult(t, 'branding_get', await invoke(sb, 'branding_get', {}, tenant)).branding, cleared.branding, 'persisted')

  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ logoUrl: 'http://cdn.example/logo.png' }, /- logoUrl:/],
    [{ primaryColor: 'blue' }, /- primaryColor:/],
    [{ backgroundColor: '#12345' }, /- backgroundColor:/],
    [{ companyName: 'x'.repeat(61) }, /- companyName:/],
    [{ subtitle: 'x'.repeat(121) }, /- subtitle:/],
    [{ hidePilotStatusBranding: 'maybe' }, /- hidePilotStatusBranding:/],
    [{ colour: '#FFFFFF' }, /- colour: unknown argument/],
    [{}, /pass at least one of logoUrl, primaryColor/]
  ]
  for (const [args, msg] of bad) {
    t.match(errorText(t, await invoke(sb, 'branding_upsert', args, tenant)), msg)
    t.equal(sb.requests.length, 0, `${JSON.stringify(args)} refused before any request`)
  }

  // The sandbox validates too (400 naming the field), for clients that skip the tool's checks.
  for (const [body, field] of [
    [{ primaryColor: 'blue' }, 'primaryColor'],
    [{ supportUrl: 'http://x.example' }, 'supportUrl'],
    [{ companyName: 'x'.repeat(61) }, 'companyName'],
    [{ subtitle: 'x'.repeat(121) }, 'subtitle'],
    [{ hidePilotStatusBranding: 'yes' }, 'hidePilotStatusBranding'],
    [{ theme: 'dark' }, 'theme']
  ] as const) {
    const res = await raw(sb, 'PUT', '/v1/branding', body)
    t.equal(res.status, 400)
    t.equal(res.body.code, 'VALIDATION_ERROR')
    t.match(res.body.error, field)
  }
  t.same(okResult(t, 'branding_get', await invoke(sb, 'branding_get', {}, tenant)).branding, cleared.branding, 'rejected upserts changed nothing')
})

function message (sb: RunningSandbox, over: Partial<SandboxMessage> & { createdAt: string }): SandboxMessage {
  const m: SandboxMessage = {
    id: sb.store.id('msg'),
    correlationId: sb.store.id('cor'),
    numberId: SANDBOX_NUMBERS.demo,
    conversationId: 'conv_test',
    direction: 'OUTBOUND',
    type: 'text',
    text: 'hello',
    participantPhone: '+5511987650001',
    participantName: null,
    templateId: null,
    templateName: null,
    media: null,
    externalMessageId: null,
    origin: 'API',
    deliverAt: null,
    fixedStatus: null,
    errorMessage: null,
    read: false,
    ...over
  }
  sb.store.messages.push(m)
  return m
}

/** Replaces the seeded messages with a known set on num_demo (and decoys that must not count). */
function seedAnalytics (sb: RunningSandbox): void {
  sb.store.messages.length = 0
  const at = (iso: string) => ({ createdAt: iso })
  for (let i = 0; i < 3; i++) message(sb, at('2026-06-19T10:00:00.000Z')) // READ
  message(sb, { ...at('2026-06-18T09:00:00.000Z'), fixedStatus: 'FAILED' })
  message(sb, at(new Date(NOW - 500).toISOString())) // QUEUED
  message(sb, at(new Date(NOW - 2000).toISOString())) // SENT
  message(sb, at(new Date(NOW - 4000).toISOString())) // DELIVERED
  message(sb, at('2026-06-14T01:00:00.000Z')) // READ; 2026-06-13 in São Paulo
  message(sb, { ...at('2026-06-19T11:00:00.000Z'), fixedStatus: 'CANCELED' })
  message(sb, { ...at('2026-06-19T11:00:00.000Z'), direction: 'INBOUND' })
  message(sb, { ...at('2026-06-19T11:00:00.000Z'), numberId: SANDBOX_NUMBERS.meta })
  message(sb, at('2026-06-10T10:00:00.000Z')) // previous period
  message(sb, at('2026-06-11T10:00:00.000Z'))
  message(sb, { ...at('2026-06-12T10:00:00.000Z'), fixedStatus: 'FAILED' })
  message(sb, at('2026-05-01T10:00:00.000Z')) // outside both periods
}

t.test('analytics_dashboard', async (t) => {
  t.test('7d in UTC, computed from the number\'s outbound messages', async (t) => {
    const sb = await sandbox(t, { now })
    seedAnalytics(sb)
    const r = await invoke(sb, 'analytics_dashboard', { period: '7d' })
    const d = okResult(t, 'analytics_dashboard', r)
    t.match(sb.requests[0], { method: 'GET', path: '/v1/analytics/dashboard' })
    t.same(sb.requests[0].query, { period: '7d' })
    t.same(d, {
      totalSent: 6,
      totalFailed: 1,
      sentPercentChange: 200,
      failedPercentChange: 0,
      failureRate: 14.3,
      dailyMessages: [
        { date: '2026-06-14', count: 1 },
        { date: '2026-06-15', count: 0 },
        { date: '2026-06-16', count: 0 },
        { date: '2026-06-17', count: 0 },
        { date: '2026-06-18', count: 1 },
        { date: '2026-06-19', count: 3 },
        { date: '2026-06-20', count: 3 }
      ],
      statusDistribution: { queued: 1, sent: 2, failed: 1, read: 4 }
    })
    t.match(textOf(r), /^Last 7d: 6 sent, 1 failed \(failure rate 14\.3%\)\./)
  })

  t.test('tz moves day boundaries; tenant key picks the number', async (t) => {
    const sb = await sandbox(t, { now })
    seedAnalytics(sb)
    const d = okResult(t, 'analytics_dashboard', await invoke(sb, 'analytics_dashboard', { period: '7d', tz: 'America/Sao_Paulo', whatsappNumberId: SANDBOX_NUMBERS.demo }, tenant))
    t.same(sb.requests[0].query, { period: '7d', tz: 'America/Sao_Paulo' })
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
    t.equal(d.totalSent, 5, 'the 06-14 01:00Z message is 06-13 in São Paulo')
    t.equal(d.sentPercentChange, 66.7)
    t.same(d.dailyMessages[0], { date: '2026-06-14', count: 0 })
    t.same(d.dailyMessages[6], { date: '2026-06-20', count: 3 })
  })

  t.test('default period is 30 days; the timezone alias works upstream', async (t) => {
    const sb = await sandbox(t, { now })
    seedAnalytics(sb)
    const d = okResult(t, 'analytics_dashboard', await invoke(sb, 'analytics_dashboard', {}))
    t.same(sb.requests[0].query, {})
    t.equal(d.dailyMessages.length, 30)
    t.same(d.dailyMessages[0], { date: '2026-05-22', count: 0 })
    t.equal(d.totalSent, 8)
    t.equal(d.totalFailed, 2)
    t.equal(d.failureRate, 20)
    t.equal(d.sentPercentChange, 700, 'the 05-01 message falls in the previous 30 days: 1 → 8')
    const alias = await raw(sb, 'GET', '/v1/analytics/dashboard?period=7d&timezone=America/Sao_Paulo', undefined, SANDBOX_KEYS.number)
    t.equal(alias.status, 200)
    t.equal(alias.body.totalSent, 5)
  })

  t.test('other numbers and messages of the helpers\' seeds do not leak in', async (t) => {
    const sb = await sandbox(t, { now })
    const mine = sb.store.messages.filter((m) => m.numberId === SANDBOX_NUMBERS.meta && m.direction === 'OUTBOUND' && sb.store.messageStatus(m) === 'FAILED' &&
      Date.parse(m.createdAt) >= Date.parse('2026-05-22T00:00:00.000Z'))
    const d = okResult(t, 'analytics_dashboard', await invoke(sb, 'analytics_dashboard', {}, meta))
    t.equal(d.totalFailed, mine.length)
    t.equal(d.dailyMessages.reduce((s: number, x: { count: number }) => s + x.count, 0),
      d.statusDistribution.queued + d.statusDistribution.sent + d.statusDistribution.failed + d.statusDistribution.read)
  })

  t.test('errors', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'analytics_dashboard', {}, tenant)), /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined)
    t.match(errorText(t, await invoke(sb, 'analytics_dashboard', { tz: 'Mars/Olympus_Mons' })), /HTTP 400 VALIDATION_ERROR: Unknown time zone Mars\/Olympus_Mons/)
    t.match(errorText(t, await invoke(sb, 'analytics_dashboard', { period: '1y' })), /- period:/)
    t.equal(sb.requests.length, 0)
    t.match(await raw(sb, 'GET', '/v1/analytics/dashboard?period=365d', undefined, SANDBOX_KEYS.number), { status: 400, body: { code: 'VALIDATION_ERROR' } })
  })
})

t.test('media_get', async (t) => {
  t.test('an image comes back as MCP image content, not in the text', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await invoke(sb, 'media_get', { mediaId: 'mid_demo_image', phoneNumberId: META_PHONE_ID }, meta)
    const d = okResult(t, 'media_get', r)
    t.match(sb.requests[0], { method: 'GET', path: '/v1/media/mid_demo_image', body: undefined })
    t.same(sb.requests[0].query, { phoneNumberId: META_PHONE_ID })
    t.match(d, { mediaId: 'mid_demo_image', mimeType: 'image/png', fileName: null })
    t.match(d.base64, /^data:image\/png;base64,iVBORw0KGgo/)
    t.equal(r.content.length, 2)
    const img = r.content[1]
    t.equal(img.type, 'image')
    if (img.type !== 'image') return
    t.equal(img.mimeType, 'image/png')
    const png = Buffer.from(img.data, 'base64')
    t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature')
    t.equal(png.readUInt32BE(16), 16, 'width 16')
    t.equal(png.readUInt32BE(20), 16, 'height 16')
    const text = textOf(r)
    t.match(text, /^Downloaded image\/png \(media mid_demo_image\)\./)
    t.match(text, /"base64": "\(attached as separate content\)"/)
    t.notOk(text.includes('iVBORw0KGgo'), 'no base64 in the text block')
  })

  t.test('audio as MCP audio content; a PDF as an embedded resource', async (t) => {
    const sb = await sandbox(t, { now })
    const a = await invoke(sb, 'media_get', { mediaId: 'mid_demo_audio', phoneNumberId: META_PHONE_ID }, meta)
    okResult(t, 'media_get', a)
    const audio = a.content[1]
    t.equal(audio.type, 'audio')
    if (audio.type === 'audio') {
      t.equal(audio.mimeType, 'audio/ogg')
      const ogg = Buffer.from(audio.data, 'base64')
      t.equal(ogg.subarray(0, 4).toString('latin1'), 'OggS')
      t.equal(ogg.subarray(28, 36).toString('latin1'), 'OpusHead')
    }

    const p = await invoke(sb, 'media_get', { mediaId: 'mid_demo_pdf', phoneNumberId: META_PHONE_ID }, meta)
    const d = okResult(t, 'media_get', p)
    t.equal(d.fileName, 'invoice-1042.pdf')
    t.match(textOf(p), /^Downloaded application\/pdf "invoice-1042\.pdf"/)
    const res = p.content[1]
    t.equal(res.type, 'resource')
    if (res.type === 'resource') {
      t.equal(res.resource.uri, 'pilot-status://media/mid_demo_pdf')
      t.equal(res.resource.mimeType, 'application/pdf')
      const pdf = Buffer.from(String((res.resource as { blob: string }).blob), 'base64').toString('latin1')
      t.match(pdf, /^%PDF-1\.4\n/)
      t.match(pdf, /Invoice #1042/)
      t.match(pdf, /%%EOF\n$/)
    }
  })

  t.test('tenant key picks the Meta number', async (t) => {
    const sb = await sandbox(t, { now })
    okResult(t, 'media_get', await invoke(sb, 'media_get', { mediaId: 'mid_demo_image', phoneNumberId: META_PHONE_ID, whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant))
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
  })

  t.test('errors', async (t) => {
    const sb = await sandbox(t, { now })
    t.match(errorText(t, await invoke(sb, 'media_get', { mediaId: 'mid_demo_image', phoneNumberId: META_PHONE_ID })), /HTTP 400 NOT_SUPPORTED_FOR_PROVIDER/)
    t.match(errorText(t, await invoke(sb, 'media_get', { mediaId: 'mid_demo_image', phoneNumberId: '999' }, meta)), /HTTP 400 VALIDATION_ERROR: phoneNumberId 999/)
    t.match(errorText(t, await invoke(sb, 'media_get', { mediaId: 'mid_gone', phoneNumberId: META_PHONE_ID }, meta)), /HTTP 404 MEDIA_NOT_FOUND/)
    t.match(errorText(t, await invoke(sb, 'media_get', { mediaId: 'mid_demo_image', phoneNumberId: META_PHONE_ID }, tenant)), /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
    await invoke(sb, 'media_get', { mediaId: 'a/../b', phoneNumberId: META_PHONE_ID }, meta)
    t.equal(sb.requests[0].path, '/v1/media/a%2F%2E%2E%2Fb')
    t.match(errorText(t, await invoke(sb, 'media_get', { mediaId: 'mid_demo_image' }, meta)), /- phoneNumberId:/)
    t.equal(sb.requests.length, 0)
    t.match(await raw(sb, 'GET', '/v1/media/mid_demo_image', undefined, SANDBOX_KEYS.meta), { status: 400, body: { code: 'VALIDATION_ERROR' } })
  })
})
