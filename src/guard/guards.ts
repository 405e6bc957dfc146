// The send guards around one tools/call: send policy (allow-list, limits), idempotency keys and
// the duplicate guard, in that order, over one shared store. The tool itself runs through the
// caller's `exec`, with an API client that watches whether a write reached Pilot Status, so the
// guards know whether the call took effect, did not, or may have (outcome unknown).
import type { ApiClient, ApiRequest, ApiResponse, CallOptions } from '../api/client.js'
import { ApiError, UpstreamUnavailableError } from '../api/errors.js'
import { fingerprint, type Credentials } from '../api/credentials.js'
import { normaliseArgs, type ToolResult } from '../mcp/call.js'
import { errorResult } from '../mcp/errors.js'
import type { RegisteredTool } from '../mcp/registry.js'
import { StoreUnavailableError, type SharedStore, type StoreState } from '../store/store.js'
import { canonicalJson, digest } from './canonical.js'
import { DuplicateGuard } from './dedupe.js'
import { Idempotency, type IdempotencyRecord } from './idempotency.js'
import { ALLOW_DUPLICATE_PARAM, IDEMPOTENCY_KEY_PARAM, SEND_DESTINATION, isSending, takesIdempotencyKey, validIdempotencyKey } from './params.js'
import { normaliseDestination, type AllowList, type SendLimit } from './parse.js'
import { SendPolicy } from './send-policy.js'
import { decided } from '../audit.js'
import type { Telemetry } from '../telemetry/telemetry.js'
import type { AnyTool } from '../../tools/define.js'

export interface GuardOptions {
  store: SharedStore
  /** How long a key's result is kept. Default 24 h. */
  idempotencyTtlMs?: number
  /** How long a running first call is waited for before its outcome counts as unknown. Default 120 s. */
  leaseMs?: number
  /** Duplicate guard window; unset → off. */
  dedupeWindowMs?: number
  allow?: AllowList
  limits?: readonly SendLimit[]
  now?: () => number
  /** Counts replays and refusals (src/telemetry); absent when telemetry is off. */
  telemetry?: Telemetry
}

export interface GuardCall {
  tool: RegisteredTool
  args: unknown
  credentials: Credentials
  signal: AbortSignal
  log: { warn(obj: object, msg?: string): void, error(obj: object, msg?: string): void }
}

/** Runs the tool with these arguments; `wrapApi`, when given, must wrap the API client it uses. */
export type Exec = (args: unknown, wrapApi?: (api: ApiClient) => ApiClient) => Promise<ToolResult>

/** What a call did upstream: nothing took effect, it did, or it may have. */
type Outcome = 'none' | 'done' | 'unknown'

const DAY = 86_400_000

export class Guards {
  readonly store: SharedStore
  private readonly idem: Idempotency
  private readonly dedupe: DuplicateGuard | undefined
  private readonly policy: SendPolicy
  private readonly now: () => number
  private readonly tel: Telemetry | undefined

  constructor (o: GuardOptions) {
    this.store = o.store
    this.tel = o.telemetry
    this.now = o.now ?? Date.now
    this.idem = new Idempotency({ store: o.store, ttlMs: o.idempotencyTtlMs ?? DAY, leaseMs: o.leaseMs ?? 120_000, now: this.now })
    this.dedupe = o.dedupeWindowMs ? new DuplicateGuard(o.store, o.dedupeWindowMs, this.now) : undefined
    this.policy = new SendPolicy({ store: o.store, allow: o.allow, limits: o.limits, now: this.now })
  }

  state (): StoreState {
    return this.store.state()
  }

  async close (): Promise<void> {
    await this.store.close()
  }

  /** Whether run() does anything for this tool (it takes an idempotency key); for any other tool it only runs it. */
  applies (def: AnyTool): boolean {
    return takesIdempotencyKey(def)
  }

  async run (call: GuardCall, exec: Exec): Promise<ToolResult> {
    const def = call.tool.def
    if (!this.applies(def)) return await exec(call.args)
    const parsed = normaliseArgs(call.tool.input, call.args)
    // Malformed arguments: the tool's own validation answers, and nothing is sent.
    if (parsed === undefined || !call.tool.checkInput.Check(parsed)) return await exec(call.args)
    const key = parsed[IDEMPOTENCY_KEY_PARAM] as string | undefined
    const allowDuplicate = parsed[ALLOW_DUPLICATE_PARAM] === true
    delete parsed[IDEMPOTENCY_KEY_PARAM]
    delete parsed[ALLOW_DUPLICATE_PARAM]
    if (key !== undefined && !validIdempotencyKey(key)) {
      return refusal('invalid_arguments', `Invalid arguments for ${def.name}:\n- ${IDEMPOTENCY_KEY_PARAM}: 1-255 printable characters, no control characters\nThe tool was not run.`)
    }

    const sending = isSending(def)
    const destinations = sending ? destinationsOf(def.name, parsed) : []
    if (sending) {
      const refused = this.policy.refusedDestination(destinations)
      if (refused !== undefined) {
        this.tel?.policyRefusal(def.name, 'allow_list')
        return refusal('allow_list', `${def.name} refused by this server's send policy: ${refused} is not an allowed destination (PILOT_STATUS_SEND_ALLOW). Nothing was sent. Ask the server's operator if it should be allowed.`)
      }
    }
    const limited = sending && this.policy.limits.length > 0
    const deduped = sending && this.dedupe !== undefined && key === undefined
    if (key === undefined && !limited && !deduped) return await exec(parsed)

    const fp = fingerprint(call.credentials)
    const undo: Array<() => Promise<void>> = []
    const undoAll = async () => {
      for (const u of undo.splice(0).reverse()) await u().catch((err: unknown) => call.log.warn({ err: String(err), tool: def.name }, 'could not release a send-guard claim'))
    }
    let idemKey: string | undefined
    let argsHash = ''
    let dupKey: string | undefined
    const to = destinations.map(normaliseDestination).join(', ')
    try {
      if (key !== undefined) {
        idemKey = this.idem.storeKey(fp, def.name, key)
        argsHash = digest(canonicalJson(parsed))
        const claim = await this.idem.claim(idemKey, argsHash, call.signal)
        if (claim.kind !== 'owner') {
          this.tel?.idempotency(def.name, claim.kind === 'done' ? 'replayed' : claim.kind === 'still-running' ? 'in_flight' : claim.kind === 'conflict' ? 'conflict' : 'unknown')
          return this.answerClaim(def.name, key, claim.kind, claim.record)
        }
        const k = idemKey
        undo.push(() => this.idem.release(k))
      }
      if (limited) {
        const r = await this.policy.reserve(fp)
        if (!r.ok) {
          this.tel?.policyRefusal(def.name, 'rate_limit')
          await undoAll()
          const secs = Math.max(1, Math.ceil((r.retryAt - this.now()) / 1000))
          return refusal('rate_limit', `${def.name} refused by the send limit ${r.limit.label} for this credential (PILOT_STATUS_SEND_LIMIT). The next send is allowed at ${iso(r.retryAt)} (in ${secs} s). Nothing was sent.`)
        }
        undo.push(r.release)
      }
      if (deduped) {
        const same = { ...parsed }
        for (const k of SEND_DESTINATION[def.name] ?? []) if (typeof same[k] === 'string') same[k] = normaliseDestination(same[k])
        dupKey = this.dedupe!.storeKey(fp, def.name, same)
        const d = await this.dedupe!.claim(dupKey, to, allowDuplicate)
        if (!d.ok) {
          this.tel?.policyRefusal(def.name, 'duplicate')
          await undoAll()
          const ago = Math.max(0, Math.round((this.now() - d.at) / 1000))
          const what = d.pending ? `an identical ${def.name} to ${d.to} is being sent right now (started ${ago} s ago)` : `an identical ${def.name} to ${d.to} was already sent ${ago} s ago (at ${iso(d.at)})`
          return refusal('duplicate', `${def.name} refused as a duplicate: ${what}, within this server's duplicate window of ${Math.round(this.dedupe!.windowMs / 1000)} s (PILOT_STATUS_DEDUPE_WINDOW). Nothing was sent. Check it with messages_history; only if the user wants the same message sent again, call again with ${ALLOW_DUPLICATE_PARAM}: true.`)
        }
        const k = dupKey
        if (!allowDuplicate) undo.push(() => this.dedupe!.release(k))
      }
    } catch (err) {
      await undoAll()
      if (err instanceof StoreUnavailableError) {
        this.tel?.policyRefusal(def.name, 'store_unavailable')
        return refusal('store_unavailable', `${def.name} was not run: the shared store that guards sends (idempotency keys, limits, duplicates) is unavailable: ${err.message}. Nothing was sent; try again shortly.`)
      }
      throw err
    }

    const watch = new Watch(call.signal)
    let result: ToolResult
    try {
      result = await exec(parsed, (api) => watch.wrap(api))
    } catch (err) {
      await this.settle(call, watch.outcome === 'none' ? 'none' : 'unknown', undo, idemKey, argsHash, dupKey, to, undefined)
      throw err
    }
    await this.settle(call, watch.outcome, undo, idemKey, argsHash, dupKey, to, result)
    return result
  }

  /** Records what happened. A store failure here never turns a send that happened into an error. */
  private async settle (call: GuardCall, outcome: Outcome, undo: Array<() => Promise<void>>, idemKey: string | undefined, argsHash: string, dupKey: string | undefined, to: string, result: ToolResult | undefined): Promise<void> {
    const name = call.tool.def.name
    try {
      if (outcome === 'none') {
        for (const u of undo.splice(0).reverse()) await u()
        return
      }
      const at = this.now()
      if (idemKey !== undefined) {
        const record: IdempotencyRecord = outcome === 'done' && result
          ? { s: 'done', h: argsHash, at, result }
          : { s: 'unknown', h: argsHash, at, text: result ? textOf(result) : `${name} failed with an internal error` }
        await this.idem.complete(idemKey, record)
      }
      if (dupKey !== undefined) await this.dedupe!.record(dupKey, to)
    } catch (err) {
      // A pending idempotency claim left behind turns into "outcome unknown" when its lease ends: safe.
      call.log.error({ err: err instanceof Error ? err.message : String(err), tool: name, outcome }, 'could not record a send in the shared store')
    }
  }

  private answerClaim (tool: string, key: string, kind: 'done' | 'unknown' | 'conflict' | 'stale' | 'still-running', record: IdempotencyRecord): ToolResult {
    const k = JSON.stringify(key.length > 80 ? key.slice(0, 80) + '…' : key)
    const first = iso(record.at)
    const marker = (outcome: string) => ({ idempotency: { replayed: true, outcome, firstCalledAt: first } })
    switch (kind) {
      case 'done': {
        const kept = record.result!
        const note = `Replayed: idempotencyKey ${k} was first used at ${first}; this is that call's kept result. Nothing was sent again.`
        const content = kept.content.map((c, i) => (i === 0 && c.type === 'text' ? { ...c, text: `${note}\n${c.text}` } : c))
        if (!content.some((c) => c.type === 'text')) content.unshift({ type: 'text', text: note })
        return decided({
          ...kept,
          content,
          ...(kept.structuredContent ? { structuredContent: { ...kept.structuredContent, ...marker('done') } } : {})
        }, { outcome: 'replayed' })
      }
      case 'conflict':
        return refusal('conflict', `${tool} refused: idempotencyKey ${k} was already used at ${first} with different arguments. Nothing was sent. Use a new key for a different request, or repeat the first call's exact arguments to get its result.`)
      case 'still-running':
        return refusal('in_flight', `${tool} was not run again: the first call with idempotencyKey ${k} (started ${first}) is still running. Nothing was sent by this call; call again with the same key and arguments to get its result.`)
      case 'unknown':
      case 'stale': {
        const why = kind === 'stale'
          ? 'its server stopped before it finished'
          : `it failed with: ${(record.text ?? '').split('\n')[0]}`
        return decided({
          ...errorResult(`${tool} was not run again: the first call with idempotencyKey ${k} (at ${first}) has an unknown outcome (${why}). It may have taken effect. Check message_get or messages_history (or the matching list tool) before doing anything else; do not send it again with a new key unless that check shows it did not go out.`),
          structuredContent: marker('unknown')
        }, { outcome: 'replayed', reason: 'first_call_unknown' })
      }
    }
  }
}

/** Watches the API calls of one tool run: did a write reach the API, and how did it end? */
class Watch {
  outcome: Outcome = 'none'
  private readonly signal: AbortSignal

  constructor (signal: AbortSignal) {
    this.signal = signal
  }

  wrap (api: ApiClient): ApiClient {
    // Delegates to the real client (its pool and state stay on it); only `call` is observed.
    const watched = Object.create(api) as ApiClient
    watched.call = async <T>(req: ApiRequest, opts: CallOptions): Promise<ApiResponse<T>> => {
      if (req.method === 'GET') return await api.call<T>(req, opts)
      // Aborted before anything left: certainly not sent.
      if (this.signal.aborted) return await api.call<T>(req, opts)
      try {
        const res = await api.call<T>(req, opts)
        if (this.outcome !== 'unknown') this.outcome = 'done'
        return res
      } catch (err) {
        if (mayHaveTakenEffect(err)) this.outcome = 'unknown'
        throw err
      }
    }
    return watched
  }
}

/**
 * The same line src/mcp/errors.ts draws for its hint: a connection that never opened, or a
 * definite answer below 500, means nothing happened; a break after sending, a timeout, an
 * unreadable answer or a 5xx may hide a send that went through.
 */
function mayHaveTakenEffect (err: unknown): boolean {
  if (err instanceof ApiError) return err.status >= 500
  if (err instanceof UpstreamUnavailableError) return err.reason !== 'connection'
  return false
}

function destinationsOf (tool: string, args: Record<string, unknown>): string[] {
  return (SEND_DESTINATION[tool] ?? []).map((k) => args[k]).filter((v): v is string => typeof v === 'string')
}

/** A refusal of the send guards, with its reason code for the audit line. */
function refusal (reason: string, text: string): ToolResult {
  return decided(errorResult(text), { outcome: 'refused', reason })
}

function textOf (r: ToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).filter(Boolean).join('\n')
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}
