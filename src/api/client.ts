// The Pilot Status /v1 HTTP client: one keep-alive pool, a deadline per call, bounded retries
// for reads only, fair sharing of upstream slots between credentials, and every failure mapped
// to a typed error (ApiError / UpstreamUnavailableError).
import type { Dispatcher } from 'undici'
import { ApiError, InvalidPathSegmentError, InvalidRequestError, UpstreamUnavailableError, type UnavailableReason } from './errors.js'
import { credentialHeaders, memoryKey, type Credentials } from './credentials.js'
import { USER_AGENT } from '../meta.js'
import type { Operation, UpstreamCall } from '../telemetry/telemetry.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
export type QueryValue = string | number | boolean | undefined | null

export interface ApiClientOptions {
  /** Base URL of the API, without trailing slash (paths start with `/v1`). */
  baseUrl: string
  /** Deadline for one tool's upstream work, retries included. */
  timeoutMs?: number
  /** Largest response body accepted, in bytes. */
  maxResponseBytes?: number
  /** How many times a read (GET) is retried after a transient failure. Writes are never retried. */
  readRetries?: number
  /** Base backoff between read retries; doubled each time, and `Retry-After` wins when longer. */
  retryBaseMs?: number
  /** Upstream requests in flight at once, all credentials together (default 128). */
  maxConcurrency?: number
  /**
   * Upstream requests one credential may have in flight at once (default 32, at most
   * `maxConcurrency`): one tenant's slow or numerous calls cannot take every slot.
   */
  maxPerCredential?: number
  /** Keep-alive connections per origin (default `maxConcurrency`). */
  connections?: number
  /** An undici dispatcher to use instead of the built-in pool (tests, proxies). */
  dispatcher?: Dispatcher
}

export interface ApiRequest {
  method: HttpMethod
  /** Path beginning with `/v1/`; build it with `apiPath` so every parameter is encoded. */
  path: string
  query?: Record<string, QueryValue>
  body?: unknown
}

export interface CallOptions {
  credentials: Credentials
  /** Sent as `x-whatsapp-number-id` (tenant / OAuth credentials pick a number with it). */
  whatsappNumberId?: string
  signal?: AbortSignal
  /** The MCP request this call serves, when telemetry is on: the call is a CLIENT span under it, and counted. */
  op?: Operation
  /** The tool making the call (a metric label). */
  tool?: string
}

export interface ApiResponse<T = unknown> {
  status: number
  data: T
  headers: Record<string, string | string[] | undefined>
}

// undici is loaded on the first call, not at import: the stdio start-up path (spawn → first
// tools/list) never needs it, and it is a large module graph.
type Undici = typeof import('undici')
let undici: Undici | undefined
let undiciLoading: Promise<Undici> | undefined

/** Loads undici once (callers that want it warm before the first call, e.g. the HTTP server, await this). */
export async function loadUndici (): Promise<Undici> {
  if (undici) return undici
  undiciLoading ??= import('undici').then((m) => { undici = m; return m })
  return undiciLoading
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504])
const RETRYABLE_REASONS = new Set<UnavailableReason>(['connection', 'interrupted', 'bad_response'])
/** Transport errors that mean the request never reached the API (safe to say so, even for a send). */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'CLIENT_CLOSED'])
const MAX_RETRY_AFTER_MS = 10_000

/**
 * Tagged template for API paths: every interpolated value is one encoded path segment, so an id
 * such as `../numbers` or `a/b?x#y` can never address another endpoint.
 */
export function apiPath (strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let out = strings[0]
  for (let i = 0; i < values.length; i++) {
    const v = String(values[i])
    // Encoding cannot protect these: URL parsing resolves '.'/'..' even as %2E%2E.
    if (v === '' || v === '.' || v === '..') throw new InvalidPathSegmentError(v)
    out += encodeSegment(v) + strings[i + 1]
  }
  return out
}

/**
 * encodeURIComponent, plus dots: `.` and `..` segments would otherwise be resolved away by URL
 * normalisation. A lone UTF-16 surrogate (possible in JSON, not encodable) becomes U+FFFD.
 */
export function encodeSegment (value: string): string {
  return encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD')).replace(/\./g, '%2E')
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
/** What an HTTP header value may carry here: visible ASCII and inner spaces. */
const HEADER_VALUE = /^[\x21-\x7E]([\x20-\x7E]*[\x21-\x7E])?$/

export class ApiClient {
  readonly baseUrl: string
  readonly timeoutMs: number
  private readonly maxResponseBytes: number
  private readonly readRetries: number
  private readonly retryBaseMs: number
  private readonly connections: number
  private readonly slots: Slots
  /** The caller's dispatcher, or our own pool once the first call created it. */
  private dispatcher: Dispatcher | undefined
  private readonly ownsDispatcher: boolean
  private closed = false
  private heardAt = 0

  constructor (opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '')
    this.timeoutMs = opts.timeoutMs ?? 30_000
    this.maxResponseBytes = opts.maxResponseBytes ?? 25 * 1024 * 1024
    this.readRetries = opts.readRetries ?? 2
    this.retryBaseMs = opts.retryBaseMs ?? 200
    const maxConcurrency = positiveInt('maxConcurrency', opts.maxConcurrency, 128)
    this.slots = new Slots(maxConcurrency, Math.min(positiveInt('maxPerCredential', opts.maxPerCredential, 32), maxConcurrency))
    this.connections = opts.connections ?? maxConcurrency
    this.ownsDispatcher = opts.dispatcher === undefined
    this.dispatcher = opts.dispatcher
  }

  /** Performs one API call. GETs are retried on transient failures; nothing else ever is. */
  async call<T = unknown> (req: ApiRequest, opts: CallOptions): Promise<ApiResponse<T>> {
    const up = opts.op?.upstream(req.method, opts.tool)
    if (up === undefined) return await this.attempts<T>(req, opts, undefined)
    try {
      const res = await this.attempts<T>(req, opts, up)
      up.succeeded(res.status)
      return res
    } catch (err) {
      up.failed(err)
      throw err
    }
  }

  private async attempts<T> (req: ApiRequest, opts: CallOptions, up: UpstreamCall | undefined): Promise<ApiResponse<T>> {
    const deadline = Date.now() + this.timeoutMs
    const retries = req.method === 'GET' ? this.readRetries : 0
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(req, opts, deadline, up)
      } catch (err) {
        const wait = attempt < retries ? this.retryDelay(err, attempt, deadline) : undefined
        if (wait === undefined || opts.signal?.aborted) throw err
        up?.retried()
        await sleep(wait, opts.signal)
      }
    }
  }

  /** When the API last answered anything (any HTTP status), ms since the epoch; 0: never. For /ready. */
  get lastAnswerAt (): number {
    return this.heardAt
  }

  /**
   * One GET of `<baseUrl>/v1` without credentials, never retried, the body discarded: any HTTP
   * answer (401 and 404 included) means the API is reachable. For /ready when no call was answered lately.
   */
  async probe (timeoutMs: number): Promise<{ reachable: true, status: number } | { reachable: false, error: string }> {
    try {
      const u = undici ?? await loadUndici()
      const res = await u.request(`${this.baseUrl}/v1`, {
        method: 'GET',
        headers: { 'user-agent': USER_AGENT, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher: this.pool(u)
      })
      this.heardAt = Date.now()
      await res.body.dump()
      return { reachable: true, status: res.statusCode }
    } catch (err) {
      return { reachable: false, error: mapTransportError(err, undefined, timeoutMs).message }
    }
  }

  /** Closes the pool once in-flight requests have finished. */
  async close (): Promise<void> {
    this.closed = true
    if (this.ownsDispatcher && this.dispatcher) await this.dispatcher.close()
  }

  private pool (u: Undici): Dispatcher {
    if (this.dispatcher) return this.dispatcher
    if (this.closed) throw Object.assign(new Error('the API client is closed'), { code: 'CLIENT_CLOSED' })
    this.dispatcher = new u.Agent({
      connections: this.connections,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      pipelining: 1
    })
    return this.dispatcher
  }

  /** Milliseconds to wait before retrying, or undefined when the failure is not worth a retry. */
  private retryDelay (err: unknown, attempt: number, deadline: number): number | undefined {
    let wait = this.retryBaseMs * 2 ** attempt
    if (err instanceof ApiError) {
      if (!RETRYABLE_STATUS.has(err.status)) return undefined
      if (err.retryAfterSeconds !== undefined) wait = Math.max(wait, err.retryAfterSeconds * 1000)
      if (wait > MAX_RETRY_AFTER_MS) return undefined
    } else if (!(err instanceof UpstreamUnavailableError) || !RETRYABLE_REASONS.has(err.reason)) {
      return undefined
    }
    // A retry that cannot finish before the deadline would only turn a clear error into a timeout.
    return Date.now() + wait + 50 < deadline ? wait : undefined
  }

  /** One attempt, holding one of the credential's upstream slots from before sending until the body is read. */
  private async once<T> (req: ApiRequest, opts: CallOptions, deadline: number, up: UpstreamCall | undefined): Promise<ApiResponse<T>> {
    const key = memoryKey(opts.credentials)
    const waiting = this.slots.acquire(key, deadline, opts.signal, this.timeoutMs)
    if (waiting) await waiting
    try {
      return await this.send<T>(req, opts, deadline, up)
    } finally {
      this.slots.release(key)
    }
  }

  private async send<T> (req: ApiRequest, opts: CallOptions, deadline: number, up: UpstreamCall | undefined): Promise<ApiResponse<T>> {
    const remaining = deadline - Date.now()
    if (remaining <= 0) throw timeoutError(this.timeoutMs)
    const headers: Record<string, string> = {
      'user-agent': USER_AGENT,
      accept: 'application/json',
      ...credentialHeaders(opts.credentials)
    }
    // W3C trace context, so the caller's trace continues at the API (only with telemetry on).
    up?.inject(headers)
    if (opts.whatsappNumberId) {
      if (!HEADER_VALUE.test(opts.whatsappNumberId)) throw new InvalidRequestError('whatsappNumberId must be a number id from numbers_list (visible ASCII characters only)')
      headers['x-whatsapp-number-id'] = opts.whatsappNumberId
    }
    let body: string | undefined
    if (req.body !== undefined) {
      body = JSON.stringify(req.body)
      headers['content-type'] = 'application/json'
    }
    // One controller per attempt, aborted by the deadline or the caller, and released as soon as
    // the body is read: AbortSignal.timeout()/any() would leave a pending timer and a weak
    // registration behind every call until the deadline passes (measurable in RSS under load).
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(new DOMException('the API did not answer in time', 'TimeoutError')), remaining)
    const caller = opts.signal
    const onCallerAbort = () => ac.abort(caller?.reason)
    if (caller) {
      if (caller.aborted) ac.abort(caller.reason)
      else caller.addEventListener('abort', onCallerAbort, { once: true })
    }

    let res: Dispatcher.ResponseData
    let text: string
    try {
      try {
        const u = undici ?? await loadUndici()
        res = await u.request(this.baseUrl + req.path + buildQuery(req.query), {
          method: req.method,
          headers,
          body,
          signal: ac.signal,
          dispatcher: this.pool(u)
        })
      } catch (err) {
        throw mapTransportError(err, caller, this.timeoutMs)
      }
      this.heardAt = Date.now()
      try {
        text = await readLimited(res.body, this.maxResponseBytes)
      } catch (err) {
        if (err instanceof UpstreamUnavailableError) throw err
        throw mapTransportError(err, caller, this.timeoutMs)
      }
    } finally {
      clearTimeout(timer)
      caller?.removeEventListener('abort', onCallerAbort)
    }
    const ctype = String(res.headers['content-type'] ?? '')
    const parsed = parseBody(text, ctype)

    if (res.statusCode >= 200 && res.statusCode < 300) {
      if (parsed.kind === 'invalid') {
        throw new UpstreamUnavailableError('bad_response', `the API answered ${res.statusCode} with a body that is not valid JSON`, res.statusCode)
      }
      if (parsed.kind === 'html') {
        throw new UpstreamUnavailableError('bad_response', `the API answered ${res.statusCode} with an HTML page instead of JSON`, res.statusCode)
      }
      return { status: res.statusCode, data: (parsed.kind === 'json' ? parsed.value : null) as T, headers: res.headers }
    }
    throw withoutSecrets(toApiError(res.statusCode, parsed, res.headers['retry-after']), opts.credentials)
  }
}

/**
 * An API error may echo the credential back ("invalid key ps_..."): it would reach the MCP
 * client (who may be using the server's env key without knowing it) and the logs. Scrub it.
 */
function withoutSecrets (err: ApiError, c: Credentials): ApiError {
  const secrets = [c.kind === 'bearer' ? c.token : c.kind === 'apiKey' ? c.key : undefined, c.kind === 'bearer' ? undefined : c.keyId]
    .filter((s): s is string => typeof s === 'string' && s.length >= 4)
  const scrub = (v: unknown): unknown => {
    if (typeof v === 'string') return secrets.reduce((out, s) => out.split(s).join('[redacted]'), v)
    if (Array.isArray(v)) return v.map(scrub)
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrub(k), scrub(x)]))
    return v
  }
  if (secrets.length === 0) return err
  return new ApiError({
    status: err.status,
    message: scrub(err.message) as string,
    code: scrub(err.code) as string | undefined,
    details: scrub(err.details),
    retryAfterSeconds: err.retryAfterSeconds,
    body: scrub(err.body)
  })
}

type ParsedBody = { kind: 'json', value: unknown } | { kind: 'empty' } | { kind: 'html' } | { kind: 'invalid', text: string }

const HTML_TYPE = /text\/html/i

function parseBody (text: string, ctype: string): ParsedBody {
  // The usual answer, a JSON object or array, goes straight to the parser.
  const first = text.charCodeAt(0)
  if ((first === 0x7b || first === 0x5b) && !HTML_TYPE.test(ctype)) {
    try {
      return { kind: 'json', value: JSON.parse(text) }
    } catch {
      return { kind: 'invalid', text }
    }
  }
  if (text.trim() === '') return { kind: 'empty' }
  if (HTML_TYPE.test(ctype) || /^\s*<(!doctype|html)/i.test(text)) return { kind: 'html' }
  try {
    return { kind: 'json', value: JSON.parse(text) }
  } catch {
    return { kind: 'invalid', text }
  }
}

function toApiError (status: number, parsed: ParsedBody, retryAfter: string | string[] | undefined): ApiError {
  const retryAfterSeconds = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)
  if (parsed.kind === 'json' && parsed.value !== null && typeof parsed.value === 'object') {
    const b = parsed.value as Record<string, unknown>
    const message = typeof b.error === 'string'
      ? b.error
      : typeof b.message === 'string' ? b.message : defaultMessage(status)
    const code = typeof b.code === 'string' ? b.code : undefined
    return new ApiError({ status, message, code, details: b.details, retryAfterSeconds, body: b })
  }
  const what = parsed.kind === 'html' ? ' (an HTML error page)' : parsed.kind === 'invalid' ? ' (a body that is not JSON)' : ''
  return new ApiError({ status, message: defaultMessage(status) + what, retryAfterSeconds })
}

function defaultMessage (status: number): string {
  const m: Record<number, string> = {
    400: 'Bad request',
    401: 'Unauthorized',
    402: 'Payment required',
    403: 'Forbidden',
    404: 'Not found',
    409: 'Conflict',
    413: 'Payload too large',
    429: 'Rate limit exceeded',
    500: 'Internal server error',
    502: 'Bad gateway',
    503: 'Service unavailable',
    504: 'Gateway timeout'
  }
  return m[status] ?? `HTTP ${status}`
}

function parseRetryAfter (v: string | undefined): number | undefined {
  if (!v) return undefined
  const n = Number(v)
  if (Number.isFinite(n) && n >= 0) return n
  const date = Date.parse(v)
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000)
}

function buildQuery (q: Record<string, QueryValue> | undefined): string {
  if (!q) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) {
    if (v !== undefined && v !== null) params.append(k, String(v))
  }
  const s = params.toString()
  return s ? `?${s}` : ''
}

async function readLimited (body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  // Events rather than `for await`: no async iterator per call on the hot path.
  return await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        cleanup()
        // Destroying the body makes undici emit "Request aborted": nothing waits for it any more.
        body.on('error', () => {})
        body.destroy()
        reject(new UpstreamUnavailableError('too_large', `the API's response exceeded ${Math.round(max / 1024 / 1024)} MB and was discarded`))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => { cleanup(); resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')) }
    const onError = (err: Error) => { cleanup(); reject(err) }
    const onClose = () => { cleanup(); reject(Object.assign(new Error('the response body closed before its end'), { code: 'UND_ERR_ABORTED' })) }
    const cleanup = () => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
      body.off('close', onClose)
    }
    body.on('data', onData)
    body.once('end', onEnd)
    body.once('error', onError)
    body.once('close', onClose)
  })
}

function timeoutError (ms: number): UpstreamUnavailableError {
  return new UpstreamUnavailableError('timeout', `the API did not answer within ${ms} ms`)
}

function mapTransportError (err: unknown, callerSignal: AbortSignal | undefined, timeoutMs: number): Error {
  if (callerSignal?.aborted) return new UpstreamUnavailableError('aborted', 'the call was cancelled by the client')
  const e = err as { name?: string, code?: string, message?: string }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT') {
    return timeoutError(timeoutMs)
  }
  const code = e?.code ?? (e as { cause?: { code?: string } })?.cause?.code
  const shown = code ? ` (${code})` : ''
  if (code !== undefined && NOT_CONNECTED.has(code)) return new UpstreamUnavailableError('connection', `could not reach the Pilot Status API${shown}`)
  // Reset or closed once connected: the request may have been received and acted on.
  return new UpstreamUnavailableError('interrupted', `the connection to the Pilot Status API broke before it answered${shown}`)
}

function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
  })
}

function positiveInt (name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`ApiClient option ${name} must be a whole number of at least 1 (got ${String(value)})`)
  return value
}

interface Waiter {
  grant: () => void
}

interface Bucket {
  active: number
  waiters: Waiter[]
}

/**
 * Upstream slots: at most `max` requests in flight, at most `perKey` of them for one credential.
 * A freed slot goes to the waiting credential holding the fewest, so a tenant with a long queue
 * cannot make another tenant's call wait behind it.
 */
class Slots {
  private active = 0
  private readonly buckets = new Map<string, Bucket>()
  /** Credentials with callers waiting, in the order they get their next turn. */
  private readonly turns = new Set<string>()

  constructor (private readonly max: number, private readonly perKey: number) {}

  /**
   * Takes a slot for `key`: undefined when one was free, else a promise that resolves once one is
   * granted, or rejects when the caller aborts or the deadline passes first (nothing is held then).
   */
  acquire (key: string, deadline: number, signal: AbortSignal | undefined, timeoutMs: number): Promise<void> | undefined {
    let bucket = this.buckets.get(key)
    if (this.active < this.max && (bucket === undefined || (bucket.active < this.perKey && bucket.waiters.length === 0))) {
      if (bucket === undefined) this.buckets.set(key, bucket = { active: 0, waiters: [] })
      bucket.active++
      this.active++
      return undefined
    }
    if (signal?.aborted) return Promise.reject(abortedError())
    if (bucket === undefined) this.buckets.set(key, bucket = { active: 0, waiters: [] })
    const b = bucket
    return new Promise<void>((resolve, reject) => {
      const leave = (err: Error) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        const i = b.waiters.indexOf(waiter)
        if (i !== -1) b.waiters.splice(i, 1)
        if (b.waiters.length === 0) this.turns.delete(key)
        this.forget(key, b)
        reject(err)
      }
      const onAbort = () => leave(abortedError())
      const timer = setTimeout(() => leave(timeoutError(timeoutMs)), Math.max(0, deadline - Date.now()))
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      b.waiters.push(waiter)
      this.turns.add(key)
    })
  }

  release (key: string): void {
    const bucket = this.buckets.get(key)
    if (bucket === undefined) return
    bucket.active--
    this.active--
    this.dispatch()
    this.forget(key, bucket)
  }

  /**
   * Hands free slots to waiting credentials under their share: each to the one with the fewest
   * requests in flight, the longest-waiting on a tie, so a tenant already holding slots never
   * jumps ahead of one holding fewer.
   */
  private dispatch (): void {
    while (this.active < this.max && this.turns.size > 0) {
      let next: string | undefined
      let nextBucket: Bucket | undefined
      for (const key of this.turns) {
        const bucket = this.buckets.get(key)!
        if (bucket.active < this.perKey && (nextBucket === undefined || bucket.active < nextBucket.active)) {
          next = key
          nextBucket = bucket
        }
      }
      if (next === undefined || nextBucket === undefined) return
      const waiter = nextBucket.waiters.shift()!
      nextBucket.active++
      this.active++
      // To the back of the line: on a tie the next free slot goes to another credential first.
      this.turns.delete(next)
      if (nextBucket.waiters.length > 0) this.turns.add(next)
      waiter.grant()
    }
  }

  private forget (key: string, bucket: Bucket): void {
    if (bucket.active === 0 && bucket.waiters.length === 0) this.buckets.delete(key)
  }
}

function abortedError (): UpstreamUnavailableError {
  return new UpstreamUnavailableError('aborted', 'the call was cancelled by the client')
}
