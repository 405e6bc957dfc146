// Where an MCP request's span and duration begin and end: one wrapper for a JSON-RPC message
// served over HTTP (either era, fast path or SDK), and one observer of the stdio wire. With no
// Telemetry both reduce to a call of the handler: nothing is allocated, nothing is timed.
import type { JSONRPCMessage } from '@modelcontextprotocol/server'
import type { Operation, RequestInfo, Telemetry } from './telemetry.js'

/** A JSON-RPC request (a method and an id); notifications and responses are not operations. */
function isRequest (m: unknown): m is { id: string | number, method: string } {
  return typeof m === 'object' && m !== null && typeof (m as { method?: unknown }).method === 'string' && 'id' in m
}

/**
 * Serves one message under an Operation when telemetry is on. `errorOf` names the JSON-RPC error
 * code of the answer (undefined for a result); a failed tool call adds its own error type.
 */
export function observe<T> (
  tel: Telemetry | undefined,
  info: RequestInfo,
  run: (op?: Operation) => Promise<T>,
  errorOf: (answer: T) => string | undefined | Promise<string | undefined>
): Promise<T> {
  // Off: the handler's own promise, without a frame of this function around it.
  if (tel === undefined || !isRequest(info.message)) return run(undefined)
  return observed(tel, info, run, errorOf)
}

async function observed<T> (
  tel: Telemetry,
  info: RequestInfo,
  run: (op?: Operation) => Promise<T>,
  errorOf: (answer: T) => string | undefined | Promise<string | undefined>
): Promise<T> {
  const op = tel.operation(info)
  let answer: T
  try {
    answer = await run(op)
  } catch (err) {
    op.end('-32603')
    throw err
  }
  try {
    op.end(await errorOf(answer))
  } catch {
    op.end()
  }
  return answer
}

/** A scope carrying the request's Operation (a copy: a scope may be shared by a batch's messages). */
export function withOperation<S extends object> (scope: S, op: Operation | undefined): S {
  return op === undefined ? scope : { ...scope, op }
}

/**
 * The JSON-RPC error code of a serialised answer, or undefined for a result. Reads only the
 * envelope's head (`{"jsonrpc":"2.0","id":…,"error":{"code":N`), as this server and the SDK write it.
 */
export function errorCodeOf (json: string): string | undefined {
  const m = ERROR_HEAD.exec(json)
  return m ? m[1] : undefined
}
const ERROR_HEAD = /^\{"jsonrpc":"2\.0","id":(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*"|null),"error":\{"code":(-?\d+)/

/** The error code of a serialised JSON-RPC answer (undefined: no answer, or a result). */
export function jsonAnswerError (answer: { json: string } | undefined): string | undefined {
  return answer === undefined ? undefined : errorCodeOf(answer.json)
}

/** The error code of a web Response carrying one JSON-RPC answer (the 2026-07-28 handler's). */
export async function responseError (res: Response): Promise<string | undefined> {
  if (!/^application\/json/i.test(res.headers.get('content-type') ?? '')) return undefined
  const body = JSON.parse(await res.clone().text()) as { error?: { code?: unknown } }
  return typeof body?.error?.code === 'number' ? String(body.error.code) : undefined
}

type Id = string | number

/**
 * The stdio session's operations, keyed by request id: begun when the wire reads a request, ended
 * when it writes the answer (or the client cancels). The tools/call handler finds its request's
 * Operation here (`operationOf`) to put its upstream calls under it.
 */
export class StdioObserver {
  private readonly ops = new Map<Id, Operation>()
  /** The protocol version the session negotiated (initialize); 2026-07-28 requests carry their own. */
  private version: string | undefined

  constructor (private readonly tel: Telemetry) {}

  received (m: JSONRPCMessage): void {
    if (isRequest(m)) {
      this.ops.get(m.id)?.end('duplicate_id')
      this.ops.set(m.id, this.tel.operation({ message: m, transport: 'pipe', protocolVersion: this.version }))
      return
    }
    const n = m as { method?: string, params?: { requestId?: unknown } }
    if (n.method === 'notifications/cancelled') {
      const id = n.params?.requestId
      if (typeof id !== 'string' && typeof id !== 'number') return
      this.ops.get(id)?.end('cancelled')
      this.ops.delete(id)
    }
  }

  sent (m: JSONRPCMessage): void {
    const r = m as { id?: Id, method?: unknown, error?: { code?: unknown }, result?: { protocolVersion?: unknown, isError?: unknown } }
    if (r.method !== undefined || r.id === undefined) return
    const op = this.ops.get(r.id)
    if (op === undefined) return
    this.ops.delete(r.id)
    if (r.error !== undefined) return op.end(String(r.error.code))
    if (typeof r.result?.protocolVersion === 'string') this.version = r.result.protocolVersion
    if (r.result?.isError === true) op.toolFailed()
    op.end()
  }

  operationOf (id: Id): Operation | undefined {
    return this.ops.get(id)
  }

  /** Ends what is still open (the session closed before answering). */
  close (): void {
    for (const op of this.ops.values()) op.end('cancelled')
    this.ops.clear()
  }
}
