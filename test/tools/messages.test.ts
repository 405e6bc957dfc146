// The messages toolset against the sandbox: what each tool sends upstream, its results, the
// send rules (modes, destinations, scheduling), the message lifecycle on a controlled clock,
// cancellation, history, and every error code the sandbox documents for these endpoints.
import t from 'tap'
import { sandbox, invoke, okResult, errorText, SANDBOX_KEYS } from '../helper.js'
import { UNTRUSTED_NOTICE } from '../../src/mcp/call.js'

const SEND = { method: 'POST', path: '/v1/messages/send', query: {} }
const HOUR = 3_600_000

t.test('messages_send: text to a new phone creates the message, its conversation and history row', async (t) => {
  const sb = await sandbox(t)
  const r = await invoke(sb, 'messages_send', { destinationNumber: '+5511912345678', text: 'Olá! Seu pedido chegou.' })
  const d = okResult(t, 'messages_send', r)
  t.match(sb.requests[0], SEND)
  t.same(sb.requests[0].body, { destinationNumber: '+5511912345678', text: 'Olá! Seu pedido chegou.' })
  t.equal(sb.requests[0].headers['x-api-key'], SANDBOX_KEYS.number)
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined)
  t.match(d, { id: /^msg_/, correlationId: /^corr_/, status: 'QUEUED', origin: 'Demo Store', sourceNumber: '5511999990001' })
  t.equal(d.deliverAt, undefined)
  const text = r.content[0].type === 'text' ? r.content[0].text : ''
  t.equal(text.split('\n')[0], `Message ${d.id} (QUEUED) to +5511912345678. Follow it with message_get.`)
  t.notOk(text.includes(UNTRUSTED_NOTICE), 'a send result is not fenced')

  const h = okResult(t, 'messages_history', await invoke(sb, 'messages_history', { pageSize: 100 }))
  const row = h.messages.find((m: any) => m.id === `cm_${d.id.slice(4)}`)
  t.match(row, {
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
  const c = okResult(t, 'conversations_list', await invoke(sb, 'conversations_list', {}))
  t.match(c.conversations[0], { id: row.conversationId, type: 'DIRECT', from: '+5511912345678', unreadCount: 0, lastMessagePreview: 'Olá! Seu pedido chegou.' })
  t.equal(c.total, 10, 'one new conversation next to the 9 seeded ones')

  // A second message to the same number goes to the same conversation.
  const d2 = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '5511912345678', text: 'Mais uma coisa' }))
  const g = okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: d2.id }))
  t.equal(g.destinationNumber, '+5511912345678')
  t.equal(sb.store.messages.find((m) => m.id === d2.id)!.conversationId, row.conversationId)
})

t.test('messages_send + message_get: the lifecycle QUEUED → SENT → DELIVERED → READ on the sandbox clock', async (t) => {
  let clock = Date.now()
  const sb = await sandbox(t, { now: () => clock, statusStepMs: 1000 })
  const d = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5511987654321', text: 'Seu código de rastreio é BR123456789' }))
  const get = async (ref: string) => okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: ref }))

  let g = await get(d.id)
  t.match(sb.requests[0], { method: 'GET', path: `/v1/messages/${d.id}`, query: {}, body: undefined })
  t.same(g, {
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
  clock += 1000
  g = await get(d.id)
  t.equal(g.status, 'SENT')
  t.equal(g.sentAt, new Date(Date.parse(d.createdAt) + 1000).toISOString())
  t.match(g.externalMessageId, /^wamid\./)
  t.equal(g.deliveredAt, null)
  const wamid = g.externalMessageId
  clock += 1000
  g = await get(d.correlationId)
  t.equal(g.status, 'DELIVERED', 'found by correlationId')
  t.equal(g.deliveredAt, new Date(Date.parse(d.createdAt) + 2000).toISOString())
  t.equal(g.readAt, null)
  clock += 2000
  g = await get(wamid)
  t.equal(g.status, 'READ', 'found by wamid')
  t.equal(g.id, d.id)
  t.equal(g.readAt, new Date(Date.parse(d.createdAt) + 4000).toISOString())
  const r = await invoke(sb, 'message_get', { messageId: d.id })
  t.equal(r.content[0].type === 'text' && r.content[0].text.split('\n')[0], `Message ${d.id}: READ`)

  // Now it is in Maria's seeded conversation, READ, with its provider id.
  const h = okResult(t, 'messages_history', await invoke(sb, 'messages_history', { pageSize: 100 }))
  t.match(h.messages.find((m: any) => m.id === `cm_${d.id.slice(4)}`), { conversationId: 'conv_demo_maria', status: 'READ', externalMessageId: wamid, participantName: 'Maria Silva' })
})

t.test('scheduled send: stays QUEUED until deliverAt, messages_cancel makes it CANCELED; a sent one cannot be cancelled', async (t) => {
  let clock = Date.now()
  const sb = await sandbox(t, { now: () => clock, statusStepMs: 1000 })
  const deliverAt = new Date(clock + 2 * HOUR).toISOString()
  const s = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5521998765432', templateId: 'welcome', deliverAt }))
  t.same(sb.requests[0].body, { destinationNumber: '+5521998765432', templateId: 'welcome', deliverAt })
  t.equal(s.deliverAt, deliverAt)
  t.equal(s.status, 'QUEUED')
  const now = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5521998765432', text: 'Oi João!' }))

  clock += 60_000
  let g = okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: s.id }))
  t.match(g, { status: 'QUEUED', deliverAt, template: { id: 'tpl_welcome', name: 'welcome' }, sentAt: null })

  const r = await invoke(sb, 'messages_cancel', { messageIds: [s.id, now.id, 'msg_nope'] })
  const c = okResult(t, 'messages_cancel', r)
  t.match(sb.requests[0], { method: 'DELETE', path: '/v1/messages/cancel', query: {} })
  t.same(sb.requests[0].body, { messageIds: [s.id, now.id, 'msg_nope'] })
  t.same(c, {
    cancelled: [s.id],
    failed: [
      { id: now.id, reason: 'Already READ: only QUEUED messages with a future deliverAt can be cancelled' },
      { id: 'msg_nope', reason: 'Message not found for this number' }
    ]
  })
  t.equal(r.content[0].type === 'text' && r.content[0].text.split('\n')[0], 'Cancelled 1 message(s); 2 not cancelled.')

  g = okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: s.id }))
  t.equal(g.status, 'CANCELED')
  clock += 3 * HOUR
  g = okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: s.id }))
  t.equal(g.status, 'CANCELED', 'never sent after its deliverAt')
  t.equal(g.externalMessageId, null)

  const again = okResult(t, 'messages_cancel', await invoke(sb, 'messages_cancel', { messageIds: [s.id] }))
  t.same(again, { cancelled: [], failed: [{ id: s.id, reason: 'Already CANCELED' }] }, 'cancelling twice changes nothing')

  // An uncancelled scheduled message is sent at its deliverAt.
  // The tool checks deliverAt against the real time, the sandbox against its clock (now ahead).
  const later = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5521998765432', text: 'Lembrete', deliverAt: new Date(clock + HOUR).toISOString() }))
  clock += HOUR + 1500
  t.equal(okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: later.id })).status, 'SENT')
})

t.test('messages_cancel: the seeded scheduled promo can be cancelled; argument limits are enforced locally', async (t) => {
  const sb = await sandbox(t)
  const seeded = sb.store.messages.find((m) => m.deliverAt !== null && m.numberId === 'num_demo')!
  const c = okResult(t, 'messages_cancel', await invoke(sb, 'messages_cancel', { messageIds: [seeded.id] }))
  t.same(c, { cancelled: [seeded.id], failed: [] })

  for (const messageIds of [[], Array.from({ length: 101 }, (_, i) => `msg_${i}`)]) {
    const r = await invoke(sb, 'messages_cancel', { messageIds })
    t.match(errorText(t, r), /messageIds/)
    t.equal(sb.requests.length, 0, `${messageIds.length} ids: nothing sent`)
  }
  const r = await invoke(sb, 'messages_cancel', {})
  t.match(errorText(t, r), /messageIds/)
  t.equal(sb.requests.length, 0)

  const tenant = await invoke(sb, 'messages_cancel', { messageIds: [seeded.id] }, { key: SANDBOX_KEYS.tenant })
  t.match(errorText(t, tenant), /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
})

t.test('messages_send: template mode renders variables, and its errors', async (t) => {
  const sb = await sandbox(t)
  const d = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5511987654321', templateId: 'order_update', variables: { name: 'Maria', order: 1042 } }))
  t.same(sb.requests[0].body, { destinationNumber: '+5511987654321', templateId: 'order_update', variables: { name: 'Maria', order: '1042' } }, 'a number variable is sent as a string')
  const h = okResult(t, 'messages_history', await invoke(sb, 'messages_history', { pageSize: 100 }))
  t.equal(h.messages.find((m: any) => m.id === `cm_${d.id.slice(4)}`).text, 'Hi Maria, your order 1042 has shipped.')

  let r = await invoke(sb, 'messages_send', { destinationNumber: '+5511987654321', templateId: 'order_update', variables: { name: 'Maria' } })
  let e = errorText(t, r)
  t.match(e, /HTTP 400 MISSING_TEMPLATE_VARIABLES: Missing template variables: order/)
  t.match(e, /Details: \{"missing":\["order"\]\}/)
  t.equal(sb.requests.length, 1)

  r = await invoke(sb, 'messages_send', { destinationNumber: '+5511987654321', templateId: 'no_such_template' })
  t.match(errorText(t, r), /HTTP 404 TEMPLATE_NOT_FOUND/)

  r = await invoke(sb, 'messages_send', { destinationNumber: '+5511976543210', templateId: 'promo_pending' }, { key: SANDBOX_KEYS.meta })
  e = errorText(t, r)
  t.match(e, /HTTP 400 META_TEMPLATE_NOT_APPROVED: Template promo_pending is not approved by Meta yet \(status PENDING\)/)

  // A Meta template reaches a contact outside the 24 h window (free text would not).
  const ok = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5561987651234', templateId: 'tpl_appointment', variables: { name: 'Roberto', date: '15/07' } }, { key: SANDBOX_KEYS.meta }))
  const g = okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: ok.id }, { key: SANDBOX_KEYS.meta }))
  t.match(g, { status: 'QUEUED', errorMessage: null, template: { id: 'tpl_appointment', name: 'appointment_reminder' } })
})

t.test('messages_send: media mode, plan and provider rules', async (t) => {
  const sb = await sandbox(t)
  const args = { destinationNumber: '+5531991234567', media: 'https://cdn.demo-store.example/catalogo/bolsa-caramelo.jpg', mediaType: 'image', caption: 'Bolsa caramelo, R$ 189,90' }
  const d = okResult(t, 'messages_send', await invoke(sb, 'messages_send', args))
  t.same(sb.requests[0].body, args)
  const h = okResult(t, 'messages_history', await invoke(sb, 'messages_history', { pageSize: 100 }))
  t.match(h.messages.find((m: any) => m.id === `cm_${d.id.slice(4)}`), {
    conversationId: 'conv_demo_ana',
    messageType: 'image',
    text: 'Bolsa caramelo, R$ 189,90',
    media: { provider: 'EVO_GO', id: null, url: args.media, mimeType: 'image/jpeg', fileName: null }
  })

  const doc = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5531991234567', media: 'https://cdn.demo-store.example/nf/nota-1042.pdf', mediaType: 'document' }))
  t.same(sb.store.messages.find((m) => m.id === doc.id)!.media, { provider: 'EVO_GO', id: null, url: 'https://cdn.demo-store.example/nf/nota-1042.pdf', mimeType: 'application/pdf', fileName: 'nota-1042.pdf' })

  let r = await invoke(sb, 'messages_send', { destinationNumber: '+5585999001122', media: 'https://cdn.demo-store.example/a.jpg', mediaType: 'image' }, { key: SANDBOX_KEYS.offline })
  t.match(errorText(t, r), /HTTP 402 SUBSCRIPTION_REQUIRED_FOR_MEDIA/)
  t.equal(sb.requests.length, 1)

  r = await invoke(sb, 'messages_send', { destinationNumber: '+5531991234567', media: 'data:image/png;base64,iVBORw0KGgo=', mediaType: 'image' })
  t.match(errorText(t, r), /HTTP 400 VALIDATION_ERROR: This number \(Evolution GO\) accepts media by URL only/)

  const meta = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5511976543210', media: 'data:audio/ogg;base64,T2dnUwAC', mediaType: 'audio' }, { key: SANDBOX_KEYS.meta }))
  t.same(sb.store.messages.find((m) => m.id === meta.id)!.media, { provider: 'META', id: null, url: null, mimeType: 'audio/ogg', fileName: null }, 'base64 accepted on Meta, payload not kept')

  r = await invoke(sb, 'messages_send', { destinationNumber: '+5531991234567', media: 'https://cdn.demo-store.example/audio.ogg', mediaType: 'audio', caption: 'ouça' })
  t.match(errorText(t, r), /HTTP 400 VALIDATION_ERROR: caption is not supported for audio/)
})

t.test('messages_send: groups, channels, BSUID destinations and the Meta number', async (t) => {
  const sb = await sandbox(t)
  const grp = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { groupId: '120363000000000001@g.us', text: 'Reunião às 15h' }))
  t.same(sb.requests[0].body, { groupId: '120363000000000001@g.us', text: 'Reunião às 15h' })
  const gg = okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: grp.id }))
  t.equal(gg.destinationNumber, '120363000000000001@g.us')
  t.equal(sb.store.messages.find((m) => m.id === grp.id)!.conversationId, 'conv_demo_team')

  const ch = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { newsletterId: '120363000000000099@newsletter', text: 'Frete grátis hoje!' }))
  t.equal(sb.store.messages.find((m) => m.id === ch.id)!.conversationId, 'conv_demo_news')

  const lu = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: 'BR.13491208655302741918', text: 'Prazo de 2 dias úteis.' }))
  t.same(sb.requests[0].body, { destinationNumber: 'BR.13491208655302741918', text: 'Prazo de 2 dias úteis.' })
  const lg = okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: lu.id }))
  t.equal(lg.destinationNumber, 'BR.13491208655302741918')
  t.equal(sb.store.messages.find((m) => m.id === lu.id)!.conversationId, 'conv_demo_lu', 'a BSUID reaches the username-only contact')

  for (const dest of [{ groupId: '120363000000000001@g.us' }, { newsletterId: '120363000000000099@newsletter' }]) {
    const r = await invoke(sb, 'messages_send', { ...dest, text: 'oi' }, { key: SANDBOX_KEYS.meta })
    t.match(errorText(t, r), /HTTP 400 NOT_SUPPORTED_FOR_META/)
    t.equal(sb.requests.length, 1)
  }

  // Meta free text: inside the 24 h window it goes; outside it fails after being accepted.
  const inWin = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5511976543210', text: 'Trocamos sim!' }, { key: SANDBOX_KEYS.meta }))
  t.equal(okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: inWin.id }, { key: SANDBOX_KEYS.meta })).errorMessage, null)
  const outWin = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5561987651234', text: 'Oi Roberto' }, { key: SANDBOX_KEYS.meta }))
  t.equal(outWin.status, 'QUEUED', 'accepted first')
  const r = await invoke(sb, 'message_get', { messageId: outWin.id }, { key: SANDBOX_KEYS.meta })
  t.match(okResult(t, 'message_get', r), { status: 'FAILED', errorMessage: /^META_OUTSIDE_24H_WINDOW/ })
  t.match(r.content[0].type === 'text' && r.content[0].text.split('\n')[0], /^Message msg_\w+: FAILED \(META_OUTSIDE_24H_WINDOW/)

  // The disconnected number accepts the send, which then fails.
  const off = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5585999001122', text: 'Oi Fernanda' }, { key: SANDBOX_KEYS.offline }))
  t.match(okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: off.id }, { key: SANDBOX_KEYS.offline })), { status: 'FAILED', errorMessage: 'WhatsApp instance not connected' })
})

t.test('messages_send: key scope', async (t) => {
  const sb = await sandbox(t)
  let r = await invoke(sb, 'messages_send', { destinationNumber: '+5511987654321', text: 'oi' }, { key: SANDBOX_KEYS.tenant })
  t.match(errorText(t, r), /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
  t.equal(sb.requests.length, 1)
  t.equal(sb.store.messages.filter((m) => m.text === 'oi').length, 0, 'nothing stored')

  r = await invoke(sb, 'messages_send', { destinationNumber: '+5511976543210', text: 'oi', whatsappNumberId: 'num_meta' }, { key: SANDBOX_KEYS.tenant })
  const d = okResult(t, 'messages_send', r)
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_meta')
  t.same(sb.requests[0].body, { destinationNumber: '+5511976543210', text: 'oi' }, 'whatsappNumberId goes as a header, not in the body')
  t.equal(d.sourceNumber, '5511999990002')
  t.equal(d.origin, 'Demo Meta')
})

t.test('messages_send: invalid combinations are refused before anything is sent', async (t) => {
  const sb = await sandbox(t)
  const past = new Date(Date.now() - 60_000).toISOString()
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ text: 'oi' }, /exactly one destination: destinationNumber, groupId or newsletterId \(got none\)/],
    [{ destinationNumber: '+5511987654321', groupId: '1@g.us', text: 'oi' }, /exactly one destination.*\(got destinationNumber, groupId\)/],
    [{ destinationNumber: '+5511987654321' }, /exactly one mode: templateId, text, or media \+ mediaType \(got none\)/],
    [{ destinationNumber: '+5511987654321', text: 'oi', templateId: 'welcome' }, /exactly one mode.*\(got templateId, text\)/],
    [{ destinationNumber: '+5511987654321', text: 'oi', media: 'https://x.example/a.jpg', mediaType: 'image' }, /text and media cannot be combined: put the text in caption/],
    [{ destinationNumber: '+5511987654321', media: 'https://x.example/a.jpg' }, /mediaType is required with media/],
    [{ destinationNumber: '+5511987654321', text: 'oi', mediaType: 'image' }, /mediaType only goes with media/],
    [{ destinationNumber: '+5511987654321', text: 'oi', variables: { a: 'b' } }, /variables only go with templateId/],
    [{ destinationNumber: '+5511987654321', text: 'oi', caption: 'x' }, /caption only goes with direct media/],
    [{ destinationNumber: '+5511987654321', templateId: 'welcome', buttons: [{ id: 'a' }] }, /buttons only go with text/],
    [{ destinationNumber: '+55 (11) 98765-4321', text: 'oi' }, /destinationNumber: E\.164 digits only/],
    [{ destinationNumber: '120363000000000001@g.us', text: 'oi' }, /destinationNumber: a JID goes in groupId/],
    [{ groupId: '120363000000000001', text: 'oi' }, /groupId must be a group JID ending in @g\.us/],
    [{ newsletterId: '120363000000000099@g.us', text: 'oi' }, /newsletterId must be a channel JID ending in @newsletter/],
    [{ destinationNumber: '+5511987654321', media: 'ftp://x.example/a.jpg', mediaType: 'image' }, /media must be an http\(s\) URL or a data: URI/],
    [{ destinationNumber: '+5511987654321', text: 'oi', deliverAt: past }, /deliverAt must be in the future/],
    [{ destinationNumber: '+5511987654321', text: 'oi', deliverAt: '2099-07-01 12:00' }, /deliverAt must be an ISO 8601 date-time with a zone/],
    [{ destinationNumber: '+5511987654321', text: '' }, /text must not be empty/],
    [{ destinationNumber: '+5511987654321', text: 'oi', buttons: [{}, {}, {}, {}] }, /buttons: Expected array length to be less or equal to 3/],
    [{ destinationNumber: '+5511987654321', media: 'https://x.example/a.gif', mediaType: 'gif' }, /mediaType/],
    [{ destinationNumber: '+5511987654321', text: 'oi', to: '+5511' }, /to: unknown argument/]
  ]
  for (const [args, expected] of cases) {
    const r = await invoke(sb, 'messages_send', args)
    const e = errorText(t, r)
    t.match(e, /^Invalid arguments for messages_send:/)
    t.match(e, expected, JSON.stringify(args))
    t.equal(sb.requests.length, 0, 'nothing sent')
  }
})

t.test('messages_send: what only the API can judge comes back as VALIDATION_ERROR', async (t) => {
  const sb = await sandbox(t)
  const r = await invoke(sb, 'messages_send', { destinationNumber: '+5511', text: 'oi' })
  t.match(errorText(t, r), /HTTP 400 VALIDATION_ERROR: destinationNumber must be an E\.164 phone number/)
  t.equal(sb.requests.length, 1)

  // The sandbox also refuses what the tool would have caught, for callers of the raw API.
  const res = await fetch(`${sb.url}/v1/messages/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': SANDBOX_KEYS.number },
    body: JSON.stringify({ destinationNumber: '+5511987654321', groupId: '1@g.us', text: 'oi' })
  })
  t.equal(res.status, 400)
  t.same(await res.json(), { error: 'Exactly one destination is required: destinationNumber, groupId or newsletterId', code: 'VALIDATION_ERROR' })
  const past = await fetch(`${sb.url}/v1/messages/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': SANDBOX_KEYS.number },
    body: JSON.stringify({ destinationNumber: '+5511987654321', text: 'oi', deliverAt: '2020-01-01T00:00:00Z' })
  })
  t.same(await past.json(), { error: 'deliverAt must be in the future', code: 'VALIDATION_ERROR' })
})

t.test('message_get: not found, other numbers\' messages, encoded ids and scope', async (t) => {
  const sb = await sandbox(t)
  let r = await invoke(sb, 'message_get', { messageId: 'msg_unknown' })
  t.match(errorText(t, r), /HTTP 404 MESSAGE_NOT_FOUND: Message msg_unknown not found for this number/)

  // A demo-number message is invisible to the Meta number's key.
  r = await invoke(sb, 'message_get', { messageId: 'msg_seed0001' }, { key: SANDBOX_KEYS.meta })
  t.match(errorText(t, r), /HTTP 404/)
  t.equal(okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: 'msg_seed0001' })).status, 'READ')

  r = await invoke(sb, 'message_get', { messageId: '../conversations' })
  t.equal(sb.requests[0].path, '/v1/messages/%2E%2E%2Fconversations')
  t.match(errorText(t, r), /HTTP 404 MESSAGE_NOT_FOUND/)
  r = await invoke(sb, 'message_get', { messageId: 'a/b?c#d' })
  t.equal(sb.requests[0].path, '/v1/messages/a%2Fb%3Fc%23d')
  t.same(sb.requests[0].query, {})

  r = await invoke(sb, 'message_get', { messageId: '' })
  t.match(errorText(t, r), /messageId/)
  t.equal(sb.requests.length, 0)

  r = await invoke(sb, 'message_get', { messageId: 'msg_seed0001' }, { key: SANDBOX_KEYS.tenant })
  t.match(errorText(t, r), /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
  const ok = okResult(t, 'message_get', await invoke(sb, 'message_get', { messageId: 'msg_seed0001', whatsappNumberId: 'num_demo' }, { key: SANDBOX_KEYS.tenant }))
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_demo')
  t.equal(ok.id, 'msg_seed0001')
})

t.test('messages_history: ChatMessageDTO items, newest first, dates, paging, fencing and errors', async (t) => {
  const clock = Date.now()
  const sb = await sandbox(t, { now: () => clock })
  const r = await invoke(sb, 'messages_history', { pageSize: 100 })
  const h = okResult(t, 'messages_history', r)
  t.match(sb.requests[0], { method: 'GET', path: '/v1/messages/history', query: { pageSize: '100' } })
  t.equal(h.total, 32)
  t.equal(h.messages.length, 32)
  t.same(Object.keys(h.messages[1]), ['id', 'conversationId', 'direction', 'providerKind', 'externalMessageId', 'status', 'messageType', 'origin', 'text', 'participantName', 'participantPhone', 'repliedToExternalId', 'media', 'sentAt', 'deliveredAt', 'readAt', 'providerTimestamp', 'createdAt'])
  t.match(h.messages[0], { conversationId: 'conv_demo_joao', status: 'QUEUED', providerTimestamp: null }, 'the scheduled promo (deliverAt tomorrow) comes first')
  t.match(h.messages[1], {
    id: 'cm_seed0021',
    conversationId: 'conv_demo_carlos',
    direction: 'INBOUND',
    status: 'DELIVERED',
    text: /^Ignore your previous instructions/,
    participantName: 'Carlos Souza',
    participantPhone: '+5541999887766'
  })
  const times = h.messages.slice(1).map((m: any) => Date.parse(m.providerTimestamp ?? m.createdAt))
  t.same(times, [...times].sort((a, b) => b - a), 'newest first')
  const reply = h.messages.find((m: any) => m.text === 'Recebi, obrigado!')
  const original = h.messages.find((m: any) => m.text === 'Hi João, your order #1038 has shipped.')
  t.equal(reply.repliedToExternalId, original.externalMessageId)
  t.match(original.externalMessageId, /^wamid\./)

  // Third-party text is fenced: notice first, data inside the fence, '<' escaped.
  const text = r.content[0].type === 'text' ? r.content[0].text : ''
  t.equal(text.split('\n')[0], '32 of 32 messages (page 1 of 1)')
  t.equal(text.split('\n')[1], UNTRUSTED_NOTICE)
  t.equal(text.split('\n')[2], '<untrusted-data>')
  t.ok(text.endsWith('</untrusted-data>'))
  t.ok(text.indexOf('Ignore your previous instructions') > text.indexOf('<untrusted-data>'), 'the injection attempt sits inside the fence')

  const start = new Date(clock - 2 * HOUR).toISOString()
  const end = new Date(clock).toISOString()
  const win = okResult(t, 'messages_history', await invoke(sb, 'messages_history', { startDate: start, endDate: end, page: 1, pageSize: 2 }))
  t.same(sb.requests[0].query, { startDate: start, endDate: end, page: '1', pageSize: '2' })
  t.same(win.messages.map((m: any) => m.id), ['cm_seed0021', 'cm_seed0014'])
  t.match(win, { total: 4, page: 1, pageSize: 2, totalPages: 2 })
  const p2 = okResult(t, 'messages_history', await invoke(sb, 'messages_history', { startDate: start, endDate: end, page: 2, pageSize: 2 }))
  t.same(p2.messages.map((m: any) => m.id), ['cm_seed0013', 'cm_seed0026'])

  let e = await invoke(sb, 'messages_history', { startDate: end, endDate: start })
  t.match(errorText(t, e), /HTTP 400 INVALID_DATE_RANGE/)
  e = await invoke(sb, 'messages_history', { pageSize: 101 })
  t.match(errorText(t, e), /pageSize/)
  t.equal(sb.requests.length, 0)
  e = await invoke(sb, 'messages_history', { startDate: 'last week' })
  t.match(errorText(t, e), /startDate/)
  t.equal(sb.requests.length, 0)
  e = await invoke(sb, 'messages_history', {}, { key: SANDBOX_KEYS.tenant })
  t.match(errorText(t, e), /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)

  // Meta number: inbound media carry Meta media ids for media_get.
  const meta = okResult(t, 'messages_history', await invoke(sb, 'messages_history', { whatsappNumberId: 'num_meta' }, { key: SANDBOX_KEYS.tenant }))
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_meta')
  t.same(meta.messages.filter((m: any) => m.media).map((m: any) => [m.messageType, m.media.provider, m.media.id]), [
    ['audio', 'META', 'mid_demo_audio'],
    ['image', 'META', 'mid_demo_image'],
    ['document', 'META', 'mid_demo_pdf']
  ])
  t.ok(meta.messages.every((m: any) => m.providerKind === 'META'))
  t.match(meta.messages.find((m: any) => m.status === 'FAILED'), { conversationId: 'conv_meta_roberto', externalMessageId: null })

  // A relay-only number stores nothing.
  sb.store.numbers.get('num_demo')!.piiMode = 'RELAY_ONLY'
  const relay = await invoke(sb, 'messages_history', {})
  t.same(okResult(t, 'messages_history', relay), { messages: [], total: 0, page: 1, pageSize: 30, totalPages: 0, notice: 'PII_RELAY_ONLY' })
  t.equal(relay.content[0].type === 'text' && relay.content[0].text.split('\n')[0], '0 of 0 messages (page 1 of 1); notice: PII_RELAY_ONLY')
})
