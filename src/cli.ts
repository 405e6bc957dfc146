#!/usr/bin/env node
// The package's bin: `pilot-status-mcp [stdio|http] [--sandbox]`. Reads the configuration,
// optionally starts the embedded sandbox, and hands over to the stdio or HTTP entry. Each entry
// is imported only when chosen, so stdio start-up loads nothing it does not use.
import { ConfigError, ENV_DOC, loadConfig, type Config, type ConfigOverrides } from './config.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from './meta.js'
import type { Credentials } from './api/credentials.js'

const HELP = `pilot-status-mcp ${PACKAGE_VERSION} — MCP server for the Pilot Status WhatsApp API

Usage:
  npx ${PACKAGE_NAME} [stdio|http] [options]

Modes:
  stdio          JSON-RPC over stdin/stdout, for desktop clients (Claude Desktop, Cursor).
                 The API key comes from PILOT_STATUS_API_KEY.
  http           Stateless Streamable HTTP server: POST /mcp, GET /health,
                 GET /.well-known/oauth-protected-resource.
  (none)         The mode in MCP_TRANSPORT, else stdio.

Options:
  --sandbox      Run against the embedded offline sandbox (a simulated Pilot Status API with demo
                 data); stdio needs no key, HTTP clients use the demo keys it prints.
  --port <n>     HTTP port (overrides PORT).
  --host <addr>  HTTP bind address (overrides HOST).
  -h, --help     Show this help.
  -v, --version  Show the version.

Environment:
${ENV_DOC.map(([n, d, w]) => `  ${n.padEnd(30)} ${w}${d !== '-' ? ` Default: ${d}.` : ''}`).join('\n')}
`

interface Args { mode?: 'stdio' | 'http', overrides: ConfigOverrides, help: boolean, version: boolean }

function parseArgs (argv: string[]): Args {
  const out: Args = { overrides: {}, help: false, version: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined || v.startsWith('--')) throw new ConfigError([`${a} needs a value`])
      return v
    }
    if (a === 'stdio' || a === 'http') out.mode = a
    else if (a === '--sandbox') out.overrides.sandbox = true
    else if (a === '--help' || a === '-h') out.help = true
    else if (a === '--version' || a === '-v') out.version = true
    else if (a === '--port') {
      const v = value()
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ConfigError([`--port must be a whole number from 0 to 65535 (got ${JSON.stringify(v)})`])
      out.overrides.port = Number(v)
    } else if (a === '--host') out.overrides.host = value()
    else throw new ConfigError([`unknown argument ${JSON.stringify(a)} (see --help)`])
  }
  if (out.mode) out.overrides.transport = out.mode
  return out
}

function envCredentials (config: Config): Credentials | undefined {
  if (config.apiKey) return config.apiKeyId ? { kind: 'apiKey', key: config.apiKey, keyId: config.apiKeyId, source: 'env' } : { kind: 'apiKey', key: config.apiKey, source: 'env' }
  if (config.apiKeyId) return { kind: 'apiKeyId', keyId: config.apiKeyId, source: 'env' }
  return undefined
}

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.help) { process.stdout.write(HELP); return }
  if (args.version) { process.stdout.write(`${PACKAGE_VERSION}\n`); return }

  const { ALL_TOOLS } = await import('../tools/index.js')
  let config = loadConfig(process.env, args.overrides, new Set(ALL_TOOLS.map((t) => t.name)))
  const { createLogger } = await import('./logger.js')
  const logger = createLogger(config.logLevel)

  const closers: Array<() => Promise<void>> = []
  if (config.sandbox) {
    const { startSandbox } = await import('./sandbox/server.js')
    const { SANDBOX_KEYS } = await import('./sandbox/core.js')
    const sb = await startSandbox()
    closers.push(() => sb.close())
    config = { ...config, apiUrl: sb.url }
    if (config.transport === 'stdio' && !config.apiKey && !config.apiKeyId) config = { ...config, apiKey: SANDBOX_KEYS.number }
    process.stderr.write(`[pilot-status-mcp] sandbox: simulated Pilot Status API at ${sb.url} (offline, demo data, resets on restart)\n` +
      `[pilot-status-mcp] sandbox keys: number ${SANDBOX_KEYS.number}  tenant ${SANDBOX_KEYS.tenant}  meta ${SANDBOX_KEYS.meta}  offline ${SANDBOX_KEYS.offline}\n`)
  }

  const shutdown = async (code: number) => {
    const force = setTimeout(() => process.exit(code), 10_000)
    force.unref()
    for (const c of closers.reverse()) await c().catch((err) => logger.error({ err }, 'shutdown step failed'))
    process.exit(code)
  }
  process.once('SIGINT', () => { shutdown(0).catch(() => process.exit(1)) })
  process.once('SIGTERM', () => { shutdown(0).catch(() => process.exit(1)) })

  if (config.transport === 'http') {
    const { runHttp } = await import('./http.js')
    const app = await runHttp(config, logger)
    closers.unshift(() => app.close())
    const a = app.server.address()
    const where = typeof a === 'object' && a ? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${a.port}` : String(a)
    process.stderr.write(`[pilot-status-mcp] HTTP MCP endpoint: ${where}/mcp  (health: ${where}/health)\n`)
    if (config.sandbox) {
      process.stderr.write(`[pilot-status-mcp] try: curl -s ${where}/mcp -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -H 'x-api-key: ps_sandbox_demo_number' -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'\n`)
    }
    return
  }

  const credentials = envCredentials(config)
  if (!credentials) {
    throw new ConfigError(['stdio mode needs PILOT_STATUS_API_KEY (a ps_... key from the Pilot Status dashboard), or --sandbox to try it offline'])
  }
  const { runStdio } = await import('./stdio.js')
  const handle = runStdio(config, credentials, logger)
  closers.unshift(() => handle.close())
  // The client closing our stdin ends the session: exit promptly and cleanly.
  process.stdin.once('end', () => { shutdown(0).catch(() => process.exit(1)) })
  process.stdin.once('close', () => { shutdown(0).catch(() => process.exit(1)) })
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`pilot-status-mcp: ${err.message}\n`)
  } else {
    process.stderr.write(`pilot-status-mcp: failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  }
  process.exit(1)
})
