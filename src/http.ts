// The standalone Streamable HTTP server: a thin Fastify shell around the product plugin.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { createRequire } from 'node:module'
import type { Logger } from 'pino'
import { envCredentials, pluginOptions, type Config } from './config.js'
import pilotStatusMcp from './app.js'
import { isLoopbackHost } from '../plugins/origin-guard.js'
import { loadUndici } from './api/client.js'
import { startTelemetry } from './telemetry/start.js'
import { requestChildLogger } from './logger.js'

// Fastify builds its default schema compilers (Ajv with its formats, fast-json-stringify) with every
// instance, ~9 MB of RSS for code a server without route schemas never runs. These factories
// defer them to the first route schema; they are Fastify's own packages, resolved from Fastify.
const fastifyRequire = createRequire(createRequire(import.meta.url).resolve('fastify'))
type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>
type Build = (externalSchemas: unknown, options: unknown) => unknown
let validatorSelector: Build | undefined
let serializerSelector: Build | undefined
export const LAZY_COMPILERS = {
  buildValidator: (schemas: unknown, options: unknown) => (validatorSelector ??= (fastifyRequire('@fastify/ajv-compiler') as () => Build)())(schemas, options),
  buildSerializer: (schemas: unknown, options: unknown) => (serializerSelector ??= (fastifyRequire('@fastify/fast-json-stringify-compiler') as () => Build)())(schemas, options)
} as unknown as CompilersFactory

export async function buildHttpServer (config: Config, logger: Logger): Promise<FastifyInstance> {
  // The API client loads undici on first use (stdio start-up never needs it); a server loads it
  // now so the first tool call does not pay for it.
  await loadUndici()
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // The per-request child, made cheaply for the process logger (logger.ts says why).
    childLoggerFactory: (parent, bindings, opts) => requestChildLogger(parent as unknown as Logger, bindings, opts) as unknown as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Behind a load balancer the client address comes from X-Forwarded-For.
    trustProxy: true,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A request (headers and body) must arrive within this, else Node answers 408 and closes the
    // connection: a client trickling or stalling its body cannot hold a socket and a parser.
    requestTimeout: config.requestReadTimeoutMs,
    // Node checks the deadline on a timer (every 30 s by default, which would let a 1 s deadline
    // run to a minute); headers alone default to 60 s, longer than the deadline.
    http: {
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.requestReadTimeoutMs / 4))),
      headersTimeout: Math.min(60_000, config.requestReadTimeoutMs)
    },
    // No route of this server declares a JSON schema (bodies are JSON-RPC, checked by the MCP
    // route): Fastify's Ajv and fast-json-stringify compilers load only if one ever does.
    schemaController: { compilersFactory: LAZY_COMPILERS }
  })
  // Graceful close: server.close() stops accepting and drops idle keep-alive connections once;
  // a connection whose request was in flight turns idle only after its answer, and would then
  // hold close() until its keep-alive timeout. Keep dropping idle connections until closed.
  let sweeper: NodeJS.Timeout | undefined
  app.addHook('preClose', async () => {
    sweeper = setInterval(() => app.server.closeIdleConnections(), 50).unref()
  })
  app.addHook('onClose', async () => clearInterval(sweeper))
  await app.register(pilotStatusMcp, pluginOptions(config))
  if (config.confirm !== 'off' && config.confirmSecret === undefined) {
    logger.info('PILOT_STATUS_CONFIRM_SECRET is not set: confirmations use a key of this process, so a question must be answered on the same replica')
  }
  return app
}

export async function runHttp (config: Config, logger: Logger): Promise<FastifyInstance> {
  // OpenTelemetry first (OTEL_* variables, METRICS_PORT): the plugin picks up its providers, and
  // the first request does not pay for starting it. Off, nothing of the SDK is loaded.
  const otel = await startTelemetry(config, process.env, logger)
  let app: FastifyInstance
  try {
    app = await buildHttpServer(config, logger)
  } catch (err) {
    await otel?.shutdown()
    throw err
  }
  // Flushed after the last request is answered.
  if (otel) app.addHook('onClose', async () => otel.shutdown())
  if (config.envKeyFallback && envCredentials(config)?.kind === 'apiKey' && !isLoopbackHost(config.host)) {
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
