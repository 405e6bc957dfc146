// The audit trail of irreversible actions: one structured log line (message `audit`, fields under
// the `audit` key) per call of a tool that asks a person by default (src/confirm/policy.ts
// asksByDefault), once the call reached a decision. The line is a contract: README, "Audit trail".
// Who decided leaves the decision on the result it returns (`decided`); runs are classified here.
import type { ApiClient, ApiRequest, ApiResponse, CallOptions } from './api/client.js'
import { ApiError, UpstreamUnavailableError } from './api/errors.js'
import { fingerprint, type Credentials } from './api/credentials.js'
import { acceptedArguments, normaliseArgs, type CallOutcome } from './mcp/call.js'
import type { RegisteredTool } from './mcp/registry.js'
import { asksByDefault } from './confirm/policy.js'
import type { ToolLogger } from '../tools/define.js'
import { writeOwnLine } from './logger.js'

/** The contract's version; a change that is not an added optional field raises it. */
export const AUDIT_VERSION = 1

/**
 * `ok`: it ran and succeeded; `tool_error`: it ran and definitely did not take effect (the API
 * refused it below 500, or it could not be sent); `unknown`: it may have taken effect (timeout,
 * broken connection, 5xx); `declined`: a person said no (or dismissed the question); `refused`:
 * this server refused it (policy, send guards, confirmation required, invalid arguments);
 * `replayed`: answered from the idempotency store, nothing ran again.
 */
export type AuditOutcome = 'ok' | 'tool_error' | 'declined' | 'refused' | 'replayed' | 'unknown'

export type CredentialKind = 'api_key' | 'api_key_id' | 'bearer' | 'env'

export interface AuditLine {
  v: typeof AUDIT_VERSION
  /** When the decision was reached (ISO 8601, UTC). */
  time: string
  tool: string
  /** credentials.ts `fingerprint`: 16 hex characters of a SHA-256, never the secret. */
  credential: string
  credentialKind: CredentialKind
  whatsappNumberId?: string
  /** What the call acts on, from its arguments (destination, group, template, webhook, call id, ...). */
  target?: string
  outcome: AuditOutcome
  /** Refused / declined: the reason code; unknown / tool_error without an API answer: why no answer came. */
  reason?: string
  /** The API's error code, when it answered with one. */
  errorCode?: string
  /** The API's HTTP status, when it answered with an error. */
  httpStatus?: number
  /** The API's id of what the call created (message, group, call, order, number). */
  createdId?: string
  traceId?: string
}

/** A decision someone other than the run itself made: the gate (declined/refused) or the send guards. */
export interface Decision {
  outcome: 'declined' | 'refused' | 'replayed'
  reason?: string
}

const decisions = new WeakMap<object, Decision>()

/** Marks a result as a decision for the audit line; returns the same result. */
export function decided<T extends object> (result: T, decision: Decision): T {
  decisions.set(result, decision)
  return result
}

/** The decision a result carries, if any (a question to a person, or a run's result, carries none). */
export function decisionOf (result: object): Decision | undefined {
  return decisions.get(result)
}

type Args = Record<string, unknown>
interface Audited {
  /** What the call acts on, from the arguments. Absent: the call acts on the account, or creates the thing. */
  target?: (args: Args) => string | undefined
  /** The id of what was created, from the structured result. Never a secret (api_keys_regenerate_number has none). */
  created?: (result: Args) => string | undefined
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const arg = (k: string) => (a: Args) => str(a[k])
const field = (k: string) => (r: Args) => str(r[k])

/**
 * Every audited tool: exactly the tools asksByDefault selects (test/audit checks the two agree),
 * with where its target and created id are.
 */
export const AUDITED: Readonly<Record<string, Audited>> = {
  messages_send: { target: (a) => str(a.destinationNumber) ?? str(a.groupId) ?? str(a.newsletterId), created: field('id') },
  messages_cancel: { target: (a) => Array.isArray(a.messageIds) ? str(a.messageIds.filter((x) => typeof x === 'string').join(',')) : undefined },
  templates_delete: { target: arg('id') },
  numbers_delete: { target: arg('id') },
  numbers_remote_pairing: { target: arg('number'), created: (r) => str((r.instance as Args | null | undefined)?.id) ?? str(r.numberId) },
  groups_create: { created: field('id') },
  group_participants_add: { target: arg('groupId') },
  group_participants_remove: { target: arg('groupId') },
  webhooks_delete: { target: arg('webhookId') },
  call_initiate: { target: arg('to'), created: field('id') },
  call_accept: { target: arg('callId') },
  call_reject: { target: arg('callId') },
  call_terminate: { target: arg('callId') },
  call_permission_request: { target: arg('to'), created: field('messageId') },
  api_keys_regenerate_number: { target: arg('whatsappNumberId') },
  subscription_extra_numbers_add: {},
  subscription_extra_numbers_remove: {},
  billing_checkout: { created: field('orderId') }
}

/** Longest target kept (messages_cancel may name 100 ids); longer ones end in '…'. */
const MAX_TARGET = 4096
const MAX_CODE = 128

/** The logger an audit line goes to: the request's (HTTP) or the process's (stdio). */
interface AuditLogger extends ToolLogger {
  isLevelEnabled?: (level: string) => boolean
  child?: (bindings: object, options?: { level?: string }) => AuditLogger
  bindings?: () => Record<string, unknown>
}

export interface AuditWho {
  credentials: Credentials
  log: ToolLogger
  /** The request's telemetry operation (src/telemetry), when telemetry is on: the trace id comes from it. */
  op?: { traceId (): string | undefined }
}

/** The audit trail of one server (on unless PILOT_STATUS_AUDIT_LOG=off). */
export class AuditTrail {
  private readonly lines: LineLoggers

  /**
   * `base`: the server's logger, of which request loggers are children (HTTP: the Fastify
   * instance's; stdio: the process logger). When its level drops `info`, the audit lines go
   * through one `info` child of it made once, instead of a child per line (pino's child with a
   * level of its own costs ~30 µs, a quarter of a send's CPU time in the bench).
   */
  constructor (base?: ToolLogger) {
    this.lines = new LineLoggers(base as AuditLogger | undefined)
  }

  /** Starts the audit of one call, or undefined when the tool is not audited. */
  begin (tool: RegisteredTool, rawArgs: unknown, who: AuditWho): AuditCall | undefined {
    if (!asksByDefault(tool.def.annotations)) return undefined
    return new AuditCall(tool, rawArgs, who, this.lines)
  }

  /** The confirmation gate answered instead of running: a decision is logged, a question is not. Returns the result. */
  answered<T extends object> (tool: RegisteredTool, rawArgs: unknown, who: AuditWho, result: T): T {
    const d = decisionOf(result)
    if (d) this.begin(tool, rawArgs, who)?.write({ outcome: d.outcome, reason: d.reason })
    return result
  }
}

export class AuditCall {
  private readonly tool: RegisteredTool
  private readonly rawArgs: unknown
  private readonly who: AuditWho
  /** The last failure of an API call this run made (cleared by a later success). */
  private failure: unknown

  private readonly lines: LineLoggers

  constructor (tool: RegisteredTool, rawArgs: unknown, who: AuditWho, lines: LineLoggers) {
    this.tool = tool
    this.rawArgs = rawArgs
    this.who = who
    this.lines = lines
  }

  /** The API client the run uses, watched for how its calls end (delegates everything to `api`). */
  watch (api: ApiClient): ApiClient {
    const watched = Object.create(api) as ApiClient
    watched.call = async <T>(req: ApiRequest, opts: CallOptions): Promise<ApiResponse<T>> => {
      try {
        const res = await api.call<T>(req, opts)
        this.failure = undefined
        return res
      } catch (err) {
        this.failure = err
        throw err
      }
    }
    return watched
  }

  /** Logs what the call came to; returns the outcome unchanged. */
  end (outcome: CallOutcome): CallOutcome {
    const result = outcome.result
    const d = decisionOf(result)
    const data = (result.structuredContent ?? {}) as Args
    if (d) this.write({ outcome: d.outcome, reason: d.reason, ...(d.outcome === 'replayed' ? this.created(data) : {}) })
    else if (result.isError !== true) this.write({ outcome: 'ok', ...this.created(data) })
    else this.write(this.failed())
    return outcome
  }

  /** An error result of a run: from how its last API call failed, or why nothing was sent. */
  private failed (): Pick<AuditLine, 'outcome' | 'reason' | 'errorCode' | 'httpStatus'> {
    const err = this.failure
    if (err instanceof ApiError) {
      // The same line the send guards draw: a 5xx may hide a call that took effect.
      return { outcome: err.status >= 500 ? 'unknown' : 'tool_error', httpStatus: err.status, ...(err.code ? { errorCode: err.code.slice(0, MAX_CODE) } : {}) }
    }
    if (err instanceof UpstreamUnavailableError) {
      return { outcome: err.reason === 'connection' ? 'tool_error' : 'unknown', reason: err.reason, ...(err.status !== undefined ? { httpStatus: err.status } : {}) }
    }
    if (acceptedArguments(this.tool, this.rawArgs) === undefined) return { outcome: 'refused', reason: 'invalid_arguments' }
    return { outcome: 'tool_error', reason: 'not_sent' }
  }

  private created (data: Args): { createdId?: string } {
    const id = AUDITED[this.tool.def.name]?.created?.(data)
    return id ? { createdId: id } : {}
  }

  write (what: Pick<AuditLine, 'outcome' | 'reason' | 'errorCode' | 'httpStatus' | 'createdId'>): void {
    const name = this.tool.def.name
    const c = this.who.credentials
    const args = normaliseArgs(this.tool.input, this.rawArgs) ?? {}
    let target = AUDITED[name]?.target?.(args)
    if (target !== undefined && target.length > MAX_TARGET) target = target.slice(0, MAX_TARGET - 1) + '…'
    const numberId = str(args.whatsappNumberId)
    const traceId = this.who.op?.traceId()
    const line: AuditLine = {
      v: AUDIT_VERSION,
      time: new Date().toISOString(),
      tool: name,
      credential: fingerprint(c),
      credentialKind: c.source === 'env' ? 'env' : c.kind === 'apiKey' ? 'api_key' : c.kind === 'apiKeyId' ? 'api_key_id' : 'bearer',
      ...(numberId ? { whatsappNumberId: numberId } : {}),
      ...(target ? { target } : {}),
      outcome: what.outcome,
      ...(what.reason ? { reason: what.reason } : {}),
      ...(what.errorCode ? { errorCode: what.errorCode } : {}),
      ...(what.httpStatus !== undefined ? { httpStatus: what.httpStatus } : {}),
      ...(what.createdId ? { createdId: what.createdId } : {}),
      ...(traceId ? { traceId } : {})
    }
    this.lines.write(this.who.log, line)
  }
}

/**
 * The audit line is written at `info` whatever LOG_LEVEL says (warn, error, silent). The process
 * logger (createLogger: stdio and the standalone HTTP server) and its children take the serialised
 * line as it is (logger.ts writeOwnLine). Any other logger (a host's, embedded) that would drop it
 * writes it through an `info` child for this one line, with the same bindings (the request id);
 * for the base logger given at construction and its descendants that child is made once and given
 * the logger's own bindings per line. PILOT_STATUS_AUDIT_LOG=off is the way to turn the trail off.
 */
class LineLoggers {
  /** The server's logger, when it can make the info child and tell its own bindings (pino). */
  private readonly base: Required<Pick<AuditLogger, 'child' | 'bindings'>> | undefined
  private info: AuditLogger | undefined
  private baseBindings: Record<string, unknown> | undefined

  constructor (base: AuditLogger | undefined) {
    if (typeof base?.child === 'function' && typeof base.bindings === 'function') this.base = base as Required<AuditLogger>
  }

  write (log: ToolLogger, line: AuditLine): void {
    // The process logger (stdio, the HTTP server's own): the line serialised here, once.
    if (writeOwnLine(log, `,"audit":${JSON.stringify(line)},"msg":"audit"`)) return
    const l = log as AuditLogger
    if (l.isLevelEnabled?.('info') !== false || typeof l.child !== 'function') return l.info({ audit: line }, 'audit')
    const base = this.base
    if (base && typeof l.bindings === 'function' && (l === base || Object.prototype.isPrototypeOf.call(base, l))) {
      this.info ??= base.child({}, { level: 'info' })
      this.baseBindings ??= base.bindings()
      const own = l === base ? {} : l.bindings()
      for (const [k, v] of Object.entries(this.baseBindings)) if (own[k] === v) delete own[k]
      return this.info.info({ ...own, audit: line }, 'audit')
    }
    l.child({}, { level: 'info' }).info({ audit: line }, 'audit')
  }
}
