// The duplicate guard through the HTTP route: off by default; with PILOT_STATUS_DEDUPE_WINDOW an
// identical send without an idempotency key inside the window is refused (saying what was sent
// and when) unless allowDuplicate; a send that certainly failed does not block its retry.
import t from 'tap'
import { product } from '../helper.js'
import { call, isSend, newKey, TO, upstream } from './helpers.js'

t.test('off by default: identical sends both go out', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url)
  const key = newKey()
  const args = { destinationNumber: TO, text: 'same' }
  t.equal((await call(p, key, 'messages_send', args)).isError, false)
  t.equal((await call(p, key, 'messages_send', args)).isError, false)
  t.equal(up.requests.filter(isSend).length, 2)
  const health = await (await fetch(`${p.url}/health`)).json() as { store: unknown }
  t.same(health.store, { kind: 'memory', status: 'ok' }, '/health names the in-memory store')
})

t.test('on: an identical send inside the window is refused unless allowDuplicate', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { dedupeWindow: '60s' })
  const key = newKey()
  const args = { destinationNumber: TO, text: 'Meeting at 3pm' }
  t.equal((await call(p, key, 'messages_send', args)).isError, false)
  // The same send written differently: other key order, the number without its +.
  const dup = await call(p, key, 'messages_send', { text: 'Meeting at 3pm', destinationNumber: TO.slice(1) })
  t.equal(dup.isError, true)
  t.match(dup.text, /^messages_send refused as a duplicate: an identical messages_send to \+5511988887777 was already sent \d+ s ago \(at \d{4}-.+Z\), within this server's duplicate window of 60 s \(PILOT_STATUS_DEDUPE_WINDOW\)\. Nothing was sent\./)
  t.match(dup.text, /allowDuplicate: true/)
  t.equal(up.requests.filter(isSend).length, 1, 'nothing sent')

  const forced = await call(p, key, 'messages_send', { ...args, allowDuplicate: true })
  t.equal(forced.isError, false, 'allowDuplicate sends it')
  t.same(Object.keys(JSON.parse(up.requests.at(-1)!.body)).sort(), ['destinationNumber', 'text'], 'allowDuplicate never goes upstream')
  t.equal((await call(p, key, 'messages_send', args)).isError, true, 'and the window starts again from that send')

  t.equal((await call(p, key, 'messages_send', { ...args, text: 'Meeting at 4pm' })).isError, false, 'other content is not a duplicate')
  t.equal((await call(p, key, 'messages_send', { ...args, destinationNumber: '+5511900001111' })).isError, false, 'nor another destination')
  t.equal((await call(p, newKey(), 'messages_send', args)).isError, false, 'nor another credential')
  t.equal((await call(p, key, 'messages_send', { ...args, idempotencyKey: 'a' })).isError, false, 'a send with an idempotency key is not checked...')
  t.equal((await call(p, key, 'messages_send', { ...args, idempotencyKey: 'b' })).isError, false, '...its key says what is a repeat')
  t.equal((await call(p, key, 'call_initiate', { to: TO })).isError, false)
  t.match((await call(p, key, 'call_initiate', { to: TO })).text, /refused as a duplicate: an identical call_initiate to \+5511988887777/, 'every sending tool is guarded')
  t.equal(up.requests.filter(isSend).length, 7, 'first, forced, 4pm, other destination, other credential, key a, key b')
})

t.test('racing identical sends: one goes out', async (t) => {
  const up = await upstream(t, (req) => (isSend(req) ? { status: 202, delayMs: 200, body: '{"id":"m","correlationId":"c","status":"QUEUED","createdAt":"2026-06-20T10:00:00.000Z"}' } : undefined))
  const p = await product(t, up.url, { dedupeWindow: '60s' })
  const key = newKey()
  const all = await Promise.all(Array.from({ length: 4 }, () => call(p, key, 'messages_send', { destinationNumber: TO, text: 'race' })))
  t.equal(all.filter((a) => !a.isError).length, 1)
  t.ok(all.filter((a) => a.isError).every((a) => /is being sent right now|was already sent/.test(a.text)))
  t.equal(up.requests.filter(isSend).length, 1)
})

t.test('a send that certainly failed does not block its retry; the window expires', async (t) => {
  let fail = true
  const up = await upstream(t, (req) => (isSend(req) && fail ? { status: 400, body: '{"error":"bad","code":"VALIDATION_ERROR"}' } : undefined))
  const p = await product(t, up.url, { dedupeWindow: '300ms' })
  const key = newKey()
  const args = { destinationNumber: TO, text: 'x' }
  t.equal((await call(p, key, 'messages_send', args)).isError, true)
  fail = false
  t.equal((await call(p, key, 'messages_send', args)).isError, false, 'the 400 did not count as sent')
  t.equal((await call(p, key, 'messages_send', args)).isError, true, 'this one did')
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.equal((await call(p, key, 'messages_send', args)).isError, false, 'after the window it may go again')
  t.equal(up.requests.filter(isSend).length, 3)
})
