// What the MCP route lets through, decided in one place: the strict JSON-RPC request envelope
// (mirroring the SDK's JSONRPCRequestSchema, whose failures its long-lived Server drops without
// answering), the params of the two methods this server serves, and the one predicate that sends
// a request down the HTTP fast path instead of the SDK.
import type { RegisteredTool, ToolView } from './registry.js'

export type Id = string | number

/** A request the route answers itself with a JSON-RPC error. */
export interface Refusal {
  /** HTTP status when the refusal is the whole answer (a batch is answered 200 with each one inside). */
  status: number
  code: number
  message: string
}

/** A request the fast path takes: a well-formed 2025-era tools/list, or tools/call of a tool in the view. */
export type FastRequest =
  | { method: 'tools/list', id: Id }
  | { method: 'tools/call', id: Id, tool: RegisteredTool, args: Record<string, unknown> | undefined }

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

/**
 * THE fast-path gate: a single 2025-era tools/list, or tools/call of a tool in the view, that the
 * SDK would serve without any of its own protocol answers — strictly well-formed, no
 * per-request envelope claim, no 2026-era version header. Anything else goes to the SDK (after
 * the route's own envelope check). test/mcp/fast-path.ts checks that whatever passes here
 * is what classifyInboundRequest calls legacy, and that the answers equal the SDK's.
 */
export function fastRequest (m: unknown, versionHeader: string | undefined, view: ToolView): FastRequest | undefined {
  if (!isPlainObject(m) || (m.method !== 'tools/call' && m.method !== 'tools/list')) return undefined
  if (versionHeader !== undefined && versionHeader >= MODERN_VERSION) return undefined
  if (checkRequest(m) !== undefined) return undefined
  const params = m.params as Record<string, unknown> | undefined
  const allowed = m.method === 'tools/call' ? CALL_PARAMS : LIST_PARAMS
  if (params !== undefined) {
    for (const k of Object.keys(params)) if (!allowed.has(k)) return undefined
    if (isPlainObject(params._meta) && ENVELOPE_KEY in params._meta) return undefined
  }
  const id = m.id as Id
  if (m.method === 'tools/list') return { method: 'tools/list', id }
  const tool = view.tools.get(params!.name as string)
  return tool ? { method: 'tools/call', id, tool, args: params!.arguments as Record<string, unknown> | undefined } : undefined
}
