// The SharedStore contract, run against both implementations: in memory (fake clock) and a real
// Redis (TEST_REDIS_URL or a private redis-server). Claims are exclusive, take is single-use,
// windows reserve all-or-nothing and say when a slot frees, and entries expire.
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { MemoryStore } from '../../src/store/memory.js'
import { RedisStore } from '../../src/store/redis.js'
import { createStore, type SharedStore } from '../../src/store/store.js'
import { testRedisUrl } from './redis-server.js'

interface Subject { store: SharedStore, advance (ms: number): Promise<void> }

async function contract (t: Test, make: () => Promise<Subject>): Promise<void> {
  const { store, advance } = await make()
  t.teardown(() => store.close())
  const ns = randomUUID() + ':'

  t.equal(store.state().status, 'ok', 'reports ok')
  t.equal(await store.get(ns + 'a'), undefined)
  t.equal(await store.setIfAbsent(ns + 'a', 'one', 60_000), true, 'first claim wins')
  t.equal(await store.setIfAbsent(ns + 'a', 'two', 60_000), false, 'second claim loses')
  t.equal(await store.get(ns + 'a'), 'one', 'the first value stays')
  await store.set(ns + 'a', 'three', 60_000)
  t.equal(await store.get(ns + 'a'), 'three', 'set overwrites')
  await store.delete(ns + 'a')
  t.equal(await store.get(ns + 'a'), undefined, 'deleted')

  // Many racing claims: exactly one wins.
  const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.setIfAbsent(ns + 'race', String(i), 60_000)))
  t.equal(wins.filter(Boolean).length, 1, 'one of 20 concurrent claims wins')

  await store.set(ns + 'approval', 'yes', 60_000)
  const takes = await Promise.all([store.take(ns + 'approval'), store.take(ns + 'approval'), store.take(ns + 'approval')])
  t.same(takes.filter((v) => v !== undefined), ['yes'], 'take is single-use')
  t.equal(await store.get(ns + 'approval'), undefined)

  // Windows: 2 per 60 s and 3 per hour, reserved together.
  const rules = [{ key: ns + 'w1', windowMs: 60_000, limit: 2 }, { key: ns + 'w2', windowMs: 3_600_000, limit: 3 }]
  const t0 = 1_000_000_000_000
  t.same(await store.reserve(rules, 'r1', t0), { ok: true })
  t.same(await store.reserve(rules, 'r2', t0 + 1000), { ok: true })
  t.same(await store.reserve(rules, 'r3', t0 + 2000), { ok: false, rule: 0, retryAt: t0 + 60_000 }, 'the minute is full; the oldest frees at +60 s')
  await store.release(rules, 'r2')
  t.same(await store.reserve(rules, 'r3', t0 + 3000), { ok: true }, 'a released slot is free again')
  t.same(await store.reserve(rules, 'r4', t0 + 61_000), { ok: true }, 'r1 left the minute window; the hour holds r1, r3, r4')
  t.same(await store.reserve(rules, 'r5', t0 + 125_000), { ok: false, rule: 1, retryAt: t0 + 3_600_000 }, 'the hour is full although the minute has room; r1 frees it')
  t.same(await store.reserve([rules[0]], 'r6', t0 + 125_001), { ok: true }, 'the refused attempt took no slot of the minute window...')
  t.same(await store.reserve([rules[0]], 'r7', t0 + 125_002), { ok: true }, '...so two fit')

  // Expiry.
  t.equal(await store.setIfAbsent(ns + 'short', 'x', 150), true)
  await advance(400)
  t.equal(await store.get(ns + 'short'), undefined, 'expired')
  t.equal(await store.setIfAbsent(ns + 'short', 'y', 150), true, 'claimable again after expiry')
}

t.test('memory store', async (t) => {
  let now = 1_000_000
  await contract(t, async () => ({
    store: new MemoryStore({ now: () => now }),
    advance: async (ms) => { now += ms }
  }))
})

t.test('memory store is bounded', async (t) => {
  const s = new MemoryStore({ maxEntries: 3 })
  for (const k of ['a', 'b', 'c', 'd']) await s.set(k, k, 60_000)
  t.equal(await s.get('a'), undefined, 'the oldest went first')
  t.equal(await s.get('d'), 'd')
  t.equal(await s.get('b'), 'b')
})

t.test('redis store (real Redis)', async (t) => {
  const url = await testRedisUrl(t)
  if (!url) return
  await contract(t, async () => ({
    store: await RedisStore.connect(url),
    // Redis expires by its own clock: a short real wait, well under a second.
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  }))
})

t.test('createStore: memory by default', async (t) => {
  const mem = await createStore()
  t.equal(mem.kind, 'memory')
  t.same(mem.state(), { kind: 'memory', status: 'ok' })
  await mem.close()
})

t.test('createStore: an adopted Redis client is used and never closed by the store', async (t) => {
  const url = await testRedisUrl(t)
  if (!url) return
  const { Redis } = await import('ioredis')
  const client = new Redis(url)
  t.teardown(() => client.disconnect())
  const adopted = await createStore({ redis: client })
  t.equal(adopted.kind, 'redis')
  t.equal(adopted.state().status, 'ok')
  await adopted.close()
  t.equal(await client.ping(), 'PONG', 'the application\'s client still works after the store closed')
})

t.test('redis store: the limit script survives a SCRIPT FLUSH (a Redis restart or failover)', async (t) => {
  const url = await testRedisUrl(t)
  if (!url) return
  const store = await RedisStore.connect(url)
  t.teardown(() => store.close())
  const { Redis } = await import('ioredis')
  const admin = new Redis(url)
  t.teardown(() => admin.disconnect())
  const rules = [{ key: `${randomUUID()}:w`, windowMs: 60_000, limit: 1 }]
  t.same(await store.reserve(rules, 'a', 1_000_000), { ok: true })
  await admin.script('FLUSH')
  t.same(await store.reserve(rules, 'b', 1_000_001), { ok: false, rule: 0, retryAt: 1_060_000 }, 'reloaded and still counting')
})
