// The product embedded in an existing Fastify backend under a prefix: it works there, its
// well-known routes answer at the host root (through pilotStatusMcpWellKnown, no reach into
// Fastify's internals), and the host's own routes keep their behaviour (no auth, CORS, error
// handler or parser of ours).
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import pilotStatusMcp, { pilotStatusMcpWellKnown } from '../../src/app.js'
import { sandbox, rawPost, SANDBOX_KEYS } from '../helper.js'

const warnings: string[] = []

async function host (t: Test, apiUrl: string, opts: Record<string, unknown> = {}, wellKnown = true) {
  const stream = new Writable({ write (chunk, _enc, cb) { warnings.push(JSON.parse(String(chunk)).msg); cb() } })
  const app = Fastify({ logger: { level: 'warn', stream } })
  app.setErrorHandler((err, _req, reply) => { reply.code(418).send({ host: 'handled', code: (err as { code?: string }).code }) })
  app.get('/hello', async () => ({ hello: 'host' }))
  app.post('/echo', async (req) => ({ echoed: req.body }))
  const options = { apiUrl, apiKey: SANDBOX_KEYS.number, ...opts }
  if (wellKnown) await app.register(pilotStatusMcpWellKnown, { productPrefix: '/ps', ...options })
  await app.register(pilotStatusMcp, { prefix: '/ps', ...options })
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
  t.same(warnings, [], 'no warning: the host registered the well-known routes')
})

t.test('with authorizationServerRoutes, the well-known plugin serves the AS routes at the root too', async (t) => {
  const sb = await sandbox(t)
  const base = await host(t, sb.url, { authServerUrl: sb.url, authorizationServerRoutes: true })
  const meta = await fetch(`${base}/.well-known/oauth-authorization-server`)
  t.equal(meta.status, 200)
  t.equal((await meta.json()).issuer, sb.url)
  const authorize = await fetch(`${base}/authorize?client_id=x`, { redirect: 'manual' })
  t.equal(authorize.status, 302)
  t.equal((await fetch(`${base}/ps/authorize`, { redirect: 'manual' })).status, 404, 'not under the prefix')
})

t.test('without the well-known plugin: no root routes of ours, and a warning naming the fix', async (t) => {
  const sb = await sandbox(t)
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const app = Fastify({ logger: { level: 'warn', stream } })
  app.get('/hello', async () => ({ hello: 'host' }))
  await app.register(pilotStatusMcp, { prefix: '/ps', apiUrl: sb.url })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  t.equal((await fetch(`${base}/.well-known/oauth-protected-resource`)).status, 404)
  t.same(await (await fetch(`${base}/hello`)).json(), { hello: 'host' })
  const warn = lines.map((l) => JSON.parse(l)).find((l) => l.level === 40)
  t.match(warn?.msg, /registered under \/ps: .*register pilotStatusMcpWellKnown there/)
  const list = await rawPost(`${base}/ps/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'x-api-key': SANDBOX_KEYS.number })
  t.equal(list.status, 200, 'the MCP endpoint itself works')
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

t.test('bad options fail at registration, with the environment\'s rules and sentences', async (t) => {
  for (const [opts, msg] of [
    [{ apiUrl: 'not a url' }, /apiUrl must be an http\(s\) URL \(got "not a url"\)/],
    [{ resourceUrl: 'https://mcp.example.com/mcp?x=1' }, /resourceUrl must not have a query or fragment/],
    [{ apiKey: 'sk_live_123' }, /apiKey must be a Pilot Status key: ps_ followed by letters, digits, _ or - \(value not shown\)/],
    [{ toolsets: ['messages', 'nope'] }, /toolsets has unknown toolsets nope/],
    [{ tools: ['messages_send', 'not_a_tool'] }, /tools has unknown tools not_a_tool/],
    [{ envKeyFallback: true }, /envKeyFallback needs apiKey or apiKeyId/],
    [{ requestTimeoutMs: -1 }, /requestTimeoutMs must be a whole number from 100 to 3600000 \(got -1\)/],
    [{ readOnly: 'yes' }, /readOnly must be true or false \(got "yes"\)/],
    [{ tokenVerification: 'maybe' }, /tokenVerification must be off, jwt or introspection/],
    [{ mcpPath: 'mcp' }, /mcpPath must be a path such as \/mcp/]
  ] as const) {
    const app = Fastify()
    app.register(pilotStatusMcp, opts as never)
    const err = await app.ready().then(() => undefined, (e: Error) => e)
    t.match(err?.message, msg)
    t.notMatch(err?.message ?? '', 'sk_live_123', 'a key is never echoed')
    await app.close()
  }
})
