// The servers a benchmark compares, each started alone in its own process:
//   product      this package's HTTP server (built dist/), as deployed
//   bare         a plain Fastify route making the same upstream call with the same API client
//   per-request  SDK Server + transport created per request (registry and validator shared)
//   pattern      the SDK's documented stateless example: a new McpServer with every tool
//                declared with its real input schema as zod literals (bench/zod-pattern.mjs,
//                constructed per request) and a transport per request
// Usage: node bench/targets.mjs <mode> <upstreamUrl>   (prints the port it listens on)
import v8 from 'node:v8'
import Fastify from 'fastify'
import { McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv'
import * as z from 'zod'

const [mode, upstream] = process.argv.slice(2)
const dist = new URL('../dist/', import.meta.url)
const { ApiClient } = await import(new URL('src/api/client.js', dist))
const creds = { kind: 'apiKey', key: 'ps_bench', source: 'header' }

let app
if (mode === 'product' || mode === 'product-no-fast-path' || mode === 'product-otel') {
  const { buildHttpServer } = await import(new URL('src/http.js', dist))
  const { loadConfig } = await import(new URL('src/config.js', dist))
  const { pino } = await import('pino')
  const { createLogger } = await import(new URL('src/logger.js', dist))
  const config = loadConfig({ PILOT_STATUS_API_URL: upstream, MCP_TRANSPORT: 'http', LOG_LEVEL: 'silent', MCP_FAST_PATH: mode === 'product-no-fast-path' ? 'false' : 'true', ...(mode === 'product-otel' ? { METRICS_PORT: '0' } : {}) })
  // product-otel: telemetry on as runHttp starts it (METRICS_PORT: the SDK, metrics, trace propagation).
  if (mode === 'product-otel') await (await import(new URL('src/telemetry/start.js', dist))).startTelemetry(config, {}, pino({ level: 'silent' }))
  // The product's own logger (its stream, redaction), on stdout: the audit lines of sends go there.
  app = await buildHttpServer(config, createLogger('silent', 1))
} else if (mode === 'bare') {
  app = Fastify({ logger: false })
  const api = new ApiClient({ baseUrl: upstream })
  app.get('/bare/read', async () => (await api.call({ method: 'GET', path: '/v1/templates/tpl_order_update' }, { credentials: creds })).data)
  app.post('/bare/send', async (req) => (await api.call({ method: 'POST', path: '/v1/messages/send', body: req.body }, { credentials: creds })).data)
} else if (mode === 'per-request') {
  const { ToolRegistry } = await import(new URL('src/mcp/registry.js', dist))
  const { createMcpServer, scopeAuthInfo } = await import(new URL('src/mcp/server.js', dist))
  const { ALL_TOOLS } = await import(new URL('tools/index.js', dist))
  const api = new ApiClient({ baseUrl: upstream })
  const view = new ToolRegistry(ALL_TOOLS).view()
  const validator = new AjvJsonSchemaValidator()
  const log = { debug () {}, info () {}, warn () {}, error () {} }
  app = Fastify({ logger: false })
  app.post('/mcp', async (req, reply) => {
    const server = createMcpServer({ api, validator })
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    await server.connect(transport)
    const web = new Request(`http://127.0.0.1${req.url}`, { method: 'POST', headers: req.headers })
    const res = await transport.handleRequest(web, { parsedBody: req.body, authInfo: scopeAuthInfo({ credentials: creds, view, log }) })
    reply.code(res.status).header('content-type', 'application/json')
    const text = await res.text()
    await server.close()
    return text
  })
} else if (mode === 'pattern') {
  const { ALL_TOOLS } = await import(new URL('tools/index.js', dist))
  const { buildToolsFactory } = await import('./zod-pattern.mjs')
  // The tools' real input schemas as zod literals (compiled once); calling it constructs them all
  // afresh, as the documented pattern's code does on every request.
  // The registry's inputs: what the product lists (whatsappNumberId added where it applies, strict objects).
  const { ToolRegistry } = await import(new URL('src/mcp/registry.js', dist))
  const registry = new ToolRegistry(ALL_TOOLS)
  const inputSchemas = buildToolsFactory(ALL_TOOLS.map((def) => ({ ...def, input: registry.all.get(def.name).input })), z)
  const api = new ApiClient({ baseUrl: upstream })
  app = Fastify({ logger: false })
  app.post('/mcp', async (req, reply) => {
    const server = new McpServer({ name: 'pattern', version: '1.0.0' })
    const schemas = inputSchemas()
    for (const [i, def] of ALL_TOOLS.entries()) {
      server.registerTool(def.name, { title: def.title, description: def.description, inputSchema: schemas[i], annotations: def.annotations }, async () => {
        const path = def.name === 'messages_send' ? '/v1/messages/send' : '/v1/templates/tpl_order_update'
        const res = await api.call({ method: def.name === 'messages_send' ? 'POST' : 'GET', path, body: def.name === 'messages_send' ? {} : undefined }, { credentials: creds })
        return { content: [{ type: 'text', text: JSON.stringify(res.data) }] }
      })
    }
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    await server.connect(transport)
    const res = await transport.handleRequest(new Request(`http://127.0.0.1${req.url}`, { method: 'POST', headers: req.headers }), { parsedBody: req.body })
    reply.code(res.status).header('content-type', 'application/json')
    const text = await res.text()
    await server.close()
    return text
  })
} else {
  throw new Error(`unknown mode ${mode}`)
}
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`${app.server.address().port}\n`)
// The bench asks over IPC (when it opened a channel) for this process's memory breakdown, in MB:
// what RSS holds beyond the JS heap (code, sockets, malloc) shows against heapTotal and external.
process.on('message', () => {
  const m = process.memoryUsage()
  const mb = (x) => Math.round(x / 104857.6) / 10
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ''), mb(s.space_size)]))
  process.send({ rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), newSpace: spaces.new, oldSpace: spaces.old, codeSpace: spaces.code, largeObject: spaces.large_object })
})
