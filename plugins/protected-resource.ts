// OAuth 2.0 Protected Resource Metadata (RFC 9728): tells OAuth clients (the claude.ai
// connector) which authorization server issues tokens for this MCP server.
// @see https://www.rfc-editor.org/rfc/rfc9728#section-3
import type { FastifyPluginAsync } from 'fastify'

export interface ProtectedResourceOptions {
  /** The resource identifier (MCP_RESOURCE_URL). */
  resource: string
  authorizationServers: string[]
  /** Path of the MCP endpoint, for the path-suffixed well-known location. */
  mcpPath: string
  scopes?: string[]
  resourceName?: string
}

const protectedResource: FastifyPluginAsync<ProtectedResourceOptions> = async (app, opts) => {
  const metadata = {
    resource: opts.resource,
    authorization_servers: opts.authorizationServers,
    bearer_methods_supported: ['header'],
    resource_name: opts.resourceName ?? 'Pilot Status MCP server',
    ...(opts.scopes?.length ? { scopes_supported: opts.scopes } : {})
  }
  const body = JSON.stringify(metadata)
  const send = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    return reply.header('content-type', 'application/json').header('cache-control', 'public, max-age=3600').send(body)
  }
  app.get('/.well-known/oauth-protected-resource', send)
  app.get(`/.well-known/oauth-protected-resource${opts.mcpPath}`, send)
}

export default protectedResource
