// The product as one Fastify plugin: an existing backend registers it under a prefix, a
// standalone server (cli.ts) registers it at the root. It registers its parts explicitly, in
// order: CORS → health → auth → protected-resource metadata → MCP route → one plugin per toolset.
import type { FastifyPluginAsync } from 'fastify'
import { ApiClient } from './api/client.js'
import type { Credentials } from './api/credentials.js'
import corsPlugin from '../plugins/cors.js'
import health from '../plugins/health.js'
import auth from '../plugins/auth.js'
import protectedResource, { metadataUrlFor } from '../plugins/protected-resource.js'
import authorizationServerRoutes from '../plugins/authorization-server.js'
import { createTokenVerifier, type TokenVerifier, type VerificationMode } from './auth/verify.js'
import mcpRoute from '../plugins/mcp-route.js'
import toolGroup from '../plugins/tool-group.js'
import { ALL_TOOLS } from '../tools/index.js'
import { TOOLSETS, type AnyTool, type Toolset } from '../tools/define.js'
import { createStore, type RedisClient } from './store/store.js'
import { Guards, type GuardOptions } from './guard/guards.js'
import { guardOptions } from './guard/settings.js'

export interface PilotStatusMcpOptions {
  /** Pilot Status API base URL. Default `https://pilotstatuss.com`. */
  apiUrl?: string
  /** A `ps_...` key used for requests that bring no credentials, when `envKeyFallback` is on. */
  apiKey?: string
  /** Optional `x-api-key-id` companion of `apiKey` (or alone). */
  apiKeyId?: string
  /**
   * Serve credential-less requests with `apiKey`. Off by default when embedded: anyone who can
   * reach the route would act with that key.
   */
  envKeyFallback?: boolean
  /** This server's public URL: the OAuth resource identifier. Default `https://mcp.pilotstatuss.com`. */
  resourceUrl?: string
  /** OAuth authorization server. Default `https://pilotstatuss.com`. */
  authServerUrl?: string
  /** Path of the MCP endpoint within the prefix. Default `/mcp`. */
  mcpPath?: string
  /** Deadline for a tool's upstream calls, retries included. Default 30000 ms. */
  upstreamTimeoutMs?: number
  /** Deadline for one MCP HTTP request. Default 60000 ms. */
  requestTimeoutMs?: number
  /** Largest MCP request body. Default 1 MiB. */
  bodyLimitBytes?: number
  /** Hostnames accepted in Host besides loopback and the resource URL's; `*` for any. */
  allowedHosts?: string[]
  /** Origins accepted besides loopback and the resource URL's; `*` for any. */
  allowedOrigins?: string[]
  /** Toolsets to expose (default all). */
  toolsets?: Toolset[]
  /** Tool allow-list (default all). */
  tools?: string[]
  /** Expose and allow read-only tools only. */
  readOnly?: boolean
  /** List each tool's output schema in tools/list (default false: smaller list; results carry structuredContent either way). */
  outputSchemas?: boolean
  /** Tool definitions to serve (default: the full catalogue). */
  toolDefinitions?: readonly AnyTool[]
  /** Use this API client instead of creating one (shared pools, tests). */
  apiClient?: ApiClient
  /** OAuth scopes announced in the metadata (`scopes_supported`) and named in 401 challenges. */
  oauthScopes?: string[]
  /**
   * Check bearer tokens here before forwarding them: `off` (default: the API validates them),
   * `jwt` (signature via the authorization server's JWKS, issuer, audience = resourceUrl, expiry)
   * or `introspection` (RFC 7662, cached briefly).
   */
  tokenVerification?: VerificationMode
  /** Expected JWT issuer. Default `authServerUrl`. */
  jwtIssuer?: string
  /** JWKS URL. Default: `jwks_uri` of the authorization server's metadata. */
  jwksUrl?: string
  /** RFC 7662 endpoint. Default: `introspection_endpoint` of the authorization server's metadata. */
  introspectionUrl?: string
  introspectionClientId?: string
  introspectionClientSecret?: string
  /** Serve `/.well-known/oauth-authorization-server`, `/authorize`, `/token`, `/register` on this origin, forwarded to the authorization server. */
  authorizationServerRoutes?: boolean
  /** Human name in the protected-resource metadata. */
  resourceName?: string
  /**
   * Store shared by the send guards: a `redis://` URL or an ioredis client (the application keeps
   * owning it). Default: in memory (this process only). Several replicas need Redis.
   */
  redis?: string | RedisClient
  /** Refuse an identical send (credential, destination, content) within this window, e.g. `60s`, unless allowDuplicate. Default off. */
  dedupeWindow?: string
  /** Destinations sends may go to: E.164 numbers, `+55*` prefixes, group/channel ids. Default: any. */
  sendAllow?: readonly string[] | string
  /** Sends per credential, e.g. `30/min,500/day`, counted over every sending tool. Default: unlimited. */
  sendLimit?: string
  /** How long an idempotency key's result is kept. Default `24h`. */
  idempotencyTtl?: string
}

interface Normalised {
  apiUrl: string
  fallback: Credentials | undefined
  resourceUrl: string
  authServerUrl: string
  mcpPath: string
  upstreamTimeoutMs: number
  requestTimeoutMs: number
  bodyLimitBytes: number
  allowedHosts: string[]
  allowedOrigins: string[]
  toolsets: Toolset[] | undefined
  tools: string[] | undefined
  readOnly: boolean
  outputSchemas: boolean
  defs: readonly AnyTool[]
  oauthScopes: string[] | undefined
  verifier: TokenVerifier | undefined
  guards: Omit<GuardOptions, 'store'>
}

/** Applies defaults and validates once, at registration: bad options throw here, not at the first request. */
function normalise (o: PilotStatusMcpOptions): Normalised {
  const url = (name: string, v: string | undefined, dflt: string) => {
    const s = v ?? dflt
    try {
      const u = new URL(s)
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error()
    } catch {
      throw new Error(`pilot-status-mcp: option ${name} must be an http(s) URL (got ${JSON.stringify(s)})`)
    }
    return s.replace(/\/+$/, '')
  }
  const positive = (name: string, v: number | undefined, dflt: number) => {
    const n = v ?? dflt
    if (!Number.isInteger(n) || n <= 0) throw new Error(`pilot-status-mcp: option ${name} must be a positive integer`)
    return n
  }
  const resourceUrl = url('resourceUrl', o.resourceUrl, 'https://mcp.pilotstatuss.com')
  const mcpPath = o.mcpPath ?? '/mcp'
  if (!/^\/[A-Za-z0-9/_-]*$/.test(mcpPath)) throw new Error('pilot-status-mcp: option mcpPath must be a path such as /mcp')
  if (o.toolsets) {
    const bad = o.toolsets.filter((s) => !(TOOLSETS as readonly string[]).includes(s))
    if (bad.length) throw new Error(`pilot-status-mcp: unknown toolsets ${bad.join(', ')}; valid: ${TOOLSETS.join(', ')}`)
  }
  const defs = o.toolDefinitions ?? ALL_TOOLS
  if (o.tools) {
    const names = new Set(defs.map((d) => d.name))
    const bad = o.tools.filter((n) => !names.has(n))
    if (bad.length) throw new Error(`pilot-status-mcp: unknown tools ${bad.join(', ')}; valid: ${[...names].join(', ')}`)
  }
  let fallback: Credentials | undefined
  if (o.envKeyFallback) {
    if (o.apiKey) fallback = o.apiKeyId ? { kind: 'apiKey', key: o.apiKey, keyId: o.apiKeyId, source: 'env' } : { kind: 'apiKey', key: o.apiKey, source: 'env' }
    else if (o.apiKeyId) fallback = { kind: 'apiKeyId', keyId: o.apiKeyId, source: 'env' }
    else throw new Error('pilot-status-mcp: envKeyFallback needs apiKey or apiKeyId')
  }
  const resource = new URL(resourceUrl)
  const upstreamTimeoutMs = positive('upstreamTimeoutMs', o.upstreamTimeoutMs, 30_000)
  const requestTimeoutMs = positive('requestTimeoutMs', o.requestTimeoutMs, 60_000)
  return {
    apiUrl: url('apiUrl', o.apiUrl, 'https://pilotstatuss.com'),
    fallback,
    resourceUrl,
    authServerUrl: url('authServerUrl', o.authServerUrl, 'https://pilotstatuss.com'),
    mcpPath,
    upstreamTimeoutMs,
    requestTimeoutMs,
    bodyLimitBytes: positive('bodyLimitBytes', o.bodyLimitBytes, 1_048_576),
    allowedHosts: [...(o.allowedHosts ?? []), resource.hostname],
    allowedOrigins: [...(o.allowedOrigins ?? []), resource.origin],
    toolsets: o.toolsets,
    tools: o.tools,
    readOnly: o.readOnly ?? false,
    outputSchemas: o.outputSchemas ?? false,
    defs,
    oauthScopes: o.oauthScopes?.length ? o.oauthScopes : undefined,
    verifier: undefined,
    guards: checkedGuardOptions(o, upstreamTimeoutMs + requestTimeoutMs)
  }
}

/** The send-guard options (src/guard/settings.ts), checked here so a bad value stops registration. */
function checkedGuardOptions (o: PilotStatusMcpOptions, leaseMs: number): Omit<GuardOptions, 'store'> {
  if (typeof o.redis === 'string' && !/^rediss?:\/\//.test(o.redis)) throw new Error('pilot-status-mcp: option redis must be a redis:// or rediss:// URL or an ioredis client')
  try {
    return guardOptions(o, (field) => field, leaseMs)
  } catch (err) {
    throw new Error(`pilot-status-mcp: option ${(err as Error).message}`)
  }
}

function buildVerifier (o: PilotStatusMcpOptions, n: Normalised): TokenVerifier | undefined {
  const mode = o.tokenVerification ?? 'off'
  if (mode === 'off') return undefined
  if (mode !== 'jwt' && mode !== 'introspection') throw new Error(`pilot-status-mcp: option tokenVerification must be off, jwt or introspection (got ${JSON.stringify(mode)})`)
  return createTokenVerifier({
    mode,
    authServerUrl: n.authServerUrl,
    audience: n.resourceUrl,
    issuer: o.jwtIssuer,
    jwksUrl: o.jwksUrl,
    introspectionUrl: o.introspectionUrl,
    introspectionClientId: o.introspectionClientId,
    introspectionClientSecret: o.introspectionClientSecret
  })
}

const pilotStatusMcp: FastifyPluginAsync<PilotStatusMcpOptions> = async (app, options) => {
  const o = normalise(options)
  const api = options.apiClient ?? new ApiClient({ baseUrl: o.apiUrl, timeoutMs: o.upstreamTimeoutMs })
  if (!options.apiClient) app.addHook('onClose', async () => api.close())

  app.decorate('mcpToolDefs', [] as AnyTool[])

  const guards = new Guards({ ...o.guards, store: await createStore({ redis: options.redis }) })
  app.addHook('onClose', async () => guards.close())

  await app.register(corsPlugin, { allowedOrigins: o.allowedOrigins })
  await app.register(health, { store: () => guards.state() })
  await app.register(auth, {
    fallback: o.fallback,
    resourceMetadataUrl: metadataUrlFor(o.resourceUrl),
    scopes: o.oauthScopes,
    verifier: buildVerifier(options, o)
  })
  await app.register(protectedResource, {
    resource: o.resourceUrl,
    authorizationServers: [o.authServerUrl],
    mcpPath: o.mcpPath,
    scopes: o.oauthScopes,
    resourceName: options.resourceName
  })
  if (options.authorizationServerRoutes) await app.register(authorizationServerRoutes, { authServerUrl: o.authServerUrl })
  await app.register(mcpRoute, {
    path: o.mcpPath,
    api,
    filter: { toolsets: o.toolsets, tools: o.tools, readOnly: o.readOnly, outputSchemas: o.outputSchemas },
    bodyLimit: o.bodyLimitBytes,
    requestTimeoutMs: o.requestTimeoutMs,
    allowedHosts: o.allowedHosts,
    allowedOrigins: o.allowedOrigins,
    guards
  })
  for (const toolset of TOOLSETS) {
    await app.register(toolGroup, { toolset, tools: o.defs.filter((d) => d.toolset === toolset) })
  }
}

export default pilotStatusMcp
export { pilotStatusMcp }
export { ApiClient } from './api/client.js'
export type { Credentials } from './api/credentials.js'
export type { RedisClient } from './store/store.js'
export { TOOLSETS, type Toolset } from '../tools/define.js'
