// The standalone Streamable HTTP server: a thin Fastify shell around the product plugin.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import pilotStatusMcp from './app.js'
import { isLoopbackHost } from '../plugins/origin-guard.js'
import { loadUndici } from './api/client.js'

export async function buildHttpServer (config: Config, logger: Logger): Promise<FastifyInstance> {
  // The API client loads undici on first use (stdio start-up never needs it); a server loads it
  // now so the first tool call does not pay for it.
  await loadUndici()
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Behind a load balancer the client address comes from X-Forwarded-For.
    trustProxy: true,
    return503OnClosing: true,
    forceCloseConnections: 'idle'
  })
  // Graceful close: server.close() stops accepting and drops idle keep-alive connections once;
  // a connection whose request was in flight turns idle only after its answer, and would then
  // hold close() until its keep-alive timeout. Keep dropping idle connections until closed.
  let sweeper: NodeJS.Timeout | undefined
  app.addHook('preClose', async () => {
    sweeper = setInterval(() => app.server.closeIdleConnections(), 50).unref()
  })
  app.addHook('onClose', async () => clearInterval(sweeper))
  await app.register(pilotStatusMcp, {
    apiUrl: config.apiUrl,
    apiKey: config.apiKey,
    apiKeyId: config.apiKeyId,
    envKeyFallback: config.httpEnvKeyFallback && (config.apiKey !== undefined || config.apiKeyId !== undefined),
    resourceUrl: config.resourceUrl,
    authServerUrl: config.authServerUrl,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    bodyLimitBytes: config.bodyLimitBytes,
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    toolsets: config.toolsets,
    tools: config.tools,
    readOnly: config.readOnly,
    outputSchemas: config.outputSchemas,
    oauthScopes: config.oauth.scopes,
    tokenVerification: config.oauth.verification,
    jwtIssuer: config.oauth.jwtIssuer,
    jwksUrl: config.oauth.jwksUrl,
    introspectionUrl: config.oauth.introspectionUrl,
    introspectionClientId: config.oauth.introspectionClientId,
    introspectionClientSecret: config.oauth.introspectionClientSecret,
    authorizationServerRoutes: config.oauth.authServerRoutes,
    redis: config.guards.redisUrl,
    dedupeWindow: config.guards.dedupeWindow,
    sendAllow: config.guards.sendAllow,
    sendLimit: config.guards.sendLimit,
    idempotencyTtl: config.guards.idempotencyTtl
  })
  return app
}

export async function runHttp (config: Config, logger: Logger): Promise<FastifyInstance> {
  const app = await buildHttpServer(config, logger)
  if (config.httpEnvKeyFallback && config.apiKey && !isLoopbackHost(config.host)) {
    const warning = `PILOT_STATUS_API_KEY is set and the server listens on ${config.host}: anyone who can reach port ${config.port} can act with that key without credentials. Unset the key, bind HOST=127.0.0.1, or set MCP_HTTP_ENV_KEY_FALLBACK=false.`
    logger.warn(warning)
    // Loud whatever LOG_LEVEL says: this is how a key gets exposed by accident.
    process.stderr.write(`[pilot-status-mcp] WARNING: ${warning}\n`)
  }
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    await app.close().catch(() => {})
    throw err
  }
  return app
}
