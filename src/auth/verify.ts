// Optional local checks of OAuth bearer tokens before anything is forwarded upstream. `jwt`
// verifies signature (JWKS from the authorization server's metadata), issuer, audience (this
// resource) and expiry; `introspection` asks an RFC 7662 endpoint, with a short cache. The MCP
// spec requires a server to accept only tokens issued for it; forwarding alone leaves that to
// the API. @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
import { createHash } from 'node:crypto'
import type { JWTVerifyGetKey } from 'jose'

type Jose = typeof import('jose')
let jose: Promise<Jose> | undefined
/**
 * jose is loaded on first use: a deployment that does not verify JWTs never loads it. The product
 * calls this at registration when `jwt` mode is on, so the first request does not pay for it.
 */
export function loadJose (): Promise<Jose> {
  return (jose ??= import('jose'))
}

export type VerificationMode = 'off' | 'jwt' | 'introspection'

export type Verdict =
  | { ok: true, expiresAt?: number, scopes: string[] }
  /** `unavailable`: the check itself could not run (metadata or JWKS unreachable): not the token's fault. */
  | { ok: false, reason: string, unavailable?: boolean }

export interface TokenVerifier {
  verify(token: string): Promise<Verdict>
}

export interface VerifierOptions {
  mode: Exclude<VerificationMode, 'off'>
  /** The authorization server (its RFC 8414 metadata gives jwks_uri / introspection_endpoint). */
  authServerUrl: string
  /** Expected `aud`: this server's resource identifier. */
  audience: string
  /** Expected `iss`; default the authorization server URL. */
  issuer?: string
  jwksUrl?: string
  introspectionUrl?: string
  introspectionClientId?: string
  introspectionClientSecret?: string
  /** Upper bound for caching an introspection answer. Default 60 s. */
  cacheTtlMs?: number
  fetch?: typeof fetch
  now?: () => number
}

const FETCH_TIMEOUT_MS = 5000
const CACHE_MAX = 10_000

/** RFC 8414 §3: the metadata URL inserts the well-known segment before the issuer's path. */
export function authServerMetadataUrls (authServerUrl: string): string[] {
  const u = new URL(authServerUrl)
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '')
  return [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}/.well-known/openid-configuration${path}`
  ]
}

/** Fetches and caches the authorization server's metadata (a failure is retried on the next call). */
export function metadataLoader (authServerUrl: string, fetchImpl: typeof fetch = fetch): () => Promise<Record<string, unknown>> {
  let cached: Promise<Record<string, unknown>> | undefined
  return async () => {
    cached ??= (async () => {
      const problems: string[] = []
      for (const url of authServerMetadataUrls(authServerUrl)) {
        try {
          const res = await fetchImpl(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
          if (res.ok) return await res.json() as Record<string, unknown>
          problems.push(`${url}: HTTP ${res.status}`)
        } catch (err) {
          problems.push(`${url}: ${(err as Error).message}`)
        }
      }
      throw new Error(`authorization server metadata unavailable (${problems.join('; ')})`)
    })()
    try {
      return await cached
    } catch (err) {
      cached = undefined
      throw err
    }
  }
}

export function createTokenVerifier (opts: VerifierOptions): TokenVerifier {
  const fetchImpl = opts.fetch ?? fetch
  const metadata = metadataLoader(opts.authServerUrl, fetchImpl)
  return opts.mode === 'jwt' ? jwtVerifier(opts, metadata) : introspectionVerifier(opts, metadata, fetchImpl)
}

function scopesOf (claims: Record<string, unknown>): string[] {
  const s = claims.scope ?? claims.scp
  if (typeof s === 'string') return s.split(' ').filter(Boolean)
  if (Array.isArray(s)) return s.filter((x): x is string => typeof x === 'string')
  return []
}

function jwtVerifier (opts: VerifierOptions, metadata: () => Promise<Record<string, unknown>>): TokenVerifier {
  let keys: JWTVerifyGetKey | undefined
  const issuer = opts.issuer ?? opts.authServerUrl
  const getKeys = async (): Promise<JWTVerifyGetKey> => {
    if (keys) return keys
    let url = opts.jwksUrl
    if (!url) {
      const m = await metadata()
      if (typeof m.jwks_uri !== 'string') throw new Error('the authorization server metadata has no jwks_uri')
      url = m.jwks_uri
    }
    keys = (await loadJose()).createRemoteJWKSet(new URL(url), { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 30_000 })
    return keys
  }
  return {
    async verify (token) {
      let jwks: JWTVerifyGetKey
      const { jwtVerify, errors: joseErrors } = await loadJose()
      try {
        jwks = await getKeys()
      } catch (err) {
        return { ok: false, unavailable: true, reason: (err as Error).message }
      }
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer,
          audience: opts.audience,
          requiredClaims: ['exp'],
          clockTolerance: 30,
          ...(opts.now ? { currentDate: new Date(opts.now()) } : {})
        })
        return { ok: true, expiresAt: (payload.exp as number) * 1000, scopes: scopesOf(payload as Record<string, unknown>) }
      } catch (err) {
        if (err instanceof joseErrors.JWKSTimeout || (err instanceof Error && /fetch|ECONNREFUSED|network/i.test(err.message) && !(err instanceof joseErrors.JOSEError))) {
          return { ok: false, unavailable: true, reason: 'the authorization server\'s keys could not be fetched' }
        }
        return { ok: false, reason: jwtReason(err, joseErrors) }
      }
    }
  }
}

/** Short, token-free reasons for the challenge's error_description. */
function jwtReason (err: unknown, joseErrors: Jose['errors']): string {
  if (err instanceof joseErrors.JWTExpired) return 'the access token has expired'
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the access token was issued for another resource (audience)'
    if (err.claim === 'iss') return 'the access token was issued by another authorization server'
    return `the access token's ${err.claim} claim is invalid`
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature is invalid'
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'the access token was signed with an unknown key'
  return 'the access token is not a valid JWT'
}

function introspectionVerifier (opts: VerifierOptions, metadata: () => Promise<Record<string, unknown>>, fetchImpl: typeof fetch): TokenVerifier {
  const ttl = opts.cacheTtlMs ?? 60_000
  const now = opts.now ?? Date.now
  // Keyed by a hash: the cache never holds a usable token.
  const cache = new Map<string, { verdict: Verdict, until: number }>()
  const endpoint = async (): Promise<string> => {
    if (opts.introspectionUrl) return opts.introspectionUrl
    const m = await metadata()
    if (typeof m.introspection_endpoint !== 'string') throw new Error('the authorization server metadata has no introspection_endpoint')
    return m.introspection_endpoint
  }
  const remember = (key: string, verdict: Verdict, until: number) => {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string)
    cache.set(key, { verdict, until })
  }
  return {
    async verify (token) {
      const key = createHash('sha256').update(token).digest('base64url')
      const hit = cache.get(key)
      if (hit && hit.until > now()) return hit.verdict
      cache.delete(key)
      let url: string
      try {
        url = await endpoint()
      } catch (err) {
        return { ok: false, unavailable: true, reason: (err as Error).message }
      }
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
      if (opts.introspectionClientId) {
        const basic = `${encodeURIComponent(opts.introspectionClientId)}:${encodeURIComponent(opts.introspectionClientSecret ?? '')}`
        headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`
      }
      let body: Record<string, unknown>
      try {
        const res = await fetchImpl(url, {
          method: 'POST',
          headers,
          body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
          signal: AbortSignal.timeout(FETCH_TIMEOUT_MS)
        })
        if (!res.ok) return { ok: false, unavailable: true, reason: `token introspection answered HTTP ${res.status}` }
        body = await res.json() as Record<string, unknown>
      } catch (err) {
        return { ok: false, unavailable: true, reason: `token introspection failed: ${(err as Error).message}` }
      }
      const t = now()
      let verdict: Verdict
      const exp = typeof body.exp === 'number' ? body.exp * 1000 : undefined
      const aud = body.aud
      const auds = Array.isArray(aud) ? aud : typeof aud === 'string' ? [aud] : undefined
      if (body.active !== true) verdict = { ok: false, reason: 'the access token is not active (expired or revoked)' }
      else if (exp !== undefined && exp <= t) verdict = { ok: false, reason: 'the access token has expired' }
      else if (auds !== undefined && !auds.includes(opts.audience)) verdict = { ok: false, reason: 'the access token was issued for another resource (audience)' }
      else verdict = { ok: true, scopes: scopesOf(body), ...(exp !== undefined ? { expiresAt: exp } : {}) }
      // Good answers live until the token's expiry at most; bad ones briefly, so a fixed token works soon.
      const until = verdict.ok ? Math.min(t + ttl, exp ?? Infinity) : t + Math.min(ttl, 5000)
      remember(key, verdict, until)
      return verdict
    }
  }
}
