// The SDK's 2026-07-28 entry (createMcpHandler with a Server per request), created on first use:
// with the fast path answering well-formed tools/call and tools/list, a deployment needs it only
// for what the fast path leaves to the SDK (server/discover, confirmation rounds, malformed
// envelopes), and one whose clients are all 2025-era never does. Measured (README, Architecture):
// creating the handler is ~0.3 ms and 75 KB; the SDK builds its 2026 zod schemas on the first
// modern request it serves either way (~70–260 ms once, 1.3–1.5 MB of heap), far inside the
// request deadline, so nothing is warmed at start and processes without 2026 clients never pay.
import { createMcpHandler, type AuthInfo, type jsonSchemaValidator as JsonSchemaValidator } from '@modelcontextprotocol/server'
import type { ApiClient } from '../api/client.js'
import { createMcpServer, SCOPE_KEY, type CallScope } from './server.js'

export interface ModernHandler {
  /** Serves one request through the SDK (creating the handler on the first call). */
  fetch (request: Request, options: { parsedBody: unknown, authInfo: AuthInfo }): Promise<Response>
  /** Whether the SDK handler has been created. */
  readonly created: boolean
  close (): Promise<void>
}

export function modernHandler (api: ApiClient, validator: JsonSchemaValidator): ModernHandler {
  let handler: ReturnType<typeof createMcpHandler> | undefined
  // A Server per request is what this entry requires; it is cheap because the registry and
  // validator are shared (~7 µs an instance, stack-notes.md).
  const create = () => createMcpHandler((ctx) => createMcpServer({
    api,
    validator,
    cacheScope: (ctx.authInfo?.extra?.[SCOPE_KEY] as CallScope | undefined)?.narrowed ? 'private' : 'public'
  }), { legacy: 'reject' })
  return {
    fetch: (request, options) => (handler ??= create()).fetch(request, options),
    get created () { return handler !== undefined },
    close: async () => { await handler?.close() }
  }
}
