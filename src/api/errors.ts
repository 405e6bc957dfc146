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

export type UnavailableReason = 'timeout' | 'connection' | 'aborted' | 'bad_response' | 'too_large'

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
