// The HTTP fast path for the two requests that make up nearly all traffic, tools/call and
// tools/list from 2025-era clients. It answers exactly what the SDK Server answers (the same
// handlers over the same registry; test/mcp/fast-path.test.ts compares the two answer by answer)
// without the SDK's per-request work — zod parsing of the request and result, context and
// abort plumbing — which measured at roughly half of a call's CPU time (README, Performance).
// Only plainly well-formed requests take it; anything else (batches excepted, each message is
// judged on its own) goes to the SDK, which owns the protocol's error answers.
import type { ApiClient } from '../api/client.js'
import { runTool, type CallScope } from './server.js'

type Id = string | number

export function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** `_meta` as the SDK accepts it: absent or an object (a progress token cannot be honoured in a JSON answer either way). */
function metaOk (meta: unknown): boolean {
  return meta === undefined || isPlainObject(meta)
}

function response (id: Id, resultJson: string): string {
  return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${resultJson}}`
}

/**
 * Answers `message` directly when it is a well-formed tools/list or tools/call for a tool in
 * the scope's view, with the JSON-RPC response already serialised; returns undefined for
 * everything else. `cancelled` is the answer used when
 * `signal` aborts first (the client left, or the request deadline passed).
 */
export function fastAnswer (api: ApiClient, message: Record<string, unknown>, scope: CallScope, signal: AbortSignal, cancelled: () => string): Promise<string> | undefined {
  const id = message.id as Id
  const params = message.params
  if (message.method === 'tools/list') {
    if (params !== undefined) {
      if (!isPlainObject(params)) return undefined
      for (const k in params) {
        if (k === '_meta' ? !metaOk(params._meta) : k !== 'cursor' || typeof params.cursor !== 'string') return undefined
      }
    }
    return Promise.resolve(response(id, scope.view.listJson))
  }
  if (message.method !== 'tools/call' || !isPlainObject(params)) return undefined
  for (const k in params) {
    if (k !== 'name' && k !== 'arguments' && k !== '_meta') return undefined
  }
  if (typeof params.name !== 'string' || !metaOk(params._meta)) return undefined
  if (params.arguments !== undefined && !isPlainObject(params.arguments)) return undefined
  const tool = scope.view.tools.get(params.name)
  if (!tool) return undefined
  if (signal.aborted) return Promise.resolve(cancelled())
  return new Promise<string>((resolve) => {
    const onAbort = () => resolve(cancelled())
    signal.addEventListener('abort', onAbort, { once: true })
    runTool(api, scope, tool, params.arguments, signal).then((result) => {
      signal.removeEventListener('abort', onAbort)
      resolve(signal.aborted ? cancelled() : response(id, JSON.stringify(result)))
    }, (err: unknown) => {
      // callTool turns every failure into a tool result; this is a bug, answered as the SDK would.
      signal.removeEventListener('abort', onAbort)
      scope.log.error({ err, tool: tool.def.name }, 'tool call failed')
      resolve(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":{"code":-32603,"message":"Internal error"}}`)
    })
  })
}
