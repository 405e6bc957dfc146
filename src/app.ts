// The product as one Fastify plugin: an existing backend registers it under a prefix, a
// standalone server (cli.ts) registers it at the root. It registers its parts explicitly, in
// order: CORS → health → auth → root routes (metadata; at the root only, else the host registers
// pilotStatusMcpWellKnown) → MCP route → one plugin per toolset.
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { ApiClient } from './api/client.js'
import corsPlugin from '../plugins/cors.js'
import health from '../plugins/health.js'
import auth from '../plugins/auth.js'
import { metadataUrlFor } from '../plugins/protected-resource.js'
import wellKnown, { type WellKnownOptions } from '../plugins/well-known.js'
import { createTokenVerifier, loadJose, type TokenVerifier } from './auth/verify.js'
import mcpRoute from '../plugins/mcp-route.js'
import toolGroup from '../plugins/tool-group.js'
import { ToolRegistry } from './mcp/registry.js'
import { ALL_TOOLS } from '../tools/index.js'
import { TOOLSETS, type AnyTool } from '../tools/define.js'
import { envCredentials, resolvePluginSettings, type PluginSettings } from './config.js'
import { Confirmer } from './confirm/gate.js'
import { storeConsumeOnce } from './confirm/state.js'
import { createStore, type RedisClient } from './store/store.js'
import { Guards } from './guard/guards.js'
import { guardOptions } from './guard/settings.js'
import { AuditTrail } from './audit.js'
import { loadTelemetry } from './telemetry/load.js'
import { SERVED_VERSIONS } from './mcp/versions.js'

const WELL_KNOWN_PLUGIN = 'pilot-status-mcp-well-known'

/**
 * The plugin's options: every setting of the one schema in src/config.ts except the process-level
 * ones (each documented there and in the README's configuration table, with its environment
 * variable), checked by the same rules and with the same messages as the environment. Defaults
 * are the standalone server's, except `envKeyFallback` (off when embedded).
 */
export interface PilotStatusMcpOptions extends Omit<PluginSettings, 'redis'> {
  /** The send guards' shared store: a `redis://` URL, or an ioredis client the application keeps owning. Default: in memory. */
  redis?: string | RedisClient
  /** Tool definitions to serve (default: the full catalogue). */
  toolDefinitions?: readonly AnyTool[]
  /** Use this API client instead of creating one (shared pools, tests). */
  apiClient?: ApiClient
}

/** Applies defaults and validates once, at registration: bad options throw here, not at the first request. */
function normalise (o: PilotStatusMcpOptions) {
  const defs = o.toolDefinitions ?? ALL_TOOLS
  // An ioredis client is the one option value the schema cannot describe; a URL is checked by it.
  const redisClient = typeof o.redis === 'object' && o.redis !== null ? o.redis : undefined
  const s = resolvePluginSettings({ ...o, redis: redisClient ? undefined : o.redis } as Record<string, unknown>, new Set(defs.map((d) => d.name)))
  const resource = new URL(s.resourceUrl)
  return {
    ...s,
    defs,
    fallback: s.envKeyFallback ? envCredentials(s) : undefined,
    allowedHosts: [...s.allowedHosts, resource.hostname],
    allowedOrigins: [...s.allowedOrigins, resource.origin],
    oauthScopes: s.oauthScopes?.length ? s.oauthScopes : undefined,
    redisClient,
    // A first call's claim on an idempotency key lapses after this (the call cannot still be running).
    guardOptions: guardOptions(s, (field) => field, s.upstreamTimeoutMs + s.requestTimeoutMs)
  }
}
type Normalised = ReturnType<typeof normalise>

function wellKnownOptions (o: Normalised, prefix: string): WellKnownOptions {
  return {
    resource: o.resourceUrl,
    authServerUrl: o.authServerUrl,
    mcpPath: `${prefix}${o.mcpPath}`,
    scopes: o.oauthScopes,
    resourceName: o.resourceName,
    authorizationServerRoutes: o.authorizationServerRoutes
  }
}

function buildVerifier (n: Normalised): TokenVerifier | undefined {
  if (n.tokenVerification === 'off') return undefined
  return createTokenVerifier({
    mode: n.tokenVerification,
    authServerUrl: n.authServerUrl,
    audience: n.resourceUrl,
    issuer: n.jwtIssuer,
    jwksUrl: n.jwksUrl,
    introspectionUrl: n.introspectionUrl,
    introspectionClientId: n.introspectionClientId,
    introspectionClientSecret: n.introspectionClientSecret
  })
}

const pilotStatusMcp: FastifyPluginAsync<PilotStatusMcpOptions> = async (app, options) => {
  const o = normalise(options)
  const api = options.apiClient ?? new ApiClient({ baseUrl: o.apiUrl, timeoutMs: o.upstreamTimeoutMs, maxConcurrency: o.upstreamMaxConcurrency, maxPerCredential: o.upstreamMaxPerCredential })
  if (!options.apiClient) app.addHook('onClose', async () => api.close())

  // Built once, here; the tool-group plugins below fill it, the MCP route serves it.
  const registry = new ToolRegistry()
  // Never an SDK here: the providers registered globally (the standalone server's, or the
  // embedder's own) are used through @opentelemetry/api; none registered, none used.
  const toolNames = new Set(o.defs.map((d) => d.name))
  const telemetry = await loadTelemetry({ versions: SERVED_VERSIONS, isTool: (name) => toolNames.has(name) })

  const guards = new Guards({ ...o.guardOptions, store: await createStore({ redis: o.redisClient ?? o.redis }), telemetry })
  app.addHook('onClose', async () => guards.close())
  // Approvals are spent through the same store, so one is single-use across replicas too.
  const confirmer = o.confirm === 'off' ? undefined : new Confirmer({ mode: o.confirm, tools: o.confirmTools, secret: o.confirmSecret, once: storeConsumeOnce(guards.store), telemetry })

  await app.register(corsPlugin, { allowedOrigins: o.allowedOrigins })
  await app.register(health, { store: () => guards.state(), upstream: api })
  // jose only where tokens are verified as JWTs, loaded now rather than inside the first request's deadline.
  if (o.tokenVerification === 'jwt') await loadJose()
  await app.register(auth, {
    fallback: o.fallback,
    resourceMetadataUrl: metadataUrlFor(o.resourceUrl),
    scopes: o.oauthScopes,
    verifier: buildVerifier(o),
    telemetry
  })
  // Well-known URLs are derived from the origin: at the root the product serves them; under a
  // prefix the host serves them by registering pilotStatusMcpWellKnown at its root.
  if (app.prefix === '') await app.register(wellKnown, wellKnownOptions(o, ''))
  else if (!app.hasPlugin(WELL_KNOWN_PLUGIN)) {
    app.log.warn(`pilot-status-mcp is registered under ${app.prefix}: OAuth clients look for /.well-known/oauth-protected-resource at the host root; register pilotStatusMcpWellKnown there (with the same options and productPrefix: '${app.prefix}') before this plugin`)
  }
  await app.register(mcpRoute, {
    path: o.mcpPath,
    api,
    registry,
    filter: { toolsets: o.toolsets, tools: o.tools, readOnly: o.readOnly, outputSchemas: o.outputSchemas },
    bodyLimit: o.bodyLimitBytes,
    requestTimeoutMs: o.requestTimeoutMs,
    allowedHosts: o.allowedHosts,
    allowedOrigins: o.allowedOrigins,
    fastPath: o.fastPath,
    confirm: confirmer,
    guards,
    audit: o.auditLog ? new AuditTrail(app.log) : undefined,
    telemetry
  })
  for (const toolset of TOOLSETS) {
    await app.register(toolGroup, { toolset, registry, tools: o.defs.filter((d) => d.toolset === toolset) })
  }
  // Schemas compiled now (once per process: compiled checks are shared by every registry), so
  // the first call does not pay for it inside its deadline.
  registry.warm()
}

export interface PilotStatusMcpWellKnownOptions extends PilotStatusMcpOptions {
  /** The prefix the product is registered under, e.g. `/pilot` (its MCP endpoint is then `/pilot/mcp`). */
  productPrefix: string
}

/**
 * For a host that registers the product under a prefix: the routes OAuth clients look for at the
 * host root (RFC 9728 metadata; with `authorizationServerRoutes`, the authorization-server
 * routes). Register it at the root, with the product's options and its prefix, before the product.
 */
const pilotStatusMcpWellKnown = fp<PilotStatusMcpWellKnownOptions>(async (app, options) => {
  const { productPrefix, ...rest } = options
  if (typeof productPrefix !== 'string' || !/^(\/[A-Za-z0-9_-]+)*$/.test(productPrefix)) {
    throw new Error(`pilot-status-mcp: productPrefix must be the product's prefix, such as /pilot (got ${JSON.stringify(productPrefix)})`)
  }
  await app.register(wellKnown, wellKnownOptions(normalise(rest), productPrefix))
}, { name: WELL_KNOWN_PLUGIN, fastify: '5.x' })

export default pilotStatusMcp
export { pilotStatusMcp, pilotStatusMcpWellKnown }
export { ApiClient } from './api/client.js'
export type { Credentials } from './api/credentials.js'
export type { RedisClient } from './store/store.js'
export { TOOLSETS, type Toolset } from '../tools/define.js'
