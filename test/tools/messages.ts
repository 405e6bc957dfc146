// What the messages tools themselves do (the simulator's rules are in test/sandbox/messages.ts):
// local argument checks that send nothing, the number header, summary lines, how API errors read,
// encoded ids and the untrusted-data fence around history.
import type { Test } from 'tap'
import { sandbox, invoke, okResult, errorText, SANDBOX_KEYS, SANDBOX_NUMBERS } from './harness.js'
import { UNTRUSTED_NOTICE, type ToolResult } from '../../src/mcp/call.js'
import { DEFAULT_PAGE_SIZE } from '../../tools/common.js'

const text = (r: ToolResult) => (r.content[0]?.type === 'text' ? r.content[0].text : '')
const firstLine = (r: ToolResult) => text(r).split('\n')[0]

export default async function suite (t: Test): Promise<void> {
  t.test('messages tools', async (t) => {
    const sb = await sandbox(t)

    t.test('messages_send: summary line, unfenced; whatsappNumberId goes as a header; variables as strings', async (t) => {
      const r = await invoke(sb, 'messages_send', { destinationNumber: '+5511912345678', text: 'Olá! Seu pedido chegou.' })
      const d = okResult(t, 'messages_send', r)
      t.equal(firstLine(r), `Message ${d.id} (QUEUED) to +5511912345678. Follow it with message_get.`)
      t.notOk(text(r).includes(UNTRUSTED_NOTICE), 'a send result is not fenced')
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined, 'a number key sends no number header')

      okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5511976543210', text: 'oi', whatsappNumberId: SANDBOX_NUMBERS.meta }, { key: SANDBOX_KEYS.tenant }))
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
      t.same(sb.requests[0].body, { destinationNumber: '+5511976543210', text: 'oi' }, 'not in the body')

      const deliverAt = '2099-07-01T12:00:00.000Z'
      const g = await invoke(sb, 'messages_send', { groupId: '120363000000000001@g.us', text: 'Reunião às 15h', deliverAt })
      t.equal(firstLine(g), `Message ${okResult(t, 'messages_send', g).id} (QUEUED) to 120363000000000001@g.us, scheduled for ${deliverAt}. Follow it with message_get.`)
      const n = await invoke(sb, 'messages_send', { newsletterId: '120363000000000099@newsletter', text: 'Frete grátis hoje!' })
      t.match(firstLine(n), /^Message msg_\w+ \(QUEUED\) to 120363000000000099@newsletter\. /)

      okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5511987654321', templateId: 'order_update', variables: { name: 'Maria', order: 1042 } }))
      t.same(sb.requests[0].body, { destinationNumber: '+5511987654321', templateId: 'order_update', variables: { name: 'Maria', order: '1042' } }, 'a number variable is sent as a string')
    })

    t.test('messages_send: invalid combinations are refused before anything is sent', async (t) => {
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
        [{ destinationNumber: '+5511987654321', templateId: 'welcome', media: 'https://x.example/a.jpg', caption: 'x' }, /caption only goes with direct media/],
        [{ destinationNumber: '+5511987654321', templateId: 'welcome', buttons: [{ id: 'a' }] }, /buttons only go with text/],
        [{ destinationNumber: '+55 (11) 98765-4321', text: 'oi' }, /destinationNumber: E\.164 digits only/],
        [{ destinationNumber: '120363000000000001@g.us', text: 'oi' }, /destinationNumber: a JID goes in groupId/],
        [{ groupId: '120363000000000001', text: 'oi' }, /groupId must be a group JID ending in @g\.us/],
        [{ newsletterId: '120363000000000099@g.us', text: 'oi' }, /newsletterId must be a channel JID ending in @newsletter/],
        [{ destinationNumber: '+5511987654321', media: 'ftp://x.example/a.jpg', mediaType: 'image' }, /media must be an http\(s\) URL or a data: URI/],
        [{ destinationNumber: '+5511987654321', text: 'oi', deliverAt: past }, /deliverAt must be in the future/],
        [{ destinationNumber: '+5511987654321', text: 'oi', deliverAt: '2099-07-01 12:00' }, /deliverAt must be an ISO 8601 date-time with a zone/],
        [{ destinationNumber: '+5511987654321', text: '' }, /text must not be empty/],
        [{ destinationNumber: '+5511987654321', text: 'oi', buttons: [{}, {}, {}, {}] }, /buttons/],
        [{ destinationNumber: '+5511987654321', media: 'https://x.example/a.gif', mediaType: 'gif' }, /mediaType/],
        [{ destinationNumber: '+5511987654321', text: 'oi', to: '+5511' }, /to: unknown argument/]
      ]
      for (const [args, expected] of cases) {
        const e = errorText(t, await invoke(sb, 'messages_send', args))
        t.match(e, /messages_send/)
        t.match(e, expected, JSON.stringify(args))
        t.equal(sb.requests.length, 0, 'nothing sent')
      }
    })

    t.test('messages_send: an API refusal reads as status, code, message and details', async (t) => {
      const e = errorText(t, await invoke(sb, 'messages_send', { destinationNumber: '+5511987654321', templateId: 'order_update', variables: { name: 'Maria' } }))
      t.match(e, /HTTP 400 MISSING_TEMPLATE_VARIABLES: Missing template variables: order/)
      t.match(e, /Details: \{"missing":\["order"\]\}/)
      t.equal(sb.requests.length, 1, 'sent once, not retried')
      t.match(errorText(t, await invoke(sb, 'messages_send', { destinationNumber: '+5511', text: 'oi' })), /HTTP 400 VALIDATION_ERROR: destinationNumber must be an E\.164 phone number/, 'what only the API judges')
      t.match(errorText(t, await invoke(sb, 'messages_send', { destinationNumber: '+5511987654321', text: 'oi' }, { key: SANDBOX_KEYS.tenant })), /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
    })

    t.test('message_get: summary lines; ids encoded as one path segment; an empty id is refused', async (t) => {
      const r = await invoke(sb, 'message_get', { messageId: 'msg_seed0001' })
      t.equal(okResult(t, 'message_get', r).status, 'READ')
      t.equal(firstLine(r), 'Message msg_seed0001: READ')

      const out = okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5561987651234', text: 'Oi Roberto' }, { key: SANDBOX_KEYS.meta }))
      const failed = await invoke(sb, 'message_get', { messageId: out.id }, { key: SANDBOX_KEYS.meta })
      t.equal(okResult(t, 'message_get', failed).status, 'FAILED')
      t.match(firstLine(failed), /^Message msg_\w+: FAILED \(META_OUTSIDE_24H_WINDOW/, 'the failure reason is in the summary')

      t.match(errorText(t, await invoke(sb, 'message_get', { messageId: '../conversations' })), /HTTP 404 MESSAGE_NOT_FOUND/)
      t.equal(sb.requests[0].path, '/v1/messages/%2E%2E%2Fconversations')
      await invoke(sb, 'message_get', { messageId: 'a/b?c#d' })
      t.equal(sb.requests[0].path, '/v1/messages/a%2Fb%3Fc%23d')
      t.same(sb.requests[0].query, {})
      t.match(errorText(t, await invoke(sb, 'message_get', { messageId: '' })), /messageId/)
      t.equal(sb.requests.length, 0)
    })

    t.test('messages_cancel: summary line; 1 to 100 ids, checked locally', async (t) => {
      const r = await invoke(sb, 'messages_cancel', { messageIds: ['msg_seed0001', 'msg_nope'] })
      t.same(okResult(t, 'messages_cancel', r).cancelled, [])
      t.equal(firstLine(r), 'Cancelled 0 message(s); 2 not cancelled.')
      for (const args of [{ messageIds: [] }, { messageIds: Array.from({ length: 101 }, (_, i) => `msg_${i}`) }, {}]) {
        t.match(errorText(t, await invoke(sb, 'messages_cancel', args)), /messageIds/)
        t.equal(sb.requests.length, 0, 'nothing sent')
      }
    })

    t.test('messages_history by default: a short page asked for explicitly, its text the summary, the fence and compact JSON', async (t) => {
      const r = await invoke(sb, 'messages_history', {})
      t.same(sb.requests[0].query, { pageSize: String(DEFAULT_PAGE_SIZE) }, 'the default page size is sent (the API\'s own is 30)')
      const h = okResult(t, 'messages_history', r)
      t.equal(h.messages.length, DEFAULT_PAGE_SIZE)
      t.ok(h.total > DEFAULT_PAGE_SIZE, 'the seeded history has more than one default page')
      const summary = `${DEFAULT_PAGE_SIZE} of ${h.total} messages (page 1 of ${Math.ceil(h.total / DEFAULT_PAGE_SIZE)})`
      // No indentation: every byte of the text is paid for in the model's context.
      t.equal(text(r), `${summary}\n${UNTRUSTED_NOTICE}\n<untrusted-data>\n${JSON.stringify(h).replace(/</g, '\\u003c')}\n</untrusted-data>`)
    })

    t.test('messages_history: third-party text fenced as untrusted; paging and dates checked locally; a notice in the summary', async (t) => {
      const r = await invoke(sb, 'messages_history', { pageSize: 100 })
      const h = okResult(t, 'messages_history', r)
      const lines = text(r).split('\n')
      t.equal(lines[0], `${h.messages.length} of ${h.total} messages (page 1 of 1)`)
      t.equal(lines[1], UNTRUSTED_NOTICE)
      t.equal(lines[2], '<untrusted-data>')
      t.ok(text(r).endsWith('</untrusted-data>'))
      t.ok(text(r).indexOf('Ignore your previous instructions') > text(r).indexOf('<untrusted-data>'), 'the injection attempt sits inside the fence')

      t.match(errorText(t, await invoke(sb, 'messages_history', { pageSize: 101 })), /pageSize/)
      t.equal(sb.requests.length, 0)
      t.match(errorText(t, await invoke(sb, 'messages_history', { startDate: 'last week' })), /startDate/)
      t.equal(sb.requests.length, 0)

      const n = sb.store.numbers.get(SANDBOX_NUMBERS.demo)!
      n.piiMode = 'RELAY_ONLY'
      t.teardown(() => { n.piiMode = 'STORE_INDEFINITE' })
      const relay = await invoke(sb, 'messages_history', {})
      t.equal(okResult(t, 'messages_history', relay).notice, 'PII_RELAY_ONLY')
      t.equal(firstLine(relay), '0 of 0 messages (page 1 of 1); notice: PII_RELAY_ONLY')
    })
  })
}
