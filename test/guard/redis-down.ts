// Redis configured but unreachable: sends that need it fail closed with a clear error and reach
// no one, reads keep working, /health says so; when Redis is back the product reconnects by
// itself and sends go out again.
import t from 'tap'
import { product } from '../helper.js'
import { privateRedis } from '../store/redis-server.js'
import { call, isSend, newKey, TO, upstream } from './helpers.js'

t.test('fail closed while Redis is down, recover when it returns', async (t) => {
  const redis = await privateRedis(t)
  if (!redis) return
  const up = await upstream(t)
  const p = await product(t, up.url, { redis: redis.url, sendLimit: '100/min' })
  const key = newKey()
  const health = async () => ((await (await fetch(`${p.url}/health`)).json()) as { status: string, store: { status: string, detail?: string } })
  t.equal((await call(p, key, 'messages_send', { destinationNumber: TO, text: 'before' })).isError, false)
  t.same((await health()).store, { kind: 'redis', status: 'ok' })

  await redis.stop()
  let h = await health()
  for (let i = 0; i < 250 && h.store.status !== 'down'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    h = await health()
  }
  t.equal(h.status, 'ok', '/health still answers (reads work)')
  t.equal(h.store.status, 'down', '/health: the store is down')
  t.match(h.store.detail, /ECONNREFUSED|closed/i, 'and why')
  t.notMatch(JSON.stringify(h), /127\.0\.0\.1:\d+.*@/, 'no credentials in it')

  up.requests.length = 0
  const limited = await call(p, key, 'messages_send', { destinationNumber: TO, text: 'during' })
  t.equal(limited.isError, true)
  t.match(limited.text, /^messages_send was not run: the shared store that guards sends \(idempotency keys, limits, duplicates\) is unavailable: Redis is not reachable \(.+\)\. Nothing was sent; try again shortly\.$/)
  const keyed = await call(p, key, 'groups_create', { subject: 'x', idempotencyKey: 'g1' })
  t.match(keyed.text, /^groups_create was not run: the shared store/, 'a keyed write fails closed too')
  t.equal(up.requests.length, 0, 'nothing reached the API')
  const read = await call(p, key, 'message_get', { messageId: 'msg_1' })
  t.equal(read.isError, false, 'reads work')
  t.equal(up.requests.length, 1)

  await redis.start()
  for (let i = 0; i < 300 && (await health()).store.status !== 'ok'; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  t.same((await health()).store, { kind: 'redis', status: 'ok' }, 'reconnected by itself')
  const after = await call(p, key, 'messages_send', { destinationNumber: TO, text: 'after', idempotencyKey: 'after-1' })
  t.equal(after.isError, false, 'sends go out again')
  t.equal((await call(p, key, 'messages_send', { destinationNumber: TO, text: 'after', idempotencyKey: 'after-1' })).structured?.idempotency?.replayed, true, 'with their guards')
  t.equal(up.requests.filter(isSend).length, 1)
})
