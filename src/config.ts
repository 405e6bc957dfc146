// Configuration: the only reader of process.env. Parses and validates every setting once at
// start-up; a bad value stops the process with a message naming the variable.
import { TOOLSETS, type Toolset } from '../tools/define.js'
import { ENV_NAMES, guardOptions, type GuardSettings } from './guard/settings.js'

export type Transport = 'stdio' | 'http'
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  apiUrl: string
  apiKey: string | undefined
  apiKeyId: string | undefined
  resourceUrl: string
  authServerUrl: string
  transport: Transport
  port: number
  host: string
  logLevel: LogLevel
  /** Deadline for one tool's upstream work, retries included. */
  upstreamTimeoutMs: number
  /** Deadline for a whole MCP HTTP request. */
  requestTimeoutMs: number
  /** Largest accepted MCP request body. */
  bodyLimitBytes: number
  /** On SIGTERM/SIGINT: how long in-flight calls may take to finish before the process exits anyway. */
  shutdownGraceMs: number
  /** Hostnames accepted in Host (besides loopback and MCP_RESOURCE_URL's); `*` accepts any. */
  allowedHosts: string[]
  /** Origins accepted in Origin (besides loopback and MCP_RESOURCE_URL's); `*` accepts any. */
  allowedOrigins: string[]
  /** HTTP: use the env key for requests that bring no credentials. */
  httpEnvKeyFallback: boolean
  toolsets: Toolset[] | undefined
  tools: string[] | undefined
  readOnly: boolean
  /** List output schemas in tools/list. */
  outputSchemas: boolean
  /** Run against the embedded sandbox instead of the real API. */
  sandbox: boolean
  /** Whether MCP_RESOURCE_URL / PILOT_STATUS_AUTH_SERVER_URL were given (sandbox mode derives local ones otherwise). */
  explicit: { resourceUrl: boolean, authServerUrl: boolean }
  oauth: {
    scopes: string[] | undefined
    verification: 'off' | 'jwt' | 'introspection'
    jwtIssuer: string | undefined
    jwksUrl: string | undefined
    introspectionUrl: string | undefined
    introspectionClientId: string | undefined
    introspectionClientSecret: string | undefined
    /** Serve /authorize, /token, /register and the AS metadata on this origin. */
    authServerRoutes: boolean
  }
  /** Send guards (src/guard): the shared store's URL and the settings as written (checked here). */
  guards: GuardSettings & { redisUrl: string | undefined }
}

/** Every variable, its default and meaning: printed by --help and kept in step with the README. */
export const ENV_DOC: Array<[name: string, dflt: string, what: string]> = [
  ['PILOT_STATUS_API_URL', 'https://pilotstatuss.com', 'Pilot Status API base URL (no trailing slash).'],
  ['PILOT_STATUS_API_KEY', '-', 'ps_... key. Required for stdio; HTTP fallback for requests without credentials.'],
  ['PILOT_STATUS_API_KEY_ID', '-', 'Optional x-api-key-id sent with (or instead of) the key.'],
  ['MCP_RESOURCE_URL', 'https://mcp.pilotstatuss.com', 'Public URL of this server: the OAuth resource identifier.'],
  ['PILOT_STATUS_AUTH_SERVER_URL', 'https://pilotstatuss.com', 'OAuth authorization server announced in the metadata.'],
  ['MCP_TRANSPORT', 'stdio', 'stdio or http, when no mode argument is given.'],
  ['PORT', '8787', 'HTTP port.'],
  ['HOST', '0.0.0.0', 'HTTP bind address.'],
  ['LOG_LEVEL', 'info', 'fatal, error, warn, info, debug, trace or silent (logs go to stderr).'],
  ['PILOT_STATUS_TIMEOUT_MS', '30000', 'Deadline for a tool\'s upstream calls (retries included).'],
  ['MCP_REQUEST_TIMEOUT_MS', '60000', 'Deadline for one MCP HTTP request.'],
  ['MCP_BODY_LIMIT_BYTES', '1048576', 'Largest MCP request body; larger gets 413.'],
  ['MCP_SHUTDOWN_GRACE_MS', '10000', 'On SIGTERM/SIGINT: stop accepting, let in-flight calls finish for up to this long, then exit.'],
  ['MCP_ALLOWED_HOSTS', '-', 'Comma list of extra Host names accepted (loopback and MCP_RESOURCE_URL\'s host always are); * for any.'],
  ['MCP_ALLOWED_ORIGINS', '-', 'Comma list of extra browser Origins accepted (loopback and MCP_RESOURCE_URL\'s always are); * for any.'],
  ['MCP_HTTP_ENV_KEY_FALLBACK', 'true', 'HTTP: serve credential-less requests with PILOT_STATUS_API_KEY (false → always 401).'],
  ['PILOT_STATUS_TOOLSETS', 'all', `Comma list of toolsets to expose: ${TOOLSETS.join(', ')}.`],
  ['PILOT_STATUS_TOOLS', 'all', 'Comma list of tool names to expose (allow-list).'],
  ['PILOT_STATUS_READ_ONLY', 'false', 'true: expose and allow only read-only tools.'],
  ['PILOT_STATUS_OUTPUT_SCHEMAS', 'false', 'true: list every tool\'s output schema in tools/list (+10 KB; for clients that validate structured results).'],
  ['PILOT_STATUS_SANDBOX', 'false', 'true: run against the embedded offline sandbox (same as --sandbox).'],
  ['MCP_OAUTH_SCOPES', '-', 'Comma list of OAuth scopes announced in the metadata and named in 401 challenges.'],
  ['MCP_TOKEN_VERIFICATION', 'off', 'off (forward bearer tokens; the API validates them), jwt (verify signature, issuer, audience, expiry here) or introspection (RFC 7662).'],
  ['MCP_JWT_ISSUER', 'auth server URL', 'jwt mode: expected iss.'],
  ['MCP_JWKS_URL', 'from AS metadata', 'jwt mode: JWKS URL (default: jwks_uri of the authorization server metadata).'],
  ['MCP_INTROSPECTION_URL', 'from AS metadata', 'introspection mode: RFC 7662 endpoint.'],
  ['MCP_INTROSPECTION_CLIENT_ID', '-', 'introspection mode: client id for HTTP Basic auth at the endpoint.'],
  ['MCP_INTROSPECTION_CLIENT_SECRET', '-', 'introspection mode: client secret (secret).'],
  ['MCP_AUTH_SERVER_ROUTES', 'false', 'true: serve /.well-known/oauth-authorization-server, /authorize, /token and /register on this origin, forwarded to the authorization server.'],
  ['REDIS_URL', '-', 'redis:// URL of the store shared by replicas for idempotency keys, the duplicate guard and send limits (default: in memory, one process). Sends that need it fail closed while it is unreachable.'],
  ['PILOT_STATUS_DEDUPE_WINDOW', '-', 'Off unless set: refuse an identical send (credential, destination, content) without idempotencyKey within this window, e.g. 60s, unless allowDuplicate: true.'],
  ['PILOT_STATUS_SEND_ALLOW', '-', 'Comma list of the only destinations sends may go to (default any): E.164 numbers, prefixes such as +55*, group/channel ids.'],
  ['PILOT_STATUS_SEND_LIMIT', '-', 'Sends per credential over every sending tool, e.g. 30/min,500/day (default unlimited); refusals say when the next is allowed.'],
  ['PILOT_STATUS_IDEMPOTENCY_TTL', '24h', 'How long an idempotencyKey\'s result is kept for replay.']
]

export class ConfigError extends Error {
  readonly problems: string[]
  constructor (problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export interface ConfigOverrides {
  transport?: Transport
  sandbox?: boolean
  port?: number
  host?: string
}

/** Tool names known to the registry, for validating PILOT_STATUS_TOOLS. */
export type KnownTools = ReadonlySet<string>

export function loadConfig (env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}, knownTools?: KnownTools): Config {
  const problems: string[] = []
  const str = (name: string): string | undefined => {
    const v = env[name]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }
  const url = (name: string, dflt: string): string => {
    const v = str(name) ?? dflt
    try {
      const u = new URL(v)
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme')
      if (u.search || u.hash) {
        problems.push(`${name} must not have a query or fragment (got ${JSON.stringify(v)})`)
      }
      return v.replace(/\/+$/, '')
    } catch {
      problems.push(`${name} must be an http(s) URL (got ${JSON.stringify(v)})`)
      return dflt
    }
  }
  const int = (name: string, dflt: number, min: number, max: number, override?: number): number => {
    if (override !== undefined) return override
    const v = str(name)
    if (v === undefined) return dflt
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(v)})`)
      return dflt
    }
    return Number(v)
  }
  const bool = (name: string, dflt: boolean): boolean => {
    const v = str(name)?.toLowerCase()
    if (v === undefined) return dflt
    if (['true', '1', 'yes', 'on'].includes(v)) return true
    if (['false', '0', 'no', 'off'].includes(v)) return false
    problems.push(`${name} must be true or false (got ${JSON.stringify(env[name])})`)
    return dflt
  }
  const list = (name: string): string[] | undefined => {
    const v = str(name)
    if (v === undefined) return undefined
    return v.split(',').map((s) => s.trim()).filter(Boolean)
  }

  const transportRaw = overrides.transport ?? str('MCP_TRANSPORT') ?? 'stdio'
  if (transportRaw !== 'stdio' && transportRaw !== 'http') problems.push(`MCP_TRANSPORT must be stdio or http (got ${JSON.stringify(transportRaw)})`)
  const logLevel = (str('LOG_LEVEL') ?? 'info') as LogLevel
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got ${JSON.stringify(logLevel)})`)
  }

  const apiKey = str('PILOT_STATUS_API_KEY')
  if (apiKey !== undefined && !/^ps_[A-Za-z0-9_-]+$/.test(apiKey)) {
    problems.push('PILOT_STATUS_API_KEY must be a Pilot Status key: ps_ followed by letters, digits, _ or - (value not shown)')
  }

  let toolsets: Toolset[] | undefined
  const ts = list('PILOT_STATUS_TOOLSETS')
  if (ts && !(ts.length === 1 && ts[0] === 'all')) {
    const bad = ts.filter((s) => !(TOOLSETS as readonly string[]).includes(s))
    if (bad.length) problems.push(`PILOT_STATUS_TOOLSETS has unknown toolsets ${bad.join(', ')}; valid: ${TOOLSETS.join(', ')}`)
    toolsets = ts.filter((s): s is Toolset => (TOOLSETS as readonly string[]).includes(s))
  }
  let tools: string[] | undefined
  const tl = list('PILOT_STATUS_TOOLS')
  if (tl && !(tl.length === 1 && tl[0] === 'all')) {
    if (knownTools) {
      const bad = tl.filter((n) => !knownTools.has(n))
      if (bad.length) problems.push(`PILOT_STATUS_TOOLS has unknown tools ${bad.join(', ')}; valid: ${[...knownTools].join(', ')}`)
    }
    tools = tl
  }

  const verification = (str('MCP_TOKEN_VERIFICATION') ?? 'off').toLowerCase()
  if (!['off', 'jwt', 'introspection'].includes(verification)) problems.push(`MCP_TOKEN_VERIFICATION must be off, jwt or introspection (got ${JSON.stringify(verification)})`)

  const config: Config = {
    apiUrl: url('PILOT_STATUS_API_URL', 'https://pilotstatuss.com'),
    apiKey,
    apiKeyId: str('PILOT_STATUS_API_KEY_ID'),
    resourceUrl: url('MCP_RESOURCE_URL', 'https://mcp.pilotstatuss.com'),
    authServerUrl: url('PILOT_STATUS_AUTH_SERVER_URL', 'https://pilotstatuss.com'),
    transport: transportRaw as Transport,
    port: int('PORT', 8787, 0, 65535, overrides.port),
    host: overrides.host ?? str('HOST') ?? '0.0.0.0',
    logLevel,
    upstreamTimeoutMs: int('PILOT_STATUS_TIMEOUT_MS', 30_000, 100, 600_000),
    requestTimeoutMs: int('MCP_REQUEST_TIMEOUT_MS', 60_000, 100, 3_600_000),
    bodyLimitBytes: int('MCP_BODY_LIMIT_BYTES', 1_048_576, 1024, 100 * 1_048_576),
    shutdownGraceMs: int('MCP_SHUTDOWN_GRACE_MS', 10_000, 100, 3_600_000),
    allowedHosts: list('MCP_ALLOWED_HOSTS') ?? [],
    allowedOrigins: list('MCP_ALLOWED_ORIGINS') ?? [],
    httpEnvKeyFallback: bool('MCP_HTTP_ENV_KEY_FALLBACK', true),
    toolsets,
    tools,
    readOnly: bool('PILOT_STATUS_READ_ONLY', false),
    outputSchemas: bool('PILOT_STATUS_OUTPUT_SCHEMAS', false),
    sandbox: overrides.sandbox ?? bool('PILOT_STATUS_SANDBOX', false),
    explicit: { resourceUrl: str('MCP_RESOURCE_URL') !== undefined, authServerUrl: str('PILOT_STATUS_AUTH_SERVER_URL') !== undefined },
    oauth: {
      scopes: list('MCP_OAUTH_SCOPES'),
      verification: verification as Config['oauth']['verification'],
      jwtIssuer: str('MCP_JWT_ISSUER'),
      jwksUrl: str('MCP_JWKS_URL') !== undefined ? url('MCP_JWKS_URL', '') : undefined,
      introspectionUrl: str('MCP_INTROSPECTION_URL') !== undefined ? url('MCP_INTROSPECTION_URL', '') : undefined,
      introspectionClientId: str('MCP_INTROSPECTION_CLIENT_ID'),
      introspectionClientSecret: str('MCP_INTROSPECTION_CLIENT_SECRET'),
      authServerRoutes: bool('MCP_AUTH_SERVER_ROUTES', false)
    },
    guards: {
      redisUrl: str('REDIS_URL'),
      dedupeWindow: str(ENV_NAMES.dedupeWindow),
      sendAllow: str(ENV_NAMES.sendAllow),
      sendLimit: str(ENV_NAMES.sendLimit),
      idempotencyTtl: str(ENV_NAMES.idempotencyTtl) ?? '24h'
    }
  }
  if (config.guards.redisUrl !== undefined && !/^rediss?:\/\/./.test(config.guards.redisUrl)) problems.push('REDIS_URL must be a redis:// or rediss:// URL (value not shown: it may hold a password)')
  try {
    guardOptions(config.guards, (f) => ENV_NAMES[f], 0)
  } catch (err) {
    problems.push((err as Error).message)
  }
  if (problems.length) throw new ConfigError(problems)
  return config
}
