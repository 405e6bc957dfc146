// The stdio entry: one process, one credential (from the environment), the same registry and
// server factory as HTTP, over the SDK's stdio entry (both protocol eras). stdout carries
// JSON-RPC only; logs go to stderr. `stdioMain` is the whole stdio start-up; the build also
// bundles this module into dist/src/stdio.bundle.mjs (scripts/bundle.mjs), which the CLI loads
// for a fast cold start: nothing here may import Fastify, the sandbox or undici eagerly.
import { serveStdio } from '@modelcontextprotocol/server/stdio'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv'
import closeWithGrace from 'close-with-grace'
import type { Logger } from 'pino'
import { ConfigError, loadConfig, type Config, type ConfigOverrides } from './config.js'
import { ApiClient } from './api/client.js'
import type { Credentials } from './api/credentials.js'
import { ToolRegistry } from './mcp/registry.js'
import { createMcpServer, type CallScope } from './mcp/server.js'
import { createLogger } from './logger.js'
import { Guards } from './guard/guards.js'
import { ENV_NAMES, guardOptions } from './guard/settings.js'
import { createStore } from './store/store.js'
import { ALL_TOOLS } from '../tools/index.js'

export interface StdioHandle {
  close(): Promise<void>
}

export function runStdio (config: Config, credentials: Credentials, logger: Logger, guards?: Guards): StdioHandle {
  const api = new ApiClient({ baseUrl: config.apiUrl, timeoutMs: config.upstreamTimeoutMs })
  const registry = new ToolRegistry(ALL_TOOLS)
  const scope: CallScope = {
    credentials,
    view: registry.view({ toolsets: config.toolsets, tools: config.tools, readOnly: config.readOnly, outputSchemas: config.outputSchemas }),
    log: logger,
    guards
  }
  const validator = new AjvJsonSchemaValidator()
  const handle = serveStdio(() => createMcpServer({ api, defaultScope: scope, validator }), {
    onerror: (err) => logger.error({ err }, 'stdio transport error')
  })
  return {
    async close () {
      await handle.close()
      await api.close()
      await guards?.close()
    }
  }
}

/** The credentials stdio runs with: the key and/or key id from the environment. */
export function envCredentials (config: Config): Credentials | undefined {
  if (config.apiKey) return config.apiKeyId ? { kind: 'apiKey', key: config.apiKey, keyId: config.apiKeyId, source: 'env' } : { kind: 'apiKey', key: config.apiKey, source: 'env' }
  if (config.apiKeyId) return { kind: 'apiKeyId', keyId: config.apiKeyId, source: 'env' }
  return undefined
}

export interface StdioMainOptions {
  env?: NodeJS.ProcessEnv
  overrides?: ConfigOverrides
  /** Runs once the configuration is read, before serving (the CLI starts the sandbox here). */
  prepare?: (config: Config, logger: Logger) => Promise<{ config: Config, close?: () => Promise<void> }>
}

/**
 * Reads the configuration, starts serving on stdin/stdout and installs the shutdown path: the
 * client closing stdin, SIGTERM or SIGINT close the server and exit 0 (1 if closing takes longer
 * than MCP_SHUTDOWN_GRACE_MS). Throws ConfigError on a bad configuration.
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
  // Send guards: idempotency keys (and, when configured, duplicate guard and send policy) over
  // this process's memory, or REDIS_URL to share them with other processes.
  const guards = new Guards({
    ...guardOptions(config.guards, (f) => ENV_NAMES[f], 2 * config.upstreamTimeoutMs),
    store: await createStore({ redis: config.guards.redisUrl })
  })
  const handle = runStdio(config, credentials, logger, guards)
  closers.unshift(() => handle.close())
  let closing: Promise<void> | undefined
  const closeAll = () => (closing ??= (async () => {
    for (const c of closers) await c().catch((err: unknown) => logger.error({ err }, 'shutdown step failed'))
  })())
  const grace = closeWithGrace({ delay: config.shutdownGraceMs, logger }, async ({ err }) => {
    if (err) logger.error({ err }, 'fatal error, shutting down')
    await closeAll()
  })
  // The client closing our stdin ends the session: exit promptly and cleanly.
  const end = () => { if (!closing) grace.close() }
  process.stdin.once('end', end)
  process.stdin.once('close', end)
  return handle
}
