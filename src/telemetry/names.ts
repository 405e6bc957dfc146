// The telemetry contract: every metric and span attribute the server records, by its
// OpenTelemetry name. Metrics follow the MCP semantic conventions where they name one
// (mcp.server.operation.duration); the server's own carry the `pilot_status.` prefix. The
// Prometheus exporter turns dots into underscores and adds `_total` to counters; the Grafana
// dashboard (deploy/grafana) and the README's Observability section are written against this list.
// Attribute values are bounded: tool names, methods, status classes and fixed kinds, never ids,
// phone numbers or keys.

export const METRICS = {
  /** Histogram, seconds: one MCP request (tools/call, tools/list, initialize, ...). Attributes: mcp.method.name, gen_ai.tool.name (tools/call), error.type (when it failed), mcp.protocol.version, network.transport. */
  operationDuration: 'mcp.server.operation.duration',
  /** Counter: upstream /v1 calls. Attributes: gen_ai.tool.name, http.request.method, pilot_status.status_class (2xx/3xx/4xx/5xx/network/timeout/cancelled). */
  upstreamRequests: 'pilot_status.upstream.requests',
  /** Histogram, seconds: one upstream /v1 call (retries included). Attributes as upstreamRequests. */
  upstreamDuration: 'pilot_status.upstream.duration',
  /** Counter: upstream retries (a read retried after a network error or 502/503/504). Attribute: gen_ai.tool.name. */
  upstreamRetries: 'pilot_status.upstream.retries',
  /** Counter: upstream calls that hit their deadline. Attribute: gen_ai.tool.name. */
  upstreamTimeouts: 'pilot_status.upstream.timeouts',
  /** Counter: HTTP auth challenges sent (401/403). Attribute: pilot_status.auth.kind: the challenge's RFC 6750 error (invalid_request — malformed, in the URL, or an API key sent as a Bearer token; invalid_token; insufficient_scope), or missing_credentials when none was sent. (invalid_key is not sent by this server: an API key the API refuses is a tool error, not a challenge.). */
  authChallenges: 'pilot_status.auth.challenges',
  /** Counter: confirmations of irreversible tools. Attributes: gen_ai.tool.name, pilot_status.confirmation.outcome (asked, accepted, declined, cancelled, refused, expired, replayed; a request state that fails verification, expired or tampered, counts as refused without a tool). */
  confirmations: 'pilot_status.confirmations',
  /** Counter: calls answered from the idempotency store instead of running again. Attributes: gen_ai.tool.name, pilot_status.idempotency.outcome (replayed, conflict, in_flight, unknown — the first call's outcome is unknown). */
  idempotentReplays: 'pilot_status.idempotency.replays',
  /** Counter: sends refused by policy. Attributes: gen_ai.tool.name, pilot_status.policy.rule (duplicate, allow_list, rate_limit, store_unavailable). */
  policyRefusals: 'pilot_status.policy.refusals'
} as const

export const ATTR = {
  method: 'mcp.method.name',
  tool: 'gen_ai.tool.name',
  errorType: 'error.type',
  protocolVersion: 'mcp.protocol.version',
  transport: 'network.transport',
  httpMethod: 'http.request.method',
  statusCode: 'http.response.status_code',
  statusClass: 'pilot_status.status_class',
  authKind: 'pilot_status.auth.kind',
  confirmationOutcome: 'pilot_status.confirmation.outcome',
  idempotencyOutcome: 'pilot_status.idempotency.outcome',
  policyRule: 'pilot_status.policy.rule'
} as const

/** The instrumentation scope name of every tracer and meter. */
export const SCOPE_NAME = '@pilot-status/mcp-server'
