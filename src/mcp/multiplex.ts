// An in-process SDK transport that lets one long-lived `Server` answer many concurrent HTTP
// requests: each request's JSON-RPC id is swapped for a unique one and the answer is routed
// back by it. Per-request credentials travel as `authInfo`. Stateless: nothing outlives a call.
// (stack-notes.md: ~0.75× a bare route, against ~0.3× for a new Server + transport per request.)
import type { AuthInfo, JSONRPCMessage, JSONRPCRequest, Transport } from '@modelcontextprotocol/server'

type Id = string | number
type Pending = { originalId: Id, resolve: (m: JSONRPCMessage) => void }

export class MultiplexTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: { authInfo?: AuthInfo }) => void
  private readonly pending = new Map<Id, Pending>()
  private seq = 0
  private closed = false

  async start (): Promise<void> {}

  /** Messages from the server: answers are routed to their request; anything else is dropped (JSON responses carry no notifications). */
  async send (message: JSONRPCMessage): Promise<void> {
    if (!('id' in message) || 'method' in message) return
    const p = this.pending.get(message.id as Id)
    if (!p) return
    this.pending.delete(message.id as Id)
    p.resolve({ ...message, id: p.originalId } as JSONRPCMessage)
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.onclose?.()
  }

  /**
   * Delivers one request to the server and resolves with its answer (original id restored).
   * When `signal` aborts (the HTTP client went away), the server is told to cancel the request,
   * which aborts the handler's upstream call; the promise then resolves with undefined.
   */
  request (req: JSONRPCRequest, authInfo: AuthInfo | undefined, signal?: AbortSignal): Promise<JSONRPCMessage | undefined> {
    if (this.closed || !this.onmessage) return Promise.reject(new Error('transport is closed'))
    const id = ++this.seq
    return new Promise((resolve) => {
      this.pending.set(id, { originalId: req.id, resolve })
      if (signal) {
        const onAbort = () => {
          if (!this.pending.delete(id)) return
          this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'HTTP client disconnected' } })
          resolve(undefined)
        }
        if (signal.aborted) { queueMicrotask(onAbort) } else signal.addEventListener('abort', onAbort, { once: true })
      }
      this.onmessage!({ ...req, id }, { authInfo })
    })
  }
}
