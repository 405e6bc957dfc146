// OAuth 2.0 Protected Resource Metadata (RFC 9728): tells OAuth clients (the claude.ai
// connector) which authorization server issues tokens for this MCP server.
// The metadata of resource `https://host/a/b` lives at `https://host/.well-known/oauth-protected-resource/a/b`
// (the well-known segment inserted before the path, at the host root) and its `resource` must be
// exactly the identifier that location was derived from. @see https://www.rfc-editor.org/rfc/rfc9728#section-3
import type { FastifyInstance, FastifyReply } from 'fastify'

export interface ProtectedResourceOptions {
  /** The resource identifier (MCP_RESOURCE_URL). */
  resource: string
  authorizationServers: string[]
  /** Full path of the MCP endpoint on its origin (the product's prefix included). */
  mcpPath: string
  scopes?: string[]
  resourceName?: string
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource'

function pathOf (url: URL): string {
  return url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '')
}

/** The well-known URL RFC 9728 derives from a resource identifier. */
export function metadataUrlFor (resource: string): string {
  const u = new URL(resource)
  return `${u.origin}${WELL_KNOWN}${pathOf(u)}`
}

/**
 * Every location served → the `resource` it must announce: the one derived from the configured
 * identifier, and the other of root / path-suffixed (the MCP endpoint's full path), whose
 * identifier is this origin with that path.
 */
export function metadataLocations (resource: string, fullMcpPath: string): Map<string, string> {
  const u = new URL(resource)
  const own = pathOf(u)
  const out = new Map<string, string>([[`${WELL_KNOWN}${own}`, resource]])
  if (own === '') out.set(`${WELL_KNOWN}${fullMcpPath}`, `${u.origin}${fullMcpPath}`)
  else out.set(WELL_KNOWN, u.origin)
  return out
}

export default async function protectedResource (app: FastifyInstance, opts: ProtectedResourceOptions): Promise<void> {
  const base = {
    authorization_servers: opts.authorizationServers,
    bearer_methods_supported: ['header'],
    resource_name: opts.resourceName ?? 'Pilot Status MCP server',
    resource_documentation: 'https://github.com/pilot-status/mcp-server#readme',
    ...(opts.scopes?.length ? { scopes_supported: opts.scopes } : {})
  }
  // Well-known URLs live at the host root: this plugin is registered in an unprefixed context
  // (by the product at the root, or by the host through pilotStatusMcpWellKnown).
  if (app.prefix !== '') throw new Error(`pilot-status-mcp: the protected-resource metadata must be served at the host root, not under ${app.prefix}`)
  for (const [path, resource] of metadataLocations(opts.resource, opts.mcpPath)) {
    const body = JSON.stringify({ resource, ...base })
    const send = async (_req: unknown, reply: FastifyReply) =>
      reply.header('content-type', 'application/json').header('cache-control', 'public, max-age=3600').send(body)
    try {
      app.get(path, send)
    } catch (err) {
      // The host already serves this location itself (e.g. two embedded products): keep the host's.
      if ((err as { code?: string }).code !== 'FST_ERR_DUPLICATED_ROUTE') throw err
      app.log.warn({ path }, 'protected-resource metadata route already exists; not replaced')
    }
  }
}
