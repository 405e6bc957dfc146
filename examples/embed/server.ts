// An existing Fastify backend that mounts the Pilot Status MCP server under /pilot, next to
// its own routes. Run it from the repository (it imports the package by name, which resolves to
// the built dist/ through package.json "exports"; in your app, `npm install @pilot-status/mcp-server`):
//
//   npm ci && npm run build
//   npx tsx examples/embed/server.ts        # tsx comes with `npm ci` (a devDependency)
//   node examples/embed/server.ts           # or this, on Node >= 22.18 (it strips the types)
//
// Offline: start the sandbox with `npm start -- http --sandbox`, then run this with
// PILOT_STATUS_API_URL set to the "simulated Pilot Status API at http://127.0.0.1:…" it prints.
// Clients call POST http://127.0.0.1:3000/pilot/mcp with `x-api-key: ps_…` (a demo key on the
// sandbox); test/release/embed-example.ts does exactly that.
import Fastify from 'fastify'
import pilotStatusMcp, { pilotStatusMcpWellKnown, type PilotStatusMcpOptions } from '@pilot-status/mcp-server'

// requestTimeout: a client must send its whole request within 30 s, else 408 and the connection
// is closed (Fastify's default is no deadline); Node checks it every connectionsCheckingInterval.
const app = Fastify({ logger: true, requestTimeout: 30_000, http: { connectionsCheckingInterval: 1000 } })

// The host's own routes: the plugin adds no auth, CORS, error handler or JSON parser to them.
app.get('/hello', async () => ({ hello: 'from the host app' }))

const options: PilotStatusMcpOptions = {
  apiUrl: process.env.PILOT_STATUS_API_URL ?? 'https://pilotstatuss.com',
  // Your public URL for this endpoint (the OAuth resource; its host is accepted in Host headers).
  resourceUrl: process.env.MCP_RESOURCE_URL,
  // Expose a subset; each request may narrow it further with x-mcp-toolsets / x-mcp-readonly.
  toolsets: ['messages', 'conversations', 'templates'],
  readOnly: process.env.PILOT_STATUS_READ_ONLY === 'true'
  // No env-key fallback when embedded: every MCP request brings its own x-api-key or OAuth token.
}
// OAuth clients look for the RFC 9728 metadata at the host root
// (GET /.well-known/oauth-protected-resource[/pilot/mcp]), not under the prefix.
await app.register(pilotStatusMcpWellKnown, { productPrefix: '/pilot', ...options })
// → POST /pilot/mcp, GET /pilot/health
await app.register(pilotStatusMcp, { prefix: '/pilot', ...options })

await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' })
