// The simulator's account API: API keys, the extra-number subscription and checkout, branding,
// the analytics dashboard computed from stored messages, and Meta media downloads — scope rules,
// state that sticks and the error codes, driven over HTTP.
import type { Test } from 'tap'
import { sandbox, ok, fails, api, SANDBOX_KEYS, SANDBOX_NUMBERS } from './api.js'
import type { RunningSandbox } from '../../sandbox/server.js'
import type { SandboxMessage } from '../../sandbox/core.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const now = () => NOW
const TENANT = { key: 'tenant' as const }
const META_PHONE_ID = '100200300400500'

export default async function suite (t: Test): Promise<void> {
  t.test('tenant-only routes refuse a number key; nothing changes', async (t) => {
    const sb = await sandbox(t, { now })
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/api-keys'],
      ['POST', '/v1/api-keys', { whatsappNumberId: SANDBOX_NUMBERS.demo }],
      ['GET', '/v1/subscription/extra-numbers'],
      ['POST', '/v1/subscription/extra-numbers', { quantity: 1, confirm: true }],
      ['DELETE', '/v1/subscription/extra-numbers', { quantity: 1 }],
      ['POST', '/v1/billing/checkout', { purpose: 'add_card' }],
      ['GET', '/v1/branding'],
      ['PUT', '/v1/branding', { companyName: 'X' }]
    ]
    for (const [method, path, body] of routes) await fails(t, sb, method, path, 403, 'NUMBER_SCOPE_NOT_ALLOWED', { body })
    t.equal(sb.store.tenant.plan, 'FREE', 'nothing was bought')
    t.equal(sb.store.keys.get(SANDBOX_KEYS.number)?.id, 'key_demo_number', 'no key was replaced')
  })

  t.test('API keys: listed per number; regenerating replaces the old key at once', async (t) => {
    const sb = await sandbox(t, { now })
    t.same(await ok(t, sb, 'GET', '/v1/api-keys', TENANT), [
      { numberId: 'num_demo', number: '5511999990001', displayName: 'Demo Store', keyId: 'key_demo_number', keyLast4: 'mber', key: SANDBOX_KEYS.number, revealable: true },
      { numberId: 'num_meta', number: '5511999990002', displayName: 'Demo Meta', keyId: 'key_meta_number', keyLast4: 'mber', key: SANDBOX_KEYS.meta, revealable: true },
      { numberId: 'num_offline', number: '5511999990003', displayName: 'Support', keyId: 'key_offline_number', keyLast4: 'mber', key: SANDBOX_KEYS.offline, revealable: true }
    ])
    const d = await ok(t, sb, 'POST', '/v1/api-keys', { ...TENANT, body: { whatsappNumberId: SANDBOX_NUMBERS.demo } })
    t.match(d, { key: /^ps_sandbox_[0-9a-f]{32}$/, name: 'Default', scope: 'number', whatsappNumberId: SANDBOX_NUMBERS.demo, id: /^key_/ })
    t.equal(d.keyLast4, d.key.slice(-4))
    t.equal(await fails(t, sb, 'GET', '/v1/analytics/dashboard', 401, 'UNAUTHORIZED'), 'Invalid API key', 'the old key stops working')
    await ok(t, sb, 'GET', '/v1/analytics/dashboard', { key: d.key })
    const list = await ok(t, sb, 'GET', '/v1/api-keys', TENANT)
    t.match(list[0], { numberId: 'num_demo', keyId: d.id, key: d.key, revealable: true })
    t.equal(list.length, 3)
    await fails(t, sb, 'POST', '/v1/api-keys', 404, 'NUMBER_NOT_FOUND', { ...TENANT, body: { whatsappNumberId: 'num_nope' } })
    await fails(t, sb, 'POST', '/v1/api-keys', 400, 'VALIDATION_ERROR', { ...TENANT, body: {} })
    t.equal(sb.store.keys.size, 4, 'failed calls removed no key')
    // A key id names a key; with a raw key it must match it.
    await ok(t, sb, 'GET', '/v1/numbers', { key: null, headers: { 'x-api-key-id': 'key_meta_number' } })
    await fails(t, sb, 'GET', '/v1/numbers', 401, 'UNAUTHORIZED', { key: 'meta', headers: { 'x-api-key-id': 'key_demo_number' } })
    await fails(t, sb, 'GET', '/v1/numbers', 401, 'INVALID_TOKEN', { key: null, headers: { authorization: 'Bearer nope' } })
  })

  t.test('extra numbers: a preview, confirmation to leave Free, checkout without a card, then charges; removal rules', async (t) => {
    const sb = await sandbox(t, { now })
    const preview = await ok(t, sb, 'GET', '/v1/subscription/extra-numbers', { ...TENANT, query: { quantity: 2 } })
    t.match(preview, { requiresConversion: true, fromPlan: 'FREE', toPlan: 'ON_DEMAND', currentNumbers: 3, requested: 2, billedQuantity: 2, unitPriceBRL: 49.9, monthlyTotalBRL: 99.8, messagesBecomeUnlimited: true, hasSavedCard: false })
    t.match(preview.explanation.en, /Free to On Demand.*R\$ 99,80\/month/)
    t.match(preview.explanation.pt, /Free para On Demand/)
    t.match(await ok(t, sb, 'GET', '/v1/subscription/extra-numbers', TENANT), { requested: 1, billedQuantity: 1, monthlyTotalBRL: 49.9 })
    await fails(t, sb, 'GET', '/v1/subscription/extra-numbers', 400, 'VALIDATION_ERROR', { ...TENANT, query: { quantity: 'abc' } })

    const refused = await api(sb, 'POST', '/v1/subscription/extra-numbers', { ...TENANT, body: { quantity: 1 } })
    t.equal(refused.status, 409)
    t.match(refused.body, { code: 'CONFIRMATION_REQUIRED', preview: { requiresConversion: true, fromPlan: 'FREE', toPlan: 'ON_DEMAND', monthlyTotalBRL: 49.9 } })
    await fails(t, sb, 'POST', '/v1/subscription/extra-numbers', 409, 'CONFIRMATION_REQUIRED', { ...TENANT, body: { quantity: 1, confirm: false } })
    t.match(sb.store.tenant, { plan: 'FREE', paidExtraNumbers: 0 })
    const first = await ok(t, sb, 'POST', '/v1/subscription/extra-numbers', { ...TENANT, body: { quantity: 1, confirm: true } })
    t.match(first, { success: true, charged: false, checkoutUrl: /^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/ })
    t.match(sb.store.tenant, { plan: 'ON_DEMAND', paidExtraNumbers: 1, hasSavedCard: true })
    t.same(await ok(t, sb, 'POST', '/v1/subscription/extra-numbers', { ...TENANT, body: { quantity: 2 } }), { success: true, charged: true, plan: 'ON_DEMAND', paidExtraNumbers: 3, monthlyTotalBRL: 149.7 })
    t.match(await ok(t, sb, 'GET', '/v1/subscription/extra-numbers', TENANT), { requiresConversion: false, fromPlan: 'ON_DEMAND', billedQuantity: 4, messagesBecomeUnlimited: false, hasSavedCard: true })

    t.same(await ok(t, sb, 'DELETE', '/v1/subscription/extra-numbers', { ...TENANT, body: { quantity: 2 } }), { success: true, charged: false, plan: 'ON_DEMAND', paidExtraNumbers: 1, maxNumbers: 4, proratedTotal: 0 })
    t.match(await fails(t, sb, 'DELETE', '/v1/subscription/extra-numbers', 400, 'VALIDATION_ERROR', { ...TENANT, body: { quantity: 2 } }), /^quantity 2 exceeds the 1 paid/)
    const demo = sb.store.numbers.get(SANDBOX_NUMBERS.demo)!
    sb.store.numbers.set('num_fourth', { ...demo, id: 'num_fourth', number: '5511999990004' })
    await fails(t, sb, 'DELETE', '/v1/subscription/extra-numbers', 409, 'NUMBER_LIMIT_EXCEEDED', { ...TENANT, body: {} })
    t.equal(sb.store.tenant.paidExtraNumbers, 1, 'unchanged')
  })

  t.test('billing checkout: a Stripe link per purpose; the card checkout counts as completed; validation', async (t) => {
    const sb = await sandbox(t, { now })
    const d = await ok(t, sb, 'POST', '/v1/billing/checkout', { ...TENANT, body: { purpose: 'wallet_topup', amount: 100, successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/cancel' } })
    t.match(d, { url: /^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_\w+$/, orderId: /^cto_/, purpose: 'wallet_topup', amount: 100, currency: 'BRL' })
    t.equal(sb.store.tenant.hasSavedCard, false)
    t.match(await ok(t, sb, 'POST', '/v1/billing/checkout', { ...TENANT, body: { purpose: 'add_card' } }), { purpose: 'add_card', amount: null, currency: 'BRL' })
    t.equal(sb.store.tenant.hasSavedCard, true)
    for (const body of [{ purpose: 'wallet_topup' }, { purpose: 'wallet_topup', amount: -5 }, { purpose: 'gift' }, { purpose: 'add_card', successUrl: 'app://x' }]) {
      await fails(t, sb, 'POST', '/v1/billing/checkout', 400, 'VALIDATION_ERROR', { ...TENANT, body })
    }
  })

  t.test('branding: seeded, partial upserts that stick, null clears, every field validated', async (t) => {
    const sb = await sandbox(t, { now })
    const seeded = { logoUrl: null, primaryColor: '#25D366', backgroundColor: null, companyName: 'Demo Store', subtitle: null, supportUrl: 'https://demo-store.example/help', defaultRedirectUrl: null, hidePilotStatusBranding: false }
    t.same(await ok(t, sb, 'GET', '/v1/branding', TENANT), { branding: seeded })
    const d = await ok(t, sb, 'PUT', '/v1/branding', { ...TENANT, body: { companyName: 'Loja Azul', primaryColor: '#0a84ff', logoUrl: 'https://cdn.example/logo.png', subtitle: null } })
    t.same(d.branding, { ...seeded, companyName: 'Loja Azul', primaryColor: '#0a84ff', logoUrl: 'https://cdn.example/logo.png' })
    const cleared = await ok(t, sb, 'PUT', '/v1/branding', { ...TENANT, body: { supportUrl: null, hidePilotStatusBranding: true } })
    t.same(cleared.branding, { ...d.branding, supportUrl: null, hidePilotStatusBranding: true })
    for (const [body, field] of [
      [{ primaryColor: 'blue' }, 'primaryColor'],
      [{ backgroundColor: '#12345' }, 'backgroundColor'],
      [{ logoUrl: 'http://cdn.example/logo.png' }, 'logoUrl'],
      [{ supportUrl: 'http://x.example' }, 'supportUrl'],
      [{ companyName: 'x'.repeat(61) }, 'companyName'],
      [{ subtitle: 'x'.repeat(121) }, 'subtitle'],
      [{ hidePilotStatusBranding: 'yes' }, 'hidePilotStatusBranding'],
      [{ theme: 'dark' }, 'theme']
    ] as const) {
      t.match(await fails(t, sb, 'PUT', '/v1/branding', 400, 'VALIDATION_ERROR', { ...TENANT, body }), field)
    }
    t.same(await ok(t, sb, 'GET', '/v1/branding', TENANT), { branding: cleared.branding }, 'rejected upserts changed nothing')
  })

  function message (sb: RunningSandbox, over: Partial<SandboxMessage> & { createdAt: string }): void {
    sb.store.messages.push({
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
    })
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

  t.test('analytics: computed from the number\'s outbound messages; periods, time zones, previous-period change', async (t) => {
    const sb = await sandbox(t, { now })
    seedAnalytics(sb)
    t.same(await ok(t, sb, 'GET', '/v1/analytics/dashboard', { query: { period: '7d' } }), {
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
    const sp = await ok(t, sb, 'GET', '/v1/analytics/dashboard', { key: 'tenant', number: SANDBOX_NUMBERS.demo, query: { period: '7d', tz: 'America/Sao_Paulo' } })
    t.equal(sp.totalSent, 5, 'the 06-14 01:00Z message is 06-13 in São Paulo')
    t.equal(sp.sentPercentChange, 66.7)
    t.same(sp.dailyMessages[0], { date: '2026-06-14', count: 0 })
    t.same(sp.dailyMessages[6], { date: '2026-06-20', count: 3 })
    t.equal((await ok(t, sb, 'GET', '/v1/analytics/dashboard', { query: { period: '7d', timezone: 'America/Sao_Paulo' } })).totalSent, 5, 'the timezone alias')

    const d30 = await ok(t, sb, 'GET', '/v1/analytics/dashboard')
    t.equal(d30.dailyMessages.length, 30)
    t.same(d30.dailyMessages[0], { date: '2026-05-22', count: 0 })
    t.match(d30, { totalSent: 8, totalFailed: 2, failureRate: 20, sentPercentChange: 700 })

    await fails(t, sb, 'GET', '/v1/analytics/dashboard', 403, 'TENANT_SCOPE_NOT_ALLOWED', TENANT)
    t.match(await fails(t, sb, 'GET', '/v1/analytics/dashboard', 400, 'VALIDATION_ERROR', { query: { tz: 'Mars/Olympus_Mons' } }), /^Unknown time zone Mars\/Olympus_Mons/)
    await fails(t, sb, 'GET', '/v1/analytics/dashboard', 400, 'VALIDATION_ERROR', { query: { period: '365d' } })
  })

  t.test('analytics on the seeded data: other numbers do not leak in; the daily counts add up', async (t) => {
    const sb = await sandbox(t, { now })
    const failed = sb.store.messages.filter((m) => m.numberId === SANDBOX_NUMBERS.meta && m.direction === 'OUTBOUND' && sb.store.messageStatus(m) === 'FAILED' &&
      Date.parse(m.createdAt) >= Date.parse('2026-05-22T00:00:00.000Z'))
    const d = await ok(t, sb, 'GET', '/v1/analytics/dashboard', { key: 'meta' })
    t.equal(d.totalFailed, failed.length)
    t.equal(d.dailyMessages.reduce((s: number, x: { count: number }) => s + x.count, 0), d.statusDistribution.queued + d.statusDistribution.sent + d.statusDistribution.failed + d.statusDistribution.read)
  })

  t.test('media (Meta numbers): real image, audio and PDF bytes; the phoneNumberId must match', async (t) => {
    const sb = await sandbox(t, { now })
    const get = (id: string) => ok(t, sb, 'GET', `/v1/media/${id}`, { key: 'meta', query: { phoneNumberId: META_PHONE_ID } })
    const img = await get('mid_demo_image')
    t.match(img, { mediaId: 'mid_demo_image', mimeType: 'image/png', fileName: null, base64: /^data:image\/png;base64,iVBORw0KGgo/ })
    const png = Buffer.from(img.base64.split(',')[1], 'base64')
    t.same([png.readUInt32BE(16), png.readUInt32BE(20)], [16, 16], 'a 16×16 PNG')
    const ogg = Buffer.from((await get('mid_demo_audio')).base64.split(',')[1], 'base64')
    t.equal(ogg.subarray(0, 4).toString('latin1'), 'OggS')
    t.equal(ogg.subarray(28, 36).toString('latin1'), 'OpusHead')
    const pdf = await get('mid_demo_pdf')
    t.equal(pdf.fileName, 'invoice-1042.pdf')
    const text = Buffer.from(pdf.base64.split(',')[1], 'base64').toString('latin1')
    t.match(text, /^%PDF-1\.4\n[^]*Invoice #1042[^]*%%EOF\n$/)
    await ok(t, sb, 'GET', '/v1/media/mid_demo_image', { key: 'tenant', number: SANDBOX_NUMBERS.meta, query: { phoneNumberId: META_PHONE_ID } })

    await fails(t, sb, 'GET', '/v1/media/mid_demo_image', 400, 'NOT_SUPPORTED_FOR_PROVIDER', { query: { phoneNumberId: META_PHONE_ID } })
    t.match(await fails(t, sb, 'GET', '/v1/media/mid_demo_image', 400, 'VALIDATION_ERROR', { key: 'meta', query: { phoneNumberId: '999' } }), /^phoneNumberId 999/)
    await fails(t, sb, 'GET', '/v1/media/mid_demo_image', 400, 'VALIDATION_ERROR', { key: 'meta' })
    await fails(t, sb, 'GET', '/v1/media/mid_gone', 404, 'MEDIA_NOT_FOUND', { key: 'meta', query: { phoneNumberId: META_PHONE_ID } })
    await fails(t, sb, 'GET', '/v1/media/mid_demo_image', 403, 'TENANT_SCOPE_NOT_ALLOWED', { ...TENANT, query: { phoneNumberId: META_PHONE_ID } })
  })
}
