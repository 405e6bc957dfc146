// Fault injection on the read path, through the whole product over HTTP: every upstream failure
// becomes an isError tool result naming what happened, within the configured deadline; reads are
// retried a bounded number of times with doubling backoff that honours Retry-After; afterwards
// the server is healthy (GET /health 200 and the next call succeeds).
import t, { type Test } from 'tap'
import { product, rawPost, type RunningProduct } from '../helper.js'
import { fakeUpstream, until, type FakeUpstream } from './fake-upstream.js'

// Every fault runs with the HTTP fast path on and off: the SDK path keeps its own deadline,
// cancellation and retry behaviour, and both must hold.
function bothWays (name: string, fn: (t: Test, fastPath: boolean) => Promise<void>): void {
  for (const fastPath of [true, false]) t.test(`${fastPath ? '' : '[fast path off] '}${name}`, (t) => fn(t, fastPath))
}

const KEY = { 'x-api-key': 'ps_fault_read_key' }
const TEMPLATE = { id: 'tpl_1', name: 'order_update', sendable: true }
const good = () => ({ status: 200, body: JSON.stringify(TEMPLATE) })
const UNREACHABLE = 'Hint: The Pilot Status API is unreachable or misbehaving; try again shortly.'

async function getTemplate (p: RunningProduct): Promise<{ isError?: boolean, text: string, structuredContent?: unknown, ms: number }> {
  const started = Date.now()
  const res = await rawPost(p.mcp, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } }, KEY)
  if (res.status !== 200 || res.json?.id !== 7 || !res.json.result) throw new Error(`not a tool result: ${res.status} ${res.text.slice(0, 300)}`)
  const r = res.json.result
  return { isError: r.isError, text: r.content.map((c: { text?: string }) => c.text ?? '').join('\n'), structuredContent: r.structuredContent, ms: Date.now() - started }
}

/** The server answers /health and serves the next call normally. */
async function healthy (t: Test, p: RunningProduct, up: FakeUpstream): Promise<void> {
  up.behave(good)
  const h = await fetch(`${p.url}/health`)
  t.equal(h.status, 200, '/health answers 200')
  const next = await getTemplate(p)
  t.equal(next.isError, undefined, 'the next call succeeds')
  t.same(next.structuredContent, TEMPLATE, 'with the upstream data')
}

bothWays('timeouts: no answer, slow headers, slow body — each ends at the deadline', async (t, fastPath) => {
  const up = await fakeUpstream(t, good)
  const p = await product(t, up.url, { fastPath, upstreamTimeoutMs: 500, requestTimeoutMs: 10_000 })
  const expected = `templates_get failed: the API did not answer within 500 ms.\n${UNREACHABLE}`
  // Warm-up before the 500 ms deadline counts: the first call compiles the tool's validator and
  // opens the upstream connection, which a busy machine can stretch past 500 ms.
  await getTemplate(p)
  const cases: Array<[string, Parameters<FakeUpstream['behave']>[0]]> = [
    ['no answer at all', () => ({ hang: true })],
    ['headers after 3 s', () => ({ delayMs: 3000, ...good() })],
    ['body trickling one byte every 100 ms', () => ({ status: 200, trickle: { chunk: ' ', everyMs: 100, count: 100 } })]
  ]
  for (const [name, behaviour] of cases) {
    up.behave(behaviour)
    up.requests.length = 0
    const r = await getTemplate(p)
    t.equal(r.isError, true, `${name}: isError`)
    t.equal(r.text, expected, `${name}: says it timed out`)
    // Not before the upstream deadline, and well before the 10 s request deadline (no tight upper bound: busy machines).
    t.ok(r.ms >= 450 && r.ms < 8000, `${name}: ended at the upstream deadline (${r.ms} ms)`)
    t.equal(up.requests.length, 1, `${name}: a timeout is not retried`)
    await until(() => up.requests[0].aborted, 3000, 'the upstream to see the socket close')
    t.equal(up.requests[0].aborted, true, `${name}: the upstream request was abandoned`)
    await healthy(t, p, up)
  }
})

bothWays('connection refused, then the API comes back', async (t, fastPath) => {
  const up = await fakeUpstream(t, good)
  const p = await product(t, up.url, { fastPath, upstreamTimeoutMs: 2000 })
  await healthy(t, p, up)
  await up.stop()
  const r = await getTemplate(p)
  t.equal(r.isError, true)
  t.equal(r.text, `templates_get failed: could not reach the Pilot Status API (ECONNREFUSED).\n${UNREACHABLE}`)
  // Retried twice (200 ms, then 400 ms backoff) before giving up.
  t.ok(r.ms >= 550 && r.ms < 10_000, `bounded retries, then an answer (${r.ms} ms)`)
  await up.restart()
  await healthy(t, p, up)
})

bothWays('5xx: 500 is not retried; 502/503/504 are retried twice with doubling backoff', async (t, fastPath) => {
  const up = await fakeUpstream(t, good)
  const p = await product(t, up.url, { fastPath, upstreamTimeoutMs: 5000 })

  up.behave(() => ({ status: 500, body: '{"error":"boom","code":"INTERNAL"}' }))
  up.requests.length = 0
  const r500 = await getTemplate(p)
  t.equal(r500.text, 'templates_get failed: Pilot Status API answered HTTP 500 INTERNAL: boom\nHint: Pilot Status had an internal error; try again shortly.')
  t.equal(up.requests.length, 1, '500 is not retried')
  await healthy(t, p, up)

  for (const status of [502, 503, 504]) {
    up.behave(() => ({ status, body: '{"error":"upstream trouble"}' }))
    up.requests.length = 0
    const r = await getTemplate(p)
    t.equal(r.isError, true)
    t.equal(r.text, `templates_get failed: Pilot Status API answered HTTP ${status}: upstream trouble\nHint: Pilot Status had an internal error; try again shortly.`)
    t.equal(up.requests.length, 3, `${status}: one call and two retries`)
    const [a, b, c] = up.requests.map((x) => x.at)
    t.ok(b - a >= 190, `${status}: first backoff ≥ 200 ms (${b - a})`)
    t.ok(c - b >= 390, `${status}: second backoff doubled (${c - b})`)
    await healthy(t, p, up)
  }

  // A transient 503 that recovers: the caller only sees the success.
  up.behave((_r, n) => n === 0 ? { status: 503, body: '{"error":"busy"}' } : good())
  up.requests.length = 0
  const recovered = await getTemplate(p)
  t.equal(recovered.isError, undefined)
  t.same(recovered.structuredContent, TEMPLATE)
  t.equal(up.requests.length, 2)
})

bothWays('429 with Retry-After: honoured when short, reported when long', async (t, fastPath) => {
  const up = await fakeUpstream(t, good)
  const p = await product(t, up.url, { fastPath, upstreamTimeoutMs: 5000 })

  up.behave((_r, n) => n === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: '{"error":"slow down"}' } : good())
  up.requests.length = 0
  const r = await getTemplate(p)
  t.equal(r.isError, undefined, 'succeeded after waiting')
  t.equal(up.requests.length, 2)
  const gap = up.requests[1].at - up.requests[0].at
  t.ok(gap >= 950, `waited for Retry-After: 1 s, not the 200 ms backoff (${gap} ms)`)

  up.behave(() => ({ status: 429, headers: { 'retry-after': '30' }, body: '{"error":"slow down"}' }))
  up.requests.length = 0
  const long = await getTemplate(p)
  t.equal(long.text, 'templates_get failed: Pilot Status API answered HTTP 429: slow down\nHint: Rate limited by the API: wait before trying again.\nRetry after 30 s.')
  t.equal(up.requests.length, 1, 'a wait longer than the cap is not slept through')
  t.ok(long.ms < 15_000, `answered without sleeping the 30 s (${long.ms} ms)`)

  // Retry-After as an HTTP date, 1 s ahead.
  up.behave((_r, n) => n === 0 ? { status: 503, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() }, body: '{"error":"maintenance"}' } : good())
  up.requests.length = 0
  const dated = await getTemplate(p)
  t.equal(dated.isError, undefined)
  t.equal(up.requests.length, 2)
  t.ok(up.requests[1].at - up.requests[0].at >= 900, 'waited for the date')
  await healthy(t, p, up)
})

bothWays('unreadable answers: malformed JSON, HTML pages, a 50 MB body', async (t, fastPath) => {
  const up = await fakeUpstream(t, good)
  const p = await product(t, up.url, { fastPath, upstreamTimeoutMs: 8000 })

  up.behave(() => ({ status: 200, body: '{"id":"tpl_1","name":' }))
  up.requests.length = 0
  const bad = await getTemplate(p)
  t.equal(bad.text, `templates_get failed: the API answered 200 with a body that is not valid JSON.\n${UNREACHABLE}`)
  t.equal(up.requests.length, 3, 'an unreadable read is retried twice')
  await healthy(t, p, up)

  up.behave(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>' }))
  up.requests.length = 0
  const html = await getTemplate(p)
  t.equal(html.text, 'templates_get failed: Pilot Status API answered HTTP 502: Bad gateway (an HTML error page)\nHint: Pilot Status had an internal error; try again shortly.')
  t.notMatch(html.text, /<h1>/, 'the page itself is not passed on')
  await healthy(t, p, up)

  up.behave(() => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<html><body>Please log in to the Wi-Fi</body></html>' }))
  const portal = await getTemplate(p)
  t.equal(portal.text, `templates_get failed: the API answered 200 with an HTML page instead of JSON.\n${UNREACHABLE}`)
  await healthy(t, p, up)

  up.behave(() => ({ status: 200, floodBytes: 50 * 1024 * 1024 }))
  up.requests.length = 0
  const big = await getTemplate(p)
  t.equal(big.text, `templates_get failed: the API's response exceeded 25 MB and was discarded.\n${UNREACHABLE}`)
  t.equal(up.requests.length, 1, 'an oversize body is not fetched again')
  await until(() => up.requests[0].aborted, 3000, 'the flood to be cut off')
  t.equal(up.requests[0].aborted, true, 'the product stopped reading and closed the socket')
  await healthy(t, p, up)
})
