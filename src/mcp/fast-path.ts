// The HTTP fast path for the two requests that make up nearly all traffic, tools/call and
// tools/list from 2025-era clients. It answers exactly what the SDK Server answers (the same
// handlers over the same registry; test/mcp/fast-path.ts compares the two answer by answer)
// without the SDK's per-request work — zod parsing of the request and result, context and
// abort plumbing — which measured at roughly half of a call's CPU time (README, Performance).
// Which requests take it is decided by one gate, fastRequest in gate.ts; this module only runs them.
import type { ApiClient } from '../api/client.js'
import type { AuthChallenge } from './call.js'
import type { FastRequest, Id } from './gate.js'
import { runTool, type CallScope } from './server.js'

/** A JSON-RPC answer, serialised, and whether the call behind it was refused for its OAuth token. */
export interface Answer {
  json: string
  auth?: AuthChallenge
}

function response (id: Id, resultJson: string): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${resultJson}}`
}

/**
 * Answers a request the gate let through. `cancelled` is the answer used when `signal` aborts
 * first (the client left, or the request deadline passed).
 */
export function fastAnswer (api: ApiClient, req: FastRequest, scope: CallScope, signal: AbortSignal, cancelled: () => string): Promise<Answer> {
  if (req.method === 'tools/list') return Promise.resolve({ json: response(req.id, scope.view.listJson) })
  if (signal.aborted) return Promise.resolve({ json: cancelled() })
  const { id, tool, args } = req
  return new Promise<Answer>((resolve) => {
    const onAbort = () => resolve({ json: cancelled() })
    signal.addEventListener('abort', onAbort, { once: true })
    runTool(api, scope, tool, args, signal).then((outcome) => {
      signal.removeEventListener('abort', onAbort)
      if (signal.aborted) resolve({ json: cancelled() })
      else resolve({ json: response(id, JSON.stringify(outcome.result)), ...(outcome.kind === 'auth' ? { auth: outcome.challenge } : {}) })
    }, (err: unknown) => {
      // callTool turns every failure into a tool result; this is a bug, answered as the SDK would.
      signal.removeEventListener('abort', onAbort)
      scope.log.error({ err, tool: tool.def.name }, 'tool call failed')
      resolve({ json: `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":{"code":-32603,"message":"Internal error"}}` })
    })
  })
}
