// RFC 9728 metadata locations (plain, resource with a path, embedded under a prefix), the three
// challenge kinds, tokens in the query string refused, the opt-in authorization-server routes on
// the MCP origin, and `http --sandbox` announcing the sandbox as its authorization server.
import t from 'tap'
import { spawn } from 'node:child_process'
import Fastify from 'fastify'
import pilotStatusMcp, { pilotStatusMcpWellKnown } from '../../src/app.js'
import { metadataLocations } from '../../plugins/protected-resource.js'
import { SANDBOX_KEYS, product, rawPost, sandbox } from '../helper.js'
import { CLI } from '../paths.js'
import { node } from '../spawn.js'

const LIST = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'numbers_list', arguments: {} } }

t.test('metadata locations follow RFC 9728 for each kind of resource identifier', async (t) => {
  t.same([...metadataLocations('https://mcp.example.com', '/mcp')], [
    ['/.well-known/oauth-protected-resource', 'https://mcp.example.com'],
    ['/.well-known/oauth-protected-resource/mcp', 'https://mcp.example.com/mcp']
  ])
  t.same([...metadataLocations('https://api.example.com/tools/mcp', '/tools/mcp')], [
    ['/.well-known/oauth-protected-resource/tools/mcp', 'https://api.example.com/tools/mcp'],
    ['/.well-known/oauth-protected-resource', 'https://api.example.com']
  ])

  const sb = await sandbox(t)
  const p = await product(t, sb.url, { resourceUrl: 'https://api.example.com/mcp', oauthScopes: ['whatsapp'] })
  const own = await (await fetch(`${p.url}/.well-known/oauth-protected-resource/mcp`)).json()
  t.same(own, {
    resource: 'https://api.example.com/mcp',
    authorization_servers: ['https://pilotstatuss.com'],
    bearer_methods_supported: ['header'],
    resource_name: 'Pilot Status MCP server',
    resource_documentation: 'https://github.com/pilot-status/mcp-server#readme',
    scopes_supported: ['whatsapp']
  })
  t.equal((await (await fetch(`${p.url}/.well-known/oauth-protected-resource`)).json()).resource, 'https://api.example.com')
  const challenge = (await rawPost(p.mcp, LIST)).headers.get('www-authenticate')
  t.equal(challenge, 'Bearer resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp", scope="whatsapp", error_description="Authentication required: send x-api-key, or log in with OAuth"',
    'the challenge points at the identifier\'s own location and names the scope')
})

t.test('embedded under a prefix: metadata at the host root with the path inserted', async (t) => {
  const sb = await sandbox(t)
  const host = Fastify({ logger: false })
  host.get('/.well-known/oauth-protected-resource', async () => ({ host: 'own' }))
  const options = { apiUrl: sb.url, resourceUrl: 'https://backend.example.com/api/whatsapp/mcp' }
  await host.register(pilotStatusMcpWellKnown, { productPrefix: '/api/whatsapp', ...options })
  await host.register(pilotStatusMcp, { prefix: '/api/whatsapp', ...options })
  await host.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => host.close())
  const base = `http://127.0.0.1:${(host.server.address() as { port: number }).port}`
  const meta = await fetch(`${base}/.well-known/oauth-protected-resource/api/whatsapp/mcp`)
  t.equal(meta.status, 200)
  t.equal((await meta.json()).resource, 'https://backend.example.com/api/whatsapp/mcp')
  t.same(await (await fetch(`${base}/.well-known/oauth-protected-resource`)).json(), { host: 'own' }, 'the host\'s own route is kept')
  const r = await rawPost(`${base}/api/whatsapp/mcp`, LIST)
  t.equal(r.status, 401)
  t.match(r.headers.get('www-authenticate'), 'resource_metadata="https://backend.example.com/.well-known/oauth-protected-resource/api/whatsapp/mcp"')
})

t.test('the three challenges: none, invalid_token, insufficient_scope', async (t) => {
  // A scriptable upstream: 401 for a revoked token, 403 insufficient_scope for a narrow one.
  const up = Fastify({ logger: false })
  let calls = 0
  up.get('/v1/numbers', async (req, reply) => {
    calls++
    const auth = req.headers.authorization
    if (auth === 'Bearer revoked') return reply.code(401).send({ error: 'Invalid or expired access token', code: 'INVALID_TOKEN' })
    if (auth === 'Bearer narrow') return reply.code(403).send({ error: 'Token lacks scope numbers:read', code: 'insufficient_scope' })
    return { numbers: [], total: 0, page: 1, pageSize: 30, totalPages: 0 }
  })
  await up.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => up.close())
  const p = await product(t, `http://127.0.0.1:${(up.server.address() as { port: number }).port}`, { oauthScopes: ['whatsapp'] })

  const none = await rawPost(p.mcp, LIST)
  t.equal(none.status, 401)
  t.notMatch(none.headers.get('www-authenticate'), /error=/, 'no credentials: no error code (RFC 6750 §3.1)')
  t.equal(calls, 0)

  const revoked = await rawPost(p.mcp, LIST, { authorization: 'Bearer revoked' })
  t.equal(revoked.status, 401, 'an upstream 401 becomes an HTTP 401, not a tool result')
  t.match(revoked.headers.get('www-authenticate'), /error="invalid_token"/)
  t.match(revoked.headers.get('www-authenticate'), /scope="whatsapp"/)

  const narrow = await rawPost(p.mcp, LIST, { authorization: 'Bearer narrow' })
  t.equal(narrow.status, 403)
  t.match(narrow.headers.get('www-authenticate'), /error="insufficient_scope"/)

  const fine = await rawPost(p.mcp, LIST, { authorization: 'Bearer fine' })
  t.equal(fine.status, 200)
  t.notOk(fine.json.result.isError)
})

t.test('tokens and keys in the query string are refused, never used', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url, { apiKey: SANDBOX_KEYS.number, envKeyFallback: true })
  for (const param of ['access_token', 'api_key', 'token']) {
    const r = await rawPost(`${p.mcp}?${param}=secret-value-123`, LIST)
    t.equal(r.status, 401, `${param}: 401 even with a fallback key configured`)
    t.match(r.headers.get('www-authenticate'), /error="invalid_request".*not accepted in the URL/)
  }
  t.equal(sb.requests.length, 0)
  t.notOk(p.logs.some((l) => l.includes('secret-value-123')), 'the value is not logged')
})

t.test('verification that cannot run answers 503, not a login loop', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url, { tokenVerification: 'jwt', authServerUrl: 'http://127.0.0.1:9' })
  const r = await rawPost(p.mcp, LIST, { authorization: 'Bearer some.jwt.token' })
  t.equal(r.status, 503)
  t.equal(r.headers.get('retry-after'), '5')
  t.equal(sb.requests.length, 0)
})

t.test('authorization-server routes on the MCP origin forward to the real endpoints', async (t) => {
  const sb = await sandbox(t)
  const off = await product(t, sb.url, { authServerUrl: sb.url })
  t.equal((await fetch(`${off.url}/token`, { method: 'POST' })).status, 404, 'off by default')

  const p = await product(t, sb.url, { authServerUrl: sb.url, authorizationServerRoutes: true })
  const meta = await (await fetch(`${p.url}/.well-known/oauth-authorization-server`)).json()
  t.equal(meta.issuer, sb.url, 'the authorization server\'s own metadata')
  t.equal(meta.token_endpoint, `${sb.url}/oauth/token`)

  const reg = await fetch(`${p.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'client_secret_post' }) })
  t.equal(reg.status, 201, 'registration proxied with its status')
  const client = await reg.json()
  t.match(client, { client_id: /^psc_/, client_secret: /^pss_/ })
  t.equal(reg.headers.get('cache-control'), 'no-store')

  const { createHash } = await import('node:crypto')
  const verifier = 'v'.repeat(50)
  const q = new URLSearchParams({ response_type: 'code', client_id: client.client_id, redirect_uri: 'http://127.0.0.1:1/cb', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', state: 'xyz' })
  const authz = await fetch(`${p.url}/authorize?${q}`, { redirect: 'manual' })
  t.equal(authz.status, 302)
  const target = new URL(authz.headers.get('location')!)
  t.equal(`${target.origin}${target.pathname}`, `${sb.url}/oauth/authorize`, '/authorize redirects the browser to the real endpoint')
  t.equal(target.searchParams.get('state'), 'xyz', 'with every parameter')

  const code = new URL((await fetch(target, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!
  const tok = await fetch(`${p.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client.client_id, client_secret: client.client_secret, redirect_uri: 'http://127.0.0.1:1/cb' })
  })
  t.equal(tok.status, 200)
  const tokens = await tok.json()
  t.equal(tokens.token_type, 'Bearer')
  const bad = await fetch(`${p.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=nope&client_id=' + client.client_id + '&client_secret=' + client.client_secret })
  t.equal(bad.status, 400, 'errors keep their status')
  t.equal((await bad.json()).error, 'invalid_grant')
  const leaked = p.logs.filter((l) => l.includes(code) || l.includes(tokens.access_token) || l.includes(client.client_secret))
  t.same(leaked, [], 'no code, token or client secret in the logs')
})

t.test('http --sandbox names the sandbox as authorization server and its own URL as resource', async (t) => {
  const cli = CLI
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' }
  const cmd = node([cli, 'http', '--sandbox', '--host', '127.0.0.1', '--port', '0'], env)
  const child = spawn(cmd.command, cmd.args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let err = ''
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no endpoint line in time: ${err}`)), 90_000)
    child.stderr.on('data', (d) => {
      err += d
      const m = /HTTP MCP endpoint: (http:\/\/\S+\/mcp)/.exec(err)
      if (m) { clearTimeout(timer); resolve(m[1]) }
    })
  })
  const sandboxUrl = /simulated Pilot Status API at (http:\/\/\S+)/.exec(err)![1]
  const origin = new URL(endpoint).origin
  const meta = await (await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`)).json()
  t.equal(meta.resource, endpoint)
  t.same(meta.authorization_servers, [sandboxUrl])
  const as = await (await fetch(`${sandboxUrl}/.well-known/oauth-authorization-server`)).json()
  t.equal(as.issuer, sandboxUrl)
  t.same(as.code_challenge_methods_supported, ['S256'])
})
