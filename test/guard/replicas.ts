// Two product instances sharing one real Redis, as two replicas behind a load balancer: one
// idempotency key through both (at once and one after the other) makes one upstream send with
// one result; a send limit holds across both; the allow-list refuses before any request.
import t from 'tap'
import { product } from '../helper.js'
import { testRedisUrl } from '../store/redis-server.js'
import { call, isSend, newKey, TO, upstream, withoutMarker } from './helpers.js'

t.test('two replicas over one Redis', async (t) => {
  const redis = await testRedisUrl(t)
  if (!redis) return
  const up = await upstream(t, (req) => (isSend(req) ? { status: 202, delayMs: 150, body: JSON.stringify({ id: `msg_${req.at}_${Math.random()}`, correlationId: 'c', status: 'QUEUED', createdAt: '2026-06-20T10:00:00.000Z' }) } : undefined))
  const a = await product(t, up.url, { redis, sendLimit: '5/min', sendAllow: ['+55*'] })
  const b = await product(t, up.url, { redis, sendLimit: '5/min', sendAllow: ['+55*'] })

  t.test('one key through both at once: one send, one result', async (t) => {
    up.requests.length = 0
    const key = newKey()
    const args = { destinationNumber: TO, text: 'once', idempotencyKey: 'both-at-once' }
    const answers = await Promise.all([call(a, key, 'messages_send', args), call(b, key, 'messages_send', args), call(a, key, 'messages_send', args), call(b, key, 'messages_send', args)])
    t.equal(up.requests.filter(isSend).length, 1, 'exactly one upstream send')
    t.ok(answers.every((x) => !x.isError), 'all succeed')
    const results = answers.map((x) => withoutMarker(x.structured))
    t.ok(results.every((r) => r?.id === results[0]?.id), `the same message id everywhere (${results[0]?.id})`)
    t.same(results[1], results[0])
  })

  t.test('one key through one replica, then the other', async (t) => {
    up.requests.length = 0
    const key = newKey()
    const args = { destinationNumber: TO, text: 'then', idempotencyKey: 'one-then-other' }
    const first = await call(a, key, 'messages_send', args)
    const second = await call(b, key, 'messages_send', args)
    t.equal(up.requests.filter(isSend).length, 1)
    t.same(withoutMarker(second.structured), first.structured, 'identical results')
    t.equal(second.structured?.idempotency?.replayed, true, 'the second says it is a replay')
    const clash = await call(b, key, 'messages_send', { ...args, text: 'other' })
    t.match(clash.text, /with different arguments/, 'a conflict is seen across replicas too')
  })

  t.test('a 5/min limit holds across both', async (t) => {
    up.requests.length = 0
    const key = newKey()
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => call(i % 2 ? b : a, key, 'messages_send', { destinationNumber: TO, text: `n${i}` })))
    t.equal(answers.filter((x) => !x.isError).length, 5, 'five go out')
    const refused = answers.filter((x) => x.isError)
    t.equal(refused.length, 1, 'the sixth is refused')
    t.match(refused[0].text, /send limit 5\/min .* Nothing was sent\./)
    t.equal(up.requests.filter(isSend).length, 5, 'nothing sent for it')
    t.match((await call(b, key, 'call_initiate', { to: TO })).text, /send limit 5\/min/, 'the next one is refused on either replica')
  })

  t.test('a destination outside the allow-list: refused, no upstream request', async (t) => {
    up.requests.length = 0
    const r = await call(b, newKey(), 'messages_send', { destinationNumber: '+4930123456789', text: 'x', idempotencyKey: 'k' })
    t.match(r.text, /is not an allowed destination \(PILOT_STATUS_SEND_ALLOW\)/)
    t.equal(up.requests.length, 0)
  })

  t.test('/health reports the shared store', async (t) => {
    const h = await (await fetch(`${a.url}/health`)).json() as { store: unknown }
    t.same(h.store, { kind: 'redis', status: 'ok' })
  })
})
