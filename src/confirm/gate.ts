// The confirmation gate in front of a tool call, in each protocol era:
// - 2026-07-28 (stateless HTTP, stdio): the first call returns an input-required result with a
//   yes/no form and a signed request state; the retried call runs only if that state verifies
//   and matches the call, its credential and an unused approval id.
// - 2025-11-25 over stdio (a session): a server→client `elicitation/create` before the tool runs.
// - 2025-11-25 over stateless HTTP: no way to ask; `auto` runs as before, `required` refuses.
// Payment tools then offer their checkout page through URL-mode elicitation where the client has it.
import { randomUUID } from 'node:crypto'
import type {
  CallToolResult, ClientCapabilities, ElicitRequestFormParams, InputRequiredResult, ServerContext, inputResponse
} from '@modelcontextprotocol/server'
import type { ApiClient } from '../api/client.js'
import { fingerprint, type Credentials } from '../api/credentials.js'
import type { ToolLogger } from '../../tools/define.js'
import { acceptedArguments } from '../mcp/call.js'
import { NUMBER_ID_PARAM, type RegisteredTool } from '../mcp/registry.js'
import { decided } from '../audit.js'
import { needsConfirmation, type ConfirmMode, type ConfirmPolicy } from './policy.js'
import { describeCall, type Reader } from './describe.js'
import {
  APPROVAL_TTL_SECONDS, MemoryConsumeOnce, argumentsDigest, createApprovalCodec, newApprovalId,
  type ApprovalCodec, type ApprovalState, type ConsumeOnce
} from './state.js'
import type { Telemetry } from '../telemetry/telemetry.js'
import { CLIENT_CAPABILITIES_META_KEY } from '../mcp/versions.js'

export interface ConfirmOptions {
  /** Default `auto`. */
  mode?: ConfirmMode
  /** Tool names that ask, replacing the list derived from the tools' hints. */
  tools?: readonly string[]
  /** HMAC key (≥ 32 characters) for request states; replicas that share it accept each other's. Default: random per process. */
  secret?: string
  /** Where approval ids are spent (default: this process's memory). */
  once?: ConsumeOnce
  /** Counts confirmations by outcome (src/telemetry); absent when telemetry is off. */
  telemetry?: Telemetry
}

export type GateOutcome =
  | { kind: 'answer', result: CallToolResult | InputRequiredResult }
  /** Run the tool; `after` (URL mode) may turn its result into a follow-up question. */
  | { kind: 'run', after?: (result: CallToolResult) => Promise<CallToolResult | InputRequiredResult> }

export interface GateCall {
  tool: RegisteredTool
  rawArgs: unknown
  credentials: Credentials
  api: ApiClient
  log: ToolLogger
  ctx: ServerContext
  /** The connection carries server→client requests (stdio); then these are the capabilities its client declared. */
  push?: { capabilities: ClientCapabilities | undefined }
  /**
   * tools/list shows this tool's output schema: SDK clients then reject a non-error result
   * without structuredContent, so "declined" has to travel as an error result.
   */
  outputSchemaListed?: boolean
}

/** Tools whose result is a payment page a person opens (URL-mode elicitation fits them). */
const PAYMENT_URL: Record<string, string> = { billing_checkout: 'url', subscription_extra_numbers_add: 'checkoutUrl' }
/** The yes/no form: no fields, the answer is accept or decline. */
const YES_NO: ElicitRequestFormParams['requestedSchema'] = { type: 'object', properties: {} }

type Era = 'modern' | 'push' | 'none'

export class Confirmer {
  readonly policy: ConfirmPolicy
  private readonly codec: ApprovalCodec
  private readonly once: ConsumeOnce
  private readonly tel: Telemetry | undefined

  constructor (opts: ConfirmOptions = {}) {
    this.tel = opts.telemetry
    this.policy = { mode: opts.mode ?? 'auto', tools: opts.tools ? new Set(opts.tools) : undefined }
    this.codec = createApprovalCodec(opts.secret)
    this.once = opts.once ?? new MemoryConsumeOnce()
  }

  get ephemeralKey (): boolean {
    return this.codec.ephemeral
  }

  asks (tool: RegisteredTool): boolean {
    return needsConfirmation(this.policy, tool.def.name, tool.def.annotations)
  }

  /**
   * For a call that reached the tool without the gate (the 2025-era HTTP fast path): under
   * `required` a tool that asks is refused, since that connection cannot ask anyone.
   */
  refuseUnasked (tool: RegisteredTool, credentials: Credentials, log: ToolLogger): CallToolResult | undefined {
    if (this.policy.mode !== 'required' || !this.asks(tool)) return undefined
    return this.cannotAsk(tool, 'none', credentials, log)
  }

  /**
   * The SDK's request-state hook (`ServerOptions.requestState.verify`): runs before the handler on
   * every round that echoes a state. A failure (tampered, expired, another key) is logged and
   * thrown, and the SDK answers -32602 without running the handler.
   */
  async verifyState (wire: string, credentials: Credentials, log: ToolLogger): Promise<ApprovalState> {
    try {
      return await this.codec.verify(wire)
    } catch (err) {
      log.warn({ credential: fingerprint(credentials), outcome: 'invalid_request_state', reason: err instanceof Error ? err.message : 'invalid' }, 'confirmation refused')
      this.tel?.confirmation(undefined, 'refused')
      throw err
    }
  }

  async gate (call: GateCall): Promise<GateOutcome> {
    const { tool, ctx } = call
    if (!this.asks(tool)) return { kind: 'run' }
    const args = acceptedArguments(tool, call.rawArgs)
    // An invalid call is refused by the tool pipeline without running; there is nothing to confirm.
    if (!args) return { kind: 'run' }
    const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined
    const era: Era = envelope !== undefined ? 'modern' : call.push ? 'push' : 'none'
    const caps = era === 'modern'
      ? envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined
      : call.push?.capabilities
    const modes = elicitationModes(caps)
    if (era === 'modern') return await this.modern(call, args, modes)
    if (era === 'push' && modes.form) return await this.push(call, args, modes)
    if (this.policy.mode === 'required') return { kind: 'answer', result: this.cannotAsk(tool, era, call.credentials, call.log) }
    return { kind: 'run' }
  }

  private async modern (call: GateCall, args: Record<string, unknown>, modes: Modes): Promise<GateOutcome> {
    const { tool, ctx } = call
    // Only the SDK's handler gets here, so the SDK is loaded already (versions.ts: why it is lazy).
    const { inputRequired, inputResponse } = await import('../mcp/confirm-sdk.js')
    const name = tool.def.name
    const fp = fingerprint(call.credentials)
    const state = ctx.mcpReq.requestState<ApprovalState | string>()
    const responses = ctx.mcpReq.inputResponses
    if (state === undefined) {
      if (responses && Object.keys(responses).length > 0) return this.refuse(call, 'answer_without_state', 'The confirmation answer came without the request state this server issued with the question')
      if (!modes.form) {
        if (this.policy.mode === 'required') return { kind: 'answer', result: this.cannotAsk(tool, 'modern', call.credentials, call.log) }
        return { kind: 'run' }
      }
      const message = await describeCall(name, tool.def.title, args, reader(call, args))
      const requestState = await this.codec.mint({ t: name, d: argumentsDigest(args), f: fp, n: newApprovalId(), s: 'ask' })
      this.tel?.confirmation(name, 'asked')
      return {
        kind: 'answer',
        result: inputRequired({ inputRequests: { confirm: inputRequired.elicit({ message, requestedSchema: YES_NO }) }, requestState })
      }
    }
    // Without the verify hook the state would be the client's raw text: never trusted.
    if (typeof state !== 'object' || state === null) return this.refuse(call, 'unverified_state', 'The request state could not be verified')
    if (state.t !== name || state.d !== argumentsDigest(args) || state.f !== fp) {
      return this.refuse(call, 'state_mismatch', 'The confirmation was given for a different call (another tool, other arguments or another credential)')
    }
    if (state.s === 'open') return { kind: 'answer', result: afterPaymentPage(state.r as CallToolResult, inputResponse(responses, 'open')) }
    const answer = inputResponse(responses, 'confirm')
    if (answer.kind !== 'elicit') return this.refuse(call, 'no_answer', 'The retried call carried no answer to the confirmation')
    // Spent on any answer: a question declined once cannot be answered again with the same state.
    if (!(await this.once.consumeOnce(state.n, APPROVAL_TTL_SECONDS * 1000))) {
      this.tel?.confirmation(name, 'replayed')
      return this.refuse(call, 'approval_reused', 'This confirmation was already used; each approval runs one call')
    }
    if (answer.action !== 'accept') return { kind: 'answer', result: this.notConfirmed(call, answer.action) }
    this.tel?.confirmation(name, 'accepted')
    return accepted(call, fp, modes, async (result, url) => {
      const requestState = await this.codec.mint({ ...state, s: 'open', r: result })
      return inputRequired({
        inputRequests: { open: inputRequired.elicitUrl({ message: paymentMessage(name), url }) },
        requestState
      })
    })
  }

  private async push (call: GateCall, args: Record<string, unknown>, modes: Modes): Promise<GateOutcome> {
    const { tool, ctx } = call
    const name = tool.def.name
    const fp = fingerprint(call.credentials)
    const message = await describeCall(name, tool.def.title, args, reader(call, args))
    const ask = { timeout: APPROVAL_TTL_SECONDS * 1000, signal: ctx.mcpReq.signal }
    let action: 'accept' | 'decline' | 'cancel'
    this.tel?.confirmation(name, 'asked')
    try {
      action = (await ctx.mcpReq.elicitInput({ message, requestedSchema: YES_NO }, ask)).action
    } catch (err) {
      if (ctx.mcpReq.signal.aborted) throw err
      // No answer in time, or the client failed the request: nobody said yes.
      call.log.warn({ tool: name, credential: fp, err: err instanceof Error ? err.message : String(err) }, 'confirmation request failed')
      action = 'cancel'
    }
    if (action !== 'accept') return { kind: 'answer', result: this.notConfirmed(call, action) }
    this.tel?.confirmation(name, 'accepted')
    return accepted(call, fp, modes, async (result, url) => {
      let opened: 'accept' | 'decline' | 'cancel' = 'cancel'
      try {
        opened = (await ctx.mcpReq.elicitInput({ mode: 'url', message: paymentMessage(name), url, elicitationId: randomUUID() }, ask)).action
      } catch (err) {
        if (ctx.mcpReq.signal.aborted) throw err
      }
      return afterPaymentPage(result, { kind: 'elicit', action: opened })
    })
  }

  private notConfirmed (call: GateCall, action: 'decline' | 'cancel'): CallToolResult {
    const name = call.tool.def.name
    const outcome = action === 'decline' ? 'declined' : 'cancelled'
    this.tel?.confirmation(name, outcome)
    call.log.info({ tool: name, credential: fingerprint(call.credentials), outcome }, `confirmation ${outcome}`)
    // Not an error: a model retries errors, and the person has just said no.
    const text = action === 'decline'
      ? `The person declined this ${name} call when asked to confirm it. Nothing was run: nothing was sent, changed or charged. Do not call it again unless the person asks for it.`
      : `The person dismissed the confirmation of this ${name} call without answering. Nothing was run: nothing was sent, changed or charged. Ask the person before trying again.`
    return decided({ ...(call.outputSchemaListed ? { isError: true } : {}), content: [{ type: 'text', text }] }, { outcome: 'declined', reason: action === 'decline' ? 'declined' : 'dismissed' })
  }

  private refuse (call: GateCall, outcome: string, why: string): GateOutcome {
    const name = call.tool.def.name
    if (outcome !== 'approval_reused') this.tel?.confirmation(name, 'refused')
    call.log.warn({ tool: name, credential: fingerprint(call.credentials), outcome }, 'confirmation refused')
    return {
      kind: 'answer',
      result: decided({
        isError: true,
        content: [{ type: 'text', text: `${why}. Nothing was run. To do this, call ${name} again without inputResponses or requestState: the person is asked again.` }]
      }, { outcome: 'refused', reason: outcome })
    }
  }

  private cannotAsk (tool: RegisteredTool, era: Era, credentials: Credentials, log: ToolLogger): CallToolResult {
    const name = tool.def.name
    log.warn({ tool: name, credential: fingerprint(credentials), outcome: 'refused_no_channel' }, 'confirmation refused')
    this.tel?.confirmation(name, 'refused')
    const why = era === 'none'
      ? 'this connection cannot ask anyone: MCP 2025-11-25 over stateless HTTP has no channel for the server to put a question to the person'
      : 'this client cannot ask a person: it did not declare the elicitation capability (form mode)'
    const fix = era === 'none'
      ? 'Use a client on the MCP 2026-07-28 revision that supports elicitation, or run this server over stdio with a client that supports elicitation'
      : 'Use an MCP client that supports elicitation (form mode)'
    return decided({
      isError: true,
      content: [{ type: 'text', text: `${name} needs a person's confirmation on this server (confirmation policy: required), and ${why}. Nothing was run. ${fix}; or the server operator can change PILOT_STATUS_CONFIRM.` }]
    }, { outcome: 'refused', reason: 'confirmation_required' })
  }
}

interface Modes { form: boolean, url: boolean }

/**
 * The person said yes: log it and run. A payment tool whose client can open a URL then offers the
 * checkout page through `openPage` (a third 2026-07-28 round, or a URL-mode elicitation/create).
 */
function accepted (call: GateCall, fp: string, modes: Modes, openPage: (result: CallToolResult, url: string) => Promise<CallToolResult | InputRequiredResult>): GateOutcome {
  const name = call.tool.def.name
  call.log.info({ tool: name, credential: fp, outcome: 'accepted' }, 'confirmation accepted')
  const field = PAYMENT_URL[name]
  if (!field || !modes.url) return { kind: 'run' }
  return {
    kind: 'run',
    after: async (result) => {
      const url = paymentUrl(result, field)
      return url ? await openPage(result, url) : result
    }
  }
}

/** An empty elicitation capability means form mode (spec); URL mode only when declared. */
function elicitationModes (caps: ClientCapabilities | undefined): Modes {
  const e = caps?.elicitation as Record<string, unknown> | undefined
  if (e === undefined || e === null || typeof e !== 'object') return { form: false, url: false }
  const declared = 'form' in e || 'url' in e
  return { form: !declared || 'form' in e, url: 'url' in e }
}

/** One GET with the caller's credentials, for names in the question; failures read as unknown. */
function reader (call: GateCall, args: Record<string, unknown>): Reader {
  const numberId = call.tool.takesNumberId ? args[NUMBER_ID_PARAM] as string | undefined : undefined
  return async <T>(path: string, query?: Record<string, string | number>) => {
    try {
      const signal = AbortSignal.any([call.ctx.mcpReq.signal, AbortSignal.timeout(5000)])
      const res = await call.api.call<T>({ method: 'GET', path, query }, { credentials: call.credentials, whatsappNumberId: numberId, signal })
      return res.data
    } catch {
      return undefined
    }
  }
}

function paymentUrl (result: CallToolResult, field: string): string | undefined {
  if (result.isError) return undefined
  const v = (result.structuredContent as Record<string, unknown> | undefined)?.[field]
  return typeof v === 'string' && /^https:\/\//.test(v) ? v : undefined
}

function paymentMessage (name: string): string {
  return name === 'billing_checkout'
    ? 'Open the Pilot Status payment page (Stripe) to complete this checkout. Nothing is charged until you pay there.'
    : 'Open the Pilot Status payment page (Stripe) to pay for the extra numbers. Nothing is charged until you pay there.'
}

/** After a URL-mode round: when the page was opened for the person, the link is not repeated in the conversation. */
function afterPaymentPage (result: CallToolResult, answer: ReturnType<typeof inputResponse>): CallToolResult {
  if (answer.kind !== 'elicit' || answer.action !== 'accept') {
    const note = 'The person did not open the payment page from their client; the link is in this result if they want it.'
    return { ...result, content: [{ type: 'text', text: note }, ...result.content] }
  }
  const data: Record<string, unknown> = { ...(result.structuredContent ?? {}) }
  for (const k of Object.values(PAYMENT_URL)) if (k in data) data[k] = '(opened for the person by their client)'
  return {
    ...result,
    content: [{ type: 'text', text: `The payment page was opened for the person by their client; nothing is charged until they pay there. Do not paste the link into the conversation.\n${JSON.stringify(data)}` }]
  }
}
