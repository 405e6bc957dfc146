// The simulator's numbers API: listing per key, health and the Meta block, create → QR → scan →
// OPEN → delete on its clock, key linking, connect, remote pairing with its public routes, the
// WhatsApp check, and the error codes, driven over HTTP.
import type { Test } from 'tap'
import { sandbox, clocked, ok, fails, api, SANDBOX_KEYS, SANDBOX_KEY_IDS, SANDBOX_NUMBERS } from './api.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const STEP = 1000
const SEEDED = new Date(NOW - 30 * 86_400_000).toISOString()
const ids = (list: Array<{ id: string }>) => list.map((n) => n.id)

export default async function suite (t: Test): Promise<void> {
  t.test('list: a tenant key sees every number, a number key its own; keys are never returned raw', async (t) => {
    const sb = await sandbox(t, { now: () => NOW })
    const d = await ok(t, sb, 'GET', '/v1/numbers', { key: 'tenant' })
    t.ok(Array.isArray(d), 'a bare array, as the API answers')
    t.same(d.map((n: any) => [n.id, n.state]), [['num_demo', 'OPEN'], ['num_meta', 'OPEN'], ['num_offline', 'CLOSE']])
    t.strictSame(d[1], {
      id: 'num_meta',
      instanceName: 'inst_num_meta',
      number: '5511999990002',
      name: 'Demo Meta',
      provider: 'META',
      apiKeys: [{ name: 'Default', keyPrefix: 'ps_sandb', keyLast4: 'mber' }],
      state: 'OPEN',
      isFullyConnected: true,
      createdAt: SEEDED,
      updatedAt: SEEDED
    })
    t.notOk(JSON.stringify(d).includes(SANDBOX_KEYS.meta), 'no raw key')
    t.same(ids(await ok(t, sb, 'GET', '/v1/numbers', { key: 'offline' })), ['num_offline'])
    await fails(t, sb, 'GET', '/v1/numbers', 401, 'UNAUTHORIZED', { key: null })
  })

  t.test('get: health and the Meta block, refreshed on request; QR numbers have none; other numbers are not found', async (t) => {
    const { sb, tick } = await clocked(t, NOW)
    const d = await ok(t, sb, 'GET', '/v1/numbers/num_meta', { key: 'tenant' })
    t.match(d, { id: 'num_meta', provider: 'META', state: 'OPEN', isFullyConnected: true })
    t.strictSame(d.health, { qualityRating: 'GREEN', messagingLimitTier: 'TIER_1K', metaStatus: 'CONNECTED', sendable: true })
    t.match(d.meta, { phone: { id: '100200300400500', displayPhoneNumber: '+5511999990002', qualityRating: 'GREEN' }, waba: { id: '200300400500600' } })
    t.equal(d.meta.fetchedAt, new Date(NOW - 3_600_000).toISOString())
    tick(60_000)
    t.equal((await ok(t, sb, 'GET', '/v1/numbers/num_meta', { key: 'tenant' })).meta.fetchedAt, new Date(NOW - 3_600_000).toISOString(), 'cached')
    t.equal((await ok(t, sb, 'GET', '/v1/numbers/num_meta', { key: 'tenant', query: { refresh: 1 } })).meta.fetchedAt, new Date(NOW + 60_000).toISOString(), 'fetched live now')

    const demo = await ok(t, sb, 'GET', '/v1/numbers/num_demo', { key: 'tenant' })
    t.strictSame(demo.health, { qualityRating: null, messagingLimitTier: null, metaStatus: null, sendable: true })
    t.equal(demo.meta, null)
    t.equal((await ok(t, sb, 'GET', '/v1/numbers/num_offline', { key: 'tenant' })).health.sendable, false)
    t.equal((await ok(t, sb, 'GET', '/v1/numbers/num_demo')).id, 'num_demo')
    t.equal(await fails(t, sb, 'GET', '/v1/numbers/num_meta', 404, 'NUMBER_NOT_FOUND'), 'Number num_meta not found')
    t.equal(await fails(t, sb, 'GET', '/v1/numbers/..%2Fnumbers', 404, 'NUMBER_NOT_FOUND', { key: 'tenant' }), 'Number ../numbers not found')
  })

  t.test('create → CONNECTING with a QR → scanned 3 steps later → OPEN → delete → gone', async (t) => {
    const { sb, tick } = await clocked(t, NOW, { statusStepMs: STEP })
    const r = await api(sb, 'POST', '/v1/numbers', { key: 'tenant', body: { name: 'Loja Centro', number: '+5511955554444' } })
    t.equal(r.status, 201)
    const id = r.body.instance.id
    t.match(id, /^num_sbx/)
    t.strictSame(r.body.instance, { id, instanceName: `inst_${id}`, number: '5511955554444', name: 'Loja Centro', state: 'CONNECTING' })
    t.match(r.body, { pairingCode: /^[A-Z]{4}-\d{4}$/, linkedApiKeyId: null, qrcodeBase64: /^data:image\/png;base64,iVBORw0KGgo/ })
    const png = Buffer.from(r.body.qrcodeBase64.split(',')[1], 'base64')
    t.ok(png.readUInt32BE(16) >= 100, 'a QR large enough to scan')
    t.same((await ok(t, sb, 'GET', '/v1/numbers', { key: 'tenant' })).map((n: any) => [n.id, n.state]).at(-1), [id, 'CONNECTING'])

    tick(3 * STEP - 1)
    t.strictSame(await ok(t, sb, 'GET', `/v1/numbers/${id}/status`, { key: 'tenant' }), { id, state: 'CONNECTING', isFullyConnected: false })
    tick(1)
    t.strictSame(await ok(t, sb, 'GET', `/v1/numbers/${id}/status`, { key: 'tenant' }), { id, state: 'OPEN', isFullyConnected: true })
    t.match(await ok(t, sb, 'GET', `/v1/numbers/${id}`, { key: 'tenant' }), { state: 'OPEN', provider: 'PILOT_STATUS', createdAt: new Date(NOW).toISOString(), updatedAt: new Date(NOW + 3 * STEP).toISOString(), health: { sendable: true } })

    t.strictSame(await ok(t, sb, 'DELETE', `/v1/numbers/${id}`, { key: 'tenant' }), { ok: true })
    await fails(t, sb, 'GET', `/v1/numbers/${id}`, 404, 'NUMBER_NOT_FOUND', { key: 'tenant' })
    await fails(t, sb, 'GET', `/v1/numbers/${id}/status`, 404, 'NUMBER_NOT_FOUND', { key: 'tenant' })
    await fails(t, sb, 'DELETE', `/v1/numbers/${id}`, 404, 'NUMBER_NOT_FOUND', { key: 'tenant' })
    t.same(ids(await ok(t, sb, 'GET', '/v1/numbers', { key: 'tenant' })), ['num_demo', 'num_meta', 'num_offline'])
  })

  t.test('create: a number key moves to the new number unless linkToApiKey is false; duplicates and bad input refused', async (t) => {
    const sb = await sandbox(t)
    const kept = await ok(t, sb, 'POST', '/v1/numbers', { body: { name: 'Filial', number: '+5521955553333', linkToApiKey: false } })
    t.equal(kept.linkedApiKeyId, null)
    t.equal(sb.store.keys.get(SANDBOX_KEYS.number)!.numberId, 'num_demo')
    const moved = await ok(t, sb, 'POST', '/v1/numbers', { body: { name: 'Filial 2', number: '5521955552222' } })
    t.equal(moved.linkedApiKeyId, SANDBOX_KEY_IDS.number)
    t.same(ids(await ok(t, sb, 'GET', '/v1/numbers')), [moved.instance.id], 'the key now sees the new number only')

    t.equal(await fails(t, sb, 'POST', '/v1/numbers', 409, 'NUMBER_ALREADY_EXISTS', { key: 'tenant', body: { name: 'Again', number: '+5511999990001' } }), '+5511999990001 is already registered in this account as num_demo')
    t.match(await fails(t, sb, 'POST', '/v1/numbers', 400, 'VALIDATION_ERROR', { key: 'tenant', body: { name: 'x'.repeat(101), number: '+5511955554444' } }), /^name must be at most 100 characters/)
    await fails(t, sb, 'POST', '/v1/numbers', 400, 'VALIDATION_ERROR', { key: 'tenant', body: { name: 'Loja' } })
    await fails(t, sb, 'POST', '/v1/numbers', 400, 'VALIDATION_ERROR', { key: 'tenant', body: { name: 'Loja', number: '123' } })
    t.equal(sb.store.numbers.size, 5)
  })

  t.test('connect: a new QR each time, the scan counts from the latest; refusals for OPEN, Meta and other numbers', async (t) => {
    const { sb, tick } = await clocked(t, NOW, { statusStepMs: STEP })
    await fails(t, sb, 'GET', '/v1/numbers/num_offline/connect', 404, 'NUMBER_NOT_FOUND')
    t.equal(sb.store.numbers.get('num_offline')!.state, 'CLOSE', 'untouched')
    const a = await ok(t, sb, 'GET', '/v1/numbers/num_offline/connect', { key: 'tenant' })
    t.match(a, { id: 'num_offline', state: 'CONNECTING', pairingCode: /^[A-Z]{4}-\d{4}$/, qrcodeBase64: /^data:image\/png;base64,/ })
    tick(STEP)
    const b = await ok(t, sb, 'GET', '/v1/numbers/num_offline/connect', { key: 'offline' })
    t.not(b.qrcodeBase64, a.qrcodeBase64, 'a new QR code')
    t.not(b.pairingCode, a.pairingCode, 'a new pairing code')
    tick(3 * STEP - 1)
    t.equal((await ok(t, sb, 'GET', '/v1/numbers/num_offline/status', { key: 'tenant' })).state, 'CONNECTING')
    tick(1)
    t.equal((await ok(t, sb, 'GET', '/v1/numbers/num_offline/status', { key: 'tenant' })).state, 'OPEN')
    t.equal(await fails(t, sb, 'GET', '/v1/numbers/num_offline/connect', 409, 'ALREADY_CONNECTED', { key: 'tenant' }), 'Number num_offline is already connected')
    await fails(t, sb, 'GET', '/v1/numbers/num_demo/connect', 409, 'ALREADY_CONNECTED', { key: 'tenant' })
    t.equal(await fails(t, sb, 'GET', '/v1/numbers/num_meta/connect', 400, 'NOT_SUPPORTED_FOR_META', { key: 'tenant' }), 'Meta Cloud API numbers do not pair by QR code')
  })

  t.test('status and delete are scoped; deleting the key\'s own number removes its templates and the key', async (t) => {
    const sb = await sandbox(t)
    t.strictSame(await ok(t, sb, 'GET', '/v1/numbers/num_demo/status'), { id: 'num_demo', state: 'OPEN', isFullyConnected: true })
    await fails(t, sb, 'GET', '/v1/numbers/num_meta/status', 404, 'NUMBER_NOT_FOUND')
    await fails(t, sb, 'DELETE', '/v1/numbers/num_meta', 404, 'NUMBER_NOT_FOUND')
    t.equal(sb.store.numbers.size, 3)
    t.strictSame(await ok(t, sb, 'DELETE', '/v1/numbers/num_demo'), { ok: true })
    t.same([...sb.store.templates.values()].filter((x) => x.numberId === 'num_demo'), [])
    t.equal(await fails(t, sb, 'GET', '/v1/numbers', 401, 'UNAUTHORIZED'), 'Invalid API key')
    t.same(ids(await ok(t, sb, 'GET', '/v1/numbers', { key: 'tenant' })), ['num_meta', 'num_offline'])
  })

  t.test('remote pairing (PILOT_STATUS): a CLOSE number and a single-use public link the customer completes', async (t) => {
    const { sb, tick } = await clocked(t, NOW, { statusStepMs: STEP })
    const d = await ok(t, sb, 'POST', '/v1/numbers/remote-pairing', { key: 'tenant', body: { name: 'Cliente Acme', number: '+5511944443333' } })
    const id = d.instance.id
    const token = d.remotePairingToken
    t.match(token, /^rp_sbx/)
    t.strictSame(d, {
      instance: { id, instanceName: `inst_${id}`, number: '5511944443333', name: 'Cliente Acme', state: 'CLOSE' },
      remotePairingToken: token,
      remotePairingUrl: `https://pilotstatus.com.br/connect/${token}`,
      maskedNumber: '+551194****3333',
      messageSent: false
    })
    const pub = { key: null }
    t.strictSame(await ok(t, sb, 'GET', `/v1/remote-pairing/${token}`, pub), { valid: true, provider: 'PILOT_STATUS', name: 'Cliente Acme', number: '5511944443333', state: 'CLOSE', branding: null })
    t.match(await ok(t, sb, 'POST', `/v1/remote-pairing/${token}/connect`, pub), { qrcodeBase64: /^data:image\/png;base64,/, pairingCode: /^[A-Z]{4}-\d{4}$/ })
    t.equal((await ok(t, sb, 'GET', `/v1/numbers/${id}/status`, { key: 'tenant' })).state, 'CONNECTING')
    tick(3 * STEP)
    t.strictSame(await ok(t, sb, 'GET', `/v1/remote-pairing/${token}/status`, pub), { state: 'OPEN', isFullyConnected: true })
    t.equal((await api(sb, 'GET', `/v1/remote-pairing/${token}`, pub)).status, 404, 'single use: gone once connected')
    t.equal((await api(sb, 'GET', '/v1/remote-pairing/rp_nope', pub)).status, 404)
  })

  t.test('remote pairing (META), sending the link by WhatsApp, key linking and refusals', async (t) => {
    const sb = await sandbox(t)
    const m = await ok(t, sb, 'POST', '/v1/numbers/remote-pairing', { key: 'tenant', body: { provider: 'META', metaFlow: 'credentials', redirectUrl: 'https://crm.example/whatsapp/done', externalRef: 'crm-42', branding: { companyName: 'Acme' } } })
    t.match(m, { instance: null, maskedNumber: null, remotePairingUrl: `https://pilotstatus.com.br/connect/${m.remotePairingToken}` })
    t.equal(sb.store.numbers.size, 3, 'no number created')
    t.strictSame(await ok(t, sb, 'GET', `/v1/remote-pairing/${m.remotePairingToken}`, { key: null }), { valid: true, provider: 'META', name: null, number: null, state: 'CLOSE', branding: { companyName: 'Acme' } })

    const noTpl = await ok(t, sb, 'POST', '/v1/numbers/remote-pairing', { key: 'tenant', body: { name: 'Cliente', number: '+5511944443333', sendViaWhatsApp: true } })
    t.match(noTpl, { messageSent: false, messageError: 'No connected number has a sendable OTP template named pilot_status_remote_pairing' })
    const base = sb.store.templates.get('tpl_welcome')!
    sb.store.templates.set('tpl_rp', { ...base, id: 'tpl_rp', name: 'pilot_status_remote_pairing', category: 'OTP', variables: [], examples: {} })
    const sent = await ok(t, sb, 'POST', '/v1/numbers/remote-pairing', { key: 'tenant', body: { name: 'Outro', number: '+5511944442222', sendViaWhatsApp: true } })
    t.equal(sent.messageSent, true)
    t.equal(sent.messageError, undefined)

    await ok(t, sb, 'POST', '/v1/numbers/remote-pairing', { body: { name: 'A', number: '+5511944441111', linkToApiKey: false } })
    t.equal(sb.store.keys.get(SANDBOX_KEYS.number)!.numberId, 'num_demo')
    const moved = await ok(t, sb, 'POST', '/v1/numbers/remote-pairing', { body: { name: 'B', number: '+5511944440001' } })
    t.equal(sb.store.keys.get(SANDBOX_KEYS.number)!.numberId, moved.instance.id)

    await fails(t, sb, 'POST', '/v1/numbers/remote-pairing', 409, 'NUMBER_ALREADY_EXISTS', { key: 'tenant', body: { name: 'X', number: '5511999990003' } })
    t.match(await fails(t, sb, 'POST', '/v1/numbers/remote-pairing', 400, 'VALIDATION_ERROR', { key: 'tenant', body: { provider: 'META', redirectUrl: 'javascript:alert(1)' } }), /^redirectUrl must be an http\(s\) URL/)
    await fails(t, sb, 'POST', '/v1/numbers/remote-pairing', 400, 'VALIDATION_ERROR', { key: 'tenant', body: { provider: 'PILOT_STATUS' } })
  })

  t.test('check: any format; contacts by name only for this number; BR 9th digit; scope and provider rules', async (t) => {
    const sb = await sandbox(t)
    const numbers = ['+55 11 98765-4321', '551187654321', '(11) 99999-0002 ', '+1 555 000 0000', '+55 11 97654-3210', '+5511912345678', 'abc']
    t.strictSame((await ok(t, sb, 'POST', '/v1/numbers/check', { body: { numbers } })).results, [
      { input: '+55 11 98765-4321', exists: true, number: '5511987654321', name: 'Maria Silva' },
      { input: '551187654321', exists: true, number: '5511987654321', name: 'Maria Silva' },
      { input: '(11) 99999-0002 ', exists: true, number: '11999990002', name: null },
      { input: '+1 555 000 0000', exists: false, number: null, name: null },
      { input: '+55 11 97654-3210', exists: true, number: '5511976543210', name: null },
      { input: '+5511912345678', exists: true, number: '5511912345678', name: null },
      { input: 'abc', exists: false, number: null, name: null }
    ])
    t.strictSame((await ok(t, sb, 'POST', '/v1/numbers/check', { body: { number: '+5511999990002' } })).results, [{ input: '+5511999990002', exists: true, number: '5511999990002', name: 'Demo Meta' }], 'the account\'s own numbers by name')
    t.equal((await ok(t, sb, 'POST', '/v1/numbers/check', { number: 'num_meta', body: { number: '+5511987654321' } })).results[0].name, 'Maria Silva', 'a number key ignores the header')
    await fails(t, sb, 'POST', '/v1/numbers/check', 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant', body: { number: '+5511987654321' } })
    t.equal((await ok(t, sb, 'POST', '/v1/numbers/check', { key: 'tenant', number: SANDBOX_NUMBERS.demo, body: { number: '+5511987654321' } })).results[0].name, 'Maria Silva')
    await fails(t, sb, 'POST', '/v1/numbers/check', 404, 'NUMBER_NOT_FOUND', { key: 'tenant', number: 'num_nope', body: { number: '+5511987654321' } })
    t.equal(await fails(t, sb, 'POST', '/v1/numbers/check', 400, 'NOT_SUPPORTED_FOR_META', { key: 'meta', body: { number: '+5511987654321' } }), 'Number checks are available only on Pilot Status (QR) numbers')
    t.equal(await fails(t, sb, 'POST', '/v1/numbers/check', 409, 'WHATSAPP_INSTANCE_NOT_CONNECTED', { key: 'tenant', number: SANDBOX_NUMBERS.offline, body: { number: '+5511987654321' } }), 'Number num_offline is not connected to WhatsApp (state CLOSE)')
    await fails(t, sb, 'POST', '/v1/numbers/check', 400, 'VALIDATION_ERROR', { body: {} })
    await fails(t, sb, 'POST', '/v1/numbers/check', 400, 'VALIDATION_ERROR', { body: { numbers: [] } })
  })
}
