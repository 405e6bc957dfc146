// CORS for browser-based MCP clients (e.g. the Inspector), scoped to the product's routes:
// registered inside the product's encapsulated context, so a host app's routes are untouched.
import cors from '@fastify/cors'
import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { isLoopbackHost } from './origin-guard.js'

export interface CorsOptions {
  /** Origins allowed besides loopback; `*` allows any. */
  allowedOrigins: readonly string[]
}

const corsPlugin: FastifyPluginAsync<CorsOptions> = async (app, opts) => {
  const any = opts.allowedOrigins.includes('*')
  const allowed = new Set(opts.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, '')))
  await app.register(cors, {
    origin: (origin, cb) => {
      if (!origin) return cb(null, false)
      try {
        const u = new URL(origin)
        cb(null, any || isLoopbackHost(u.hostname) || allowed.has(u.origin.toLowerCase()))
      } catch {
        cb(null, false)
      }
    },
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['content-type', 'accept', 'authorization', 'x-api-key', 'x-api-key-id', 'mcp-protocol-version', 'mcp-session-id', 'mcp-method', 'mcp-name', 'last-event-id', 'x-mcp-toolsets', 'x-mcp-tools', 'x-mcp-readonly'],
    exposedHeaders: ['WWW-Authenticate', 'Mcp-Session-Id', 'Mcp-Protocol-Version'],
    maxAge: 600
  })
}

// fastify-plugin: the hooks must reach the product's routes (its context, not the host's).
export default fp(corsPlugin, { name: 'pilot-status-cors', fastify: '5.x' })
