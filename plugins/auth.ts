// Credential resolution for the MCP route: Bearer token, else x-api-key / x-api-key-id, else
// the configured fallback key, else 401 with an RFC 9728 challenge. No upstream call happens
// without credentials. @see https://www.rfc-editor.org/rfc/rfc9728#section-5.1
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Credentials } from '../src/api/credentials.js'
import type { TokenVerifier } from '../src/auth/verify.js'
import { headerValue } from '../src/header.js'
import type { Telemetry } from '../src/telemetry/telemetry.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin's `authenticate` hook on routes that use it. */
    mcpCredentials: Credentials | null
  }
  interface FastifyInstance {
    /** onRequest hook (callback style) resolving `request.mcpCredentials`, or answering 401. */
    mcpAuthenticate: (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void
    /** Answers a 401/403 OAuth challenge. */
    mcpChallenge: (reply: FastifyReply, challenge: Challenge) => FastifyReply
  }
}

export interface AuthPluginOptions {
  /** Credentials used when a request brings none (the env key). Absent → 401 instead. */
  fallback?: Credentials
  /** URL of this resource's protected-resource metadata, named in every challenge. */
  resourceMetadataUrl: string
  /** OAuth scopes to name in challenges (RFC 6750 `scope`), when the authorization server uses them. */
  scopes?: string[]
  /** Checks bearer tokens locally before they are forwarded (jwt / introspection modes). */
  verifier?: TokenVerifier
  /** Counts the challenges sent, by kind (src/telemetry); absent when telemetry is off. */
  telemetry?: Telemetry
}

/** Query parameters that would carry a token in the URL (RFC 6750 §2.3), which we refuse: URLs end up in logs. */
const URL_TOKEN_PARAMS = ['access_token', 'token', 'api_key', 'apikey', 'x-api-key']

export interface Challenge {
  status: 401 | 403
  /** RFC 6750 error code: invalid_request, invalid_token or insufficient_scope; none when no credentials were sent. */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope'
  description?: string
  /** The JSON-RPC id of the request refused, when it is known (challenges before the body is read carry null). */
  id?: string | number | null
}

function quote (v: string): string {
  return `"${v.replace(/[\\"]/g, '\\$&')}"`
}

export default fp<AuthPluginOptions>(async (app, opts) => {
  if (!opts.resourceMetadataUrl) throw new Error('auth plugin: resourceMetadataUrl is required')
  const scope = opts.scopes?.length ? opts.scopes.join(' ') : undefined

  app.decorateRequest('mcpCredentials', null)

  app.decorate('mcpChallenge', (reply: FastifyReply, c: Challenge) => {
    const parts = [`resource_metadata=${quote(opts.resourceMetadataUrl)}`]
    if (scope) parts.push(`scope=${quote(scope)}`)
    if (c.error) parts.push(`error=${quote(c.error)}`)
    if (c.description) parts.push(`error_description=${quote(c.description)}`)
    opts.telemetry?.authChallenge(c.error ?? 'missing_credentials')
    return reply
      .code(c.status)
      .header('www-authenticate', `Bearer ${parts.join(', ')}`)
      .header('content-type', 'application/json')
      .send({
        jsonrpc: '2.0',
        id: c.id ?? null,
        error: { code: -32001, message: c.description ?? (c.status === 401 ? 'Authentication required' : 'Forbidden') }
      })
  })

  // Callback style: a request with an API key, or a token no verifier checks, costs no promise.
  app.decorate('mcpAuthenticate', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const h = req.headers
    const query = req.query as Record<string, unknown> | undefined
    const inUrl = query ? URL_TOKEN_PARAMS.find((p) => p in query) : undefined
    if (inUrl !== undefined) {
      app.mcpChallenge(reply, { status: 401, error: 'invalid_request', description: `Credentials are not accepted in the URL (${inUrl}): send the token in the Authorization header` })
      return
    }
    const authz = h.authorization
    if (authz !== undefined) {
      const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(String(authz))
      if (!m) {
        app.mcpChallenge(reply, { status: 401, error: 'invalid_request', description: 'The Authorization header must carry a Bearer token' })
        return
      }
      const token = m[1]
      if (token.startsWith('ps_')) {
        // An API key in the wrong header. No error="invalid_token": that tells OAuth clients to log
        // in again, which cannot fix a key and starts a loop.
        app.mcpChallenge(reply, { status: 401, error: 'invalid_request', description: 'This is a Pilot Status API key: send API keys in the x-api-key header, not as Authorization: Bearer' })
        return
      }
      if (!opts.verifier) {
        req.mcpCredentials = { kind: 'bearer', token, source: 'header' }
        done()
        return
      }
      opts.verifier.verify(token).then((verdict) => {
        if (!verdict.ok) {
          if (verdict.unavailable) {
            req.log.error({ reason: verdict.reason }, 'token verification unavailable')
            reply.code(503).header('retry-after', '5').send({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Token verification is temporarily unavailable; try again shortly' } })
            return
          }
          app.mcpChallenge(reply, { status: 401, error: 'invalid_token', description: verdict.reason })
          return
        }
        req.mcpCredentials = { kind: 'bearer', token, source: 'header' }
        done()
      }, (err: unknown) => done(err instanceof Error ? err : new Error(String(err))))
      return
    }
    const key = headerValue(h['x-api-key'])
    const keyId = headerValue(h['x-api-key-id'])
    if (key !== undefined) {
      req.mcpCredentials = keyId !== undefined ? { kind: 'apiKey', key, keyId, source: 'header' } : { kind: 'apiKey', key, source: 'header' }
      done()
      return
    }
    if (keyId !== undefined) {
      req.mcpCredentials = { kind: 'apiKeyId', keyId, source: 'header' }
      done()
      return
    }
    if (opts.fallback) {
      req.mcpCredentials = opts.fallback
      done()
      return
    }
    app.mcpChallenge(reply, { status: 401, description: 'Authentication required: send x-api-key, or log in with OAuth' })
  })
}, { name: 'pilot-status-auth', fastify: '5.x' })
