// One taxonomy for tool failures: an upstream error becomes an isError result a model can act
// on — HTTP status, the API's code and message, and a hint for every code the API documents.
import { ApiError, InvalidPathSegmentError, InvalidRequestError, UpstreamUnavailableError } from '../api/errors.js'

/** Hints for the API's documented error codes (pilot-status-api.md §3). */
export const CODE_HINTS: Record<string, string> = {
  TENANT_SCOPE_NOT_ALLOWED: 'This tool needs a number-scoped API key (one per WhatsApp number, dashboard → API keys). With a tenant key or an OAuth login, pass whatsappNumberId (get one from numbers_list).',
  NUMBER_SCOPE_NOT_ALLOWED: 'This tool needs the tenant-scoped key (dashboard → Profile → API) or an OAuth login granted for the whole tenant; a number-scoped key cannot call it.',
  VALIDATION_ERROR: 'The API rejected the arguments; correct them as the message says.',
  INVALID_DATE_RANGE: 'startDate and endDate must be ISO 8601 dates with startDate not after endDate.',
  NUMBER_NOT_FOUND: 'That number is not in this account, or the key is not bound to a number. Get valid ids from numbers_list.',
  NUMBER_MISMATCH: 'The number given differs from the one the key is bound to: omit whatsappNumberId or use that number\'s key.',
  NUMBER_REQUIRED: 'With a tenant key or OAuth login, say which number: pass whatsappNumberId (from numbers_list).',
  WEBHOOK_NOT_FOUND: 'No such webhook within this key\'s scope; list them with webhooks_list.',
  TEMPLATE_NOT_FOUND: 'No template with that id or name on this number; list them with templates_list.',
  TEMPLATE_EXAMPLES_REQUIRED: 'Pass `examples` with one realistic sample value for every variable in the template (details.missing lists the ones absent).',
  META_TEMPLATE_SUBMIT_FAILED: 'Meta refused the template: change the content as the message says and submit again.',
  MISSING_TEMPLATE_VARIABLES: 'Pass `variables` with a value for every placeholder of the template (templates_get shows them).',
  SUBSCRIPTION_REQUIRED_FOR_MEDIA: 'Media sends need an active paid subscription: send text instead, or upgrade the plan.',
  NOT_SUPPORTED_FOR_META: 'Not available on Meta Cloud API numbers; use a Pilot Status (QR) number.',
  META_GROUPS_NOT_ELIGIBLE: 'This Meta number is not an approved Official Business Account with groups enabled.',
  WHATSAPP_INSTANCE_NOT_CONNECTED: 'The number\'s WhatsApp session is not connected: check numbers_status and reconnect with numbers_connect.',
  EVOLUTION_API_KEY_MISSING: 'The provider is misconfigured on Pilot Status\' side; try again later or contact support.',
  FEATURE_NOT_SUPPORTED: 'Calling works only on Meta Cloud API and Pilot Status (web) numbers.',
  META_CALL_PERMISSION_REQUIRED: 'The user has not allowed business calls: ask with call_permission_request, check with call_permission_get.',
  META_CALL_PERMISSION_REQUEST_LIMIT: 'Too many call-permission requests to this user; wait before asking again (call_permission_get shows the limits).',
  CONFIRMATION_REQUIRED: 'This moves the account from the Free plan to On Demand and charges money. Show the preview to the user and call again with confirm: true only after they agree.',
  NUMBER_LIMIT_EXCEEDED: 'More numbers are in use than the plan would allow: delete numbers (numbers_delete) before removing paid extra numbers.',
  TEMPLATE_NAME_EXISTS: 'A template with that name exists; pick another name or update it with templates_update.'
}

const STATUS_HINTS: Record<number, string> = {
  400: 'The request was invalid; correct the arguments as the message says.',
  401: 'The API key or token was rejected: check the key (keys start with ps_) or log in again.',
  402: 'This needs a paid subscription.',
  403: 'The credential is valid but not allowed to do this (wrong key scope or OAuth grant).',
  404: 'Not found within this key\'s scope: check the id with the matching list tool.',
  409: 'The resource is in a state that does not allow this (for example already connected, or a name taken).',
  429: 'Rate limited by the API: wait before trying again.'
}

export interface ToolErrorResult {
  [k: string]: unknown
  isError: true
  content: Array<{ type: 'text', text: string }>
}

export function errorResult (text: string): ToolErrorResult {
  return { isError: true, content: [{ type: 'text', text }] }
}

/**
 * Turns any failure of a tool call into its isError result. `sideEffect` marks calls that are
 * not idempotent (a send): for those an unknown outcome must not invite a blind retry.
 */
export function toolErrorFromException (err: unknown, toolName: string, sideEffect: boolean): ToolErrorResult {
  if (err instanceof ApiError) {
    const code = err.code ? ` ${err.code}` : ''
    const lines = [`${toolName} failed: Pilot Status API answered HTTP ${err.status}${code}: ${err.message}`]
    if (err.details !== undefined) lines.push(`Details: ${JSON.stringify(err.details)}`)
    if (err.code === 'CONFIRMATION_REQUIRED' && err.body && typeof err.body === 'object' && 'preview' in err.body) {
      lines.push(`Preview: ${JSON.stringify((err.body as { preview: unknown }).preview)}`)
    }
    const hint = (err.code && CODE_HINTS[err.code]) ?? STATUS_HINTS[err.status] ?? (err.status >= 500 ? serverErrorHint(sideEffect) : undefined)
    if (hint) lines.push(`Hint: ${hint}`)
    if (err.status === 429 && err.retryAfterSeconds !== undefined) lines.push(`Retry after ${Math.ceil(err.retryAfterSeconds)} s.`)
    return errorResult(lines.join('\n'))
  }
  if (err instanceof UpstreamUnavailableError) {
    const lines = [`${toolName} failed: ${err.message}.`]
    if (err.reason === 'aborted') return errorResult(lines[0])
    const outcomeUnknown = sideEffect && err.reason !== 'connection'
    lines.push(`Hint: ${outcomeUnknown ? unknownOutcomeHint : 'The Pilot Status API is unreachable or misbehaving; try again shortly.'}`)
    return errorResult(lines.join('\n'))
  }
  if (err instanceof InvalidPathSegmentError) {
    return errorResult(`Invalid arguments for ${toolName}: ${err.message} (an id cannot be empty, "." or ".."). The tool was not run.`)
  }
  if (err instanceof InvalidRequestError) return errorResult(`${toolName} failed: ${err.message}. Nothing was sent to Pilot Status.`)
  // A bug of ours: say so without leaking internals; the caller logs the error itself.
  return errorResult(`${toolName} failed with an internal error of the MCP server. Nothing more is known; it has been logged.`)
}

const unknownOutcomeHint = 'The request may have reached Pilot Status before it failed. Do not repeat it blindly: check first (message_get, messages_history, or the matching list tool) whether it took effect.'

function serverErrorHint (sideEffect: boolean): string {
  return sideEffect ? `Pilot Status had an internal error. ${unknownOutcomeHint}` : 'Pilot Status had an internal error; try again shortly.'
}
