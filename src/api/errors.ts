// Typed errors of the Pilot Status API client: every upstream failure is one of these two
// classes, mapped in one place (client.ts) and turned into tool results in src/mcp/errors.ts.

/** The API answered with a non-2xx status. `code` is the API's machine code when it sent one. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string | undefined
  readonly details: unknown
  /** Seconds from a `Retry-After` header, when the API sent one. */
  readonly retryAfterSeconds: number | undefined
  /** The parsed body, for codes that carry data (e.g. CONFIRMATION_REQUIRED carries a preview). */
  readonly body: unknown

  constructor (init: { status: number, message: string, code?: string, details?: unknown, retryAfterSeconds?: number, body?: unknown }) {
    super(init.message)
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code
    this.details = init.details
    this.retryAfterSeconds = init.retryAfterSeconds
    this.body = init.body
  }
}

/**
 * Why no usable answer came: `connection` — the API could not be reached at all (refused, DNS),
 * so the request was certainly not received; `interrupted` — the connection broke after the
 * request was sent (reset, closed), so the API may have acted on it; `timeout`, `aborted`
 * (the MCP client went away), `bad_response` (unreadable 2xx), `too_large` (body over the limit).
 */
export type UnavailableReason = 'timeout' | 'connection' | 'interrupted' | 'aborted' | 'bad_response' | 'too_large'

/** No usable answer came back: the API could not be reached, was too slow, or sent something unreadable. */
export class UpstreamUnavailableError extends Error {
  readonly reason: UnavailableReason
  /** HTTP status when a response arrived but could not be used. */
  readonly status: number | undefined

  constructor (reason: UnavailableReason, message: string, status?: number) {
    super(message)
    this.name = 'UpstreamUnavailableError'
    this.reason = reason
    this.status = status
  }
}

/**
 * A path parameter that no encoding can keep in its segment: WHATWG URL parsing (undici's)
 * resolves `.` and `..` even when percent-encoded, and an empty one collapses the path.
 */
export class InvalidPathSegmentError extends Error {
  readonly value: string
  constructor (value: string) {
    super(`${JSON.stringify(value)} is not a valid id`)
    this.name = 'InvalidPathSegmentError'
    this.value = value
  }
}

/** The request could not be built from the tool's arguments (e.g. a header value with control characters); nothing was sent. */
export class InvalidRequestError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidRequestError'
  }
}
