// The one settings schema (TypeBox): every setting's environment variable, plugin option, type,
// default, description and rules. Environment parsing (loadConfig), the plugin's option checks,
// `--help`, .env.example and the README's configuration table all come from it.
import { Kind, Type, type Static, type TSchema } from '@sinclair/typebox'
import type { Credentials } from './api/credentials.js'
import { TOOLSETS } from '../tools/define.js'
import { AllowList, parseDuration, parseSendLimit } from './guard/parse.js'

/** What a setting's schema may carry besides JSON Schema: where it is read from and how it is shown. */
interface SettingMeta {
  /** The environment variable (absent: a plugin option only). */
  env?: string
  /** `.env.example` section. */
  group?: string
  /** Shown instead of the default when there is none, or it is not a literal (e.g. "from AS metadata"). */
  shown?: string
  /** A credential: its value never appears in a message. */
  secret?: boolean
  /** http(s) URL without query or fragment; a trailing slash is dropped. */
  httpUrl?: boolean
  /** A list whose single value `all` means "no restriction" (undefined). */
  allMeansAny?: boolean
  /** A list whose items must be known tool names (checked against the registry). */
  knownTools?: boolean
  /** What a list's items are called in a message ("unknown toolsets nope"). */
  noun?: string
  /** Completes "<name> must …" when `pattern` does not match. */
  patternMessage?: string
  /** The embedded plugin's default, where it differs from the standalone server's (and why, in the description). */
  pluginDefault?: unknown
  /** A rule beyond the type (a duration, a send limit): throws an Error whose message starts with `name`. */
  refine?: (value: never, name: string) => unknown
}

const s = <T extends TSchema>(schema: T, meta: SettingMeta & { description: string, default?: unknown }): T =>
  ({ ...schema, ...meta }) as T

const port = { minimum: 0, maximum: 65535 }
const ms = (max: number) => ({ minimum: 100, maximum: max })
const url = (env: string, group: string, dflt: string | undefined, description: string, shown?: string) =>
  s(Type.String(), { env, group, httpUrl: true, default: dflt, description, shown })
const list = () => Type.Array(Type.String())
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)))

/**
 * Every setting, in the order `--help`, .env.example and the README list them. Adding a setting
 * is one entry here (plus, if the embedded plugin must not take it, its key in SERVER_ONLY);
 * its consumer then reads `config.<key>` / the option of the same name.
 */
export const SETTINGS = {
  apiUrl: url('PILOT_STATUS_API_URL', 'Pilot Status API', 'https://pilotstatuss.com', 'Pilot Status API base URL (no trailing slash).'),
  apiKey: Type.Optional(s(Type.String({ pattern: '^ps_[A-Za-z0-9_-]+$' }), {
    env: 'PILOT_STATUS_API_KEY',
    group: 'Pilot Status API',
    secret: true,
    patternMessage: 'be a Pilot Status key: ps_ followed by letters, digits, _ or -',
    description: '`ps_…` key (secret). Required for stdio; on HTTP it serves requests that bring no credentials (see `MCP_HTTP_ENV_KEY_FALLBACK`).'
  })),
  apiKeyId: Type.Optional(s(Type.String(), {
    env: 'PILOT_STATUS_API_KEY_ID',
    group: 'Pilot Status API',
    secret: true,
    description: 'Optional `x-api-key-id` sent with (or instead of) the key.'
  })),
  upstreamTimeoutMs: s(Type.Integer(ms(600_000)), {
    env: 'PILOT_STATUS_TIMEOUT_MS',
    group: 'Pilot Status API',
    default: 30_000,
    description: 'Deadline for a tool\'s upstream calls (retries included), in ms.'
  }),
  upstreamMaxConcurrency: s(Type.Integer({ minimum: 1, maximum: 100_000 }), {
    env: 'PILOT_STATUS_MAX_CONCURRENCY',
    group: 'Pilot Status API',
    default: 128,
    description: 'Most Pilot Status API calls in flight at once, all callers together; further calls wait their turn.'
  }),
  upstreamMaxPerCredential: s(Type.Integer({ minimum: 1, maximum: 100_000 }), {
    env: 'PILOT_STATUS_MAX_CONCURRENCY_PER_CREDENTIAL',
    group: 'Pilot Status API',
    default: 32,
    description: 'Most Pilot Status API calls in flight at once for one key or token, so one caller cannot take every slot.'
  }),
  resourceUrl: url('MCP_RESOURCE_URL', 'OAuth (HTTP, claude.ai connector)', 'https://mcp.pilotstatuss.com', 'Public URL of this server: the OAuth resource identifier.'),
  authServerUrl: url('PILOT_STATUS_AUTH_SERVER_URL', 'OAuth (HTTP, claude.ai connector)', 'https://pilotstatuss.com', 'OAuth authorization server announced in the metadata.'),
  transport: s(literals(['stdio', 'http'] as const), {
    env: 'MCP_TRANSPORT',
    group: 'Transport',
    default: 'stdio',
    description: '`stdio` or `http`, when no mode argument is given.'
  }),
  port: s(Type.Integer(port), { env: 'PORT', group: 'Transport', default: 8787, description: 'HTTP port (`--port`).' }),
  host: s(Type.String(), { env: 'HOST', group: 'Transport', default: '0.0.0.0', description: 'HTTP bind address (`--host`).' }),
  logLevel: s(literals(LOG_LEVELS), {
    env: 'LOG_LEVEL',
    group: 'Transport',
    default: 'info',
    description: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`. Logs go to stderr, credentials redacted.'
  }),
  mcpPath: s(Type.String({ pattern: '^/[A-Za-z0-9/_-]*$' }), {
    default: '/mcp',
    patternMessage: 'be a path such as /mcp',
    description: 'Path of the MCP endpoint within the plugin\'s prefix.'
  }),
  requestTimeoutMs: s(Type.Integer(ms(3_600_000)), {
    env: 'MCP_REQUEST_TIMEOUT_MS',
    group: 'Limits',
    default: 60_000,
    description: 'Deadline for one MCP HTTP request, in ms.'
  }),
  requestReadTimeoutMs: s(Type.Integer(ms(3_600_000)), {
    env: 'MCP_REQUEST_READ_TIMEOUT_MS',
    group: 'Limits',
    default: 30_000,
    description: 'Deadline for receiving a whole HTTP request (headers and body), in ms; past it the answer is `408` and the connection is closed. Embedded: set Fastify\'s `requestTimeout` (see Embedding).'
  }),
  bodyLimitBytes: s(Type.Integer({ minimum: 1024, maximum: 100 * 1_048_576 }), {
    env: 'MCP_BODY_LIMIT_BYTES',
    group: 'Limits',
    default: 1_048_576,
    description: 'Largest MCP request body in bytes; larger gets `413`.'
  }),
  shutdownGraceMs: s(Type.Integer(ms(3_600_000)), {
    env: 'MCP_SHUTDOWN_GRACE_MS',
    group: 'Limits',
    default: 10_000,
    description: 'On SIGTERM/SIGINT: stop accepting, let in-flight calls finish for up to this long (ms), then exit.'
  }),
  fastPath: s(Type.Boolean(), {
    env: 'MCP_FAST_PATH',
    group: 'Limits',
    default: true,
    description: '`true`: answer well-formed `tools/call` and `tools/list`, and a session\'s `initialize`, `ping` and `server/discover`, without the SDK\'s per-request plumbing (the same answers, about half the CPU; over stdio the SDK then loads at the first tool call); `false`: every request goes through the SDK.'
  }),
  allowedHosts: s(list(), {
    env: 'MCP_ALLOWED_HOSTS',
    group: 'HTTP security',
    default: [],
    description: 'Comma list of extra `Host` names accepted (loopback and `MCP_RESOURCE_URL`\'s host always are); `*` for any.'
  }),
  allowedOrigins: s(list(), {
    env: 'MCP_ALLOWED_ORIGINS',
    group: 'HTTP security',
    default: [],
    description: 'Comma list of extra browser `Origin`s accepted (loopback and `MCP_RESOURCE_URL`\'s always are); `*` for any.'
  }),
  envKeyFallback: s(Type.Boolean(), {
    env: 'MCP_HTTP_ENV_KEY_FALLBACK',
    group: 'HTTP security',
    default: true,
    pluginDefault: false,
    description: 'HTTP: serve credential-less requests with `PILOT_STATUS_API_KEY` (`false` → always `401`). The embedded plugin defaults to `false`: anyone who can reach the route would act with the key.'
  }),
  toolsets: Type.Optional(s(Type.Array(literals(TOOLSETS)), {
    env: 'PILOT_STATUS_TOOLSETS',
    group: 'Which tools',
    allMeansAny: true,
    noun: 'toolsets',
    shown: 'all',
    description: `Comma list of toolsets to expose: ${TOOLSETS.join(', ')}.`
  })),
  tools: Type.Optional(s(list(), {
    env: 'PILOT_STATUS_TOOLS',
    group: 'Which tools',
    allMeansAny: true,
    knownTools: true,
    noun: 'tools',
    shown: 'all',
    description: 'Comma list of tool names to expose (allow-list).'
  })),
  readOnly: s(Type.Boolean(), {
    env: 'PILOT_STATUS_READ_ONLY',
    group: 'Which tools',
    default: false,
    description: '`true`: expose and allow only read-only tools.'
  }),
  outputSchemas: s(Type.Boolean(), {
    env: 'PILOT_STATUS_OUTPUT_SCHEMAS',
    group: 'Which tools',
    default: false,
    description: '`true`: list every tool\'s output schema in `tools/list` (+10 KB; for clients that validate structured results). Results carry `structuredContent` either way.'
  }),
  sandbox: s(Type.Boolean(), {
    env: 'PILOT_STATUS_SANDBOX',
    group: 'Sandbox',
    default: false,
    description: '`true`: run against the embedded offline sandbox (same as `--sandbox`).'
  }),
  oauthScopes: Type.Optional(s(list(), {
    env: 'MCP_OAUTH_SCOPES',
    group: 'OAuth token checks (HTTP)',
    description: 'Comma list of OAuth scopes announced in the metadata (`scopes_supported`) and named in `401` challenges.'
  })),
  tokenVerification: s(literals(['off', 'jwt', 'introspection'] as const), {
    env: 'MCP_TOKEN_VERIFICATION',
    group: 'OAuth token checks (HTTP)',
    default: 'off',
    description: '`off` (forward bearer tokens; the API validates them), `jwt` (verify signature, issuer, audience, expiry here) or `introspection` (RFC 7662).'
  }),
  jwtIssuer: Type.Optional(s(Type.String(), {
    env: 'MCP_JWT_ISSUER',
    group: 'OAuth token checks (HTTP)',
    shown: 'the authorization server URL',
    description: '`jwt` mode: expected `iss`.'
  })),
  jwksUrl: Type.Optional(url('MCP_JWKS_URL', 'OAuth token checks (HTTP)', undefined, '`jwt` mode: JWKS URL.', '`jwks_uri` of the authorization server metadata')),
  introspectionUrl: Type.Optional(url('MCP_INTROSPECTION_URL', 'OAuth token checks (HTTP)', undefined, '`introspection` mode: RFC 7662 endpoint.', '`introspection_endpoint` of the authorization server metadata')),
  introspectionClientId: Type.Optional(s(Type.String(), {
    env: 'MCP_INTROSPECTION_CLIENT_ID',
    group: 'OAuth token checks (HTTP)',
    description: '`introspection` mode: client id for HTTP Basic auth at the endpoint.'
  })),
  introspectionClientSecret: Type.Optional(s(Type.String(), {
    env: 'MCP_INTROSPECTION_CLIENT_SECRET',
    group: 'OAuth token checks (HTTP)',
    secret: true,
    description: '`introspection` mode: client secret (secret).'
  })),
  authorizationServerRoutes: s(Type.Boolean(), {
    env: 'MCP_AUTH_SERVER_ROUTES',
    group: 'OAuth token checks (HTTP)',
    default: false,
    description: '`true`: serve `/.well-known/oauth-authorization-server`, `/authorize`, `/token` and `/register` on this origin, forwarded to the authorization server.'
  }),
  confirm: s(literals(['auto', 'required', 'off'] as const), {
    env: 'PILOT_STATUS_CONFIRM',
    group: 'Confirmations',
    default: 'auto',
    description: 'Ask a person before sends, deletions, key changes and payments: `auto` (when the client supports elicitation), `required` (refuse clients that cannot ask) or `off`. See [Confirmations](#confirmations).'
  }),
  confirmTools: Type.Optional(s(list(), {
    env: 'PILOT_STATUS_CONFIRM_TOOLS',
    group: 'Confirmations',
    knownTools: true,
    noun: 'tools',
    shown: 'destructive + open-world tools',
    description: 'Comma list of tool names that ask (replaces the default list).'
  })),
  confirmSecret: Type.Optional(s(Type.String({ pattern: '^[\\s\\S]{32,}$' }), {
    env: 'PILOT_STATUS_CONFIRM_SECRET',
    group: 'Confirmations',
    secret: true,
    shown: 'random per process',
    patternMessage: 'be at least 32 characters',
    description: 'Key (at least 32 characters, secret) that signs confirmation states; give every replica the same one.'
  })),
  redis: Type.Optional(s(Type.String({ pattern: '^rediss?://.' }), {
    env: 'REDIS_URL',
    group: 'Send guards',
    secret: true,
    shown: 'in memory (one process)',
    patternMessage: 'be a redis:// or rediss:// URL',
    description: 'Store shared by replicas for idempotency keys, the duplicate guard and send limits (the plugin option also takes an ioredis client). Sends that need it fail closed while it is unreachable; reads go on.'
  })),
  idempotencyTtl: s(Type.String(), {
    env: 'PILOT_STATUS_IDEMPOTENCY_TTL',
    group: 'Send guards',
    default: '24h',
    refine: (v: string, name: string) => parseDuration(name, v),
    description: 'How long an `idempotencyKey`\'s result is kept for replay, e.g. `24h`.'
  }),
  dedupeWindow: Type.Optional(s(Type.String(), {
    env: 'PILOT_STATUS_DEDUPE_WINDOW',
    group: 'Send guards',
    shown: 'off',
    refine: (v: string, name: string) => parseDuration(name, v),
    description: 'Refuse an identical send (credential, destination, content) without `idempotencyKey` within this window, e.g. `60s`, unless `allowDuplicate: true`.'
  })),
  sendAllow: Type.Optional(s(list(), {
    env: 'PILOT_STATUS_SEND_ALLOW',
    group: 'Send guards',
    shown: 'any',
    refine: (v: string[], name: string) => AllowList.parse(name, v),
    description: 'Comma list of the only destinations sends may go to: E.164 numbers, prefixes such as `+55*`, group/channel ids.'
  })),
  sendLimit: Type.Optional(s(Type.String(), {
    env: 'PILOT_STATUS_SEND_LIMIT',
    group: 'Send guards',
    shown: 'unlimited',
    refine: (v: string, name: string) => parseSendLimit(name, v),
    description: 'Sends per credential over every sending tool, e.g. `30/min,500/day`; a refusal says when the next send is allowed.'
  })),
  auditLog: s(Type.Boolean(), {
    env: 'PILOT_STATUS_AUDIT_LOG',
    group: 'Observability',
    default: true,
    description: '`true`/`on`: every call of an irreversible tool (those that ask for confirmation by default) writes one `audit` log line, at `info` whatever `LOG_LEVEL` says; `false`/`off`: none. See [Audit trail](#audit-trail).'
  }),
  metricsPort: Type.Optional(s(Type.Integer(port), {
    env: 'METRICS_PORT',
    group: 'Observability',
    shown: 'off',
    description: 'Serves Prometheus metrics at `/metrics` on this port, its own listener (never the MCP port); `0` picks a free one. Setting it turns OpenTelemetry on; so do the standard `OTEL_*` variables, read as the OpenTelemetry SDK documents them: `OTEL_EXPORTER_OTLP_ENDPOINT` (or `_TRACES_ENDPOINT` / `_METRICS_ENDPOINT`), `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` (`otlp`, `prometheus`, `none`), `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER`; `OTEL_SDK_DISABLED=true` keeps it off. Off: no telemetry module is loaded.'
  })),
  metricsHost: s(Type.String(), {
    env: 'METRICS_HOST',
    group: 'Observability',
    default: '127.0.0.1',
    description: 'Bind address of the `/metrics` listener (`METRICS_PORT`); loopback unless set, e.g. `0.0.0.0` for a scraper on another host.'
  }),
  resourceName: s(Type.String(), {
    default: 'Pilot Status MCP server',
    description: 'Human name in the protected-resource metadata.'
  })
}

/** The whole schema as one TypeBox object (a JSON Schema of the resolved settings). */
export const SettingsSchema = Type.Object(SETTINGS)
/** Every setting, resolved: defaults applied, values checked. */
export type Settings = Static<typeof SettingsSchema>
export type SettingKey = keyof typeof SETTINGS
export type Transport = Settings['transport']
export type LogLevel = Settings['logLevel']

/** Settings of the process, not of the plugin: the embedding host owns its server, logger and shutdown. */
export const SERVER_ONLY = ['transport', 'port', 'host', 'logLevel', 'shutdownGraceMs', 'sandbox', 'requestReadTimeoutMs', 'metricsPort', 'metricsHost'] as const
/** What the plugin accepts as options: every other setting, each optional. */
export type PluginSettings = Partial<Omit<Settings, typeof SERVER_ONLY[number]>>

/** The standalone configuration: the settings, plus which URLs were given at all. */
export type Config = Settings & {
  /** Whether MCP_RESOURCE_URL / PILOT_STATUS_AUTH_SERVER_URL were given (sandbox mode derives local ones otherwise). */
  explicit: { resourceUrl: boolean, authServerUrl: boolean }
}

type Schema = TSchema & SettingMeta & { default?: unknown, description: string, pattern?: string, minimum?: number, maximum?: number, items?: TSchema, anyOf?: Array<{ const: string }> }
const entries = Object.entries(SETTINGS) as Array<[SettingKey, Schema]>

export class ConfigError extends Error {
  readonly problems: string[]
  constructor (problems: string[], heading = 'Invalid configuration') {
    super(`${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

/** A comma list as the environment and narrowing headers write it: items trimmed, empty ones dropped. */
export function commaList (text: string): string[] {
  return text.split(',').map((x) => x.trim()).filter(Boolean)
}

/** true/1/yes/on and false/0/no/off, any case, trimmed; anything else is undefined. */
export function parseBoolean (value: string): boolean | undefined {
  const v = value.trim().toLowerCase()
  if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true
  if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false
  return undefined
}

function choices (schema: Schema): string[] | undefined {
  return schema[Kind] === 'Union' ? schema.anyOf!.map((a) => a.const) : undefined
}

function orList (values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`
}

/** An environment string as the setting's type (unparseable text is kept, and refused by `check`). */
function fromText (schema: Schema, text: string): unknown {
  switch (schema[Kind]) {
    case 'Integer': return /^\d+$/.test(text) ? Number(text) : text
    case 'Boolean': return parseBoolean(text) ?? text
    case 'Union': return text.toLowerCase()
    case 'Array': {
      const items = commaList(text)
      return schema.allMeansAny && items.length === 1 && items[0] === 'all' ? undefined : items
    }
    default: return text
  }
}

interface CheckContext { knownTools?: ReadonlySet<string> }

/**
 * The rules, for a value from either source: `name` is the variable or the option, so both
 * refuse the same values with the same sentence. Returns the value normalised, or a problem.
 */
function check (schema: Schema, name: string, value: unknown, ctx: CheckContext): { value: unknown } | { problem: string } {
  const r = checkType(schema, name, value, ctx)
  if ('problem' in r || !schema.refine) return r
  try {
    schema.refine(r.value as never, name)
    return r
  } catch (err) {
    return { problem: (err as Error).message }
  }
}

function checkType (schema: Schema, name: string, value: unknown, ctx: CheckContext): { value: unknown } | { problem: string } {
  const got = schema.secret ? '(value not shown)' : `(got ${JSON.stringify(value)})`
  switch (schema[Kind]) {
    case 'Integer': {
      const min = schema.minimum ?? 0
      const max = schema.maximum ?? Number.MAX_SAFE_INTEGER
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        return { problem: `${name} must be a whole number from ${min} to ${max} ${got}` }
      }
      return { value }
    }
    case 'Boolean':
      return typeof value === 'boolean' ? { value } : { problem: `${name} must be true or false ${got}` }
    case 'Union': {
      const valid = choices(schema)!
      return valid.includes(value as string) ? { value } : { problem: `${name} must be ${orList(valid)} ${got}` }
    }
    case 'Array': {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return { problem: `${name} must be a list of strings ${got}` }
      const valid = schema.items && choices(schema.items as Schema)
      const known = valid ?? (schema.knownTools && ctx.knownTools ? [...ctx.knownTools] : undefined)
      if (known) {
        const bad = value.filter((v) => !known.includes(v))
        if (bad.length) return { problem: `${name} has unknown ${schema.noun ?? 'values'} ${bad.join(', ')}; valid: ${known.join(', ')}` }
      }
      return { value: [...value] }
    }
    default: {
      if (typeof value !== 'string') return { problem: `${name} must be text ${got}` }
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) return { problem: `${name} must ${schema.patternMessage} ${got}` }
      if (schema.httpUrl) {
        let u: URL
        try {
          u = new URL(value)
        } catch {
          return { problem: `${name} must be an http(s) URL ${got}` }
        }
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return { problem: `${name} must be an http(s) URL ${got}` }
        if (u.search || u.hash) return { problem: `${name} must not have a query or fragment ${got}` }
        return { value: value.replace(/\/+$/, '') }
      }
      return { value }
    }
  }
}

function defaultOf (schema: Schema, plugin: boolean): unknown {
  const d = plugin && 'pluginDefault' in schema ? schema.pluginDefault : schema.default
  return Array.isArray(d) ? [...d] : d
}

export interface ConfigOverrides {
  transport?: Transport
  sandbox?: boolean
  port?: number
  host?: string
}

/** The command-line flag that overrides a setting, named in its messages. */
const FLAGS: Partial<Record<SettingKey, string>> = { port: '--port', host: '--host' }

/** Tool names known to the registry, for validating PILOT_STATUS_TOOLS. */
export type KnownTools = ReadonlySet<string>

/** One setting's text (from the environment or a command-line flag) → its value; throws ConfigError naming `name`. */
export function parseSetting<K extends SettingKey> (key: K, text: string, name: string = FLAGS[key] ?? SETTINGS[key].env ?? key): Settings[K] {
  const schema = SETTINGS[key] as Schema
  const r = check(schema, name, fromText(schema, text.trim()), {})
  if ('problem' in r) throw new ConfigError([r.problem])
  return r.value as Settings[K]
}

/** Reads every setting from the environment: defaults applied, every bad value named at once. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}, knownTools?: KnownTools): Config {
  const problems: string[] = []
  const out: Record<string, unknown> = {}
  const text = (name: string | undefined) => {
    const v = name === undefined ? undefined : env[name]
    return v === undefined || v.trim() === '' ? undefined : v.trim()
  }
  for (const [key, schema] of entries) {
    const override = (overrides as Record<string, unknown>)[key]
    const raw = text(schema.env)
    const value = override !== undefined ? override : raw === undefined ? undefined : fromText(schema, raw)
    if (value === undefined) { out[key] = defaultOf(schema, false); continue }
    const name = override !== undefined ? FLAGS[key] ?? key : schema.env!
    const r = check(schema, name, value, { knownTools })
    if ('problem' in r) problems.push(r.problem)
    else out[key] = r.value
  }
  if (problems.length) throw new ConfigError(problems)
  return {
    ...(out as Settings),
    explicit: { resourceUrl: text('MCP_RESOURCE_URL') !== undefined, authServerUrl: text('PILOT_STATUS_AUTH_SERVER_URL') !== undefined }
  }
}

/** The plugin's options resolved by the same rules: defaults applied, bad options refused at registration. */
export function resolvePluginSettings (options: Record<string, unknown>, knownTools?: KnownTools): Omit<Settings, typeof SERVER_ONLY[number]> {
  const problems: string[] = []
  const out: Record<string, unknown> = {}
  for (const [key, schema] of entries) {
    if ((SERVER_ONLY as readonly string[]).includes(key)) continue
    const value = options[key]
    if (value === undefined) { out[key] = defaultOf(schema, true); continue }
    const r = check(schema, key, value, { knownTools })
    if ('problem' in r) problems.push(r.problem)
    else out[key] = r.value
  }
  if (out.envKeyFallback === true && out.apiKey === undefined && out.apiKeyId === undefined) problems.push('envKeyFallback needs apiKey or apiKeyId')
  if (problems.length) throw new ConfigError(problems, 'pilot-status-mcp: invalid options')
  return out as Omit<Settings, typeof SERVER_ONLY[number]>
}

/** The plugin options a configuration stands for (the standalone server registers the plugin with these). */
export function pluginOptions (config: Config): PluginSettings {
  const out: Record<string, unknown> = {}
  for (const [key] of entries) if (!(SERVER_ONLY as readonly string[]).includes(key)) out[key] = config[key]
  // Standalone, the fallback is on by default, and only meaningful with a key to fall back to.
  out.envKeyFallback = config.envKeyFallback && envCredentials(config) !== undefined
  return out as PluginSettings
}

/** The credentials the configured key and/or key id stand for: stdio's identity, and HTTP's fallback. */
export function envCredentials (s: { apiKey?: string, apiKeyId?: string }): Credentials | undefined {
  if (s.apiKey) return s.apiKeyId ? { kind: 'apiKey', key: s.apiKey, keyId: s.apiKeyId, source: 'env' } : { kind: 'apiKey', key: s.apiKey, source: 'env' }
  if (s.apiKeyId) return { kind: 'apiKeyId', keyId: s.apiKeyId, source: 'env' }
  return undefined
}

// ---- Documentation, generated from the schema ----

const plain = (md: string) => md.replace(/`/g, '')

/** The shown default when the variable would accept it as its value (`all`, `24h`), else ''. */
function literalDefault (schema: Schema): string {
  const d = shownDefault(schema)
  if (d === undefined || /\s/.test(d) || (schema.default === undefined && !schema.allMeansAny)) return ''
  const value = fromText(schema, d)
  if (value === undefined) return schema.allMeansAny ? d : ''
  return 'problem' in check(schema, schema.env ?? '', value, {}) ? '' : d
}

function shownDefault (schema: Schema): string | undefined {
  if (schema.shown !== undefined) return schema.shown
  const d = schema.default
  if (d === undefined || (Array.isArray(d) && d.length === 0)) return undefined
  return String(d)
}

/** [variable, default ('-' when none), description]: every environment variable, in schema order. */
export const ENV_DOC: Array<[name: string, dflt: string, what: string]> = entries
  .filter(([, schema]) => schema.env !== undefined)
  .map(([, schema]) => [schema.env!, plain(shownDefault(schema) ?? '-'), plain(schema.description)])

/** The environment section of `--help`. */
export function helpEnvironment (): string {
  return ENV_DOC.map(([n, d, w]) => `  ${n.padEnd(44)} ${w}${d !== '-' ? ` Default: ${d}.` : ''}`).join('\n')
}

/** The README's configuration table (between its settings:start/end markers). */
export function readmeTable (): string {
  const rows = entries.map(([key, schema]) => {
    const env = schema.env ? `\`${schema.env}\`` : '—'
    const option = (SERVER_ONLY as readonly string[]).includes(key) ? '—' : `\`${key}\``
    const d = shownDefault(schema)
    const dflt = d === undefined ? '—' : schema.shown !== undefined ? d : `\`${d}\``
    const pd = 'pluginDefault' in schema ? ` (plugin: \`${String(schema.pluginDefault)}\`)` : ''
    return `| ${env} | ${option} | ${dflt}${pd} | ${schema.description.replace(/\|/g, '\\|')} |`
  })
  return ['| variable | plugin option | default | meaning |', '|---|---|---|---|', ...rows].join('\n')
}

/** .env.example: every variable commented out with its literal default, grouped. */
export function envExample (): string {
  const head = [
    '# @pilot-status/mcp-server — every setting, with its default (the same list as `--help`).',
    '# Every line is commented out, so this file changes nothing as it is: copy it to .env and',
    '# uncomment what you change. The server itself does not read .env; pass the file with',
    '# `docker run --env-file .env …` or `node --env-file=.env dist/src/cli.js …`.',
    '# Never commit a real key.',
    '# Generated from src/config.ts (UPDATE_DOCS=1 npx tap dist/test/release/release.test.js).'
  ]
  const out = [...head]
  let group: string | undefined
  for (const [, schema] of entries) {
    if (schema.env === undefined) continue
    if (schema.group !== group) { group = schema.group; out.push('', `# ---- ${group} ----`) }
    // Only a default the setting accepts as its value is written out; one that describes
    // ("from AS metadata", "unlimited") is left empty: uncommenting must not change anything.
    out.push(`# ${plain(schema.description)}`, `# ${schema.env}=${literalDefault(schema)}`)
  }
  return out.join('\n') + '\n'
}
