// /ready (readiness) apart from /health (liveness): ready when the Pilot Status API answered
// recently or answers one cheap probe (any status), and the send guards' store is reachable;
// otherwise 503 naming what failed. A burst of /ready requests makes at most one probe.
import t from 'tap'
import { product, rawPost } from '../helper.js'
import { deadPort, fakeUpstream } from '../faults/fake-upstream.js'

interface Ready { status: string, checks: { upstream?: Record<string, unknown>, store?: Record<string, unknown> } }

async function ready (url: string): Promise<{ status: number, body: Ready, cache: string | null }> {
  const res = await fetch(`${url}/ready`)
  return { status: res.status, body: await res.json() as Ready, cache: res.headers.get('cache-control') }
}

t.test('upstream up: ready after one credential-less probe; then recent traffic counts', async (t) => {
  const up = await fakeUpstream(t, (r) => (r.path === '/v1' ? { status: 404, body: '{"error":"Not found"}' } : { status: 200, body: '{}' }))
  const p = await product(t, up.url, { prefix: '/pilot' })
  await fetch(`${p.url}/health`)
  t.equal(up.requests.length, 0, '/health never calls the API')
  const first = await ready(p.url)
  t.equal(first.status, 200)
  t.equal(first.cache, 'no-store')
  t.same(first.body, { status: 'ready', checks: { upstream: { status: 'ok', via: 'probe', httpStatus: 404 }, store: { kind: 'memory', status: 'ok' } } }, 'a 404 is an answer: reachable')
  t.same(up.requests.map((r) => [r.method, r.url]), [['GET', '/v1']], 'one probe of the API base')
  t.notOk(up.requests[0].headers['x-api-key'] ?? up.requests[0].headers.authorization, 'sent without credentials')
  const second = await ready(p.url)
  t.match(second.body, { status: 'ready', checks: { upstream: { status: 'ok', via: 'traffic' } } }, 'the probe\'s answer is recent traffic')
  t.equal(up.requests.length, 1, 'no second probe')
})

t.test('a tool call answered (even with an error) makes the upstream ready without a probe', async (t) => {
  const up = await fakeUpstream(t, () => ({ status: 401, body: '{"error":"Invalid API key"}' }))
  const p = await product(t, up.url)
  await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_list', arguments: {} } }, { 'x-api-key': 'ps_ready_key' })
  const n = up.requests.length
  const r = await ready(p.url)
  t.equal(r.status, 200)
  t.match(r.body.checks.upstream, { status: 'ok', via: 'traffic', lastAnswerSecondsAgo: Number })
  t.equal(up.requests.length, n, 'no probe')
})

t.test('upstream refusing connections: 503 naming it', async (t) => {
  const p = await product(t, `http://127.0.0.1:${await deadPort()}`)
  const r = await ready(p.url)
  t.equal(r.status, 503)
  t.equal(r.body.status, 'not_ready')
  t.match(r.body.checks, { upstream: { status: 'down', via: 'probe', error: /could not reach the Pilot Status API \(ECONNREFUSED\)/ }, store: { status: 'ok' } })
  t.equal((await fetch(`${p.url}/health`)).status, 200, '/health: still alive')
})

t.test('a burst of /ready while the API fails makes one probe, its result reused', async (t) => {
  const up = await fakeUpstream(t, () => ({ reset: true }))
  const p = await product(t, up.url)
  const all = await Promise.all(Array.from({ length: 10 }, () => ready(p.url)))
  t.same(all.map((r) => r.status), Array(10).fill(503))
  t.match(all[0].body.checks.upstream, { status: 'down', error: /connection to the Pilot Status API broke/ })
  t.equal((await ready(p.url)).status, 503, 'still not ready (cached)')
  t.equal(up.requests.length, 1, 'one probe for eleven requests')
})

t.test('Redis configured but unreachable: 503 naming the store; the upstream is fine', async (t) => {
  const up = await fakeUpstream(t)
  const p = await product(t, up.url, { redis: `redis://127.0.0.1:${await deadPort()}` })
  const r = await ready(p.url)
  t.equal(r.status, 503)
  t.match(r.body, { status: 'not_ready', checks: { upstream: { status: 'ok' }, store: { kind: 'redis', status: /^(down|connecting)$/ } } })
  const h = await fetch(`${p.url}/health`)
  t.equal(h.status, 200, '/health stays 200: reads still work')
})
