// The instrumentation, on @opentelemetry/api only: one Telemetry per app (or stdio session), built
// from whatever providers are registered globally (our SDK in the standalone server, or an
// embedder's own). When none is, there is no Telemetry at all and every call site pays one `?.`.
// Spans and metrics follow the MCP semantic conventions; names and attributes come from names.ts.
// @see https://opentelemetry.io/docs/specs/semconv/gen-ai/mcp/
import {
  metrics, propagation, trace, context, createNoopMeter, isSpanContextValid, ProxyTracerProvider, SpanKind, SpanStatusCode,
  type Attributes, type Context, type Counter, type Histogram, type Meter, type Span, type Tracer
} from '@opentelemetry/api'
import { ApiError, UpstreamUnavailableError } from '../api/errors.js'
import { PACKAGE_VERSION } from '../meta.js'
import { ATTR, METRICS, SCOPE_NAME } from './names.js'

/** `network.transport`: HTTP runs over TCP, stdio over a pipe. */
export type NetworkTransport = 'tcp' | 'pipe'

/** Seconds buckets for operation and upstream durations (the MCP semantic conventions' advice). */
const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]

/** Methods named as they are; anything else a client sends is `_OTHER` (attribute values stay bounded). */
const MCP_METHODS = new Set([
  'initialize', 'ping', 'tools/list', 'tools/call', 'server/discover', 'resources/list', 'resources/read',
  'resources/templates/list', 'resources/subscribe', 'resources/unsubscribe', 'prompts/list', 'prompts/get',
  'completion/complete', 'logging/setLevel', 'tasks/get', 'tasks/list', 'tasks/result', 'tasks/cancel'
])
const OTHER = '_OTHER'
const ENVELOPE_KEY = 'io.modelcontextprotocol/protocolVersion'
/** An API error code as a label: the documented shape only (UPPER_SNAKE, bounded length). */
const API_CODE = /^[A-Z][A-Z0-9_]{1,47}$/

export interface TelemetryOptions {
  /** Protocol versions this server speaks; any other value a client claims is `_OTHER`. */
  versions: readonly string[]
  /** Whether a tool name is one of ours (else `_OTHER`): clients can send any name. */
  isTool: (name: string) => boolean
}

/** What is known of one MCP request when it arrives. */
export interface RequestInfo {
  /** The JSON-RPC message (its method, params.name and params._meta are read). */
  message: unknown
  transport: NetworkTransport
  /** The MCP-Protocol-Version header (HTTP), or the version the stdio session negotiated. */
  protocolVersion?: string
  /** HTTP request headers, for a `traceparent` when params._meta has none. */
  headers?: Record<string, unknown>
}

const noopTracerProvider = new ProxyTracerProvider().getDelegate()

export class Telemetry {
  /** Undefined when no tracer provider is registered (metrics only): no spans are made at all. */
  readonly tracer: Tracer | undefined
  readonly opts: TelemetryOptions
  readonly operationDuration: Histogram
  readonly upstreamRequests: Counter
  readonly upstreamDuration: Histogram
  readonly upstreamRetries: Counter
  readonly upstreamTimeouts: Counter
  readonly authChallenges: Counter
  readonly confirmations: Counter
  readonly idempotentReplays: Counter
  readonly policyRefusals: Counter

  /**
   * The Telemetry of the providers registered now (read once: register providers before the
   * plugin), or undefined when neither a tracer nor a meter provider is registered.
   */
  static fromGlobals (opts: TelemetryOptions): Telemetry | undefined {
    const tp = trace.getTracerProvider() as Partial<ProxyTracerProvider>
    const tracing = typeof tp.getDelegate !== 'function' || tp.getDelegate() !== noopTracerProvider
    const meter = metrics.getMeter(SCOPE_NAME, PACKAGE_VERSION)
    if (!tracing && meter === createNoopMeter()) return undefined
    return new Telemetry(tracing ? trace.getTracer(SCOPE_NAME, PACKAGE_VERSION) : undefined, meter, opts)
  }

  constructor (tracer: Tracer | undefined, meter: Meter, opts: TelemetryOptions) {
    this.tracer = tracer
    this.opts = opts
    const seconds = { unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } }
    this.operationDuration = meter.createHistogram(METRICS.operationDuration, { ...seconds, description: 'Duration of one MCP request as the server saw it.' })
    this.upstreamRequests = meter.createCounter(METRICS.upstreamRequests, { description: 'Pilot Status API calls, by tool and status class.' })
    this.upstreamDuration = meter.createHistogram(METRICS.upstreamDuration, { ...seconds, description: 'Duration of one Pilot Status API call, retries included.' })
    this.upstreamRetries = meter.createCounter(METRICS.upstreamRetries, { description: 'Pilot Status API reads retried after a transient failure.' })
    this.upstreamTimeouts = meter.createCounter(METRICS.upstreamTimeouts, { description: 'Pilot Status API calls that hit their deadline.' })
    this.authChallenges = meter.createCounter(METRICS.authChallenges, { description: 'HTTP authentication challenges sent (401/403), by kind.' })
    this.confirmations = meter.createCounter(METRICS.confirmations, { description: 'Confirmations of irreversible tools, by outcome.' })
    this.idempotentReplays = meter.createCounter(METRICS.idempotentReplays, { description: 'Calls answered from the idempotency store instead of running again.' })
    this.policyRefusals = meter.createCounter(METRICS.policyRefusals, { description: 'Sends refused by this server\'s send policy, by rule.' })
  }

  /** A tool name as a label: ours, or `_OTHER`. */
  toolLabel (name: unknown): string {
    return typeof name === 'string' && this.opts.isTool(name) ? name : OTHER
  }

  /** Starts the SERVER span and the clock of one MCP request (the caller ends it). */
  operation (info: RequestInfo): Operation {
    const m = info.message as { method?: unknown, params?: { name?: unknown, _meta?: unknown, protocolVersion?: unknown } }
    const method = typeof m.method === 'string' && MCP_METHODS.has(m.method) ? m.method : OTHER
    const meta = m.params?._meta !== null && typeof m.params?._meta === 'object' ? m.params._meta as Record<string, unknown> : undefined
    const envelope = meta?.[ENVELOPE_KEY]
    const requested = method === 'initialize' ? m.params?.protocolVersion : undefined
    const claimed = typeof envelope === 'string' ? envelope : typeof requested === 'string' ? requested : info.protocolVersion
    const attributes: Attributes = { [ATTR.method]: method, [ATTR.transport]: info.transport }
    if (claimed !== undefined) attributes[ATTR.protocolVersion] = this.opts.versions.includes(claimed) ? claimed : OTHER
    let name = method
    if (method === 'tools/call') {
      const tool = this.toolLabel(m.params?.name)
      attributes[ATTR.tool] = tool
      name = `${method} ${tool}`
    }
    // W3C trace context: params._meta first (the MCP convention), else the HTTP headers, else
    // whatever context is active (an embedder's own HTTP span).
    const active = context.active()
    const parent = meta !== undefined && typeof meta.traceparent === 'string'
      ? propagation.extract(active, meta)
      : info.headers !== undefined && typeof info.headers.traceparent === 'string' ? propagation.extract(active, info.headers) : active
    // Metrics only: no span; the caller's trace context still travels on to the API.
    if (this.tracer === undefined) return new Operation(this, undefined, parent, attributes)
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent)
    return new Operation(this, span, trace.setSpan(parent, span), attributes)
  }

  authChallenge (kind: string): void {
    this.authChallenges.add(1, { [ATTR.authKind]: kind })
  }

  confirmation (tool: string | undefined, outcome: string): void {
    this.confirmations.add(1, tool === undefined ? { [ATTR.confirmationOutcome]: outcome } : { [ATTR.tool]: this.toolLabel(tool), [ATTR.confirmationOutcome]: outcome })
  }

  idempotency (tool: string, outcome: string): void {
    this.idempotentReplays.add(1, { [ATTR.tool]: this.toolLabel(tool), [ATTR.idempotencyOutcome]: outcome })
  }

  policyRefusal (tool: string, rule: string): void {
    this.policyRefusals.add(1, { [ATTR.tool]: this.toolLabel(tool), [ATTR.policyRule]: rule })
  }
}

/**
 * One MCP request: its SERVER span, its clock, and what went wrong. Tool code reaches it through
 * the call's scope; the API client opens its CLIENT spans under it.
 */
export class Operation {
  private readonly started = performance.now()
  private ended = false
  /** `error.type` of a failed tool call: the API's error code, or `tool_error`. */
  toolError: string | undefined
  /** The code of the last API error seen during this request (a tool error's `error.type`). */
  private apiCode: string | undefined

  constructor (readonly tel: Telemetry, readonly span: Span | undefined, readonly context: Context, private readonly attributes: Attributes) {}

  /**
   * The trace this request belongs to (for the audit line): its SERVER span's, or without a
   * tracer the caller's trace context (params._meta or headers), when valid.
   */
  traceId (): string | undefined {
    const sc = this.span?.spanContext() ?? trace.getSpanContext(this.context)
    return sc && isSpanContextValid(sc) ? sc.traceId : undefined
  }

  /** Marks the tool call as failed (an isError result). */
  toolFailed (): void {
    this.toolError ??= this.apiCode ?? 'tool_error'
  }

  /**
   * Ends the request: `errorType` is the JSON-RPC error code when it was answered with one;
   * otherwise a failed tool call counts with its own error type.
   */
  end (errorType?: string): void {
    if (this.ended) return
    this.ended = true
    const type = errorType ?? this.toolError
    const attributes = type === undefined ? this.attributes : { ...this.attributes, [ATTR.errorType]: type }
    this.tel.operationDuration.record((performance.now() - this.started) / 1000, attributes)
    if (this.span === undefined) return
    if (type !== undefined) {
      this.span.setAttribute(ATTR.errorType, type)
      this.span.setStatus({ code: SpanStatusCode.ERROR })
    }
    this.span.end()
  }

  /** Starts one upstream API call under this request (the API client ends it). */
  upstream (method: string, tool: string | undefined): UpstreamCall {
    return new UpstreamCall(this, method, tool)
  }

  /** @internal the API client reports each failure it saw. */
  sawApiError (err: unknown): void {
    if (err instanceof ApiError && err.code !== undefined && API_CODE.test(err.code)) this.apiCode = err.code
  }
}

/** One upstream /v1 call (retries included): a CLIENT span, its duration and its counters. */
export class UpstreamCall {
  private readonly started = performance.now()
  private readonly span: Span | undefined
  private readonly ctx: Context
  private readonly labels: Attributes

  constructor (private readonly op: Operation, method: string, tool: string | undefined) {
    const tel = op.tel
    this.labels = { [ATTR.tool]: tool === undefined ? OTHER : tel.toolLabel(tool), [ATTR.httpMethod]: method }
    this.span = tel.tracer?.startSpan(method, { kind: SpanKind.CLIENT, attributes: { [ATTR.httpMethod]: method, [ATTR.tool]: this.labels[ATTR.tool] as string } }, op.context)
    this.ctx = this.span === undefined ? op.context : trace.setSpan(op.context, this.span)
  }

  /** Adds `traceparent` (and `tracestate`) for this call to the outgoing headers, when a propagator is registered. */
  inject (headers: Record<string, string>): void {
    propagation.inject(this.ctx, headers)
  }

  retried (): void {
    this.op.tel.upstreamRetries.add(1, { [ATTR.tool]: this.labels[ATTR.tool] as string })
  }

  succeeded (status: number): void {
    this.finish(status, statusClass(status))
  }

  failed (err: unknown): void {
    this.op.sawApiError(err)
    if (err instanceof ApiError) return this.finish(err.status, statusClass(err.status), String(err.status))
    const reason = err instanceof UpstreamUnavailableError ? err.reason : undefined
    if (reason === 'timeout') this.op.tel.upstreamTimeouts.add(1, { [ATTR.tool]: this.labels[ATTR.tool] as string })
    const cls = reason === 'timeout' ? 'timeout' : reason === 'aborted' ? 'cancelled' : 'network'
    this.finish(err instanceof UpstreamUnavailableError ? err.status : undefined, cls, reason ?? 'error')
  }

  private finish (status: number | undefined, cls: string, errorType?: string): void {
    const labels = { ...this.labels, [ATTR.statusClass]: cls }
    this.op.tel.upstreamRequests.add(1, labels)
    this.op.tel.upstreamDuration.record((performance.now() - this.started) / 1000, labels)
    if (this.span === undefined) return
    if (status !== undefined) this.span.setAttribute(ATTR.statusCode, status)
    if (errorType !== undefined) {
      this.span.setAttribute(ATTR.errorType, errorType)
      this.span.setStatus({ code: SpanStatusCode.ERROR })
    }
    this.span.end()
  }
}

function statusClass (status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'network'
}
