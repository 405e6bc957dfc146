// The API client's upstream slots: a global cap, a per-credential share, round-robin between
// waiting credentials, and waiting that counts against the caller's abort signal and deadline.
// The fake upstream holds every request until the test releases it (a gate, not a timer).
import t, { type Test } from 'tap'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { ApiClient } from '../../src/api/client.js'
import { UpstreamUnavailableError } from '../../src/api/errors.js'
import type { Credentials } from '../../src/api/credentials.js'

const A: Credentials = { kind: 'apiKey', key: 'ps_test_tenant_a', source: 'header' }
const B: Credentials = { kind: 'apiKey', key: 'ps_test_tenant_b', source: 'header' }

interface Held { key: string, path: string, release: () => void }

/** An upstream that answers nothing until `release` is called for a request. */
async function gatedUpstream (t: Test) {
  const seen: Held[] = []
  const inFlight = new Map<string, number>()
  const maxInFlight = new Map<string, number>()
  const total = { now: 0, max: 0 }
  const sockets = new Set<Socket>()
  const waiters: Array<() => void> = []
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const key = String(req.headers['x-api-key'])
      const n = (inFlight.get(key) ?? 0) + 1
      inFlight.set(key, n)
      maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, n))
      total.max = Math.max(total.max, ++total.now)
      let done = false
      seen.push({
        key,
        path: req.url ?? '',
        release: () => {
          if (done) return
          done = true
          inFlight.set(key, inFlight.get(key)! - 1)
          total.now--
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }))
        }
      })
      // A request the client abandons (its deadline) leaves the upstream when its socket closes.
      res.on('close', () => { if (!done) { done = true; inFlight.set(key, inFlight.get(key)! - 1); total.now-- } })
      waiters.splice(0).forEach((w) => w())
    })
  })
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  /** Resolves once the upstream has received `n` requests in all (fails after a generous bound). */
  const seenCount = async (n: number, what: string) => {
    const end = Date.now() + 90_000
    while (seen.length < n) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (upstream saw ${seen.length})`)
      await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 200) })
    }
  }
  /** Answers every request as it arrives until `total` have been answered. */
  const releaseAll = async (total: number) => {
    for (let i = 0; i < total; i++) {
      await seenCount(i + 1, `request ${i + 1} of ${total}`)
      seen[i].release()
    }
  }
  return { releaseAll, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, maxInFlight, total, seenCount }
}

/** Lets pending I/O and timers run, so a request that should not be sent would have been. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100))

t.test('one credential flooding cannot queue another credential behind it', async (t) => {
  const up = await gatedUpstream(t)
  const api = new ApiClient({ baseUrl: up.url, maxConcurrency: 8, maxPerCredential: 3, timeoutMs: 60_000 })
  t.teardown(() => api.close())
  const flood = Array.from({ length: 20 }, (_, i) => api.call({ method: 'GET', path: `/v1/a/${i}` }, { credentials: A }))
  await up.seenCount(3, "A's first three requests")
  await settle()
  t.equal(up.seen.length, 3, 'A holds no more than its share, with 17 calls still waiting')

  const bCall = api.call({ method: 'GET', path: '/v1/b' }, { credentials: B })
  await up.seenCount(4, "B's request")
  t.equal(up.seen[3].key, B.key, "B's call reached the upstream while all of A's were still held")
  t.equal(up.seen.filter((s) => s.key === A.key).length, 3, 'none of A were released or added meanwhile')

  up.seen[3].release()
  t.same((await bCall).data, { path: '/v1/b' })
  await up.releaseAll(21)
  const results = await Promise.all(flood)
  t.equal(results.length, 20, 'every queued call of A completed')
  t.equal(up.maxInFlight.get(A.key), 3, 'A never had more than maxPerCredential requests in flight')
})

t.test('a freed slot goes to the next waiting credential, not to the flooding one', async (t) => {
  const up = await gatedUpstream(t)
  const api = new ApiClient({ baseUrl: up.url, maxConcurrency: 2, maxPerCredential: 2, timeoutMs: 60_000 })
  t.teardown(() => api.close())
  const flood = Array.from({ length: 6 }, (_, i) => api.call({ method: 'GET', path: `/v1/a/${i}` }, { credentials: A }))
  await up.seenCount(2, "A's first two requests")
  const bCall = api.call({ method: 'GET', path: '/v1/b' }, { credentials: B })
  await settle()
  t.equal(up.seen.length, 2, "the global cap is full: B waits behind A's two in flight, not behind A's four queued")
  up.seen[0].release()
  await up.seenCount(3, 'the next request')
  t.equal(up.seen[2].key, B.key, 'the freed slot went to B')
  await up.releaseAll(7)
  await bCall
  t.equal((await Promise.all(flood)).length, 6)
})

t.test('aborting while waiting for a slot rejects at once and leaks no slot', async (t) => {
  const up = await gatedUpstream(t)
  const api = new ApiClient({ baseUrl: up.url, maxConcurrency: 1, maxPerCredential: 1, timeoutMs: 60_000 })
  t.teardown(() => api.close())
  const first = api.call({ method: 'POST', path: '/v1/first', body: {} }, { credentials: A })
  await up.seenCount(1, 'the first request')

  const ac = new AbortController()
  const waiting = api.call({ method: 'POST', path: '/v1/abandoned', body: {} }, { credentials: B, signal: ac.signal })
  await settle()
  ac.abort()
  const err = await waiting.catch((e: unknown) => e)
  t.ok(err instanceof UpstreamUnavailableError, 'rejected while the slot holder is still held')
  t.equal((err as UpstreamUnavailableError).reason, 'aborted')

  const already = new AbortController()
  already.abort()
  const e2 = await api.call({ method: 'GET', path: '/v1/x' }, { credentials: B, signal: already.signal }).catch((e: unknown) => e)
  t.match(e2, { name: 'UpstreamUnavailableError', reason: 'aborted' }, 'an already aborted call does not queue')

  up.seen[0].release()
  await first
  const third = api.call({ method: 'GET', path: '/v1/third' }, { credentials: B })
  await up.seenCount(2, 'the call after the abort')
  up.seen[1].release()
  await third
  t.same(up.seen.map((s) => s.path), ['/v1/first', '/v1/third'], 'the abandoned call never reached the API, and its slot was not kept')
})

t.test('the wait for a slot counts against the call deadline', async (t) => {
  const up = await gatedUpstream(t)
  // Generous: the held call must reach the upstream before its own deadline, even on a busy machine.
  const api = new ApiClient({ baseUrl: up.url, maxConcurrency: 1, timeoutMs: 3000 })
  t.teardown(() => api.close())
  const first = api.call({ method: 'POST', path: '/v1/held', body: {} }, { credentials: A }).catch((e: unknown) => e)
  await up.seenCount(1, 'the held request')
  const err = await api.call({ method: 'POST', path: '/v1/late', body: {} }, { credentials: B }).catch((e: unknown) => e)
  t.match(err, { name: 'UpstreamUnavailableError', reason: 'timeout' })
  t.match(await first, { reason: 'timeout' }, 'the held call timed out too')
  // With one slot, the waiting call could reach the API only once the held one had given its slot
  // back (its own deadline, a little earlier): never beside it. Whether it is sent in what is left
  // of its deadline depends on how busy the machine is, so that is not asserted.
  t.equal(up.total.max, 1, 'the waiting call never ran beside the held one')
  t.equal(up.seen[0].path, '/v1/held', 'the held call had the slot first')
})

t.test('bad concurrency options are refused when the client is built', async (t) => {
  t.throws(() => new ApiClient({ baseUrl: 'http://127.0.0.1:9', maxConcurrency: 0 }), /maxConcurrency must be a whole number of at least 1 \(got 0\)/)
  t.throws(() => new ApiClient({ baseUrl: 'http://127.0.0.1:9', maxPerCredential: 1.5 }), /maxPerCredential/)
})
