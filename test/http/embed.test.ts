// The product embedded in an existing Fastify backend under a prefix: it works there, and the
// host's own routes keep their behaviour (no auth, CORS, error handler or parser of ours).
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import pilotStatusMcp from '../../src/app.js'
import { sandbox, rawPost, SANDBOX_KEYS } from '../helper.js'

async function host (t: Test, apiUrl: string, opts: Record<string, unknown> = {}) {
  const app = Fastify()
  app.setErrorHandler((err, _req, reply) => { reply.code(418).send({ host: 'handled', code: (err as { code?: string }).code }) })
  app.get('/hello', async () => ({ hello: 'host' }))
  app.post('/echo', async (req) => ({ echoed: req.body }))
  await app.register(pilotStatusMcp, { prefix: '/ps', apiUrl, apiKey: SANDBOX_KEYS.number, ...opts })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
}

t.test('the product serves under its prefix', async (t) => {
  const sb = await sandbox(t)
  const base = await host(t, sb.url)
  const list = await rawPost(`${base}/ps/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'x-api-key': SANDBOX_KEYS.number })
  t.equal(list.status, 200)
  t.ok(list.json.result.tools.length > 0)
  // RFC 9728 locations are at the host root, whatever the prefix: the resource's own (root, as
  // https://mcp.pilotstatuss.com has no path) and the MCP endpoint's path-inserted one.
  const meta = await fetch(`${base}/.well-known/oauth-protected-resource`)
  t.equal(meta.status, 200)
  t.equal((await meta.json()).resource, 'https://mcp.pilotstatuss.com')
  const suffixed = await fetch(`${base}/.well-known/oauth-protected-resource/ps/mcp`)
  t.equal(suffixed.status, 200)
  t.equal((await suffixed.json()).resource, 'https://mcp.pilotstatuss.com/ps/mcp')
  t.equal((await fetch(`${base}/ps/.well-known/oauth-protected-resource`)).status, 404, 'not under the prefix')
  const health = await fetch(`${base}/ps/health`)
  t.equal((await health.json()).status, 'ok')
})

t.test('the env-key fallback is off unless the embedder turns it on', async (t) => {
  const sb = await sandbox(t)
  const off = await host(t, sb.url)
  const r1 = await rawPost(`${off}/ps/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list' })
  t.equal(r1.status, 401, 'apiKey alone does not serve credential-less requests')
  const on = await host(t, sb.url, { envKeyFallback: true })
  const r2 = await rawPost(`${on}/ps/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list' })
  t.equal(r2.status, 200)
})

t.test("host routes are untouched: no auth hook, no CORS headers, the host's error handler and parser", async (t) => {
  const sb = await sandbox(t)
  const base = await host(t, sb.url)
  const hello = await fetch(`${base}/hello`, { headers: { origin: 'http://localhost:3000' } })
  t.equal(hello.status, 200, 'no 401 from our auth')
  t.same(await hello.json(), { hello: 'host' })
  t.equal(hello.headers.get('access-control-allow-origin'), null, 'no CORS header of ours')
  t.equal(hello.headers.get('access-control-expose-headers'), null)

  const echo = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
  t.same(await echo.json(), { echoed: { a: 1 } }, "the host's JSON parser")
  const broken = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' })
  t.equal(broken.status, 418, "the host's error handler, not our JSON-RPC parse error")
  t.same(await broken.json(), { host: 'handled', code: 'FST_ERR_CTP_INVALID_JSON_BODY' })

  const pre = await fetch(`${base}/hello`, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' } })
  t.not(pre.status, 204, 'no CORS preflight of ours on host routes')
  t.equal(pre.headers.get('access-control-allow-origin'), null)
  const evil = await fetch(`${base}/hello`, { headers: { origin: 'https://evil.example' } })
  t.equal(evil.status, 200, 'no Origin guard of ours on host routes')
})

t.test('bad options fail at registration', async (t) => {
  for (const [opts, msg] of [
    [{ apiUrl: 'not a url' }, /apiUrl must be an http\(s\) URL/],
    [{ toolsets: ['messages', 'nope'] }, /unknown toolsets nope/],
    [{ tools: ['messages_send', 'not_a_tool'] }, /unknown tools not_a_tool/],
    [{ envKeyFallback: true }, /envKeyFallback needs apiKey/],
    [{ requestTimeoutMs: -1 }, /requestTimeoutMs must be a positive integer/]
  ] as const) {
    const app = Fastify()
    app.register(pilotStatusMcp, opts as never)
    await t.rejects(async () => { await app.ready() }, msg)
    await app.close()
  }
})
