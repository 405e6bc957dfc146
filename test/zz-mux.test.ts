import t from 'tap'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv'
import { Client } from '@modelcontextprotocol/client'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { Client as Client1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as T1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { defineTool, hints } from '../tools/define.js'
import { ToolRegistry } from '../src/mcp/registry.js'
import { createMcpServer, scopeAuthInfo } from '../src/mcp/server.js'
import { MultiplexTransport } from '../src/mcp/multiplex.js'
import { ApiClient } from '../src/api/client.js'

const reg = new ToolRegistry([defineTool({
  name: 'echo', title: 'Echo', description: 'echo', toolset: 'numbers', scope: 'any', annotations: hints('RI'),
  input: Type.Object({ x: Type.String() }), output: Type.Object({ x: Type.String() }),
  handler: async (a) => ({ x: a.x })
})])
t.test('mux', async (t) => {
  const server = createMcpServer({ api: new ApiClient({ baseUrl: 'http://127.0.0.1:1' }), validator: new AjvJsonSchemaValidator() })
  const mux = new MultiplexTransport()
  await server.connect(mux)
  const app = Fastify()
  const log = { debug () {}, info () {}, warn () {}, error () {} }
  app.post('/mcp', async (req, reply) => {
    const body = req.body as any
    console.log('IN', JSON.stringify(body).slice(0, 200), req.headers['mcp-protocol-version'])
    if (!('id' in body)) { reply.code(202); return '' }
    const out = await mux.request(body, scopeAuthInfo({ credentials: { kind: 'apiKey', key: 'k', source: 'header' }, view: reg.view(), log }))
    console.log('OUT', JSON.stringify(out).slice(0, 300))
    return out
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const url = new URL(`http://127.0.0.1:${(app.server.address() as any).port}/mcp`)
  for (const [name, c] of [['v2', new Client({ name: 'c2', version: '1' })], ['v1', new Client1({ name: 'c1', version: '1' })]] as const) {
    const tr = name === 'v2' ? new StreamableHTTPClientTransport(url) : new T1(url)
    await (c as any).connect(tr)
    console.log(name, 'version', (c as any).getNegotiatedProtocolVersion?.() ?? (tr as any).protocolVersion)
    const l = await (c as any).listTools()
    console.log(name, 'tools', l.tools.length)
    const r = await (c as any).callTool({ name: 'echo', arguments: { x: 'hi' } })
    console.log(name, 'call', JSON.stringify(r))
    await (c as any).close()
  }
})
