#!/usr/bin/env node
// The package's bin: `pilot-status-mcp [stdio|http|check] [--sandbox]`. Reads the configuration,
// optionally starts the embedded sandbox, and hands over to the stdio or HTTP entry (or checks the
// configured key). Each entry
// is imported only when chosen, so stdio start-up loads nothing it does not use (stdio without
// the sandbox runs the single-file bundle dist/src/stdio.bundle.cjs when the build made one,
// through src/stdio-loader.ts and its code cache).
import { existsSync } from 'node:fs'
import nodeModule from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Logger } from 'pino'
import type { Config, ConfigOverrides } from './config.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from './meta.js'
import { loadStdioBundle, type LoadedBundle } from './stdio-loader.js'

// Node ≥ 22.1 keeps the compiled code of the modules loaded below (Fastify, the HTTP app) on disk
// between runs, so every later spawn starts faster; a no-op on Node 20. The stdio bundle has its
// own code cache (src/stdio-loader.ts), on every version.
;(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.()

const BUNDLE = fileURLToPath(new URL('./stdio.bundle.cjs', import.meta.url))
let bundle: LoadedBundle<typeof import('./stdio.js')> | undefined
/** The stdio bundle, loaded once (the settings and the stdio entry both come from it). */
const stdioBundle = (): LoadedBundle<typeof import('./stdio.js')> => (bundle ??= loadStdioBundle(BUNDLE))

/**
 * The settings module. A stdio start without --sandbox runs the bundle, which carries its own copy
 * of config.js and TypeBox: taking the settings from it loads TypeBox once, not twice (its
 * unbundled build is ~200 modules, a large part of the cold start). Every other start takes
 * config.js, shared with the modules it then loads. A wrong guess costs time only: both copies
 * are the same schema.
 */
async function settingsModule (): Promise<Pick<typeof import('./config.js'), 'ConfigError' | 'envCredentials' | 'helpEnvironment' | 'loadConfig' | 'parseSetting'>> {
  const argv = process.argv.slice(2)
  const mode = argv.find((a) => a === 'stdio' || a === 'http' || a === 'check') ?? (process.env.MCP_TRANSPORT?.trim().toLowerCase() === 'http' ? 'http' : 'stdio')
  if (mode === 'stdio' && !argv.includes('--sandbox') && existsSync(BUNDLE)) return stdioBundle().exports
  return await import('./config.js')
}
const { ConfigError, envCredentials, helpEnvironment, loadConfig, parseSetting } = await settingsModule()

const HELP = `pilot-status-mcp ${PACKAGE_VERSION} — MCP server for the Pilot Status WhatsApp API

Usage:
  npx ${PACKAGE_NAME} [stdio|http] [options]
  npx ${PACKAGE_NAME} check [--key ps_...] [--sandbox]

Modes:
  stdio          JSON-RPC over stdin/stdout, for desktop clients (Claude Desktop, Cursor).
                 The API key comes from PILOT_STATUS_API_KEY.
  http           Stateless Streamable HTTP server: POST /mcp, GET /health,
                 GET /.well-known/oauth-protected-resource.
  (none)         The mode in MCP_TRANSPORT, else stdio.
  check          Check the key (--key, else PILOT_STATUS_API_KEY / _ID) against the API at
                 PILOT_STATUS_API_URL with cheap reads; print its scope (number or tenant) and,
                 for a number key, its number. Exit 0 on a good key, 1 otherwise.

Options:
  --sandbox          Run against the embedded offline sandbox (a simulated Pilot Status API with
                     demo data); stdio needs no key, HTTP clients use the demo keys it prints,
                     check uses the demo number key unless given one.
  --port <n>         HTTP port (overrides PORT); also --port=<n>.
  --host <addr>      HTTP bind address (overrides HOST); also --host=<addr>.
  --key <ps_...>     check: the key to check (overrides PILOT_STATUS_API_KEY); also --key=<ps_...>.
  -h, --help         Show this help.
  -v, --version      Show the version.

Environment:
${helpEnvironment()}
`

interface Args { mode?: 'stdio' | 'http' | 'check', overrides: ConfigOverrides, key?: string, help: boolean, version: boolean }

/** `--flag value` and `--flag=value` alike; values are checked by the settings' own rules. */
function parseArgs (argv: string[]): Args {
  const out: Args = { overrides: {}, help: false, version: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const value = (): string => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i]
      if (v === undefined || v === '' || v.startsWith('-')) throw new ConfigError([`${flag} needs a value, e.g. ${flag} ${flag === '--port' ? '8080' : flag === '--key' ? 'ps_...' : '127.0.0.1'}`])
      return v
    }
    if (eq > 0 && !['--port', '--host', '--key'].includes(flag)) throw new ConfigError([`${flag} takes no value (see --help)`])
    if (arg === 'stdio' || arg === 'http' || arg === 'check') {
      if (out.mode && out.mode !== arg) throw new ConfigError([`choose one mode: ${out.mode} or ${arg}`])
      out.mode = arg
    } else if (flag === '--sandbox') out.overrides.sandbox = true
    else if (flag === '--help' || flag === '-h') out.help = true
    else if (flag === '--version' || flag === '-v') out.version = true
    else if (flag === '--port') out.overrides.port = parseSetting('port', value(), '--port')
    else if (flag === '--host') out.overrides.host = parseSetting('host', value(), '--host')
    else if (flag === '--key') out.key = parseSetting('apiKey', value(), '--key')
    else throw new ConfigError([`unknown argument ${JSON.stringify(arg)} (see --help)`])
  }
  if (out.mode === 'stdio' || out.mode === 'http') out.overrides.transport = out.mode
  return out
}

/** The stdio entry: the esbuild bundle built next to this file when present (one file to load: a faster cold start), else the module itself. */
async function stdioEntry (): Promise<typeof import('./stdio.js')> {
  if (existsSync(BUNDLE)) return stdioBundle().exports
  return await import('./stdio.js')
}

async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address()
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

/** Starts the embedded sandbox and points the configuration at it. */
async function withSandbox (config: Config, logger: Logger): Promise<{ config: Config, close: () => Promise<void> }> {
  const { startSandbox } = await import('../sandbox/server.js')
  const { SANDBOX_KEYS } = await import('../sandbox/core.js')
  const sb = await startSandbox()
  config = { ...config, apiUrl: sb.url }
  // The sandbox is also the OAuth authorization server, and OAuth clients check that the
  // metadata's resource is the URL they connect to: both default to local URLs here.
  if (!config.explicit.authServerUrl) config = { ...config, authServerUrl: sb.url }
  if (config.transport === 'http' && !config.explicit.resourceUrl) {
    const port = config.port === 0 ? await freePort() : config.port
    const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host
    config = { ...config, port, resourceUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp` }
  }
  if (config.transport === 'stdio' && !config.apiKey && !config.apiKeyId) config = { ...config, apiKey: SANDBOX_KEYS.number }
  process.stderr.write(`[pilot-status-mcp] sandbox: simulated Pilot Status API at ${sb.url} (offline, demo data, resets on restart)\n` +
    `[pilot-status-mcp] sandbox keys: number ${SANDBOX_KEYS.number}  tenant ${SANDBOX_KEYS.tenant}  meta ${SANDBOX_KEYS.meta}  offline ${SANDBOX_KEYS.offline}\n`)
  logger.debug({ url: sb.url }, 'sandbox started')
  return { config, close: () => sb.close() }
}

/** `check`: the configured (or given) key against the API; exit code 0 for a good key, 1 otherwise. */
async function check (args: Args): Promise<number> {
  const config = loadConfig(process.env, args.overrides)
  let apiUrl = config.apiUrl
  let key = args.key ?? config.apiKey
  let close: (() => Promise<void>) | undefined
  if (config.sandbox) {
    const { startSandbox } = await import('../sandbox/server.js')
    const { SANDBOX_KEYS } = await import('../sandbox/core.js')
    const sb = await startSandbox()
    apiUrl = sb.url
    close = () => sb.close()
    if (!key && !config.apiKeyId) key = SANDBOX_KEYS.number
  }
  try {
    const credentials = envCredentials({ apiKey: key, apiKeyId: config.apiKeyId })
    if (!credentials) throw new ConfigError(['check needs a key: --key ps_..., or PILOT_STATUS_API_KEY (or PILOT_STATUS_API_KEY_ID)'])
    const { checkKey, describeCheck } = await import('./check.js')
    const result = await checkKey({ apiUrl, credentials, timeoutMs: config.upstreamTimeoutMs })
    const where = config.sandbox ? 'the sandbox' : apiUrl
    ;(result.ok ? process.stdout : process.stderr).write(describeCheck(result, where))
    return result.ok ? 0 : 1
  } finally {
    await close?.()
  }
}

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.help) { process.stdout.write(HELP); return }
  if (args.version) { process.stdout.write(`${PACKAGE_VERSION}\n`); return }
  if (args.key !== undefined && args.mode !== 'check') throw new ConfigError(['--key is for check; the servers read PILOT_STATUS_API_KEY'])
  if (args.mode === 'check') { process.exitCode = await check(args); return }

  // Only the mode is needed here; each entry reads and validates the whole configuration.
  const early = loadConfig(process.env, args.overrides)
  if (early.transport === 'stdio') {
    const entry = early.sandbox ? await import('./stdio.js') : await stdioEntry()
    await entry.stdioMain({ overrides: args.overrides, prepare: early.sandbox ? withSandbox : undefined })
    // Serving: the code compiled for this session goes to the cache a little later (or at exit).
    bundle?.saveCache()
    return
  }

  const { ALL_TOOLS } = await import('../tools/index.js')
  let config = loadConfig(process.env, args.overrides, new Set(ALL_TOOLS.map((t) => t.name)))
  const { createLogger } = await import('./logger.js')
  const logger = createLogger(config.logLevel)
  const closers: Array<() => Promise<void>> = []
  if (config.sandbox) {
    const sb = await withSandbox(config, logger)
    config = sb.config
    closers.push(sb.close)
  }
  const { runHttp } = await import('./http.js')
  let app: Awaited<ReturnType<typeof runHttp>>
  try {
    app = await runHttp(config, logger)
  } catch (err) {
    if ((err as { code?: string }).code !== 'EADDRINUSE') throw err
    for (const c of closers) await c().catch(() => {})
    throw new ConfigError([`port ${config.port} on ${config.host} is already in use (another server is listening there): stop it, or pick another port with --port <n> (or PORT=<n>)`], 'Cannot start the HTTP server')
  }
  closers.unshift(() => app.close())
  // SIGTERM/SIGINT: stop accepting connections, let in-flight calls finish (up to the grace
  // period), then exit 0; past the grace period, exit 1.
  const { default: closeWithGrace } = await import('close-with-grace')
  closeWithGrace({ delay: config.shutdownGraceMs, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'fatal error, shutting down')
    else logger.info({ signal }, 'shutting down: finishing in-flight requests')
    for (const c of closers) await c().catch((e: unknown) => logger.error({ err: e }, 'shutdown step failed'))
  })
  const a = app.server.address()
  const where = typeof a === 'object' && a ? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${a.port}` : String(a)
  process.stderr.write(`[pilot-status-mcp] HTTP MCP endpoint: ${where}/mcp  (health: ${where}/health)\n`)
  if (config.sandbox) {
    process.stderr.write(`[pilot-status-mcp] try: curl -s ${where}/mcp -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -H 'x-api-key: ps_sandbox_demo_number' -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'\n`)
  }
}

main().catch((err) => {
  // By name: the stdio bundle carries its own copy of the class.
  if (err instanceof ConfigError || (err as Error)?.name === 'ConfigError') {
    process.stderr.write(`pilot-status-mcp: ${err.message}\n`)
  } else {
    process.stderr.write(`pilot-status-mcp: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  }
  process.exit(1)
})
