// The MCP endpoint: POST /mcp (JSON-RPC over Streamable HTTP, stateless), GET/DELETE → 405.
// 2025-era requests go to one long-lived SDK Server through the multiplexing transport, requests
// carrying the 2026-07-28 per-request envelope to the SDK's createMcpHandler; well-formed
// tools/call and tools/list of either era, 2025-era initialize, ping and notifications, and
// 2026-07-28 server/discover take the fast path instead (src/mcp/gate.ts decides,
// src/mcp/fast-path.ts answers). The SDK side (the SDK itself, that Server, the 2026 entry) is
// loaded on the first request the fast path does not take, before that request's deadline
// starts, or at start when the fast path is off; a server the fast path answers never loads it. Every request is answered at once: what the SDK would drop
// unanswered, the route refuses itself with the request's id. Calls report what happened
// (CallOutcome) and the route decides the HTTP answer, e.g. an OAuth challenge for a single call.
// @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { JSONRPCRequest } from '@modelcontextprotocol/server'
import type { ApiClient } from '../src/api/client.js'
import type { AuthChallenge } from '../src/mcp/call.js'
import type { CallScope, OutcomeHolder } from '../src/mcp/scope.js'
import { LEGACY_PROTOCOL_VERSIONS, SERVED_VERSIONS } from '../src/mcp/versions.js'
import type { ModernHandler } from '../src/mcp/modern.js'
import type { MultiplexTransport } from '../src/mcp/multiplex.js'
import { fastAnswer, type Answer } from '../src/mcp/fast-path.js'
import { checkRequest, checkParams, errorJson, fastModernRequest, fastNotification, fastRequest, isPlainObject, readId, ENVELOPE_KEY, INVALID_REQUEST, MODERN_VERSION, type FastRequest, type Id } from '../src/mcp/gate.js'
import type { ToolRegistry, ViewFilter } from '../src/mcp/registry.js'
import { TOOLSETS, type Toolset } from '../tools/define.js'
import { commaList, parseBoolean } from '../src/config.js'
import { headerValue } from '../src/header.js'
import { originGuard } from './origin-guard.js'
import type { Confirmer } from '../src/confirm/gate.js'
import type { Guards } from '../src/guard/guards.js'
import type { AuditTrail } from '../src/audit.js'
import type { RequestInfo, Telemetry } from '../src/telemetry/telemetry.js'
import { jsonAnswerError, observe, responseError, withOperation } from '../src/telemetry/mcp.js'

export interface McpRouteOptions {
  /** Path of the endpoint within the product's prefix (default `/mcp`). */
  path: string
  api: ApiClient
  /** The tool registry, built once where the app is assembled. */
  registry: ToolRegistry
  /** What the server exposes; request headers may narrow it, never widen it. */
  filter: ViewFilter
  bodyLimit: number
  requestTimeoutMs: number
  allowedHosts: readonly string[]
  allowedOrigins: readonly string[]
  /** Serve well-formed tools/call and tools/list (both eras) without the SDK (default true; README, Architecture). */
  fastPath?: boolean
  /** Asks a person before tools that cannot be undone (src/confirm); absent: never asks. */
  confirm?: Confirmer
  /** Send guards shared by every request (idempotency keys, duplicate guard, send policy). */
  guards?: Guards
  /** The audit trail of irreversible actions; absent: off. */
  audit?: AuditTrail
  /** Spans and metrics of each MCP request (src/telemetry); absent when telemetry is off. */
  telemetry?: Telemetry
}

const PARSE_FAILED = Symbol('parse-failed')
const LEGACY_VERSIONS = new Set<string>(LEGACY_PROTOCOL_VERSIONS)
const UNSUPPORTED_VERSION = -32022

function rpcError (reply: FastifyReply, status: number, code: number, message: string, id: Id | null = null, data?: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(errorJson(id, code, message, data))
}

const CHALLENGES = {
  invalid_token: { status: 401, error: 'invalid_token', description: 'The access token was rejected by Pilot Status; log in again' },
  insufficient_scope: { status: 403, error: 'insufficient_scope', description: 'The access token lacks the scope this tool needs; log in again and consent to it' }
} as const

const mcpRoute: FastifyPluginAsync<McpRouteOptions> = async (app, opts) => {
  const { registry, api, telemetry: tel } = opts
  const fastPathOn = opts.fastPath ?? true
  // The SDK side of the route, loaded on the first request the fast path does not take (or at
  // start when the fast path is off: then every request needs it). A server whose traffic the
  // fast path answers never loads the SDK (~20 MB of RSS; src/mcp/versions.ts).
  let sdkSide: Promise<SdkSide> | undefined
  const sdk = () => (sdkSide ??= startSdkSide(api))
  if (!fastPathOn) await sdk()

  app.addHook('onClose', async () => {
    if (sdkSide === undefined) return
    const s = await sdkSide
    await s.modern.close()
    await s.server.close()
  })

  // Our own JSON parser, scoped to this plugin: malformed JSON must become a JSON-RPC parse error.
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: opts.bodyLimit }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string))
    } catch {
      done(null, PARSE_FAILED)
    }
  })

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return rpcError(reply, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json')
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return rpcError(reply, 413, -32000, `Payload Too Large: the body limit is ${opts.bodyLimit} bytes`)
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return rpcError(reply, 400, -32700, 'Parse error: empty body')
    if (err.statusCode && err.statusCode < 500) return rpcError(reply, err.statusCode, INVALID_REQUEST, `Invalid Request: ${err.message}`)
    req.log.error({ err }, 'MCP request failed')
    return rpcError(reply, 500, -32603, 'Internal error')
  })

  const guard = originGuard(opts, (reply, message) => rpcError(reply, 403, -32000, message))

  const notAllowed = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply.header('allow', 'POST')
    return rpcError(reply, 405, -32000, 'Method not allowed: this server is stateless; use POST')
  }
  app.get(opts.path, { onRequest: guard }, notAllowed)
  app.delete(opts.path, { onRequest: guard }, notAllowed)

  /** The answer to a single call refused for its OAuth token: an HTTP challenge makes the client log in again. */
  const challenge = (reply: FastifyReply, kind: AuthChallenge, id: Id | null) => app.mcpChallenge(reply, { ...CHALLENGES[kind], id })

  app.post(opts.path, {
    onRequest: [guard, app.mcpAuthenticate],
    bodyLimit: opts.bodyLimit
  }, async (req, reply) => {
    // Fastify parses text/plain by itself; only JSON is MCP.
    if (!/^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''))) {
      return rpcError(reply, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json')
    }
    const accept = String(req.headers.accept ?? '')
    if (!(accept.includes('*/*') || (accept.includes('application/json') && accept.includes('text/event-stream')))) {
      return rpcError(reply, 406, -32000, 'Not Acceptable: Accept must list application/json and text/event-stream')
    }
    const body = req.body
    if (body === PARSE_FAILED) return rpcError(reply, 400, -32700, 'Parse error: the body is not valid JSON')
    const id = readId(body)
    const filter = narrow(opts.filter, req, registry)
    if (typeof filter === 'string') return rpcError(reply, 400, INVALID_REQUEST, filter, id)
    const versionHeader = headerValue(req.headers['mcp-protocol-version'])

    const scope: CallScope = { credentials: req.mcpCredentials!, view: registry.view(filter), log: req.log, narrowed: filter !== opts.filter, confirm: opts.confirm, guards: opts.guards, audit: opts.audit }

    const fast = fastPathOn ? fastRequest(body, versionHeader, scope.view) ?? fastModernRequest(body, req.headers, scope.view, opts.confirm) : undefined
    // A plain 2025-era notification (notifications/initialized after initialize) is acknowledged
    // below as the legacy path does, without the SDK.
    const notification = fastPathOn && fast === undefined && fastNotification(body, versionHeader)
    // Anything else the fast path does not take may need the SDK: loaded (once per process) before
    // the request's deadline starts, so a short deadline does not expire while the SDK loads.
    const side = fast || notification ? undefined : await sdk()

    // Abort the upstream work when the client goes away or the request overruns its deadline.
    const ac = new AbortController()
    const onClose = () => { if (!reply.raw.writableFinished) ac.abort() }
    reply.raw.on('close', onClose)
    const timer = setTimeout(() => ac.abort(), opts.requestTimeoutMs)
    const cancelled = (rid: Id | null) => errorJson(rid, -32001, ac.signal.aborted ? `Request cancelled or timed out (limit ${opts.requestTimeoutMs} ms)` : 'Request cancelled')
    const info = (message: unknown): RequestInfo => ({ message, transport: 'tcp', protocolVersion: versionHeader, headers: req.headers })
    // A 2026-07-28 answer's content type is the SDK's (Response.json: no charset parameter, which
    // Fastify adds to a string); a Buffer is sent as it is.
    const modernJson = (json: string) => reply.code(200).header('content-type', 'application/json').send(Buffer.from(json))
    /** Answers a request a fast-path gate let through (either era). */
    const sendFast = async (f: FastRequest) => {
      const answer = await observe(tel, info(body), (op) => fastAnswer(api, f, withOperation(scope, op), ac.signal, () => cancelled(f.id)), jsonAnswerError)
      if (answer.auth) return challenge(reply, answer.auth, f.id)
      return f.modern ? modernJson(answer.json) : reply.code(200).header('content-type', 'application/json').send(answer.json)
    }
    try {
      if (fast?.modern) return await sendFast(fast)
      // A 2025-era batch is served message by message (each malformed one gets its own error);
      // the SDK's classification would refuse the whole batch for one bad message.
      const route = fast || notification || legacyBatch(body, versionHeader)
        ? { kind: 'legacy' as const }
        : side!.classifyInboundRequest({
          httpMethod: 'POST',
          protocolVersionHeader: versionHeader,
          mcpMethodHeader: headerValue(req.headers['mcp-method']),
          mcpNameHeader: headerValue(req.headers['mcp-name']),
          body
        })
      if (route.kind === 'reject') return rpcError(reply, route.httpStatus, route.code, route.message, id, route.data)

      if (route.kind === 'modern') {
        if (route.messageKind === 'request') {
          const msg = route.message
          const requested = (msg.params?._meta as Record<string, unknown> | undefined)?.[ENVELOPE_KEY]
          if (requested !== MODERN_VERSION) {
            return rpcError(reply, 400, UNSUPPORTED_VERSION, `Unsupported protocol version: ${String(requested)}; supported: ${SERVED_VERSIONS.join(', ')}`, msg.id, { supported: SERVED_VERSIONS, requested })
          }
          const refusal = checkParams(msg.method, msg.params as Record<string, unknown> | undefined)
          if (refusal) return rpcError(reply, 400, refusal.code, refusal.message, msg.id)
          // An envelope the fast-path gate was not sure of, now validated by the SDK's classification.
          const late = fastPathOn ? fastModernRequest(msg, req.headers, scope.view, opts.confirm, true) : undefined
          if (late) return await sendFast(late)
        }
        const holder: OutcomeHolder = {}
        const res = await observe(tel, info(body), (op) => side!.modern.fetch(toWebRequest(req, ac.signal), { parsedBody: body, authInfo: side!.scopeAuthInfo(withOperation(scope, op), holder) }), responseError)
        if (holder.outcome?.kind === 'auth') return challenge(reply, holder.outcome.challenge, id)
        // The SDK answers an exchange cut short with an empty 499; at the deadline the client is
        // still there and gets the same answer as in the 2025 era.
        if (res.status === 499 && ac.signal.aborted) return modernJson(cancelled(id))
        return reply.send(res)
      }

      if (versionHeader !== undefined && !LEGACY_VERSIONS.has(versionHeader)) {
        return rpcError(reply, 400, -32000, `Bad Request: unsupported MCP-Protocol-Version ${versionHeader}; supported: ${SERVED_VERSIONS.join(', ')}`, id, { supported: SERVED_VERSIONS, requested: versionHeader })
      }
      if (fast) return await sendFast(fast)
      const ctx: LegacyContext = { sdk: side, api, scope, signal: ac.signal, cancelled, fastPath: fastPathOn, versionHeader }
      if (Array.isArray(body) && body.length === 0) return rpcError(reply, 400, INVALID_REQUEST, 'Invalid Request: empty batch')
      const messages = Array.isArray(body) ? body : [body]
      const answers = (await Promise.all(messages.map((m) => observe(tel, info(m), (op) => serveMessage(op ? { ...ctx, scope: withOperation(scope, op) } : ctx, m), jsonAnswerError)))).filter((a): a is Served => a !== undefined)
      if (answers.length === 0) return reply.code(202).send()
      if (!Array.isArray(body)) {
        const [a] = answers
        if (a.auth) return challenge(reply, a.auth, id)
        return reply.code(a.status ?? 200).header('content-type', 'application/json').send(a.json)
      }
      // In a batch, a call refused for its token must not hide the calls that ran: the challenge
      // is the answer only when nothing else was answered; otherwise each refusal is a tool
      // error naming the need to log in again.
      if (answers.every((a) => a.auth)) return challenge(reply, answers.some((a) => a.auth === 'invalid_token') ? 'invalid_token' : 'insufficient_scope', null)
      return reply.code(200).header('content-type', 'application/json').send(`[${answers.map((a) => a.json).join(',')}]`)
    } finally {
      clearTimeout(timer)
      reply.raw.off('close', onClose)
    }
  })
}

/** What the route uses of the SDK: its classification of a request, the long-lived 2025-era Server behind the multiplexing transport, and the 2026-07-28 entry. */
interface SdkSide {
  classifyInboundRequest: typeof import('@modelcontextprotocol/server').classifyInboundRequest
  scopeAuthInfo: typeof import('../src/mcp/scope.js').scopeAuthInfo
  server: { close(): Promise<void> }
  mux: MultiplexTransport
  modern: ModernHandler
}

async function startSdkSide (api: ApiClient): Promise<SdkSide> {
  const [{ classifyInboundRequest }, { AjvJsonSchemaValidator }, { createMcpServer }, { scopeAuthInfo }, { modernHandler }, { MultiplexTransport }] = await Promise.all([
    import('@modelcontextprotocol/server'),
    import('@modelcontextprotocol/server/validators/ajv'),
    import('../src/mcp/server.js'),
    import('../src/mcp/scope.js'),
    import('../src/mcp/modern.js'),
    import('../src/mcp/multiplex.js')
  ])
  const validator = new AjvJsonSchemaValidator()
  const server = createMcpServer({ api, validator })
  const mux = new MultiplexTransport()
  await server.connect(mux)
  // The SDK's 2026-07-28 entry, created on first use (src/mcp/modern.ts says why).
  return { classifyInboundRequest, scopeAuthInfo, server, mux, modern: modernHandler(api, validator) }
}

interface LegacyContext {
  /** Absent only when the request is a plain notification (nothing in it reaches the SDK). */
  sdk: SdkSide | undefined
  api: ApiClient
  scope: CallScope
  signal: AbortSignal
  cancelled: (id: Id) => string
  fastPath: boolean
  versionHeader: string | undefined
}

/** An answer, and the HTTP status it has when it is the whole answer (refusals of malformed requests are 400). */
type Served = Answer & { status?: number }

/**
 * Serves one 2025-era message (alone or in a batch): a request is answered — refused by the
 * route when malformed, by the fast path when the gate lets it, else by the SDK Server;
 * notifications and responses are acknowledged (undefined).
 */
async function serveMessage (c: LegacyContext, m: unknown): Promise<Served | undefined> {
  if (!isPlainObject(m)) return { json: errorJson(null, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message'), status: 400 }
  const id = readId(m)
  if (!('method' in m)) {
    // A response posted back (2025-era session traffic): nothing to answer, if it is one.
    if (m.jsonrpc === '2.0' && 'id' in m && ('result' in m || 'error' in m)) return undefined
    return { json: errorJson(id, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message'), status: 400 }
  }
  if (!('id' in m)) {
    if (m.jsonrpc === '2.0' && typeof m.method === 'string') return undefined
    return { json: errorJson(null, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message'), status: 400 }
  }
  const refusal = checkRequest(m)
  if (refusal) return { json: errorJson(id, refusal.code, refusal.message), status: refusal.status }
  const rid = m.id as Id
  const fast = c.fastPath ? fastRequest(m, c.versionHeader, c.scope.view) : undefined
  if (fast) return await fastAnswer(c.api, fast, c.scope, c.signal, () => c.cancelled(rid))
  const holder: OutcomeHolder = {}
  const res = await c.sdk!.mux.request(m as unknown as JSONRPCRequest, c.sdk!.scopeAuthInfo(c.scope, holder), c.signal)
  if (!res) return { json: c.cancelled(rid) }
  return { json: JSON.stringify(res), ...(holder.outcome?.kind === 'auth' ? { auth: holder.outcome.challenge } : {}) }
}

/** A batch with no 2026-era claim in it (that revision has no batches: those go to the SDK to refuse). */
function legacyBatch (body: unknown, versionHeader: string | undefined): boolean {
  if (!Array.isArray(body) || (versionHeader !== undefined && versionHeader >= MODERN_VERSION)) return false
  return !body.some((m) => isPlainObject(m) && isPlainObject(m.params) && isPlainObject(m.params._meta) && ENVELOPE_KEY in m.params._meta)
}

const BOOLEAN_SPELLINGS = 'true/1/yes/on or false/0/no/off'

/**
 * Request headers may narrow the exposed tools (x-mcp-toolsets, x-mcp-tools, x-mcp-readonly),
 * never widen them. An invalid value is refused (a string naming the header and the valid
 * values): guessing would fail open, e.g. read-only off for a value the server does not know.
 */
function narrow (base: ViewFilter, req: FastifyRequest, registry: ToolRegistry): ViewFilter | string {
  const tsHeader = headerValue(req.headers['x-mcp-toolsets'])
  const toolsHeader = headerValue(req.headers['x-mcp-tools'])
  const roHeader = headerValue(req.headers['x-mcp-readonly'])
  if (tsHeader === undefined && toolsHeader === undefined && roHeader === undefined) return base
  let toolsets = base.toolsets
  if (tsHeader !== undefined) {
    const names = commaList(tsHeader)
    const valid = TOOLSETS as readonly string[]
    const unknown = names.filter((s) => !valid.includes(s))
    if (names.length === 0 || unknown.length) return `Invalid x-mcp-toolsets header: ${names.length ? `unknown toolset ${unknown.join(', ')}` : 'no toolset named'}; valid toolsets: ${TOOLSETS.join(', ')}`
    toolsets = (names as Toolset[]).filter((s) => !base.toolsets || base.toolsets.includes(s))
  }
  let tools = base.tools
  if (toolsHeader !== undefined) {
    const names = commaList(toolsHeader)
    const unknown = names.filter((n) => !registry.all.has(n))
    if (names.length === 0 || unknown.length) return `Invalid x-mcp-tools header: ${names.length ? `unknown tool ${unknown.join(', ')}` : 'no tool named'}; valid tools: ${[...registry.all.keys()].join(', ')}`
    tools = names.filter((n) => !base.tools || base.tools.includes(n))
  }
  let readOnly = base.readOnly
  if (roHeader !== undefined) {
    const ro = parseBoolean(roHeader)
    if (ro === undefined) return `Invalid x-mcp-readonly header: ${JSON.stringify(roHeader)} is not a boolean; valid: ${BOOLEAN_SPELLINGS}`
    readOnly = base.readOnly || ro
  }
  return { toolsets, tools, readOnly, outputSchemas: base.outputSchemas }
}

function toWebRequest (req: FastifyRequest, signal: AbortSignal): Request {
  const headers = new Headers()
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue
    if (Array.isArray(v)) for (const x of v) headers.append(k, x)
    else headers.set(k, v)
  }
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, { method: 'POST', headers, signal })
}

export default mcpRoute
