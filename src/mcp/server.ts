// The MCP server factory: a low-level SDK `Server` whose tools/list and tools/call handlers
// read the registry built once at start-up. Per-request state (credentials, tool view) comes
// in through the request's authInfo, so one instance can serve many requests; so does the
// holder in which a call leaves its outcome for the HTTP route to read after the answer.
import { Server, ProtocolError, ProtocolErrorCode, type AuthInfo, type CacheScope, type ServerContext, type jsonSchemaValidator as JsonSchemaValidator } from '@modelcontextprotocol/server'
import type { ApiClient } from '../api/client.js'
import { errorResult } from './errors.js'
import { SERVED_VERSIONS } from './versions.js'
import { INSTRUCTIONS, LIST_TTL_MS, OUTCOME_KEY, SCOPE_KEY, SERVER_CAPABILITIES, SERVER_INFO, runTool, type CallScope, type OutcomeHolder } from './scope.js'
import type { Operation } from '../telemetry/telemetry.js'

// What the fast path shares with the SDK's handlers lives in scope.ts (no SDK); re-exported for the
// callers that build an SDK server anyway (stdio, tests).
export { SERVED_VERSIONS } from './versions.js'
export { INSTRUCTIONS, LIST_TTL_MS, SCOPE_KEY, SERVER_CAPABILITIES, SERVER_INFO, buildRegistry, runTool, scopeAuthInfo, type CallScope, type OutcomeHolder, type RegistrySettings } from './scope.js'

export interface ServerDeps {
  api: ApiClient
  /** Used when a request carries no scope of its own (stdio: one process, one credential). */
  defaultScope?: CallScope
  /** One validator shared by every instance (the SDK otherwise builds one per Server). */
  validator?: JsonSchemaValidator
  /** 2026-07-28 cache scope of tools/list and server/discover (default public: the list is the configuration's). */
  cacheScope?: CacheScope
  /** The transport carries server→client requests (stdio sessions): 2025-era clients can be asked by `elicitation/create`. */
  pushElicitation?: boolean
  /** The Operation of a request by its id, where the transport began one (stdio with telemetry on). */
  operationOf?: (id: string | number) => Operation | undefined
}

function scopeOf (deps: ServerDeps, authInfo: AuthInfo | undefined): CallScope {
  const scope = authInfo?.extra?.[SCOPE_KEY] as CallScope | undefined
  const s = scope ?? deps.defaultScope
  if (!s) throw new ProtocolError(ProtocolErrorCode.InternalError, 'No credentials for this request')
  return s
}

export function createMcpServer (deps: ServerDeps): Server {
  // 2026-07-28 results carry cache fields; a view narrowed by request headers is this client's own.
  const cacheScope = deps.cacheScope ?? 'public'
  const server = new Server(
    { ...SERVER_INFO },
    {
      capabilities: structuredClone(SERVER_CAPABILITIES),
      instructions: INSTRUCTIONS,
      cacheHints: { 'tools/list': { ttlMs: LIST_TTL_MS, cacheScope }, 'server/discover': { ttlMs: LIST_TTL_MS, cacheScope } },
      ...(deps.validator ? { jsonSchemaValidator: deps.validator } : {}),
      // A confirmation's request state is verified (HMAC, expiry) before the handler runs.
      requestState: {
        verify: async (state: string, ctx: ServerContext) => {
          const scope = scopeOf(deps, ctx.http?.authInfo)
          return scope.confirm ? await scope.confirm.verifyState(state, scope.credentials, scope.log) : undefined
        }
      }
    }
  )
  // The SDK's server/discover lists only the 2026-era revisions; a client deciding whether to fall
  // back to initialize should see every version served. (The HTTP entry installs its own handler
  // calling _ondiscover, so the override goes there.)
  const sdk = server as unknown as { _ondiscover: () => Record<string, unknown> }
  const discover = sdk._ondiscover.bind(server)
  sdk._ondiscover = () => ({ ...discover(), supportedVersions: [...SERVED_VERSIONS] })

  server.setRequestHandler('tools/list', async (_req, ctx) => {
    return scopeOf(deps, ctx.http?.authInfo).view.listResult
  })

  server.setRequestHandler('tools/call', async (req, ctx) => {
    const shared = scopeOf(deps, ctx.http?.authInfo)
    const op = deps.operationOf?.(ctx.mcpReq.id)
    const scope = op ? { ...shared, op } : shared
    const name = req.params.name
    const tool = scope.view.tools.get(name)
    if (!tool) {
      const refusal = scope.view.refusal(name)
      if (refusal) return errorResult(refusal)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`)
    }
    // The confirmation gate may answer instead: a question, a refusal, or "declined".
    const gate = scope.confirm
      ? await scope.confirm.gate({
        tool,
        rawArgs: req.params.arguments,
        credentials: scope.credentials,
        api: deps.api,
        log: scope.log,
        ctx,
        push: deps.pushElicitation ? { capabilities: server.getClientCapabilities() } : undefined,
        outputSchemaListed: scope.view.listsOutputSchema(name)
      })
      : undefined
    if (gate?.kind === 'answer') return scope.audit ? scope.audit.answered(tool, req.params.arguments, scope, gate.result) : gate.result
    const outcome = await runTool(deps.api, scope, tool, req.params.arguments, ctx.mcpReq.signal, true)
    const holder = ctx.http?.authInfo?.extra?.[OUTCOME_KEY] as OutcomeHolder | undefined
    if (holder) holder.outcome = outcome
    return gate?.kind === 'run' && gate.after ? await gate.after(outcome.result) : outcome.result
  })

  return server
}
