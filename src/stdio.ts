// The stdio entry: one process, one credential (from the environment), the same registry and
// server factory as HTTP, over the SDK's stdio entry (both protocol eras). stdout carries
// JSON-RPC only; logs go to stderr. A 2025-era session's opening requests (initialize, ping,
// tools/list, notifications) are answered as the SDK answers them without loading it (the fast
// path's gate and answers, src/mcp/gate.ts and fast-path.ts); the SDK is loaded for the first
// request they do not cover (a tool call, a 2026-07-28 message, anything unusual), and is handed
// the session's initialize first so it knows the client's capabilities. `stdioMain` is the
// whole stdio start-up; the build also bundles this module into dist/src/stdio.bundle.cjs (scripts/bundle.mjs), which the CLI loads
// for a fast cold start (src/stdio-loader.ts): nothing here may import Fastify, the sandbox,
// undici or Ajv eagerly.
import closeWithGrace from 'close-with-grace'
import type { Readable, Writable } from 'node:stream'
import type { Logger } from 'pino'
import type { JSONRPCMessage } from '@modelcontextprotocol/server'
import { ConfigError, envCredentials, loadConfig, type Config, type ConfigOverrides } from './config.js'
import { ApiClient } from './api/client.js'
import type { Credentials } from './api/credentials.js'
import { buildRegistry, type CallScope } from './mcp/scope.js'
import { SERVED_VERSIONS } from './mcp/versions.js'
import { fastNotification, fastRequest } from './mcp/gate.js'
import { fastAnswer } from './mcp/fast-path.js'
import { createLogger } from './logger.js'
import { Confirmer } from './confirm/gate.js'
import { storeConsumeOnce } from './confirm/state.js'
import { Guards } from './guard/guards.js'
import { ENV_NAMES, guardOptions } from './guard/settings.js'
import { createStore } from './store/store.js'
import { StdioWire, type EndReason } from './stdio-transport.js'
import { LazyAjvValidator } from './stdio-validator.js'
import { AuditTrail } from './audit.js'
import type { Telemetry } from './telemetry/telemetry.js'
import { loadTelemetry } from './telemetry/load.js'
import { StdioObserver } from './telemetry/mcp.js'
import { startTelemetry } from './telemetry/start.js'
import { ALL_TOOLS } from '../tools/index.js'

// The CLI reads its arguments and settings through these when it runs this module's bundle, so a
// stdio start loads one copy of the settings schema (src/cli.ts, settingsModule).
export { ConfigError, envCredentials, helpEnvironment, loadConfig, parseSetting } from './config.js'

export interface StdioHandle {
  /** Resolves when the session should end: stdin reached its end (or failed), or stdout broke. */
  readonly ended: Promise<EndReason>
  /**
   * Ends the session in order: stops reading, lets the requests already read be answered for up
   * to `graceMs`, answers any still running with an error, closes the server and the API client,
   * and waits for stdout to drain. Resolves with how many requests had to be cut off.
   * `fatal`: the process is failing; nothing is waited for.
   */
  finish(graceMs: number, fatal?: boolean): Promise<number>
  /** Closes at once (requests in flight are aborted, not answered). */
  close(): Promise<void>
}

/** The id under which the session's initialize is handed to the SDK again (never a client's). */
const REPLAYED_ID = 'pilot-status/replayed-initialize'

/** How long the last answers may take to leave the process once everything is closed. */
const FLUSH_MS = 5000

export interface StdioParts {
  stdin?: Readable
  stdout?: Writable
  /** Send guards (idempotency keys, duplicate guard, send policy); closed with the session. */
  guards?: Guards
  /** Spans and metrics (stdioTelemetry(): from the providers registered globally); absent: none. */
  telemetry?: Telemetry
}

/** The session's Telemetry, from the providers registered globally (none: undefined, and nothing loaded). */
export async function stdioTelemetry (): Promise<Telemetry | undefined> {
  const names = new Set(ALL_TOOLS.map((t) => t.name))
  return await loadTelemetry({ versions: SERVED_VERSIONS, isTool: (name) => names.has(name) })
}

export function runStdio (config: Config, credentials: Credentials, logger: Logger, io: StdioParts = {}): StdioHandle {
  const api = new ApiClient({ baseUrl: config.apiUrl, timeoutMs: config.upstreamTimeoutMs, maxConcurrency: config.upstreamMaxConcurrency, maxPerCredential: config.upstreamMaxPerCredential })
  const telemetry = io.telemetry
  const { view } = buildRegistry({ defs: ALL_TOOLS, toolsets: config.toolsets, tools: config.tools, readOnly: config.readOnly, outputSchemas: config.outputSchemas })
  const scope: CallScope = {
    credentials,
    view,
    log: logger,
    guards: io.guards,
    audit: config.auditLog ? new AuditTrail(logger) : undefined,
    // A stdio session can ask its client (elicitation/create, or the 2026-07-28 input-required round).
    confirm: config.confirm === 'off' ? undefined : new Confirmer({ mode: config.confirm, tools: config.confirmTools, secret: config.confirmSecret, once: io.guards ? storeConsumeOnce(io.guards.store) : undefined, telemetry })
  }
  // Ajv loads on the first schema to check (an elicitation answer), not at start-up.
  const validator = new LazyAjvValidator()
  // Our wire, not the SDK's default: the SDK's drops the requests in flight when stdin ends.
  const wire = new StdioWire(io.stdin, io.stdout)
  const observer = telemetry && new StdioObserver(telemetry)
  wire.observer = observer
  const ended = new Promise<EndReason>((resolve) => { wire.onend = resolve })
  const onerror = (err: Error) => logger.error({ err }, 'stdio transport error')
  wire.onerror = onerror

  // The session's opening requests, answered without the SDK while it is not loaded.
  let initialize: (JSONRPCMessage & { id: string | number }) | undefined
  const never = new AbortController().signal
  const fast = (m: unknown): boolean => {
    if (fastNotification(m, undefined)) {
      wire.received(m as JSONRPCMessage)
      return true
    }
    const req = fastRequest(m, undefined, view)
    if (req === undefined || req.method === 'tools/call') return false
    wire.received(m as JSONRPCMessage)
    if (req.method === 'initialize') initialize = m as JSONRPCMessage & { id: string | number }
    fastAnswer(api, req, scope, never, () => '')
      .then((answer) => wire.answer(req.id, answer.json))
      .catch((err: unknown) => onerror(err as Error))
    return true
  }
  // The SDK, loaded for the first message the lines above leave to it.
  let sdk: Promise<{ close(): Promise<void> }> | undefined
  const startSdk = () => (sdk ??= (async () => {
    const [{ serveStdio }, { createMcpServer }, { deserializeMessage }] = await Promise.all([
      import('@modelcontextprotocol/server/stdio'),
      import('./mcp/server.js'),
      import('@modelcontextprotocol/server')
    ])
    const handle = serveStdio(() => createMcpServer({ api, defaultScope: scope, validator, pushElicitation: true, operationOf: observer && ((id) => observer.operationOf(id)) }), {
      transport: wire,
      onerror
    })
    // serveStdio has taken the wire's messages: the initialize answered here goes to it first
    // (its answer is not written again), then every line held while it loaded.
    wire.attachSdk(deserializeMessage, initialize && { ...initialize, id: REPLAYED_ID })
    return handle
  })())
  wire.needSdk = () => { startSdk().catch((err: unknown) => logger.error({ err }, 'stdio: the MCP SDK could not be loaded')) }
  // MCP_FAST_PATH=false: every message through the SDK, loaded now.
  if (config.fastPath) wire.fast = fast
  else wire.needSdk()
  wire.start().catch(onerror)

  let closing: Promise<void> | undefined
  const close = () => (closing ??= (async () => {
    const served = await sdk?.catch(() => undefined)
    if (served) await served.close()
    else await wire.close()
    observer?.close()
    await api.close()
    await io.guards?.close()
  })())
  return {
    ended,
    close,
    async finish (graceMs, fatal = false) {
      wire.stopReading()
      // Lines read while the SDK was loading are handed to it (and counted) once it is there.
      if (sdk) await sdk.catch(() => {})
      if (wire.unanswered > 0) logger.debug({ requests: wire.unanswered }, 'stdio: finishing the requests already read')
      let cutOff = 0
      if (!await wire.whenAnswered(fatal ? 0 : graceMs)) {
        const why = fatal ? 'after an internal error' : `(MCP_SHUTDOWN_GRACE_MS, ${graceMs} ms, passed)`
        cutOff = wire.abandonPending(`the server shut down before this call finished ${why}; whether it took effect is unknown`)
      }
      await close()
      if (!await wire.flush(FLUSH_MS)) logger.error('stdio: stdout did not drain before exit; the client may miss the last answers')
      return cutOff
    }
  }
}

export interface StdioMainOptions {
  env?: NodeJS.ProcessEnv
  overrides?: ConfigOverrides
  /** Runs once the configuration is read, before serving (the CLI starts the sandbox here). */
  prepare?: (config: Config, logger: Logger) => Promise<{ config: Config, close?: () => Promise<void> }>
}

/**
 * Reads the configuration, starts serving on stdin/stdout and installs the shutdown path: the
 * client closing stdin, SIGTERM or SIGINT stop the reading, let every request already read be
 * answered, flush stdout and exit 0; requests still running after MCP_SHUTDOWN_GRACE_MS are
 * answered with an error and the exit code is 1. Throws ConfigError on a bad configuration.
 */
export async function stdioMain (opts: StdioMainOptions = {}): Promise<StdioHandle> {
  let config = loadConfig(opts.env ?? process.env, opts.overrides, new Set(ALL_TOOLS.map((t) => t.name)))
  const logger = createLogger(config.logLevel)
  const closers: Array<() => Promise<void>> = []
  if (opts.prepare) {
    const prepared = await opts.prepare(config, logger)
    config = prepared.config
    if (prepared.close) closers.push(prepared.close)
  }
  const credentials = envCredentials(config)
  if (!credentials) {
    for (const c of closers) await c()
    throw new ConfigError(['stdio mode needs PILOT_STATUS_API_KEY (a ps_... key from the Pilot Status dashboard), or --sandbox to try it offline'])
  }
  // OpenTelemetry (OTEL_* variables, METRICS_PORT): started before serving, or not loaded at all.
  const otel = await startTelemetry(config, opts.env ?? process.env, logger)
  if (otel) closers.push(otel.shutdown)
  const telemetry = await stdioTelemetry()
  // Send guards: idempotency keys (and, when configured, duplicate guard and send policy) over
  // this process's memory, or REDIS_URL to share them with other processes.
  const guards = new Guards({
    ...guardOptions(config, (f) => ENV_NAMES[f], 2 * config.upstreamTimeoutMs),
    store: await createStore({ redis: config.redis }),
    telemetry
  })
  const handle = runStdio(config, credentials, logger, { guards, telemetry })
  logger.debug({ entry: import.meta.url }, 'stdio serving')
  // The grace period bounds the wait for requests in flight (inside finish); the timer here is
  // only a backstop for a close step that hangs.
  let shuttingDown = false
  const grace = closeWithGrace({ delay: config.shutdownGraceMs + FLUSH_MS + 5000, logger }, async ({ err }) => {
    shuttingDown = true
    if (err) logger.error({ err }, 'fatal error, shutting down')
    const cutOff = await handle.finish(config.shutdownGraceMs, err !== undefined)
    for (const c of closers) await c().catch((e: unknown) => logger.error({ err: e }, 'shutdown step failed'))
    // Exit 1: work the client asked for was cut off (after a fatal error close-with-grace exits 1 anyway).
    if (cutOff > 0 && !err) throw new Error(`${cutOff} request(s) did not finish within MCP_SHUTDOWN_GRACE_MS (${config.shutdownGraceMs} ms) and were answered with an error`)
  })
  // The client closing our stdin ends the session once what it already sent is answered.
  handle.ended.then((reason) => {
    logger.debug({ reason }, reason === 'input' ? 'stdin ended' : 'stdout closed')
    if (!shuttingDown) grace.close()
  }).catch(() => {})
  return handle
}
