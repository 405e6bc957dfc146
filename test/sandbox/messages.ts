// The simulator's messages API: send in each mode and to each destination, the lifecycle on its
// clock, scheduling and cancellation, history (seeds, order, dates, paging), provider and plan
// rules, key scope and the error codes, driven over HTTP without the tools.
import type { Test } from 'tap'
import { sandbox, clocked, api, ok, fails, SANDBOX_NUMBERS } from './api.js'

const HOUR = 3_600_000
const SEND = '/v1/messages/send'
const row = (h: { messages: Array<{ id: string }> }, id: string) => h.messages.find((m) => m.id === `cm_${id.slice(4)}`) as Record<string, any>

export default async function suite (t: Test): Promise<void> {
  t.test('a text to a new phone creates the message, its conversation and a history row; the next one reuses it', async (t) => {
    const sb = await sandbox(t)
    const d = await ok(t, sb, 'POST', SEND, { body: { destinationNumber: '+5511912345678', text: 'Olá! Seu pedido chegou.' } })
    t.match(d, { id: /^msg_/, correlationId: /^corr_/, status: 'QUEUED', origin: 'Demo Store', sourceNumber: '5511999990001' })
    t.equal(d.deliverAt, undefined)
    const h = await ok(t, sb, 'GET', '/v1/messages/history', { query: { pageSize: 100 } })
    const r = row(h, d.id)
    t.match(r, {
      direction: 'OUTBOUND',
      providerKind: 'PILOT_STATUS',
      status: 'QUEUED',
      messageType: 'text',
      origin: 'Demo Store',
      text: 'Olá! Seu pedido chegou.',
      participantPhone: '+5511912345678',
      participantName: null,
      externalMessageId: null,
      sentAt: null,
      providerTimestamp: null,
      media: null
    })
    const c = await ok(t, sb, 'GET', '/v1/conversations')
    t.match(c.conversations[0], { id: r.conversationId, type: 'DIRECT', from: '+5511912345678', unreadCount: 0, lastMessagePreview: 'Olá! Seu pedido chegou.' })
    t.equal(c.total, 10, 'one new conversation next to the 9 seeded ones')

    const d2 = await ok(t, sb, 'POST', SEND, { body: { destinationNumber: '5511912345678', text: 'Mais uma coisa' } })
    t.equal((await ok(t, sb, 'GET', `/v1/messages/${d2.id}`)).destinationNumber, '+5511912345678')
    t.equal(sb.store.messages.find((m) => m.id === d2.id)!.conversationId, r.conversationId)
  })

  t.test('the lifecycle QUEUED → SENT → DELIVERED → READ follows the clock; found by id, correlationId or wamid', async (t) => {
    const { sb, tick } = await clocked(t, Date.now(), { statusStepMs: 1000 })
    const d = await ok(t, sb, 'POST', SEND, { body: { destinationNumber: '+5511987654321', text: 'Seu código de rastreio é BR123456789' } })
    const get = (ref: string) => ok(t, sb, 'GET', `/v1/messages/${encodeURIComponent(ref)}`)
    t.same(await get(d.id), {
      id: d.id,
      status: 'QUEUED',
      correlationId: d.correlationId,
      direction: 'OUTBOUND',
      destinationNumber: '+5511987654321',
      template: null,
      createdAt: d.createdAt,
      deliverAt: null,
      sentAt: null,
      deliveredAt: null,
      readAt: null,
      externalMessageId: null,
      errorMessage: null
    })
    tick(1000)
    let g = await get(d.id)
    t.equal(g.status, 'SENT')
    t.equal(g.sentAt, new Date(Date.parse(d.createdAt) + 1000).toISOString())
    t.match(g.externalMessageId, /^wamid\./)
    t.equal(g.deliveredAt, null)
    const wamid = g.externalMessageId
    tick(1000)
    g = await get(d.correlationId)
    t.equal(g.status, 'DELIVERED', 'found by correlationId')
    t.equal(g.deliveredAt, new Date(Date.parse(d.createdAt) + 2000).toISOString())
    t.equal(g.readAt, null)
    tick(2000)
    g = await get(wamid)
    t.equal(g.status, 'READ', 'found by wamid')
    t.equal(g.id, d.id)
    t.equal(g.readAt, new Date(Date.parse(d.createdAt) + 4000).toISOString())

    const h = await ok(t, sb, 'GET', '/v1/messages/history', { query: { pageSize: 100 } })
    t.match(row(h, d.id), { conversationId: 'conv_demo_maria', status: 'READ', externalMessageId: wamid, participantName: 'Maria Silva' }, 'joins Maria\'s seeded conversation')
  })

  t.test('scheduled: QUEUED until deliverAt; cancel makes it CANCELED for good; sent ones and unknown ids are reported', async (t) => {
    const { sb, tick, now } = await clocked(t, Date.now(), { statusStepMs: 1000 })
    const deliverAt = new Date(now() + 2 * HOUR).toISOString()
    const s = await ok(t, sb, 'POST', SEND, { body: { destinationNumber: '+5521998765432', templateId: 'welcome', deliverAt } })
    t.equal(s.deliverAt, deliverAt)
    t.equal(s.status, 'QUEUED')
    const sent = await ok(t, sb, 'POST', SEND, { body: { destinationNumber: '+5521998765432', text: 'Oi João!' } })
    tick(60_000)
    t.match(await ok(t, sb, 'GET', `/v1/messages/${s.id}`), { status: 'QUEUED', deliverAt, template: { id: 'tpl_welcome', name: 'welcome' }, sentAt: null })

    t.same(await ok(t, sb, 'DELETE', '/v1/messages/cancel', { body: { messageIds: [s.id, sent.id, 'msg_nope'] } }), {
      cancelled: [s.id],
      failed: [
        { id: sent.id, reason: 'Already READ: only QUEUED messages with a future deliverAt can be cancelled' },
        { id: 'msg_nope', reason: 'Message not found for this number' }
      ]
    })
    t.equal((await ok(t, sb, 'GET', `/v1/messages/${s.id}`)).status, 'CANCELED')
    tick(3 * HOUR)
    t.match(await ok(t, sb, 'GET', `/v1/messages/${s.id}`), { status: 'CANCELED', externalMessageId: null }, 'never sent after its deliverAt')
    t.same(await ok(t, sb, 'DELETE', '/v1/messages/cancel', { body: { messageIds: [s.id] } }), { cancelled: [], failed: [{ id: s.id, reason: 'Already CANCELED' }] }, 'twice changes nothing')

    const later = await ok(t, sb, 'POST', SEND, { body: { destinationNumber: '+5521998765432', text: 'Lembrete', deliverAt: new Date(now() + HOUR).toISOString() } })
    tick(HOUR + 1500)
    t.equal((await ok(t, sb, 'GET', `/v1/messages/${later.id}`)).status, 'SENT', 'an uncancelled one is sent at its deliverAt')

    const seeded = sb.store.messages.find((m) => m.deliverAt !== null && m.numberId === SANDBOX_NUMBERS.demo && m.fixedStatus === null && Date.parse(m.deliverAt) > now())!
    t.same(await ok(t, sb, 'DELETE', '/v1/messages/cancel', { body: { messageIds: [seeded.id] } }), { cancelled: [seeded.id], failed: [] }, 'the seeded scheduled promo can be cancelled')
    await fails(t, sb, 'DELETE', '/v1/messages/cancel', 400, 'VALIDATION_ERROR', { body: { messageIds: [] } })
  })

  t.test('template mode renders variables; missing variables, unknown and unapproved templates are refused', async (t) => {
    const sb = await sandbox(t)
    const d = await ok(t, sb, 'POST', SEND, { body: { destinationNumber: '+5511987654321', templateId: 'order_update', variables: { name: 'Maria', order: '1042' } } })
    t.equal(row(await ok(t, sb, 'GET', '/v1/messages/history', { query: { pageSize: 100 } }), d.id).text, 'Hi Maria, your order 1042 has shipped.')

    const r = await api(sb, 'POST', SEND, { body: { destinationNumber: '+5511987654321', templateId: 'order_update', variables: { name: 'Maria' } } })
    t.same(r, { status: 400, body: { error: 'Missing template variables: order', code: 'MISSING_TEMPLATE_VARIABLES', details: { missing: ['order'] } }, headers: r.headers })
    await fails(t, sb, 'POST', SEND, 404, 'TEMPLATE_NOT_FOUND', { body: { destinationNumber: '+5511987654321', templateId: 'no_such_template' } })
    t.equal(await fails(t, sb, 'POST', SEND, 400, 'META_TEMPLATE_NOT_APPROVED', { key: 'meta', body: { destinationNumber: '+5511976543210', templateId: 'promo_pending' } }),
      'Template promo_pending is not approved by Meta yet (status PENDING)')

    // An approved Meta template reaches a contact outside the 24 h window (free text would not).
    const m = await ok(t, sb, 'POST', SEND, { key: 'meta', body: { destinationNumber: '+5561987651234', templateId: 'tpl_appointment', variables: { name: 'Roberto', date: '15/07' } } })
    t.match(await ok(t, sb, 'GET', `/v1/messages/${m.id}`, { key: 'meta' }), { status: 'QUEUED', errorMessage: null, template: { id: 'tpl_appointment', name: 'appointment_reminder' } })
  })

  t.test('media mode: stored media per provider, plan and provider rules', async (t) => {
    const sb = await sandbox(t)
    const img = { destinationNumber: '+5531991234567', media: 'https://cdn.demo-store.example/catalogo/bolsa-caramelo.jpg', mediaType: 'image', caption: 'Bolsa caramelo, R$ 189,90' }
    const d = await ok(t, sb, 'POST', SEND, { body: img })
    t.match(row(await ok(t, sb, 'GET', '/v1/messages/history', { query: { pageSize: 100 } }), d.id), {
      conversationId: 'conv_demo_ana',
      messageType: 'image',
      text: 'Bolsa caramelo, R$ 189,90',
      media: { provider: 'EVO_GO', id: null, url: img.media, mimeType: 'image/jpeg', fileName: null }
    })
    const doc = await ok(t, sb, 'POST', SEND, { body: { destinationNumber: '+5531991234567', media: 'https://cdn.demo-store.example/nf/nota-1042.pdf', mediaType: 'document' } })
    t.same(sb.store.messages.find((m) => m.id === doc.id)!.media, { provider: 'EVO_GO', id: null, url: 'https://cdn.demo-store.example/nf/nota-1042.pdf', mimeType: 'application/pdf', fileName: 'nota-1042.pdf' })

    await fails(t, sb, 'POST', SEND, 402, 'SUBSCRIPTION_REQUIRED_FOR_MEDIA', { key: 'offline', body: { destinationNumber: '+5585999001122', media: 'https://cdn.demo-store.example/a.jpg', mediaType: 'image' } })
    t.equal(await fails(t, sb, 'POST', SEND, 400, 'VALIDATION_ERROR', { body: { destinationNumber: '+5531991234567', media: 'data:image/png;base64,iVBORw0KGgo=', mediaType: 'image' } }),
      'This number (Evolution GO) accepts media by URL only, not base64')
    const meta = await ok(t, sb, 'POST', SEND, { key: 'meta', body: { destinationNumber: '+5511976543210', media: 'data:audio/ogg;base64,T2dnUwAC', mediaType: 'audio' } })
    t.same(sb.store.messages.find((m) => m.id === meta.id)!.media, { provider: 'META', id: null, url: null, mimeType: 'audio/ogg', fileName: null }, 'base64 accepted on Meta, payload not kept')
    t.match(await fails(t, sb, 'POST', SEND, 400, 'VALIDATION_ERROR', { body: { destinationNumber: '+5531991234567', media: 'https://cdn.demo-store.example/audio.ogg', mediaType: 'audio', caption: 'ouça' } }),
      /caption is not supported for audio/)
  })

  t.test('groups, channels, BSUID destinations; the Meta 24 h window; a disconnected number fails after accepting', async (t) => {
    const sb = await sandbox(t)
    const grp = await ok(t, sb, 'POST', SEND, { body: { groupId: '120363000000000001@g.us', text: 'Reunião às 15h' } })
    t.equal((await ok(t, sb, 'GET', `/v1/messages/${grp.id}`)).destinationNumber, '120363000000000001@g.us')
    t.equal(sb.store.messages.find((m) => m.id === grp.id)!.conversationId, 'conv_demo_team')
    const ch = await ok(t, sb, 'POST', SEND, { body: { newsletterId: '120363000000000099@newsletter', text: 'Frete grátis hoje!' } })
    t.equal(sb.store.messages.find((m) => m.id === ch.id)!.conversationId, 'conv_demo_news')
    const lu = await ok(t, sb, 'POST', SEND, { body: { destinationNumber: 'BR.13491208655302741918', text: 'Prazo de 2 dias úteis.' } })
    t.equal((await ok(t, sb, 'GET', `/v1/messages/${lu.id}`)).destinationNumber, 'BR.13491208655302741918')
    t.equal(sb.store.messages.find((m) => m.id === lu.id)!.conversationId, 'conv_demo_lu', 'a BSUID reaches the username-only contact')

    for (const dest of [{ groupId: '120363000000000001@g.us' }, { newsletterId: '120363000000000099@newsletter' }]) {
      await fails(t, sb, 'POST', SEND, 400, 'NOT_SUPPORTED_FOR_META', { key: 'meta', body: { ...dest, text: 'oi' } })
    }
    const inWin = await ok(t, sb, 'POST', SEND, { key: 'meta', body: { destinationNumber: '+5511976543210', text: 'Trocamos sim!' } })
    t.equal((await ok(t, sb, 'GET', `/v1/messages/${inWin.id}`, { key: 'meta' })).errorMessage, null)
    const outWin = await ok(t, sb, 'POST', SEND, { key: 'meta', body: { destinationNumber: '+5561987651234', text: 'Oi Roberto' } })
    t.equal(outWin.status, 'QUEUED', 'accepted first')
    t.match(await ok(t, sb, 'GET', `/v1/messages/${outWin.id}`, { key: 'meta' }), { status: 'FAILED', errorMessage: /^META_OUTSIDE_24H_WINDOW/ })
    const off = await ok(t, sb, 'POST', SEND, { key: 'offline', body: { destinationNumber: '+5585999001122', text: 'Oi Fernanda' } })
    t.match(await ok(t, sb, 'GET', `/v1/messages/${off.id}`, { key: 'offline' }), { status: 'FAILED', errorMessage: 'WhatsApp instance not connected' })
  })

  t.test('scope: a tenant key must pick a number; a number key sees only its own messages', async (t) => {
    const sb = await sandbox(t)
    await fails(t, sb, 'POST', SEND, 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant', body: { destinationNumber: '+5511987654321', text: 'oi' } })
    t.equal(sb.store.messages.filter((m) => m.text === 'oi').length, 0, 'nothing stored')
    const d = await ok(t, sb, 'POST', SEND, { key: 'tenant', number: SANDBOX_NUMBERS.meta, body: { destinationNumber: '+5511976543210', text: 'oi' } })
    t.match(d, { sourceNumber: '5511999990002', origin: 'Demo Meta' })
    await fails(t, sb, 'POST', SEND, 404, 'NUMBER_NOT_FOUND', { key: 'tenant', number: 'num_nope', body: { destinationNumber: '+5511976543210', text: 'oi' } })

    t.equal(await fails(t, sb, 'GET', '/v1/messages/msg_unknown', 404, 'MESSAGE_NOT_FOUND'), 'Message msg_unknown not found for this number')
    await fails(t, sb, 'GET', '/v1/messages/msg_seed0001', 404, 'MESSAGE_NOT_FOUND', { key: 'meta' })
    t.equal((await ok(t, sb, 'GET', '/v1/messages/msg_seed0001')).status, 'READ')
    await fails(t, sb, 'GET', '/v1/messages/msg_seed0001', 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant' })
    t.equal((await ok(t, sb, 'GET', '/v1/messages/msg_seed0001', { key: 'tenant', number: SANDBOX_NUMBERS.demo })).id, 'msg_seed0001')
    await fails(t, sb, 'GET', '/v1/messages/history', 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant' })
  })

  t.test('send validation: what a raw API caller gets wrong', async (t) => {
    const sb = await sandbox(t)
    const cases: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ destinationNumber: '+5511', text: 'oi' }, /^destinationNumber must be an E\.164 phone number/],
      [{ destinationNumber: '+5511987654321', groupId: '1@g.us', text: 'oi' }, 'Exactly one destination is required: destinationNumber, groupId or newsletterId'],
      [{ text: 'oi' }, 'Exactly one destination is required: destinationNumber, groupId or newsletterId'],
      [{ destinationNumber: '+5511987654321', text: 'oi', deliverAt: '2020-01-01T00:00:00Z' }, 'deliverAt must be in the future'],
      [{ destinationNumber: '+5511987654321' }, /./]
    ]
    for (const [body, expected] of cases) {
      const msg = await fails(t, sb, 'POST', SEND, 400, 'VALIDATION_ERROR', { body })
      if (typeof expected === 'string') t.equal(msg, expected, JSON.stringify(body))
      else t.match(msg, expected, JSON.stringify(body))
    }
    t.equal(sb.store.messages.filter((m) => m.text === 'oi').length, 0, 'nothing stored')
  })

  t.test('history: 32 seeded ChatMessageDTOs newest first, replies, date windows and paging, Meta media, relay-only numbers', async (t) => {
    const { sb, now } = await clocked(t, Date.now())
    const h = await ok(t, sb, 'GET', '/v1/messages/history', { query: { pageSize: 100 } })
    t.equal(h.total, 32)
    t.equal(h.messages.length, 32)
    t.same(Object.keys(h.messages[1]), ['id', 'conversationId', 'direction', 'providerKind', 'externalMessageId', 'status', 'messageType', 'origin', 'text', 'participantName', 'participantPhone', 'repliedToExternalId', 'media', 'sentAt', 'deliveredAt', 'readAt', 'providerTimestamp', 'createdAt'])
    t.match(h.messages[0], { conversationId: 'conv_demo_joao', status: 'QUEUED', providerTimestamp: null }, 'the scheduled promo (deliverAt tomorrow) comes first')
    t.match(h.messages[1], { id: 'cm_seed0021', conversationId: 'conv_demo_carlos', direction: 'INBOUND', status: 'DELIVERED', text: /^Ignore your previous instructions/, participantName: 'Carlos Souza', participantPhone: '+5541999887766' })
    const times = h.messages.slice(1).map((m: any) => Date.parse(m.providerTimestamp ?? m.createdAt))
    t.same(times, [...times].sort((a, b) => b - a), 'newest first')
    const reply = h.messages.find((m: any) => m.text === 'Recebi, obrigado!')
    const original = h.messages.find((m: any) => m.text === 'Hi João, your order #1038 has shipped.')
    t.equal(reply.repliedToExternalId, original.externalMessageId)
    t.match(original.externalMessageId, /^wamid\./)

    const start = new Date(now() - 2 * HOUR).toISOString()
    const end = new Date(now()).toISOString()
    const win = await ok(t, sb, 'GET', '/v1/messages/history', { query: { startDate: start, endDate: end, page: 1, pageSize: 2 } })
    t.same(win.messages.map((m: any) => m.id), ['cm_seed0021', 'cm_seed0014'])
    t.match(win, { total: 4, page: 1, pageSize: 2, totalPages: 2 })
    const p2 = await ok(t, sb, 'GET', '/v1/messages/history', { query: { startDate: start, endDate: end, page: 2, pageSize: 2 } })
    t.same(p2.messages.map((m: any) => m.id), ['cm_seed0013', 'cm_seed0026'])
    t.equal(await fails(t, sb, 'GET', '/v1/messages/history', 400, 'INVALID_DATE_RANGE', { query: { startDate: end, endDate: start } }), 'startDate must not be after endDate')
    t.equal(await fails(t, sb, 'GET', '/v1/messages/history', 400, 'INVALID_DATE_RANGE', { query: { startDate: 'last week' } }), 'startDate is not an ISO 8601 date')
    t.equal(await fails(t, sb, 'GET', '/v1/messages/history', 400, 'VALIDATION_ERROR', { query: { pageSize: 101 } }), 'pageSize must be an integer from 1 to 100')
    t.equal(await fails(t, sb, 'GET', '/v1/messages/history', 400, 'VALIDATION_ERROR', { query: { page: 0 } }), 'page must be an integer ≥ 1')

    const meta = await ok(t, sb, 'GET', '/v1/messages/history', { key: 'tenant', number: SANDBOX_NUMBERS.meta })
    t.same(meta.messages.filter((m: any) => m.media).map((m: any) => [m.messageType, m.media.provider, m.media.id]), [
      ['audio', 'META', 'mid_demo_audio'],
      ['image', 'META', 'mid_demo_image'],
      ['document', 'META', 'mid_demo_pdf']
    ], 'inbound Meta media carry media ids')
    t.ok(meta.messages.every((m: any) => m.providerKind === 'META'))
    t.match(meta.messages.find((m: any) => m.status === 'FAILED'), { conversationId: 'conv_meta_roberto', externalMessageId: null })

    sb.store.numbers.get(SANDBOX_NUMBERS.demo)!.piiMode = 'RELAY_ONLY'
    t.same(await ok(t, sb, 'GET', '/v1/messages/history'), { messages: [], total: 0, page: 1, pageSize: 30, totalPages: 0, notice: 'PII_RELAY_ONLY' }, 'a relay-only number stores nothing')
  })
}
