// End to end OAuth as the claude.ai connector does it, driven by the official SDK client's OAuth
// support against the product + the sandbox playing the Pilot Status authorization server:
// 401 → protected-resource metadata → AS metadata → registration → authorize (PKCE) → token →
// tool call; expired token → 401 → refresh (rotated) → the call succeeds again. Then the same
// with local JWT verification, where a token for another audience never reaches the upstream.
import t from 'tap'
import type { Test } from 'tap'
import { createServer } from 'node:net'
import Fastify from 'fastify'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js'
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js'
import pilotStatusMcp, { type PilotStatusMcpOptions } from '../../src/app.js'
import { oauthState } from '../../sandbox/oauth.js'
import { SANDBOX_NUMBERS, sandbox, rawPost } from '../helper.js'
import type { RunningSandbox } from '../../sandbox/server.js'

async function freePort (): Promise<number> {
  return await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** The product on a known port, so its resource identifier is its own URL (what OAuth clients check). */
async function oauthProduct (t: Test, sb: RunningSandbox, opts: PilotStatusMcpOptions = {}): Promise<{ mcp: string, url: string }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const app = Fastify({ logger: false })
  await app.register(pilotStatusMcp, { apiUrl: sb.url, authServerUrl: sb.url, resourceUrl: `${url}/mcp`, ...opts })
  await app.listen({ port, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return { url, mcp: `${url}/mcp` }
}

/** What a desktop client keeps: registration, PKCE verifier, tokens; "opens the browser" by remembering the URL. */
class MemoryProvider implements OAuthClientProvider {
  info?: OAuthClientInformationMixed
  saved?: OAuthTokens
  verifier?: string
  authorizationUrl?: URL
  readonly redirectUrl = 'http://127.0.0.1:53682/callback'
  get clientMetadata (): OAuthClientMetadata {
    return { client_name: 'tap OAuth test', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' }
  }

  clientInformation () { return this.info }
  saveClientInformation (i: OAuthClientInformationMixed) { this.info = i }
  tokens () { return this.saved }
  saveTokens (tokens: OAuthTokens) { this.saved = tokens }
  redirectToAuthorization (url: URL) { this.authorizationUrl = url }
  saveCodeVerifier (v: string) { this.verifier = v }
  codeVerifier () { return this.verifier! }
}

/** The user's browser: follows the authorization URL; the sandbox consents at once and redirects back with a code. */
async function consent (t: Test, provider: MemoryProvider): Promise<string> {
  t.ok(provider.authorizationUrl, 'the client was sent to the authorization endpoint')
  const res = await fetch(provider.authorizationUrl!, { redirect: 'manual' })
  t.equal(res.status, 302)
  const back = new URL(res.headers.get('location')!)
  t.equal(`${back.origin}${back.pathname}`, provider.redirectUrl, 'redirected to the registered redirect URI')
  t.equal(back.searchParams.get('state'), provider.authorizationUrl!.searchParams.get('state'), 'state round-trips')
  return back.searchParams.get('code')!
}

async function login (t: Test, mcp: string, provider: MemoryProvider): Promise<Client> {
  const first = new StreamableHTTPClientTransport(new URL(mcp), { authProvider: provider })
  await t.rejects(new Client({ name: 'oauth-test', version: '1' }).connect(first), { message: /Unauthorized/ }, 'the first connect needs a login')
  await first.finishAuth(await consent(t, provider))
  const client = new Client({ name: 'oauth-test', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp), { authProvider: provider }))
  t.teardown(() => client.close())
  return client
}

const paths = (sb: RunningSandbox) => sb.requests.map((r) => `${r.method} ${r.path}`)

for (const mode of ['off', 'jwt'] as const) {
  t.test(`the SDK client logs in, calls tools, and refreshes an expired token (verification ${mode})`, async (t) => {
    const sb = await sandbox(t)
    const p = await oauthProduct(t, sb, { tokenVerification: mode })
    const provider = new MemoryProvider()
    const client = await login(t, p.mcp, provider)

    const flow = paths(sb)
    for (const step of ['GET /.well-known/oauth-authorization-server', 'POST /oauth/register', 'GET /oauth/authorize', 'POST /oauth/token']) {
      t.ok(flow.includes(step), `the flow went through ${step}`)
    }
    t.notOk(flow.some((s) => s.includes('/v1/')), 'no API call happened before the login')
    const authz = provider.authorizationUrl!
    t.equal(authz.searchParams.get('code_challenge_method'), 'S256')
    t.equal(authz.searchParams.get('resource'), p.mcp, 'the token is requested for this resource (RFC 8707)')
    t.match(provider.saved, { token_type: 'Bearer', refresh_token: /^psr_/ })

    sb.requests.length = 0
    const numbers = await client.callTool({ name: 'numbers_list', arguments: {} })
    t.notOk(numbers.isError, 'a tenant tool works with the bearer token')
    t.equal(sb.requests.at(-1)!.headers.authorization, `Bearer ${provider.saved!.access_token}`, 'the token is forwarded as is')
    const templates = await client.callTool({ name: 'templates_list', arguments: { whatsappNumberId: SANDBOX_NUMBERS.demo } })
    t.notOk(templates.isError, 'a number tool works with whatsappNumberId')
    t.equal(sb.requests.at(-1)!.headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)

    // The token expires on the authorization server's side; the API answers 401.
    const before = provider.saved!
    oauthState(sb.store).expireAccessTokens()
    sb.requests.length = 0
    const again = await client.callTool({ name: 'numbers_list', arguments: {} })
    t.notOk(again.isError, 'after a refresh the call succeeds')
    t.not(provider.saved!.access_token, before.access_token, 'a new access token')
    t.not(provider.saved!.refresh_token, before.refresh_token, 'the refresh token rotated')
    t.ok(paths(sb).includes('POST /oauth/token'), 'the client refreshed')
    const tokenCall = sb.requests.find((r) => r.path === '/oauth/token')!
    t.equal((tokenCall.body as Record<string, string>).grant_type, 'refresh_token')

    // The rotated refresh token is dead; replaying it revokes the grant.
    const replay = await fetch(`${sb.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: before.refresh_token!, client_id: provider.info!.client_id })
    })
    t.equal(replay.status, 400)
    t.equal((await replay.json()).error, 'invalid_grant')
  })
}

t.test('jwt mode: tokens for another audience, expired or forged never reach the API', async (t) => {
  const sb = await sandbox(t)
  const p = await oauthProduct(t, sb, { tokenVerification: 'jwt' })
  const state = oauthState(sb.store)
  const grant = { tenantId: 'ten_demo', clientId: 'psc_test', scope: 'whatsapp' }
  const cases: Array<[string, string, RegExp]> = [
    ['another audience', (await state.mint(sb.url, grant, { audience: 'https://other-mcp.example/mcp' })).token, /another resource/],
    ['expired', (await state.mint(sb.url, grant, { audience: p.mcp, ttlS: -120 })).token, /expired/],
    ['another issuer', (await state.mint('https://evil.example', grant, { audience: p.mcp })).token, /another authorization server/],
    ['not a JWT', 'not-a-jwt', /not a valid JWT/]
  ]
  const good = (await state.mint(sb.url, grant, { audience: p.mcp })).token
  const forged = good.slice(0, good.lastIndexOf('.') + 1) + 'A'.repeat(86)
  cases.push(['a bad signature', forged, /signature/])
  for (const [what, token, reason] of cases) {
    sb.requests.length = 0
    const r = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'numbers_list', arguments: {} } }, { authorization: `Bearer ${token}` })
    t.equal(r.status, 401, `${what}: 401`)
    const challenge = r.headers.get('www-authenticate')!
    t.match(challenge, /^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp", error="invalid_token", error_description="/, `${what}: invalid_token challenge`)
    t.match(challenge, reason, `${what}: says why`)
    t.notOk(challenge.includes(token), `${what}: the token is not echoed`)
    t.notOk(sb.requests.some((q) => q.path.startsWith('/v1/')), `${what}: no API call`)
  }
  sb.requests.length = 0
  const ok = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'numbers_list', arguments: {} } }, { authorization: `Bearer ${good}` })
  t.equal(ok.status, 200)
  t.notOk(ok.json.result.isError, 'a token for this resource is forwarded and works')
  t.equal(sb.requests.filter((q) => q.path.startsWith('/v1/')).length, 1)
})

t.test('introspection mode: inactive tokens are refused locally, active ones cached briefly', async (t) => {
  const sb = await sandbox(t)
  const p = await oauthProduct(t, sb, { tokenVerification: 'introspection' })
  const state = oauthState(sb.store)
  const grant = { tenantId: 'ten_demo', clientId: 'psc_test', scope: 'whatsapp' }
  const good = (await state.mint(sb.url, grant, { audience: p.mcp })).token
  const call = (token: string) => rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'numbers_list', arguments: {} } }, { authorization: `Bearer ${token}` })
  sb.requests.length = 0
  t.equal((await call(good)).status, 200)
  t.equal((await call(good)).status, 200)
  t.equal(sb.requests.filter((r) => r.path === '/oauth/introspect').length, 1, 'the second call used the cached answer')
  t.equal(sb.requests.filter((r) => r.path.startsWith('/v1/')).length, 2)
  const other = (await state.mint(sb.url, grant, { audience: 'https://other.example/mcp' })).token
  sb.requests.length = 0
  const r = await call(other)
  t.equal(r.status, 401)
  t.match(r.headers.get('www-authenticate'), /error="invalid_token".*another resource/)
  const unknown = await call('never-issued')
  t.equal(unknown.status, 401)
  t.match(unknown.headers.get('www-authenticate'), /not active/)
  t.notOk(sb.requests.some((q) => q.path.startsWith('/v1/')), 'refused tokens never reach the API')
})

t.test('a per-number grant limits every tool to the granted number', async (t) => {
  const sb = await sandbox(t)
  const p = await oauthProduct(t, sb)
  const reg = await (await fetch(`${sb.url}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none' }) })).json()
  const { createHash, randomBytes } = await import('node:crypto')
  const verifier = randomBytes(32).toString('base64url')
  const authorize = new URL(`${sb.url}/oauth/authorize`)
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: reg.client_id, redirect_uri: 'http://127.0.0.1:1/cb', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256', scope: `number:${SANDBOX_NUMBERS.demo}`, resource: p.mcp, state: 's1' })) authorize.searchParams.set(k, v)
  const code = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!
  const tokens = await (await fetch(`${sb.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: reg.client_id, redirect_uri: 'http://127.0.0.1:1/cb' }) })).json()
  t.equal(tokens.scope, `number:${SANDBOX_NUMBERS.demo}`)
  const bearer = { authorization: `Bearer ${tokens.access_token}` }
  const call = async (name: string, args: object) => (await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }, bearer)).json.result
  const listed = await call('numbers_list', {})
  t.same(listed.structuredContent.numbers.map((n: { id: string }) => n.id), [SANDBOX_NUMBERS.demo], 'only the granted number is visible')
  t.notOk((await call('templates_list', {})).isError, 'one granted number: no whatsappNumberId needed')
  const other = await call('templates_list', { whatsappNumberId: SANDBOX_NUMBERS.meta })
  t.equal(other.isError, true)
  t.match(other.content[0].text, /403 NUMBER_NOT_GRANTED/)
  const tenantOnly = await call('api_keys_list', {})
  t.equal(tenantOnly.isError, true, 'tenant tools need a whole-tenant grant')
  t.match(tenantOnly.content[0].text, /NUMBER_SCOPE_NOT_ALLOWED/)
})
