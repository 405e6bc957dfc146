// The API client against a scriptable fake upstream: error mapping, read-only retries, deadlines.
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { ApiClient, apiPath, encodeSegment } from '../../src/api/client.js'
import { ApiError, UpstreamUnavailableError } from '../../src/api/errors.js'

const creds = { kind: 'apiKey' as const, key: 'ps_test', source: 'header' as const }

async function fake (t: Test, script: (n: number, req: { method: string, url: string }) => { status: number, body?: string, headers?: Record<string, string>, delayMs?: number }) {
  const app = Fastify()
  let n = 0
  const seen: string[] = []
  app.all('/*', async (req, reply) => {
    seen.push(`${req.method} ${req.url}`)
    const s = script(n++, req)
    if (s.delayMs) await new Promise((resolve) => setTimeout(resolve, s.delayMs))
    reply.code(s.status).headers({ 'content-type': 'application/json', ...s.headers }).send(s.body ?? '')
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, seen }
}

t.test('apiPath encodes every parameter as one segment', async (t) => {
  t.equal(apiPath`/v1/templates/${'../numbers'}`, '/v1/templates/%2E%2E%2Fnumbers')
  t.equal(apiPath`/v1/groups/${'1203@g.us'}/participants`, '/v1/groups/1203%40g%2Eus/participants')
  t.equal(encodeSegment('a?b#c d'), 'a%3Fb%23c%20d')
  t.equal(encodeSegment('..'), '%2E%2E')
})

t.test('API errors carry status, code, message and Retry-After', async (t) => {
  const up = await fake(t, () => ({ status: 403, body: JSON.stringify({ error: 'Tenant key not allowed', code: 'TENANT_SCOPE_NOT_ALLOWED' }) }))
  const api = new ApiClient({ baseUrl: up.url })
  t.teardown(() => api.close())
  const err = await api.call({ method: 'GET', path: '/v1/templates' }, { credentials: creds }).catch((e) => e)
  t.ok(err instanceof ApiError)
  t.match(err, { status: 403, code: 'TENANT_SCOPE_NOT_ALLOWED', message: 'Tenant key not allowed' })
})

t.test('reads are retried on 503/429 honouring Retry-After; writes never', async (t) => {
  const up = await fake(t, (n) => n < 2 ? { status: n === 0 ? 503 : 429, headers: { 'retry-after': '0' }, body: '{"error":"busy"}' } : { status: 200, body: '{"ok":true}' })
  const api = new ApiClient({ baseUrl: up.url, retryBaseMs: 10 })
  t.teardown(() => api.close())
  const res = await api.call({ method: 'GET', path: '/v1/x' }, { credentials: creds })
  t.same(res.data, { ok: true })
  t.equal(up.seen.length, 3, 'two retries')

  up.seen.length = 0
  const up2 = await fake(t, () => ({ status: 503, body: '{"error":"busy"}' }))
  const api2 = new ApiClient({ baseUrl: up2.url, retryBaseMs: 10 })
  t.teardown(() => api2.close())
  const err = await api2.call({ method: 'POST', path: '/v1/messages/send', body: { text: 'hi' } }, { credentials: creds }).catch((e) => e)
  t.ok(err instanceof ApiError)
  t.equal(up2.seen.length, 1, 'a send is sent exactly once')
})

t.test('timeouts, HTML pages, bad JSON, oversize bodies and refused connections', async (t) => {
  // The answer comes long after the deadline: giving up at the deadline is told apart from waiting
  // for the answer with room for a busy machine.
  const slow = await fake(t, () => ({ status: 200, body: '{}', delayMs: 3000 }))
  const api = new ApiClient({ baseUrl: slow.url, timeoutMs: 150 })
  t.teardown(() => api.close())
  const started = Date.now()
  const e1 = await api.call({ method: 'GET', path: '/v1/x' }, { credentials: creds }).catch((e) => e)
  t.ok(e1 instanceof UpstreamUnavailableError)
  t.equal(e1.reason, 'timeout')
  t.ok(Date.now() - started < 2500, 'gave up at the deadline, not when the answer came')

  const html = await fake(t, () => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad gateway</body></html>' }))
  const a2 = new ApiClient({ baseUrl: html.url, readRetries: 0 })
  t.teardown(() => a2.close())
  const e2 = await a2.call({ method: 'GET', path: '/v1/x' }, { credentials: creds }).catch((e) => e)
  t.ok(e2 instanceof ApiError)
  t.equal(e2.status, 502)
  t.match(e2.message, /HTML error page/)

  const bad = await fake(t, () => ({ status: 200, body: '{"truncated":' }))
  const a3 = new ApiClient({ baseUrl: bad.url, readRetries: 0 })
  t.teardown(() => a3.close())
  const e3 = await a3.call({ method: 'GET', path: '/v1/x' }, { credentials: creds }).catch((e) => e)
  t.match(e3, { name: 'UpstreamUnavailableError', reason: 'bad_response' })

  const big = await fake(t, () => ({ status: 200, body: JSON.stringify({ blob: 'x'.repeat(300_000) }) }))
  const a4 = new ApiClient({ baseUrl: big.url, maxResponseBytes: 100_000 })
  t.teardown(() => a4.close())
  const e4 = await a4.call({ method: 'GET', path: '/v1/x' }, { credentials: creds }).catch((e) => e)
  t.match(e4, { name: 'UpstreamUnavailableError', reason: 'too_large' })

  const a5 = new ApiClient({ baseUrl: 'http://127.0.0.1:9', readRetries: 0 })
  t.teardown(() => a5.close())
  const e5 = await a5.call({ method: 'GET', path: '/v1/x' }, { credentials: creds }).catch((e) => e)
  t.match(e5, { name: 'UpstreamUnavailableError', reason: 'connection' })
  t.match(e5.message, /ECONNREFUSED/)
})

t.test('a cancelled call reports aborted and stops waiting', async (t) => {
  const slow = await fake(t, () => ({ status: 200, body: '{}', delayMs: 2000 }))
  const api = new ApiClient({ baseUrl: slow.url })
  t.teardown(() => api.close())
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 50)
  const e = await api.call({ method: 'GET', path: '/v1/x' }, { credentials: creds, signal: ac.signal }).catch((err) => err)
  t.match(e, { name: 'UpstreamUnavailableError', reason: 'aborted' })
})
