// What the MCP route lets through, decided in one place: the strict JSON-RPC request envelope
// (mirroring the SDK's JSONRPCRequestSchema, whose failures its long-lived Server drops without
// answering), the params of the two methods this server serves, and the one predicate that sends
// a request down the HTTP fast path instead of the SDK — for each protocol era.
import type { IncomingHttpHeaders } from 'node:http'
import type { RegisteredTool, ToolView } from './registry.js'
import type { Confirmer } from '../confirm/gate.js'

export type Id = string | number

/** A request the route answers itself with a JSON-RPC error. */
export interface Refusal {
  /** HTTP status when the refusal is the whole answer (a batch is answered 200 with each one inside). */
  status: number
  code: number
  message: string
}

/**
 * A request the fast path takes: a well-formed tools/list, or tools/call of a tool in the view.
 * `modern` marks a 2026-07-28 request and carries its per-request envelope (the reserved
 * `_meta` keys, as the SDK lifts them for its handlers).
 */
export type FastRequest =
  | { method: 'tools/list', id: Id, modern?: ModernEnvelope }
  | { method: 'tools/call', id: Id, tool: RegisteredTool, args: Record<string, unknown> | undefined, modern?: ModernEnvelope }
  | { method: 'initialize', id: Id, protocolVersion: string, modern?: undefined }
  | { method: 'ping', id: Id, modern?: undefined }
  | { method: 'server/discover', id: Id, modern: ModernEnvelope }

/** The reserved 2026-07-28 `_meta` members of one request (protocol version, client info and capabilities, log level). */
export type ModernEnvelope = Record<string, unknown>

export const INVALID_REQUEST = -32600
export const INVALID_PARAMS = -32602
export const ENVELOPE_KEY = 'io.modelcontextprotocol/protocolVersion'
export const MODERN_VERSION = '2026-07-28'

const ENVELOPE_MEMBERS = new Set(['jsonrpc', 'id', 'method', 'params'])

export function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isRequestId (v: unknown): v is Id {
  return typeof v === 'string' || Number.isSafeInteger(v)
}

/** The id an error answer must carry: the request's own whenever it can be read, else null. */
export function readId (body: unknown): Id | null {
  if (!isPlainObject(body) || !Object.hasOwn(body, 'id')) return null
  const id = body.id
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null
}

/** The JSON-RPC error answer for a refusal, serialised. */
export function errorJson (id: Id | null, code: number, message: string, data?: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } })
}

function invalid (message: string): Refusal {
  return { status: 400, code: INVALID_REQUEST, message: `Invalid Request: ${message}` }
}

/**
 * Why `m` is not a request the SDK's JSONRPCRequestSchema accepts, or undefined when it is one.
 * The schema is strict: any member besides jsonrpc/id/method/params (a stray `result`, a
 * `__proto__` parsed as an own member) fails it, and so does a `_meta` whose progress token or
 * related-task entry has the wrong type.
 */
export function checkEnvelope (m: Record<string, unknown>): Refusal | undefined {
  if (m.jsonrpc !== '2.0') return invalid('jsonrpc must be "2.0"')
  for (const k of Object.keys(m)) {
    if (!ENVELOPE_MEMBERS.has(k)) return invalid(`unexpected member ${JSON.stringify(k)} (a request has jsonrpc, id, method and params only)`)
  }
  if (typeof m.method !== 'string') return invalid('method must be a string')
  if (!isRequestId(m.id)) return invalid('id must be a string or an integer')
  if (m.params === undefined) return undefined
  if (!isPlainObject(m.params)) return invalid('params must be an object')
  const meta = m.params._meta
  if (meta === undefined) return undefined
  if (!isPlainObject(meta)) return invalid('params._meta must be an object')
  if (meta.progressToken !== undefined && !isRequestId(meta.progressToken)) return invalid('params._meta.progressToken must be a string or an integer')
  const related = meta['io.modelcontextprotocol/related-task']
  if (related !== undefined && !(isPlainObject(related) && typeof related.taskId === 'string')) {
    return invalid('params._meta["io.modelcontextprotocol/related-task"] must be an object with a string taskId')
  }
  return undefined
}

function badParams (message: string): Refusal {
  return { status: 200, code: INVALID_PARAMS, message: `Invalid params: ${message}` }
}

/** Params checks for the methods this server serves, naming the field (the SDK's own answers are raw validation dumps). */
export function checkParams (method: string, params: Record<string, unknown> | undefined): Refusal | undefined {
  if (method === 'tools/list') {
    if (params?.cursor !== undefined && typeof params.cursor !== 'string') return badParams('cursor must be a string (the nextCursor of an earlier tools/list)')
    return undefined
  }
  if (method === 'tools/call') {
    if (params === undefined) return badParams('tools/call needs params with the tool name')
    if (typeof params.name !== 'string') return badParams('name must be a string (a tool name from tools/list)')
    if (params.arguments !== undefined && !isPlainObject(params.arguments)) return badParams(`arguments of ${params.name} must be a JSON object`)
    if (params.task !== undefined && !(isPlainObject(params.task) && (params.task.ttl === undefined || typeof params.task.ttl === 'number'))) {
      return badParams('task must be an object with an optional numeric ttl')
    }
  }
  return undefined
}

/** Both checks, for one message that has a method and an id. */
export function checkRequest (m: Record<string, unknown>): Refusal | undefined {
  return checkEnvelope(m) ?? checkParams(m.method as string, m.params as Record<string, unknown> | undefined)
}

const CALL_PARAMS = new Set(['name', 'arguments', '_meta'])
const LIST_PARAMS = new Set(['cursor', '_meta'])
const INITIALIZE_PARAMS = new Set(['protocolVersion', 'capabilities', 'clientInfo', '_meta'])
/** ping and server/discover carry no params of their own. */
const META_ONLY = new Set(['_meta'])
/** The 2025-era requests the fast path may take, with the params members each may carry. */
const LEGACY_PARAMS = new Map<string, Set<string>>([
  ['tools/call', CALL_PARAMS],
  ['tools/list', LIST_PARAMS],
  ['initialize', INITIALIZE_PARAMS],
  ['ping', META_ONLY]
])

/**
 * initialize params in the plainest shapes the SDK's InitializeRequestParamsSchema surely accepts
 * (a version string, capabilities, client name and version). Over HTTP the answer depends only on
 * the version asked for; anything unusual (client icons, task capabilities) is left to the SDK.
 */
function plainInitialize (p: Record<string, unknown> | undefined): p is { protocolVersion: string } {
  if (p === undefined || typeof p.protocolVersion !== 'string' || !plainCapabilities(p.capabilities)) return false
  return plainClientInfo(p.clientInfo)
}

/**
 * A single 2025-era notification (no id: nothing is answered, 202) that the SDK's classification
 * calls legacy: the strict envelope, no 2026-era claim in header or `_meta`. The route acknowledges
 * it without loading the SDK; the long-lived Server would do nothing with it over HTTP.
 */
export function fastNotification (m: unknown, versionHeader: string | undefined): boolean {
  if (!isPlainObject(m) || m.jsonrpc !== '2.0' || typeof m.method !== 'string' || 'id' in m) return false
  if (versionHeader !== undefined && versionHeader >= MODERN_VERSION) return false
  for (const k of Object.keys(m)) if (k !== 'jsonrpc' && k !== 'method' && k !== 'params') return false
  const params = m.params
  if (params === undefined) return true
  if (!isPlainObject(params) || ownProto(params)) return false
  const meta = params._meta
  return meta === undefined || (isPlainObject(meta) && !(ENVELOPE_KEY in meta))
}

/**
 * THE fast-path gate: a single 2025-era tools/list, tools/call of a tool in the view, ping, or
 * initialize in its plain shape, that the SDK would serve without any of its own protocol
 * answers (tools/call and tools/list by our handlers; ping and initialize by answers fixed for
 * this server: initialize over HTTP only negotiates the version) — strictly well-formed, no
 * per-request envelope claim, no 2026-era version header. Anything else goes to the SDK (after
 * the route's own envelope check). test/mcp/fast-path.ts checks that whatever passes here
 * is what classifyInboundRequest calls legacy, and that the answers equal the SDK's.
 */
export function fastRequest (m: unknown, versionHeader: string | undefined, view: ToolView): FastRequest | undefined {
  if (!isPlainObject(m) || typeof m.method !== 'string' || !LEGACY_PARAMS.has(m.method)) return undefined
  if (versionHeader !== undefined && versionHeader >= MODERN_VERSION) return undefined
  if (checkRequest(m) !== undefined) return undefined
  const params = m.params as Record<string, unknown> | undefined
  const allowed = LEGACY_PARAMS.get(m.method)!
  if (params !== undefined) {
    for (const k of Object.keys(params)) if (!allowed.has(k)) return undefined
    if (isPlainObject(params._meta) && ENVELOPE_KEY in params._meta) return undefined
  }
  const id = m.id as Id
  if (m.method === 'tools/list') return { method: 'tools/list', id }
  if (m.method === 'ping') return { method: 'ping', id }
  if (m.method === 'initialize') return plainInitialize(params) ? { method: 'initialize', id, protocolVersion: params.protocolVersion } : undefined
  const tool = view.tools.get(params!.name as string)
  const args = params!.arguments as Record<string, unknown> | undefined
  // The SDK hands its handler a zod copy of the arguments, in which an own "__proto__" is lost.
  if (args !== undefined && ownProto(args)) return undefined
  return tool ? { method: 'tools/call', id, tool, args } : undefined
}

// ---- The 2026-07-28 era -------------------------------------------------------------------
// The SDK serves these through createMcpHandler: classifyInboundRequest (the envelope parsed
// with zod), the standard-header checks, then a Server per request whose tools/call and
// tools/list handlers are ours. The gate below lets a request skip all of that only when every
// one of those steps would pass it unchanged; test/mcp/modern.ts checks that claim against the
// SDK and compares the answers over HTTP, fast path on and off.

export const CLIENT_INFO_KEY = 'io.modelcontextprotocol/clientInfo'
export const CLIENT_CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities'
export const LOG_LEVEL_KEY = 'io.modelcontextprotocol/logLevel'
const RESERVED_KEYS = [ENVELOPE_KEY, CLIENT_INFO_KEY, CLIENT_CAPABILITIES_KEY, LOG_LEVEL_KEY]
const LOG_LEVELS = new Set(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'])
const CLIENT_INFO_MEMBERS = new Set(['name', 'version', 'title', 'websiteUrl', 'description'])
/** The 2026-07-28 requests the fast path may take, with the params members each may carry. */
const MODERN_PARAMS = new Map<string, Set<string>>([
  ['tools/call', CALL_PARAMS],
  ['tools/list', LIST_PARAMS],
  ['server/discover', META_ONLY]
])
/** Media types the SDK's isJsonContentType reads as JSON for certain (anything else: the SDK decides). */
const PLAIN_JSON = /^application\/json(; ?charset=utf-8)?$/i

/**
 * Whether the route's `new Request('http://' + host + url)` for the SDK can be built (an
 * unparsable Host makes it throw: a 500 on that path). A deployment sees a handful of Host
 * values, so the answer is remembered.
 */
const HOSTS = new Map<string, boolean>()
function buildableHost (host: string): boolean {
  let ok = HOSTS.get(host)
  if (ok === undefined) {
    if (HOSTS.size >= 64) HOSTS.clear()
    HOSTS.set(host, ok = URL.canParse(`http://${host}/`))
  }
  return ok
}

function ownProto (o: Record<string, unknown>): boolean {
  return Object.hasOwn(o, '__proto__')
}

/** A JSON object the SDK's JSONObjectSchema accepts, kept shallow so the check stays cheap. */
function jsonObject (v: unknown, depth = 0): boolean {
  if (!isPlainObject(v) || ownProto(v) || depth > 3) return false
  for (const x of Object.values(v)) {
    if (typeof x === 'string' || typeof x === 'boolean' || x === null || (typeof x === 'number' && Number.isFinite(x))) continue
    if (Array.isArray(x) ? !x.every((e) => jsonObject({ e }, depth + 1)) : !jsonObject(x, depth + 1)) return false
  }
  return true
}

/** Plain objects of JSON objects (the `experimental` and `extensions` capability maps). */
function jsonObjectMap (v: unknown): boolean {
  return isPlainObject(v) && !ownProto(v) && Object.values(v).every((x) => jsonObject(x))
}

function onlyMembers (v: Record<string, unknown>, allowed: readonly string[]): boolean {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) return false
  return !ownProto(v)
}

/** Client capabilities in the shapes the SDK's ClientCapabilities2026Schema surely accepts. */
function plainCapabilities (c: unknown): c is Record<string, unknown> {
  if (!isPlainObject(c) || !onlyMembers(c, ['sampling', 'elicitation', 'roots', 'experimental', 'extensions'])) return false
  const { sampling, elicitation, roots, experimental, extensions } = c
  if (roots !== undefined && !(isPlainObject(roots) && onlyMembers(roots, ['listChanged']) && (roots.listChanged === undefined || typeof roots.listChanged === 'boolean'))) return false
  if (sampling !== undefined && !(isPlainObject(sampling) && onlyMembers(sampling, ['context', 'tools']) && Object.values(sampling).every((x) => jsonObject(x)))) return false
  if (elicitation !== undefined) {
    if (!(isPlainObject(elicitation) && onlyMembers(elicitation, ['form', 'url']) && Object.values(elicitation).every((x) => jsonObject(x)))) return false
    const form = elicitation.form as Record<string, unknown> | undefined
    if (form !== undefined && form.applyDefaults !== undefined && typeof form.applyDefaults !== 'boolean') return false
  }
  if (experimental !== undefined && !jsonObjectMap(experimental)) return false
  if (extensions !== undefined && !jsonObjectMap(extensions)) return false
  return true
}

/** Client info as the SDK's ImplementationSchema surely accepts it: string members only, no icons. */
function plainClientInfo (info: unknown): boolean {
  if (!isPlainObject(info) || ownProto(info) || typeof info.name !== 'string' || typeof info.version !== 'string') return false
  for (const [k, v] of Object.entries(info)) if (!CLIENT_INFO_MEMBERS.has(k) || typeof v !== 'string') return false
  return true
}

/**
 * A 2026-07-28 `_meta` envelope the SDK's RequestMetaEnvelopeSchema certainly accepts: the
 * version, client capabilities (required), client info, log level and progress token in their
 * plainest valid shapes. False means "not sure", never "invalid": the SDK's own classification
 * then decides (a valid but unusual envelope, e.g. client icons, still takes the fast path after it).
 */
export function plainEnvelope (meta: Record<string, unknown>): boolean {
  if (meta[ENVELOPE_KEY] !== MODERN_VERSION || ownProto(meta)) return false
  if (!plainCapabilities(meta[CLIENT_CAPABILITIES_KEY])) return false
  const info = meta[CLIENT_INFO_KEY]
  if (info !== undefined && !plainClientInfo(info)) return false
  const level = meta[LOG_LEVEL_KEY]
  if (level !== undefined && !(typeof level === 'string' && LOG_LEVELS.has(level))) return false
  const token = meta.progressToken
  return token === undefined || typeof token === 'string' || (Number.isSafeInteger(token) && Math.abs(token as number) <= 2 ** 31)
}

function header (h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name]
  return typeof v === 'string' ? v : undefined
}

/**
 * THE 2026-07-28 fast-path gate: a single tools/list, server/discover, or tools/call of a tool in
 * the view that createMcpHandler would hand to our handler (or its fixed discover answer) untouched — the envelope claims exactly 2026-07-28
 * and is valid (`envelopeChecked`: the SDK's classification has already said so), the
 * MCP-Protocol-Version, Mcp-Method and Mcp-Name headers repeat the body exactly, no
 * multi-round-trip material (requestState, inputResponses) and no params the SDK would strip,
 * and no confirmation question to ask: a tool that asks for confirmation is left to the SDK
 * whenever the client declared elicitation. Anything else goes to the SDK.
 */
export function fastModernRequest (m: unknown, headers: IncomingHttpHeaders, view: ToolView, confirm: Confirmer | undefined, envelopeChecked = false): FastRequest | undefined {
  if (!isPlainObject(m) || typeof m.method !== 'string' || !MODERN_PARAMS.has(m.method)) return undefined
  const params = m.params
  if (!isPlainObject(params) || !isPlainObject(params._meta)) return undefined
  const meta = params._meta
  if (meta[ENVELOPE_KEY] !== MODERN_VERSION) return undefined
  if (header(headers, 'mcp-protocol-version') !== MODERN_VERSION || header(headers, 'mcp-method') !== m.method) return undefined
  if (!PLAIN_JSON.test(header(headers, 'content-type') ?? '')) return undefined
  const host = header(headers, 'host')
  if (host !== undefined && !buildableHost(host)) return undefined
  if (checkRequest(m) !== undefined) return undefined
  const allowed = MODERN_PARAMS.get(m.method)!
  for (const k of Object.keys(params)) if (!allowed.has(k)) return undefined
  if (!envelopeChecked && !plainEnvelope(meta)) return undefined
  const envelope: ModernEnvelope = {}
  for (const k of RESERVED_KEYS) if (k in meta) envelope[k] = meta[k]
  const id = m.id as Id
  if (m.method === 'tools/list') return { method: 'tools/list', id, modern: envelope }
  if (m.method === 'server/discover') return { method: 'server/discover', id, modern: envelope }
  const name = params.name as string
  if (header(headers, 'mcp-name') !== name) return undefined
  const tool = view.tools.get(name)
  if (!tool) return undefined
  const args = params.arguments as Record<string, unknown> | undefined
  // The SDK hands its handler a zod copy of the arguments, in which an own "__proto__" is lost.
  if (args !== undefined && ownProto(args)) return undefined
  if (confirm?.asks(tool) && isPlainObject(envelope[CLIENT_CAPABILITIES_KEY]) && 'elicitation' in envelope[CLIENT_CAPABILITIES_KEY]) return undefined
  return { method: 'tools/call', id, tool, args, modern: envelope }
}
