// The product's routes that belong at the host root, whatever prefix the MCP endpoint has: the
// RFC 9728 protected-resource metadata and, when enabled, the authorization-server routes. The
// product registers this itself when it sits at the root; embedded under a prefix, the host
// registers it at its root through pilotStatusMcpWellKnown (src/app.ts).
import type { FastifyInstance } from 'fastify'
import protectedResource from './protected-resource.js'

export interface WellKnownOptions {
  resource: string
  authServerUrl: string
  /** Full path of the MCP endpoint on its origin (the product's prefix included). */
  mcpPath: string
  scopes?: string[]
  resourceName?: string
  /** Also serve /.well-known/oauth-authorization-server, /authorize, /token and /register. */
  authorizationServerRoutes: boolean
}

export default async function wellKnown (app: FastifyInstance, opts: WellKnownOptions): Promise<void> {
  await app.register(protectedResource, {
    resource: opts.resource,
    authorizationServers: [opts.authServerUrl],
    mcpPath: opts.mcpPath,
    scopes: opts.scopes,
    resourceName: opts.resourceName
  })
  // Loaded only when switched on (most deployments leave them off), at registration: before any request.
  if (opts.authorizationServerRoutes) await app.register(import('./authorization-server.js'), { authServerUrl: opts.authServerUrl })
}
