// The sandbox as the Pilot Status OAuth authorization server: RFC 8414 metadata, dynamic client
// registration (RFC 7591), authorization code with PKCE S256 (consent granted at once, for the
// whole tenant or for chosen numbers), tokens and refresh with rotation, JWKS, introspection
// (RFC 7662). Its /v1 accepts the access tokens it issued and enforces their grant.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'
import { SANDBOX_TENANT, type Caller, type SandboxStore } from './core.js'

/** Scopes: `whatsapp` = the whole tenant; `number:<id>` = only that number (repeatable). */
export const SANDBOX_SCOPES = ['whatsapp', 'number:<id>']
const ACCESS_TTL_S = 3600
const REFRESH_TTL_S = 30 * 86_400
const CODE_TTL_MS = 60_000

export interface OAuthClient {
  clientId: string
  clientSecret?: string
  redirectUris: string[]
  authMethod: 'none' | 'client_secret_post' | 'client_secret_basic'
  name: string
  issuedAt: number
}

export interface Grant {
  tenantId: string
  clientId: string
  scope: string
  /** Per-number grant; undefined = the whole tenant. */
  numbers?: string[]
  /** RFC 8707 resource the tokens are for (their audience). */
  resource?: string
}

interface CodeRecord { grant: Grant, redirectUri: string, challenge: string, expiresAt: number, used: boolean }
interface AccessRecord { grant: Grant, expiresAt: number, audience: string }
interface RefreshRecord { grant: Grant, family: string, expiresAt: number, rotated: boolean }

/** The authorization server's state; tests reach it through `oauthState(store)`. */
export class OAuthState {
  readonly clients = new Map<string, OAuthClient>()
  readonly codes = new Map<string, CodeRecord>()
  readonly access = new Map<string, AccessRecord>()
  readonly refresh = new Map<string, RefreshRecord>()
  private readonly revokedFamilies = new Set<string>()
  accessTtlS = ACCESS_TTL_S
  keys?: { privateKey: CryptoKey, jwk: JWK }

  constructor (private readonly store: SandboxStore) {}

  /** Signs an access token for a grant (also used by tests to mint tokens with other claims). */
  async mint (issuer: string, grant: Grant, opts: { ttlS?: number, audience?: string } = {}): Promise<{ token: string, expiresIn: number }> {
    const keys = await this.keyPair()
    const now = Math.floor(this.store.now() / 1000)
    const ttl = opts.ttlS ?? this.accessTtlS
    const audience = opts.audience ?? grant.resource ?? issuer
    const token = await new SignJWT({
      scope: grant.scope,
      client_id: grant.clientId,
      ...(grant.numbers ? { pilot_numbers: grant.numbers } : {})
    })
      .setProtectedHeader({ alg: 'ES256', kid: keys.jwk.kid!, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setSubject(grant.tenantId)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .setJti(randomBytes(8).toString('hex'))
      .sign(keys.privateKey)
    this.access.set(token, { grant, expiresAt: (now + ttl) * 1000, audience })
    return { token, expiresIn: ttl }
  }

  /** Ends every access token now (refresh tokens keep working): the "token expired" scenario. */
  expireAccessTokens (): void {
    for (const rec of this.access.values()) rec.expiresAt = 0
  }

  resolve (token: string): Caller | undefined {
    const rec = this.access.get(token)
    if (!rec || rec.expiresAt <= this.store.now()) return undefined
    const scopes = rec.grant.scope.split(' ').filter(Boolean)
    return {
      tenantId: rec.grant.tenantId,
      scope: 'tenant',
      boundNumberId: null,
      via: 'bearer',
      keyId: null,
      ...(rec.grant.numbers ? { grantNumbers: rec.grant.numbers } : {}),
      scopes
    }
  }

  issueRefresh (grant: Grant, family: string): string {
    const token = `psr_${randomBytes(24).toString('base64url')}`
    this.refresh.set(token, { grant, family, expiresAt: this.store.now() + REFRESH_TTL_S * 1000, rotated: false })
    return token
  }

  /** Rotation: a refresh token works once; presenting a rotated one again revokes its family. */
  useRefresh (token: string): RefreshRecord | string {
    const rec = this.refresh.get(token)
    if (!rec || this.revokedFamilies.has(rec.family)) return 'unknown or revoked refresh token'
    if (rec.rotated) {
      this.revokedFamilies.add(rec.family)
      return 'refresh token already used: the whole grant is revoked (possible token theft)'
    }
    if (rec.expiresAt <= this.store.now()) return 'refresh token expired'
    rec.rotated = true
    return rec
  }

  async keyPair (): Promise<{ privateKey: CryptoKey, jwk: JWK }> {
    if (!this.keys) {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
      const jwk = await exportJWK(publicKey)
      jwk.kid = `sbx-${createHash('sha256').update(JSON.stringify(jwk)).digest('base64url').slice(0, 12)}`
      jwk.alg = 'ES256'
      jwk.use = 'sig'
      this.keys = { privateKey, jwk }
    }
    return this.keys
  }
}

export function oauthState (store: SandboxStore): OAuthState {
  return store.slice('oauth', () => new OAuthState(store))
}

class OAuthError extends Error {
  constructor (readonly status: number, readonly error: string, description: string) {
    super(description)
  }
}

/** The issuer is this sandbox's own origin, as the client reached it. */
function issuerOf (req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? '127.0.0.1'}`
}

function s256 (verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url')
}

function safeEqual (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function field (body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name]
  return typeof v === 'string' && v !== '' ? v : undefined
}

function redirectUriAllowed (u: string): boolean {
  try {
    const url = new URL(u)
    if (url.hash) return false
    if (url.protocol === 'https:') return true
    // http only on loopback (native and CLI clients); custom schemes for desktop apps.
    if (url.protocol === 'http:') return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
    return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) && url.protocol !== 'javascript:' && url.protocol !== 'data:'
  } catch {
    return false
  }
}

export async function oauthRoutes (app: FastifyInstance, opts: { store: SandboxStore }): Promise<void> {
  const { store } = opts
  const state = oauthState(store)
  store.bearerResolver = (token) => state.resolve(token)

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  app.setErrorHandler((err: Error, _req, reply) => {
    if (err instanceof OAuthError) {
      return reply.code(err.status).header('cache-control', 'no-store').send({ error: err.error, error_description: err.message })
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500
    return reply.code(status >= 500 ? 500 : 400).send({ error: status >= 500 ? 'server_error' : 'invalid_request', error_description: err.message })
  })

  const metadata = (issuer: string) => ({
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    registration_endpoint: `${issuer}/oauth/register`,
    jwks_uri: `${issuer}/oauth/jwks`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    introspection_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    scopes_supported: SANDBOX_SCOPES,
    resource_indicators_supported: true,
    service_documentation: 'https://pilotstatuss.com/docs'
  })
  app.get('/.well-known/oauth-authorization-server', async (req) => metadata(issuerOf(req)))
  app.get('/.well-known/openid-configuration', async (req) => metadata(issuerOf(req)))

  app.get('/oauth/jwks', async () => ({ keys: [(await state.keyPair()).jwk] }))

  // RFC 7591 dynamic client registration.
  app.post('/oauth/register', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const uris = body.redirect_uris
    if (!Array.isArray(uris) || uris.length === 0 || !uris.every((u) => typeof u === 'string')) {
      throw new OAuthError(400, 'invalid_redirect_uri', 'redirect_uris must be a non-empty array of URLs')
    }
    const bad = (uris as string[]).filter((u) => !redirectUriAllowed(u))
    if (bad.length) throw new OAuthError(400, 'invalid_redirect_uri', `redirect_uris not allowed (https, or http on loopback): ${bad.join(', ')}`)
    const method = (field(body, 'token_endpoint_auth_method') ?? 'client_secret_basic') as OAuthClient['authMethod']
    if (!['none', 'client_secret_post', 'client_secret_basic'].includes(method)) {
      throw new OAuthError(400, 'invalid_client_metadata', `token_endpoint_auth_method ${method} is not supported`)
    }
    const client: OAuthClient = {
      clientId: `psc_${randomBytes(12).toString('base64url')}`,
      redirectUris: uris as string[],
      authMethod: method,
      name: field(body, 'client_name') ?? 'MCP client',
      issuedAt: Math.floor(store.now() / 1000)
    }
    if (method !== 'none') client.clientSecret = `pss_${randomBytes(24).toString('base64url')}`
    state.clients.set(client.clientId, client)
    return reply.code(201).header('cache-control', 'no-store').send({
      client_id: client.clientId,
      ...(client.clientSecret ? { client_secret: client.clientSecret, client_secret_expires_at: 0 } : {}),
      client_id_issued_at: client.issuedAt,
      client_name: client.name,
      redirect_uris: client.redirectUris,
      token_endpoint_auth_method: method,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code']
    })
  })

  // Authorization endpoint: consent is granted at once (the sandbox has one demo tenant).
  app.get('/oauth/authorize', async (req, reply) => {
    const q = req.query as Record<string, string | undefined>
    const client = q.client_id ? state.clients.get(q.client_id) : undefined
    // Without a known client and one of its redirect URIs nothing may be redirected anywhere.
    if (!client) throw new OAuthError(400, 'invalid_client', 'unknown client_id: register first (POST /oauth/register)')
    const redirectUri = q.redirect_uri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined)
    if (!redirectUri || !client.redirectUris.includes(redirectUri)) throw new OAuthError(400, 'invalid_request', 'redirect_uri is missing or not registered for this client')
    const back = (params: Record<string, string | undefined>) => {
      const u = new URL(redirectUri)
      for (const [k, v] of Object.entries({ ...params, state: q.state, iss: issuerOf(req) })) if (v !== undefined) u.searchParams.set(k, v)
      return reply.redirect(u.toString(), 302)
    }
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type', error_description: 'only response_type=code' })
    if (!q.code_challenge || q.code_challenge_method !== 'S256') return back({ error: 'invalid_request', error_description: 'PKCE is required: code_challenge with code_challenge_method=S256' })
    const scopes = (q.scope ?? 'whatsapp').split(' ').filter(Boolean)
    const numbers: string[] = []
    for (const s of scopes) {
      if (s === 'whatsapp') continue
      const m = /^number:(.+)$/.exec(s)
      const n = m ? store.numbers.get(m[1]) : undefined
      if (!n) return back({ error: 'invalid_scope', error_description: `unknown scope ${s}; use whatsapp or number:<id>` })
      numbers.push(n.id)
    }
    const grant: Grant = {
      tenantId: SANDBOX_TENANT,
      clientId: client.clientId,
      scope: scopes.join(' ') || 'whatsapp',
      ...(numbers.length ? { numbers } : {}),
      ...(q.resource ? { resource: q.resource } : {})
    }
    const code = `psac_${randomBytes(18).toString('base64url')}`
    state.codes.set(code, { grant, redirectUri, challenge: q.code_challenge, expiresAt: store.now() + CODE_TTL_MS, used: false })
    return back({ code })
  })

  const authenticateClient = (req: FastifyRequest, body: Record<string, unknown>): OAuthClient => {
    let id = field(body, 'client_id')
    let secret = field(body, 'client_secret')
    const basic = /^Basic\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))
    if (basic) {
      const [u, p] = Buffer.from(basic[1], 'base64').toString().split(':')
      id = decodeURIComponent(u ?? '')
      secret = decodeURIComponent(p ?? '')
    }
    const client = id ? state.clients.get(id) : undefined
    if (!client) throw new OAuthError(401, 'invalid_client', 'unknown client')
    if (client.clientSecret && (!secret || !safeEqual(secret, client.clientSecret))) throw new OAuthError(401, 'invalid_client', 'client authentication failed')
    return client
  }

  const tokenResponse = async (req: FastifyRequest, reply: FastifyReply, grant: Grant, family: string) => {
    const { token, expiresIn } = await state.mint(issuerOf(req), grant)
    return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send({
      access_token: token,
      token_type: 'Bearer',
      expires_in: expiresIn,
      refresh_token: state.issueRefresh(grant, family),
      scope: grant.scope
    })
  }

  app.post('/oauth/token', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const client = authenticateClient(req, body)
    const type = field(body, 'grant_type')
    if (type === 'authorization_code') {
      const code = field(body, 'code')
      const rec = code ? state.codes.get(code) : undefined
      if (!rec || rec.used || rec.expiresAt <= store.now() || rec.grant.clientId !== client.clientId) {
        throw new OAuthError(400, 'invalid_grant', 'authorization code is invalid, expired or already used')
      }
      rec.used = true
      if (field(body, 'redirect_uri') !== undefined && field(body, 'redirect_uri') !== rec.redirectUri) throw new OAuthError(400, 'invalid_grant', 'redirect_uri does not match the authorization request')
      const verifier = field(body, 'code_verifier')
      if (!verifier || !safeEqual(s256(verifier), rec.challenge)) throw new OAuthError(400, 'invalid_grant', 'PKCE verification failed (code_verifier)')
      const resource = field(body, 'resource')
      if (resource && rec.grant.resource && resource !== rec.grant.resource) throw new OAuthError(400, 'invalid_target', 'resource differs from the authorization request')
      return tokenResponse(req, reply, rec.grant, randomBytes(8).toString('hex'))
    }
    if (type === 'refresh_token') {
      const token = field(body, 'refresh_token')
      if (!token) throw new OAuthError(400, 'invalid_request', 'refresh_token is required')
      const rec = state.useRefresh(token)
      if (typeof rec === 'string') throw new OAuthError(400, 'invalid_grant', rec)
      if (rec.grant.clientId !== client.clientId) throw new OAuthError(400, 'invalid_grant', 'refresh token was issued to another client')
      return tokenResponse(req, reply, rec.grant, rec.family)
    }
    throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token')
  })

  // RFC 7662: lets a resource server check a token without knowing how it is made.
  app.post('/oauth/introspect', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const token = field(body, 'token')
    const rec = token ? state.access.get(token) : undefined
    reply.header('cache-control', 'no-store')
    if (!rec || rec.expiresAt <= store.now()) return { active: false }
    return {
      active: true,
      token_type: 'Bearer',
      scope: rec.grant.scope,
      client_id: rec.grant.clientId,
      sub: rec.grant.tenantId,
      aud: rec.audience,
      iss: issuerOf(req),
      exp: Math.floor(rec.expiresAt / 1000)
    }
  })
}
