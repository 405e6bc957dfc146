// The stdio wire under the SDK's serveStdio: newline-delimited JSON-RPC on stdin/stdout that,
// unlike the SDK's transport, keeps serving the requests already read when stdin ends (the
// process answers them, then exits), and writes through one queue with one drain listener.
// It loads no SDK code itself: until the SDK is attached (`attachSdk`), each line read may be
// answered by `fast` (the session's first requests: src/stdio.ts); the first one it does not
// take asks for the SDK (`needSdk`) and waits, with every line after it, until the SDK is there.
// From then on each line is read exactly as the SDK's own stdio transport reads it (its
// deserializeMessage: JSON, then its JSON-RPC message schema).
import type { Readable, Writable } from 'node:stream'
import { isPlainObject } from './mcp/gate.js'
import type { JSONRPCErrorResponse, JSONRPCMessage, JSONRPCNotification, JSONRPCRequest, JSONRPCResultResponse, Transport } from '@modelcontextprotocol/server'

type Id = string | number

/** The SDK's stdio read buffer limit (its STDIO_DEFAULT_MAX_BUFFER_SIZE). */
export const MAX_BUFFER_BYTES = 10 * 1024 * 1024

/** Newline-delimited lines, as the SDK's ReadBuffer splits them (a trailing CR dropped), with its size limit. */
class LineBuffer {
  private buffer: Buffer | undefined

  append (chunk: Buffer): void {
    if ((this.buffer?.length ?? 0) + chunk.length > MAX_BUFFER_BYTES) {
      this.clear()
      throw new Error(`ReadBuffer exceeded maximum size of ${MAX_BUFFER_BYTES} bytes`)
    }
    this.buffer = this.buffer ? Buffer.concat([this.buffer, chunk]) : chunk
  }

  readLine (): string | null {
    if (!this.buffer) return null
    const index = this.buffer.indexOf('\n')
    if (index === -1) return null
    const line = this.buffer.toString('utf8', 0, index).replace(/\r$/, '')
    this.buffer = this.buffer.subarray(index + 1)
    return line
  }

  clear (): void {
    this.buffer = undefined
  }
}

/** Shape tests for messages already validated (read through the SDK's schema) or written by this server. */
const isRequest = (m: JSONRPCMessage): m is JSONRPCRequest => 'method' in m && 'id' in m
const isNotification = (m: JSONRPCMessage): m is JSONRPCNotification => 'method' in m && !('id' in m)
const isResponse = (m: JSONRPCMessage): m is JSONRPCResultResponse | JSONRPCErrorResponse => 'id' in m && !('method' in m) && ('result' in m || 'error' in m)
const serialize = (m: JSONRPCMessage): string => JSON.stringify(m) + '\n'

/** Why the session is ending: stdin reached its end (or failed), or stdout can no longer be written. */
export type EndReason = 'input' | 'output'

export class StdioWire implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage) => void
  /** Called once when the session should end; the requests already read may still be answered. */
  onend?: (reason: EndReason) => void
  /** Sees every message read and written (telemetry: src/telemetry/mcp.ts, StdioObserver). */
  observer?: { received(m: JSONRPCMessage): void, sent(m: JSONRPCMessage): void }

  /**
   * Before the SDK is attached: takes a parsed message the SDK would read as valid and answers it
   * itself (true), or leaves it (false: the SDK is loaded for it). Called with every line until then.
   */
  fast?: (message: unknown) => boolean
  /** Asked once, for the first line `fast` leaves: load the SDK, then call attachSdk. */
  needSdk?: () => void

  private readonly readBuffer = new LineBuffer()
  /** The SDK's deserializeMessage, once attached. */
  private deserialize: ((line: string) => JSONRPCMessage) | undefined
  /** Lines read while the SDK loads, in order. */
  private waiting: string[] | undefined
  /** Ids of requests this process sent the SDK itself (a replayed initialize): their answers are not written. */
  private readonly swallowed = new Set<Id>()
  private started = false
  /** Requests read and not yet answered (or cancelled), counted per id in case a client reuses one. */
  private readonly pending = new Map<Id, number>()
  private answeredWaiters: Array<() => void> = []
  /** Sends waiting for stdout to drain; one 'drain' listener serves them all. */
  private drainWaiters: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  private blocked = false
  private outputError: Error | undefined
  private reading = false
  private ended = false
  private closed = false
  private abandoned = false

  constructor (private readonly stdin: Readable = process.stdin, private readonly stdout: Writable = process.stdout) {}

  async start (): Promise<void> {
    // Started by the session before the SDK (to read its first requests), then again by serveStdio.
    if (this.started) return
    this.started = true
    this.stdout.on('drain', this.onDrain)
    this.stdout.on('error', this.onOutputError)
    this.stdin.on('error', this.onInputError)
    this.stdin.on('end', this.onInputEnd)
    this.stdin.on('close', this.onInputEnd)
    this.stdin.on('data', this.onData)
    this.reading = true
    if (this.stdin.readableEnded || this.stdin.destroyed) setImmediate(this.onInputEnd)
  }

  /** How many requests have been read and not yet answered. */
  get unanswered (): number {
    let n = 0
    for (const c of this.pending.values()) n += c
    return n
  }

  /** Stops taking input (shutdown on a signal): nothing read after this is served. */
  stopReading (): void {
    if (!this.reading) return
    this.reading = false
    this.stdin.off('data', this.onData)
    this.stdin.pause()
    this.readBuffer.clear()
  }

  /** Resolves true once every request read has been answered, false if `ms` pass first. */
  async whenAnswered (ms: number): Promise<boolean> {
    if (this.pending.size === 0) return true
    return await new Promise<boolean>((resolve) => {
      const done = () => { clearTimeout(timer); resolve(true) }
      const timer = setTimeout(() => {
        this.answeredWaiters = this.answeredWaiters.filter((w) => w !== done)
        resolve(false)
      }, ms)
      this.answeredWaiters.push(done)
    })
  }

  /**
   * Answers every request still pending with a JSON-RPC error (the server is going away without
   * their results), so the client is not left waiting; later answers for them are not written.
   */
  abandonPending (message: string): number {
    const ids = [...this.pending.keys()]
    for (const id of ids) {
      for (let n = this.pending.get(id) ?? 0; n > 0; n--) this.write(serialize({ jsonrpc: '2.0', id, error: { code: -32603, message } })).catch(() => {})
    }
    const count = this.unanswered
    this.abandoned = true
    this.pending.clear()
    this.settled()
    return count
  }

  async send (message: JSONRPCMessage): Promise<void> {
    if (isResponse(message) && message.id !== undefined && this.swallowed.delete(message.id)) return
    this.observer?.sent(message)
    if (isResponse(message)) {
      const awaited = message.id !== undefined && this.settle(message.id)
      // A late answer to a request already answered at shutdown: a second answer for one id would break the client.
      if (!awaited && this.abandoned) return
    }
    if (this.closed) throw new Error('the stdio transport is closed')
    return await this.write(serialize(message))
  }

  /**
   * Writes an answer already serialised (the fast path's JSON for request `id`), as send would
   * write it: not parsed and serialised again (tools/list is ~40 KB), parsed only for an observer.
   */
  async answer (id: Id, json: string): Promise<void> {
    this.observer?.sent(JSON.parse(json) as JSONRPCMessage)
    if (!this.settle(id) && this.abandoned) return
    if (this.closed) throw new Error('the stdio transport is closed')
    return await this.write(json + '\n')
  }

  /** Resolves once everything written has left the process (handed to the pipe), or `ms` pass. */
  async flush (ms: number): Promise<boolean> {
    const end = Date.now() + ms
    while (this.stdout.writableLength > 0 && this.outputError === undefined && !this.stdout.destroyed) {
      if (Date.now() >= end) return false
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    return true
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.stopReading()
    this.stdin.off('error', this.onInputError)
    this.stdin.off('end', this.onInputEnd)
    this.stdin.off('close', this.onInputEnd)
    // The 'drain' and 'error' listeners stay: queued answers still drain, and a late EPIPE must not crash the process.
    this.onclose?.()
  }

  private write (line: string): Promise<void> {
    if (this.outputError) return Promise.resolve()
    if (this.blocked) {
      // Queued behind the bytes already buffered; the one drain listener releases every waiter.
      this.stdout.write(line)
      return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }))
    }
    if (!this.stdout.write(line)) this.blocked = true
    return Promise.resolve()
  }

  private readonly onDrain = () => {
    this.blocked = false
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const w of waiters) w.resolve()
  }

  private readonly onOutputError = (err: Error) => {
    if (this.outputError) return
    this.outputError = err
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const w of waiters) w.reject(err)
    // EPIPE: the client is gone; nothing more can be answered.
    if (!this.closed) this.onerror?.(err)
    this.end('output')
  }

  private readonly onData = (chunk: Buffer) => {
    try {
      this.readBuffer.append(chunk)
    } catch (err) {
      // A message over the buffer limit: the stream cannot be re-synchronised, so input ends here.
      this.onerror?.(err as Error)
      this.stopReading()
      this.end('input')
      return
    }
    for (let line = this.readBuffer.readLine(); line !== null; line = this.readBuffer.readLine()) this.take(line)
  }

  /** One line read: answered by `fast`, handed to the SDK, or held until the SDK is there. */
  private take (line: string): void {
    if (this.deserialize === undefined) {
      if (this.waiting === undefined && this.fast) {
        let parsed: unknown
        try {
          parsed = JSON.parse(line)
        } catch {
          return // as the SDK's ReadBuffer: a line that is not JSON is skipped
        }
        if (isPlainObject(parsed) && this.fast(parsed)) return
      }
      if (this.waiting === undefined) {
        this.waiting = []
        this.needSdk?.()
      }
      this.waiting.push(line)
      return
    }
    this.deliver(line)
  }

  private deliver (line: string): void {
    let message: JSONRPCMessage
    try {
      message = this.deserialize!(line)
    } catch (err) {
      if (!(err instanceof SyntaxError)) this.onerror?.(err as Error)
      return
    }
    this.track(message)
    this.observer?.received(message)
    this.onmessage?.(message)
  }

  /**
   * A message `fast` takes is counted and observed like any other before it is answered (the
   * fast handler calls this first).
   */
  received (message: JSONRPCMessage): void {
    this.track(message)
    this.observer?.received(message)
  }

  /**
   * The SDK is loaded and serving (serveStdio has set onmessage): `replay` goes to it first, its
   * answer not written (the session's initialize, answered already), then the lines held.
   */
  attachSdk (deserialize: (line: string) => JSONRPCMessage, replay?: JSONRPCMessage & { id: Id }): void {
    this.deserialize = deserialize
    if (replay) {
      this.swallowed.add(replay.id)
      this.onmessage?.(replay)
    }
    const held = this.waiting ?? []
    this.waiting = undefined
    for (const line of held) this.deliver(line)
  }

  private readonly onInputError = (err: Error) => {
    this.onerror?.(err)
    this.end('input')
  }

  private readonly onInputEnd = () => this.end('input')

  private end (reason: EndReason): void {
    if (this.ended) return
    this.ended = true
    this.onend?.(reason)
  }

  private track (message: JSONRPCMessage): void {
    if (isRequest(message)) {
      this.pending.set(message.id, (this.pending.get(message.id) ?? 0) + 1)
    } else if (isNotification(message) && message.method === 'notifications/cancelled') {
      // A cancelled request is never answered (the MCP cancellation rule): stop waiting for it.
      const id = (message.params as { requestId?: unknown } | undefined)?.requestId
      if (typeof id === 'string' || typeof id === 'number') this.settle(id)
    }
  }

  /** Marks one answer for `id`; false when no request with that id was waiting. */
  private settle (id: Id): boolean {
    const n = this.pending.get(id)
    if (n === undefined) return false
    if (n > 1) this.pending.set(id, n - 1)
    else this.pending.delete(id)
    if (this.pending.size === 0) this.settled()
    return true
  }

  private settled (): void {
    const waiters = this.answeredWaiters
    this.answeredWaiters = []
    for (const w of waiters) w()
  }
}
