// Idempotency keys through the product's HTTP route, on the memory store and on a real Redis:
// a repeat replays the kept result without reaching the API, other arguments under the same key
// are a conflict, a repeat during the first call waits for it, an unknown outcome stays unknown,
// a call that certainly did nothing frees its key, and kept results expire.
import t, { type Test } from 'tap'
import { product } from '../helper.js'
import { testRedisUrl } from '../store/redis-server.js'
import { call, isSend, newKey, TO, upstream, withoutMarker } from './helpers.js'

async function suite (t: Test, redis: string | undefined): Promise<void> {
  const opts = redis ? { redis } : {}

  t.test('a repeat replays the kept result and sends nothing', async (t) => {
    const up = await upstream(t)
    const p = await product(t, up.url, opts)
    const key = newKey()
    const first = await call(p, key, 'messages_send', { destinationNumber: TO, text: 'Your order shipped', idempotencyKey: 'order-42-shipped' })
    t.equal(first.isError, false, first.text)
    t.equal(first.structured?.id, 'msg_1')
    t.equal(first.structured?.idempotency, undefined, 'a first call is not marked as a replay')
    t.equal(up.requests.filter(isSend).length, 1)
    const body = JSON.parse(up.requests[0].body)
    t.same(Object.keys(body).sort(), ['destinationNumber', 'text'], 'the key never goes upstream')

    // Same meaning, other spelling: key order, and a number given as a string where a string is wanted.
    const again = await call(p, key, 'messages_send', { idempotencyKey: 'order-42-shipped', text: 'Your order shipped', destinationNumber: TO })
    t.equal(again.isError, false)
    t.match(again.text, /^Replayed: idempotencyKey "order-42-shipped" was first used at \d{4}-\d\d-\d\dT[\d:.]+Z; this is that call's kept result\. Nothing was sent again\.\nMessage msg_1 \(QUEUED\)/)
    t.same(withoutMarker(again.structured), first.structured, 'the same result')
    t.same(again.structured?.idempotency, { replayed: true, outcome: 'done', firstCalledAt: again.structured?.idempotency.firstCalledAt })
    t.equal(up.requests.filter(isSend).length, 1, 'no second send')

    const other = await call(p, newKey(), 'messages_send', { destinationNumber: TO, text: 'Your order shipped', idempotencyKey: 'order-42-shipped' })
    t.equal(other.structured?.id, 'msg_2', 'keys belong to one credential: another credential\'s same key is its own send')

    const group = await call(p, key, 'groups_create', { subject: 'Team', idempotencyKey: 'team-group' })
    const groupAgain = await call(p, key, 'groups_create', { subject: 'Team', idempotencyKey: 'team-group' })
    t.same(withoutMarker(groupAgain.structured), group.structured, 'any non-idempotent write takes a key')
    t.equal(up.requests.filter((r) => r.path === '/v1/groups').length, 1)
    const sameKeyOtherTool = await call(p, key, 'call_initiate', { to: TO, idempotencyKey: 'team-group' })
    t.equal(sameKeyOtherTool.isError, false, 'keys are per tool')
  })

  t.test('the same key with other arguments is a conflict; nothing is sent', async (t) => {
    const up = await upstream(t)
    const p = await product(t, up.url, opts)
    const key = newKey()
    await call(p, key, 'messages_send', { destinationNumber: TO, text: 'one', idempotencyKey: 'k1' })
    const clash = await call(p, key, 'messages_send', { destinationNumber: TO, text: 'two', idempotencyKey: 'k1' })
    t.equal(clash.isError, true)
    t.match(clash.text, /^messages_send refused: idempotencyKey "k1" was already used at .+ with different arguments\. Nothing was sent\./)
    t.equal(up.requests.length, 1)
  })

  t.test('concurrent repeats wait for the first call and share its result', async (t) => {
    const up = await upstream(t, (req) => (isSend(req) ? { status: 202, delayMs: 400, body: JSON.stringify({ id: 'msg_slow', correlationId: 'c', status: 'QUEUED', createdAt: '2026-06-20T10:00:00.000Z' }) } : undefined))
    const p = await product(t, up.url, opts)
    const key = newKey()
    const args = { destinationNumber: TO, text: 'hello', idempotencyKey: 'hello-once' }
    const all = await Promise.all(Array.from({ length: 5 }, () => call(p, key, 'messages_send', args)))
    t.equal(up.requests.filter(isSend).length, 1, 'exactly one upstream send')
    t.ok(all.every((a) => !a.isError && a.structured?.id === 'msg_slow'), 'every caller got the one result')
    t.equal(all.filter((a) => a.structured?.idempotency === undefined).length, 1, 'one ran it, four replayed it')
  })

  t.test('an unknown outcome is kept: the retry is told to check, not sent', async (t) => {
    for (const fault of [{ name: '500', script: { status: 500, body: '{"error":"boom"}' } }, { name: 'reset after the request', script: { reset: true } }]) {
      let failing = true
      const up = await upstream(t, (req) => (isSend(req) && failing ? fault.script : undefined))
      const p = await product(t, up.url, opts)
      const key = newKey()
      const args = { destinationNumber: TO, text: 'pay now', idempotencyKey: 'invoice-7' }
      const first = await call(p, key, 'messages_send', args)
      t.equal(first.isError, true, `${fault.name}: fails`)
      failing = false
      const retry = await call(p, key, 'messages_send', args)
      t.equal(retry.isError, true, `${fault.name}: the retry is not run`)
      t.match(retry.text, /^messages_send was not run again: the first call with idempotencyKey "invoice-7" \(at .+\) has an unknown outcome \(it failed with: messages_send failed: .+\)\. It may have taken effect\. Check message_get or messages_history/)
      t.equal(retry.structured?.idempotency?.outcome, 'unknown')
      t.equal(up.requests.filter(isSend).length, 1, `${fault.name}: one upstream request in all`)
    }
  })

  t.test('a call that certainly did nothing frees its key', async (t) => {
    let answer: 'validation' | 'rate' | 'ok' = 'validation'
    const up = await upstream(t, (req) => {
      if (!isSend(req)) return undefined
      if (answer === 'validation') return { status: 400, body: '{"error":"bad","code":"VALIDATION_ERROR"}' }
      if (answer === 'rate') return { status: 429, body: '{"error":"slow down"}' }
      return undefined
    })
    const p = await product(t, up.url, opts)
    const key = newKey()
    const args = { destinationNumber: TO, text: 'hi', idempotencyKey: 'hi-1' }
    t.match((await call(p, key, 'messages_send', args)).text, /HTTP 400 VALIDATION_ERROR/)
    answer = 'rate'
    t.match((await call(p, key, 'messages_send', args)).text, /HTTP 429/, 'the 400 did not keep the key: run again')
    answer = 'ok'
    const ok = await call(p, key, 'messages_send', args)
    t.equal(ok.isError, false, 'nor did the 429')
    t.equal(up.requests.filter(isSend).length, 3)

    // The API unreachable (connection refused): certainly not sent, so the key is free again.
    const down = await upstream(t)
    await down.stop()
    const p2 = await product(t, down.url, opts)
    const args2 = { destinationNumber: TO, text: 'hi', idempotencyKey: 'hi-2' }
    t.match((await call(p2, key, 'messages_send', args2)).text, /Hint: The Pilot Status API is unreachable/)
    await down.restart()
    const after = await call(p2, key, 'messages_send', args2)
    t.equal(after.isError, false, 'sent once the API is back')
    t.equal(after.structured?.idempotency, undefined, 'a real first run, not a replay')

    // Arguments the tool itself refuses never claim the key.
    const bad = await call(p, key, 'messages_send', { destinationNumber: TO, idempotencyKey: 'hi-3' })
    t.match(bad.text, /give exactly one mode/)
    const good = await call(p, key, 'messages_send', { destinationNumber: TO, text: 'x', idempotencyKey: 'hi-3' })
    t.equal(good.isError, false, 'the same key then works with valid arguments')
  })

  t.test('kept results expire', async (t) => {
    const up = await upstream(t)
    const p = await product(t, up.url, { ...opts, idempotencyTtl: '300ms' })
    const key = newKey()
    const args = { destinationNumber: TO, text: 'ping', idempotencyKey: 'ping' }
    t.equal((await call(p, key, 'messages_send', args)).structured?.id, 'msg_1')
    t.equal((await call(p, key, 'messages_send', args)).structured?.id, 'msg_1', 'replayed within the TTL')
    await new Promise((resolve) => setTimeout(resolve, 600))
    t.equal((await call(p, key, 'messages_send', args)).structured?.id, 'msg_2', 'sent again after it')
  })
}

t.test('idempotency keys: in memory', async (t) => suite(t, undefined))

t.test('idempotency keys: Redis', async (t) => {
  const url = await testRedisUrl(t)
  if (url) await suite(t, url)
})

t.test('a key must be 1-255 printable characters; reads take none', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url)
  const key = newKey()
  for (const bad of ['', 'a\u0007b', 'x'.repeat(256), 'tab\there']) {
    const r = await call(p, key, 'messages_send', { destinationNumber: TO, text: 'x', idempotencyKey: bad })
    t.equal(r.isError, true)
    t.match(r.text, /idempotencyKey/, `refused: ${JSON.stringify(bad).slice(0, 20)}`)
  }
  t.equal((await call(p, key, 'messages_send', { destinationNumber: TO, text: 'x', idempotencyKey: 'pedido nº 42 — olá' })).isError, false, 'any printable text, accents too')
  const read = await call(p, key, 'message_get', { messageId: 'm1', idempotencyKey: 'k' })
  t.match(read.text, /idempotencyKey: unknown argument/, 'read-only tools do not take a key')
  t.equal(up.requests.length, 1)
})
