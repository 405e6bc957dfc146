// The send policy through the HTTP route: destinations outside PILOT_STATUS_SEND_ALLOW are
// refused without an upstream request; PILOT_STATUS_SEND_LIMIT caps sends per credential over
// every sending tool, says when the next is allowed, and counts neither refusals nor sends that
// certainly failed, but does count unknown outcomes.
import t from 'tap'
import { product } from '../helper.js'
import { call, isSend, newKey, TO, upstream } from './helpers.js'

t.test('allow-list: exact numbers, prefixes and group ids', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { sendAllow: ['+5511*', '+14155550100', '120363000000000001@g.us'] })
  const key = newKey()
  t.equal((await call(p, key, 'messages_send', { destinationNumber: '+5511900001111', text: 'a' })).isError, false, 'prefix')
  t.equal((await call(p, key, 'messages_send', { destinationNumber: '5511900002222', text: 'a' })).isError, false, 'prefix, number without +')
  t.equal((await call(p, key, 'messages_send', { destinationNumber: '+14155550100', text: 'a' })).isError, false, 'exact')
  t.equal((await call(p, key, 'messages_send', { groupId: '120363000000000001@g.us', text: 'a' })).isError, false, 'group id')
  t.equal(up.requests.length, 4)

  for (const [tool, args, to] of [
    ['messages_send', { destinationNumber: '+5521900001111', text: 'a' }, '+5521900001111'],
    ['messages_send', { destinationNumber: '+14155550101', text: 'a' }, '+14155550101'],
    ['messages_send', { groupId: '120363000000000002@g.us', text: 'a' }, '120363000000000002@g.us'],
    ['messages_send', { newsletterId: '1203@newsletter', text: 'a' }, '1203@newsletter'],
    ['call_initiate', { to: '+4930123456789' }, '+4930123456789'],
    ['call_permission_request', { to: '+4930123456789' }, '+4930123456789']
  ] as const) {
    const r = await call(p, key, tool, args)
    t.equal(r.isError, true)
    t.equal(r.text, `${tool} refused by this server's send policy: ${to} is not an allowed destination (PILOT_STATUS_SEND_ALLOW). Nothing was sent. Ask the server's operator if it should be allowed.`)
  }
  t.equal(up.requests.length, 4, 'no upstream request for any refusal')
  t.equal((await call(p, key, 'groups_create', { subject: 'x' })).isError, false, 'tools that send to nobody are not affected')
})

t.test('limit per credential, over every sending tool', async (t) => {
  let mode: 'ok' | '400' | '500' = 'ok'
  const up = await upstream(t, (req) => {
    if (!isSend(req) || mode === 'ok') return undefined
    return mode === '400' ? { status: 400, body: '{"error":"bad","code":"VALIDATION_ERROR"}' } : { status: 500, body: '{"error":"boom"}' }
  })
  const p = await product(t, up.url, { sendLimit: '4/min,100/day', sendAllow: ['+55*'] })
  const key = newKey()
  t.equal((await call(p, key, 'messages_send', { destinationNumber: TO, text: '1' })).isError, false)
  t.equal((await call(p, key, 'call_initiate', { to: TO })).isError, false, 'a call counts too')
  t.equal((await call(p, key, 'messages_send', { destinationNumber: '+4930123456789', text: 'x' })).isError, true, 'an allow-list refusal...')
  mode = '400'
  t.match((await call(p, key, 'messages_send', { destinationNumber: TO, text: '2' })).text, /HTTP 400/, '...and a send that certainly failed...')
  mode = '500'
  t.match((await call(p, key, 'messages_send', { destinationNumber: TO, text: '3' })).text, /HTTP 500/, '...do not count; an unknown outcome does')
  mode = 'ok'
  t.equal((await call(p, key, 'messages_send', { destinationNumber: TO, text: '4' })).isError, false, 'the 4th counted send')
  const refused = await call(p, key, 'messages_send', { destinationNumber: TO, text: '5' })
  t.equal(refused.isError, true)
  t.match(refused.text, /^messages_send refused by the send limit 4\/min for this credential \(PILOT_STATUS_SEND_LIMIT\)\. The next send is allowed at \d{4}-\d\d-\d\dT[\d:.]+Z \(in \d+ s\)\. Nothing was sent\.$/)
  const at = Date.parse(/allowed at (\S+) /.exec(refused.text)![1])
  t.ok(at > Date.now() + 30_000 && at <= Date.now() + 60_000, 'the next slot is when the first send leaves the minute')
  t.match((await call(p, key, 'call_initiate', { to: TO })).text, /send limit 4\/min/, 'every sending tool shares the limit')
  t.equal(up.requests.length, 5, 'upstream saw the 4 counted sends and the 400')
  t.equal((await call(p, key, 'groups_create', { subject: 'x' })).isError, false, 'other writes are not limited')
  t.equal((await call(p, key, 'message_get', { messageId: 'm' })).isError, false, 'nor reads')
  t.equal((await call(p, newKey(), 'messages_send', { destinationNumber: TO, text: '1' })).isError, false, 'another credential has its own count')
})

t.test('bad settings stop registration with the option named', async (t) => {
  const up = await upstream(t)
  await t.rejects(product(t, up.url, { sendLimit: '30 per minute' }), /sendLimit must be a comma list of count\/period such as 30\/min,500\/day/)
  await t.rejects(product(t, up.url, { sendAllow: ['+55*', 'bob'] }), /sendAllow has entries that are not an E\.164 number .*"bob"/)
  await t.rejects(product(t, up.url, { dedupeWindow: 'soon' }), /dedupeWindow must be a duration such as 60s/)
  await t.rejects(product(t, up.url, { redis: 'http://127.0.0.1:6379' }), /redis must be a redis:\/\/ or rediss:\/\/ URL/)
})
