// The HTTP fast path for the two requests that make up nearly all traffic, tools/call and
// tools/list, in both protocol eras. It answers exactly what the SDK answers (the same
// handlers over the same registry; test/mcp/fast-path.ts and test/mcp/modern.ts compare the two
// answer by answer) without the SDK's per-request work — zod parsing of the request and result,
// context and abort plumbing, and in the 2026-07-28 era a Server, a transport and a web Request
// per request — which measured at roughly half of a call's CPU time (README, Performance).
// Which requests take it is decided by one gate per era, in gate.ts; this module only runs them.
import type { ServerContext } from '@modelcontextprotocol/server'
import type { ApiClient } from '../api/client.js'
import { madeJson, resultJson, type AuthChallenge, type CallOutcome, type ToolResult } from './call.js'
import type { FastRequest, Id, ModernEnvelope } from './gate.js'
import type { ToolView } from './registry.js'
import { INSTRUCTIONS, LIST_TTL_MS, SERVER_CAPABILITIES, SERVER_INFO, runTool, type CallScope } from './scope.js'
import { LEGACY_PROTOCOL_VERSIONS, SERVED_VERSIONS, SERVER_INFO_META_KEY } from './versions.js'

/** A JSON-RPC answer, serialised, and whether the call behind it was refused for its OAuth token. */
export interface Answer {
  json: string
  auth?: AuthChallenge
}

function response (id: Id, result: string): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${result}}`
}

/**
 * Answers a request the gate let through. `cancelled` is the answer used when `signal` aborts
 * first (the client left, or the request deadline passed).
 */
export function fastAnswer (api: ApiClient, req: FastRequest, scope: CallScope, signal: AbortSignal, cancelled: () => string): Promise<Answer> {
  if (req.method === 'tools/list') return Promise.resolve({ json: response(req.id, req.modern ? modernListJson(scope) : scope.view.listJson) })
  if (req.method === 'initialize') return Promise.resolve({ json: response(req.id, initializeJson(req.protocolVersion)) })
  if (req.method === 'ping') return Promise.resolve({ json: response(req.id, '{}') })
  if (req.method === 'server/discover') return Promise.resolve({ json: response(req.id, discoverJson(scope)) })
  if (signal.aborted) return Promise.resolve({ json: cancelled() })
  const { id, tool, args, modern } = req
  return new Promise<Answer>((resolve) => {
    const onAbort = () => resolve({ json: cancelled() })
    signal.addEventListener('abort', onAbort, { once: true })
    const call = modern ? modernCall(api, req, modern, scope, signal) : runTool(api, scope, tool, args, signal)
    call.then((outcome) => {
      signal.removeEventListener('abort', onAbort)
      if (signal.aborted) resolve({ json: cancelled() })
      else resolve({ json: response(id, modern ? modernResultJson(outcome.result) : resultJson(outcome.result)), ...(outcome.kind === 'auth' ? { auth: outcome.challenge } : {}) })
    }, (err: unknown) => {
      // callTool turns every failure into a tool result; this is a bug, answered as the SDK would.
      signal.removeEventListener('abort', onAbort)
      scope.log.error({ err, tool: tool.def.name }, 'tool call failed')
      resolve({ json: modern ? thrownError(id, err) : `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":{"code":-32603,"message":"Internal error"}}` })
    })
  })
}

// ---- 2025-era initialize ---------------------------------------------------------------------

const INITIALIZE_JSON = new Map<string, string>()

/**
 * The SDK Server's initialize answer (its _oninitialize) for this server: the version asked for
 * when it is a 2025-era version the SDK serves, else the newest of them; then the server's
 * capabilities, identity and instructions. Nothing else of the request counts over HTTP (the
 * client's capabilities matter only where the server can push requests: stdio).
 */
function initializeJson (requested: string): string {
  const protocolVersion = LEGACY_PROTOCOL_VERSIONS.includes(requested) ? requested : LEGACY_PROTOCOL_VERSIONS[0]
  let json = INITIALIZE_JSON.get(protocolVersion)
  if (json === undefined) INITIALIZE_JSON.set(protocolVersion, json = JSON.stringify({ protocolVersion, capabilities: SERVER_CAPABILITIES, serverInfo: SERVER_INFO, instructions: INSTRUCTIONS }))
  return json
}

// ---- 2026-07-28 -----------------------------------------------------------------------------

/**
 * What the SDK's tools/call handler (createMcpServer in server.ts) does for a call the modern
 * gate let through: the confirmation gate, which cannot ask this client anything (the gate
 * leaves to the SDK every asking tool whose client declared elicitation, and every call that
 * echoes a request state) and so runs the tool or refuses it; then the tool.
 */
async function modernCall (api: ApiClient, req: Extract<FastRequest, { method: 'tools/call' }>, envelope: ModernEnvelope, scope: CallScope, signal: AbortSignal): Promise<CallOutcome> {
  const { tool, args } = req
  const gate = scope.confirm
    ? await scope.confirm.gate({
      tool,
      rawArgs: args,
      credentials: scope.credentials,
      api,
      log: scope.log,
      // The members of the SDK's handler context the gate reads, as the SDK fills them for a
      // request without multi-round-trip material.
      ctx: { mcpReq: { envelope, requestState: () => undefined, inputResponses: undefined, signal } } as unknown as ServerContext,
      outputSchemaListed: scope.view.listsOutputSchema(tool.def.name)
    })
    : undefined
  if (gate?.kind === 'answer') {
    // As in the SDK's handler: a decision of the gate (a refusal) is an audit line; a question is not.
    const result = gate.result as ToolResult
    return { kind: 'result', result: scope.audit ? scope.audit.answered(tool, args, scope, result) : result }
  }
  const outcome = await runTool(api, scope, tool, args, signal, true)
  // The route reads the call's outcome (an OAuth challenge) whatever `after` makes of its result.
  return gate?.kind === 'run' && gate.after ? { ...outcome, result: await gate.after(outcome.result) as ToolResult } : outcome
}

/** Result members that keep a contentless tools/call result from gaining `content: []` (the SDK's normalisation). */
const FOREIGN_FAMILY_KEYS = ['task', 'inputRequests', 'requestState']

/**
 * A tools/call result as the SDK's 2026-07-28 encoder sends it: `content` defaulted, the
 * `resultType` discriminator stamped, and the server's identity in `_meta`.
 */
export function modernResult (result: ToolResult): Record<string, unknown> {
  let r = result as Record<string, unknown>
  if (r.content === undefined && !FOREIGN_FAMILY_KEYS.some((k) => k in r)) r = { ...r, content: [] }
  return stampIdentity(r.resultType === undefined ? { ...r, resultType: 'complete' } : r)
}

/** What modernResult adds to a result that has `content` and no `resultType` or `_meta`, as JSON. */
const MODERN_TAIL = `,"resultType":"complete","_meta":${JSON.stringify({ [SERVER_INFO_META_KEY]: SERVER_INFO })}}`

/** JSON.stringify(modernResult(result)), without serialising the data again when toResult made the result. */
export function modernResultJson (result: ToolResult): string {
  const made = madeJson(result)
  return made === undefined ? JSON.stringify(modernResult(result)) : made.slice(0, -1) + MODERN_TAIL
}

function stampIdentity (r: Record<string, unknown>): Record<string, unknown> {
  const meta = r._meta
  if (meta === undefined) return { ...r, _meta: { [SERVER_INFO_META_KEY]: SERVER_INFO } }
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta) || (meta as Record<string, unknown>)[SERVER_INFO_META_KEY] !== undefined) return r
  return { ...r, _meta: { ...meta, [SERVER_INFO_META_KEY]: SERVER_INFO } }
}

/** tools/list for a view, per cache scope: serialised once and reused (views are cached by the registry). */
const LIST_JSON = new WeakMap<ToolView, { public?: string, private?: string }>()

/**
 * The 2026-07-28 tools/list result: the list, `resultType`, the cache fields the SDK fills from
 * the server's cache hint (a list narrowed by request headers is this client's own: private),
 * and the server's identity.
 */
export function modernListJson (scope: CallScope): string {
  const cacheScope = scope.narrowed ? 'private' : 'public'
  let byScope = LIST_JSON.get(scope.view)
  if (!byScope) LIST_JSON.set(scope.view, byScope = {})
  byScope[cacheScope] ??= JSON.stringify(stampIdentity({ ...scope.view.listResult, resultType: 'complete', ttlMs: LIST_TTL_MS, cacheScope }))
  return byScope[cacheScope]
}

/**
 * The 2026-07-28 server/discover result as the SDK's Server answers it (its _ondiscover, which
 * server.ts widens to every served version), with the cache fields of the server's cache hint and
 * the server's identity. Cached per cache scope, like tools/list.
 */
const DISCOVER_JSON: { public?: string, private?: string } = {}
export function discoverJson (scope: CallScope): string {
  const cacheScope = scope.narrowed ? 'private' : 'public'
  DISCOVER_JSON[cacheScope] ??= JSON.stringify(stampIdentity({ supportedVersions: SERVED_VERSIONS, capabilities: SERVER_CAPABILITIES, instructions: INSTRUCTIONS, resultType: 'complete', ttlMs: LIST_TTL_MS, cacheScope }))
  return DISCOVER_JSON[cacheScope]
}

/** A handler failure as the SDK's protocol layer answers it (its code when it has one, its message). */
function thrownError (id: Id, err: unknown): string {
  const e = (err ?? {}) as { code?: unknown, message?: unknown, data?: unknown }
  const thrown = Number.isSafeInteger(e.code) ? e.code as number : -32603
  const code = thrown === -32002 ? -32602 : thrown
  const message = e.message ?? 'Internal error'
  return JSON.stringify({ jsonrpc: '2.0', id, error: e.data === undefined ? { code, message } : { code, message, data: e.data } })
}
