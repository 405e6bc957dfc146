// 2025-11-25 over stateless HTTP has no channel for a server→client question: `auto` runs as
// before (fast path included), `required` refuses the asking tools on every path with an error
// that names what works instead.
import t from 'tap'
import { mcpClient, product, rawPost } from '../helper.js'
import { SEND, textOf, upstream } from './fixtures.js'

const KEY = 'ps_confirm_test_key'

t.test('auto: 2025-era HTTP clients run as before, without a question', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true })
  for (const sdk of ['v2', 'v1'] as const) {
    const client = await mcpClient(t, p.mcp, { sdk })
    t.equal(client.getNegotiatedProtocolVersion?.() ?? '2025-11-25', '2025-11-25')
    const r = await client.callTool(SEND)
    t.notOk(r.isError, textOf(r))
  }
  t.equal(up.writes().length, 2, 'one write per call')
})

t.test('required: refused on the fast path and on the SDK path, nothing runs', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirm: 'required' })
  for (const sdk of ['v2', 'v1'] as const) {
    const client = await mcpClient(t, p.mcp, { sdk })
    const r = await client.callTool(SEND)
    t.equal(r.isError, true, `${sdk}: refused`)
    t.match(textOf(r), /needs a person's confirmation.*MCP 2025-11-25 over stateless HTTP has no channel.*Nothing was run.*2026-07-28.*stdio/s)
    const list = await client.callTool({ name: 'templates_list', arguments: {} })
    t.notOk(/confirmation/.test(textOf(list)), 'read-only tools still run')
  }
  // A request the fast path leaves to the SDK (an extra params member) meets the same refusal.
  const res = await rawPost(p.mcp, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { ...SEND, task: { ttl: 1000 } } }, { 'x-api-key': KEY })
  t.equal(res.status, 200)
  t.match(JSON.stringify(res.json), /needs a person's confirmation/)
  t.equal(up.writes().length, 0, 'no writes')
})
