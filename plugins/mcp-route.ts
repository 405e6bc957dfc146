// The MCP endpoint: POST /mcp (JSON-RPC over Streamable HTTP, stateless), GET/DELETE → 405.
// 2025-era requests go to one long-lived SDK Server through the multiplexing transport; requests
// carrying the 2026-07-28 per-request envelope go to the SDK's createMcpHandler. Both serve the
// same registry, built once when the app is ready.
// @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import {
  classifyInboundRequest, createMcpHandler, SUPPORTED_PROTOCOL_VERSIONS,
  type AuthInfo, type JSONRPCRequest
} from '@modelcontextprotocol/server'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv'
import type { ApiClient } from '../src/api/client.js'
import type { ApiError } from '../src/api/errors.js'
import { createMcpServer, scopeAuthInfo, type CallScope } from '../src/mcp/server.js'
import { MultiplexTransport } from '../src/mcp/multiplex.js'
import { fastAnswer, isPlainObject } from '../src/mcp/fast-path.js'
import { ToolRegistry, type ViewFilter } from '../src/mcp/registry.js'
import { TOOLSETS, type Toolset } from '../tools/define.js'
import { originGuard } from './origin-guard.js'
import type { Guards } from '../src/guard/guards.js'

export interface McpRouteOptions {
  /** Path of the endpoint within the product's prefix (default `/mcp`). */
  path: string
  api: ApiClient
  /** What the server exposes; request headers may narrow it, never widen it. */
  filter: ViewFilter
  bodyLimit: number
  requestTimeoutMs: number
  allowedHosts: readonly string[]
  allowedOrigins: readonly string[]
  /** Send guards shared by every request (idempotency keys, duplicate guard, send policy). */
  guards?: Guards
}

const PARSE_FAILED = Symbol('parse-failed')
const SUPPORTED = new Set<string>(SUPPORTED_PROTOCOL_VERSIONS)

function rpcError (reply: FastifyReply, status: number, code: number, message: string, id: JSONRPCRequest['id'] | null = null): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send({ jsonrpc: '2.0', id, error: { code, message } })
}

const mcpRoute: FastifyPluginAsync<McpRouteOptions> = async (app, opts) => {
  const validator = new AjvJsonSchemaValidator()
  let registry: ToolRegistry | undefined
  const server = createMcpServer({ api: opts.api, validator })
  const mux = new MultiplexTransport()
  await server.connect(mux)
  // The 2026-07-28 path: a Server per request is what this entry requires; it is cheap because
  // the registry and validator are shared (~7 µs an instance, stack-notes.md).
  const modern = createMcpHandler(() => createMcpServer({ api: opts.api, validator }), { legacy: 'reject' })

  app.addHook('onReady', async () => {
    registry = new ToolRegistry(app.mcpToolDefs)
    const unknown = (opts.filter.tools ?? []).filter((n) => !registry!.all.has(n))
    if (unknown.length) throw new Error(`Unknown tools in the allow-list: ${unknown.join(', ')}; valid: ${[...registry.all.keys()].join(', ')}`)
  })
  app.addHook('onClose', async () => {
    await modern.close()
    await server.close()
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
    if (err.statusCode && err.statusCode < 500) return rpcError(reply, err.statusCode, -32600, `Invalid Request: ${err.message}`)
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
    const versionHeader = single(req.headers['mcp-protocol-version'])

    const credentials = req.mcpCredentials!
    let challenge: { kind: 'invalid_token' | 'insufficient_scope', err: ApiError } | undefined
    const scope: CallScope = {
      credentials,
      view: registry!.view(narrow(opts.filter, req)),
      log: req.log,
      onAuthRejected: (kind, err) => { challenge ??= { kind, err } },
      guards: opts.guards
    }
    const authInfo = scopeAuthInfo(scope)

    // Abort the upstream work when the client goes away or the request overruns its deadline.
    const ac = new AbortController()
    const onClose = () => { if (!reply.raw.writableFinished) ac.abort() }
    reply.raw.on('close', onClose)
    const timer = setTimeout(() => ac.abort(), opts.requestTimeoutMs)
    try {
      const route = plainLegacyToolRequest(body, versionHeader)
        ? LEGACY
        : classifyInboundRequest({
          httpMethod: 'POST',
          protocolVersionHeader: versionHeader,
          mcpMethodHeader: single(req.headers['mcp-method']),
          mcpNameHeader: single(req.headers['mcp-name']),
          body
        })
      let sent: FastifyReply | undefined
      if (route.kind === 'reject') {
        return rpcError(reply, route.httpStatus, route.code, route.message)
      } else if (route.kind === 'modern') {
        const res = await modern.fetch(toWebRequest(req, ac.signal), { parsedBody: body, authInfo })
        if (!challenge) sent = await reply.send(res)
      } else {
        if (versionHeader !== undefined && !SUPPORTED.has(versionHeader)) {
          return rpcError(reply, 400, -32000, `Bad Request: unsupported MCP-Protocol-Version ${versionHeader}; supported: ${[...SUPPORTED].join(', ')}`)
        }
        const out = await serveLegacy({ mux, api: opts.api, scope, authInfo, signal: ac.signal, timeoutMs: opts.requestTimeoutMs }, body)
        if (!challenge) {
          if (out.kind === 'invalid') sent = rpcError(reply, 400, -32600, out.message)
          else if (out.kind === 'accepted') sent = reply.code(202).send()
          else sent = reply.code(200).header('content-type', 'application/json').send(out.json)
        }
      }
      if (challenge) {
        // The upstream refused the OAuth token: an HTTP challenge makes the client log in again.
        return app.mcpChallenge(reply, challenge.kind === 'invalid_token'
          ? { status: 401, error: 'invalid_token', description: 'The access token was rejected by Pilot Status; log in again' }
          : { status: 403, error: 'insufficient_scope', description: 'The access token lacks the scope this tool needs' })
      }
      return sent
    } finally {
      clearTimeout(timer)
      reply.raw.off('close', onClose)
    }
  })
}

type LegacyOutcome =
  | { kind: 'invalid', message: string }
  | { kind: 'accepted' }
  | { kind: 'answer', json: string }

interface LegacyContext {
  mux: MultiplexTransport
  api: ApiClient
  scope: CallScope
  authInfo: AuthInfo
  signal: AbortSignal
  timeoutMs: number
}

/**
 * Serves a 2025-era body: one message or a batch. Notifications and responses are acknowledged.
 * Well-formed tools/call and tools/list take the fast path; the rest goes to the SDK Server.
 */
async function serveLegacy (c: LegacyContext, body: unknown): Promise<LegacyOutcome> {
  const batch = Array.isArray(body)
  const messages = batch ? body : [body]
  if (messages.length === 0) return { kind: 'invalid', message: 'Invalid Request: empty batch' }
  for (const m of messages) {
    if (!isMessage(m)) return { kind: 'invalid', message: 'Invalid Request: not a JSON-RPC 2.0 message' }
  }
  const requests = (messages as Array<Record<string, unknown>>).filter((m) => typeof m.method === 'string' && 'id' in m)
  if (requests.length === 0) return { kind: 'accepted' }
  const answers = await Promise.all(requests.map(async (r) => {
    const cancelled = () => JSON.stringify({ jsonrpc: '2.0', id: r.id, error: { code: -32001, message: c.signal.aborted ? `Request cancelled or timed out (limit ${c.timeoutMs} ms)` : 'Request cancelled' } })
    const fast = fastAnswer(c.api, r, c.scope, c.signal, cancelled)
    if (fast) return await fast
    const res = await c.mux.request(r as unknown as JSONRPCRequest, c.authInfo, c.signal)
    return res ? JSON.stringify(res) : cancelled()
  }))
  return { kind: 'answer', json: batch ? `[${answers.join(',')}]` : answers[0] }
}

const LEGACY = { kind: 'legacy' } as const
const ENVELOPE_KEY = 'io.modelcontextprotocol/protocolVersion'
const FIRST_MODERN_VERSION = '2026-07-28'

/**
 * True for a single tools/call or tools/list request that classifyInboundRequest would call
 * legacy (no per-request envelope claim, no modern version header), decided without its zod
 * parsing. Anything else is classified by the SDK. test/mcp/fast-path.test.ts checks the two agree.
 */
export function plainLegacyToolRequest (body: unknown, versionHeader: string | undefined): boolean {
  if (!isPlainObject(body)) return false
  if ((body.method !== 'tools/call' && body.method !== 'tools/list') || !isMessage(body)) return false
  // The SDK's request ids are strings or integers; anything else is its to refuse.
  if (typeof body.id !== 'string' && !Number.isSafeInteger(body.id)) return false
  if (versionHeader !== undefined && versionHeader.trim() >= FIRST_MODERN_VERSION) return false
  if (body.params === undefined) return true
  if (!isPlainObject(body.params)) return false
  const meta = body.params._meta
  return meta === undefined || (isPlainObject(meta) && !(ENVELOPE_KEY in meta))
}

function isMessage (m: unknown): boolean {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return false
  const o = m as Record<string, unknown>
  if (o.jsonrpc !== '2.0') return false
  if ('method' in o) {
    if (typeof o.method !== 'string') return false
    if ('id' in o && !(typeof o.id === 'string' || (typeof o.id === 'number' && Number.isFinite(o.id)))) return false
    return o.params === undefined || (typeof o.params === 'object' && o.params !== null)
  }
  return 'id' in o && ('result' in o || 'error' in o)
}

/** Request headers may narrow the exposed tools (x-mcp-toolsets, x-mcp-tools, x-mcp-readonly), never widen them. */
function narrow (base: ViewFilter, req: FastifyRequest): ViewFilter {
  const ts = listHeader(req.headers['x-mcp-toolsets'])
  const tools = listHeader(req.headers['x-mcp-tools'])
  const ro = single(req.headers['x-mcp-readonly'])?.toLowerCase()
  if (!ts && !tools && ro === undefined) return base
  const valid = TOOLSETS as readonly string[]
  return {
    toolsets: ts ? (ts.filter((s) => valid.includes(s) && (!base.toolsets || base.toolsets.includes(s as Toolset))) as Toolset[]) : base.toolsets,
    tools: tools ? tools.filter((n) => !base.tools || base.tools.includes(n)) : base.tools,
    readOnly: base.readOnly || ro === 'true' || ro === '1',
    outputSchemas: base.outputSchemas
  }
}

function listHeader (v: string | string[] | undefined): string[] | undefined {
  const s = single(v)
  return s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean)
}

function single (v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v
  return s === undefined || s === '' ? undefined : s
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
