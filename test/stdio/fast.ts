// stdio's opening requests without the SDK (src/stdio.ts): a session with the fast path and one
// with MCP_FAST_PATH=false, in-process over stream pairs against one deterministic upstream, get
// the same lines; every answer must be the same. Then the SDK, loaded for the first tool call,
// knows the client's capabilities from the initialize answered before it was there: a client
// that declared elicitation is asked to confirm a send.
import t, { type Test } from 'tap'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.js'
import { runStdio } from '../../src/stdio.js'
import { fakeUpstream } from '../faults/fake-upstream.js'
import { stdioPipes } from './pipes.js'

const KEY = 'ps_stdio_fast_key'

async function session (t: Test, env: Record<string, string>) {
  const { stdin, stdout, answers, send } = stdioPipes()
  const config = loadConfig({ PILOT_STATUS_API_KEY: KEY, LOG_LEVEL: 'silent', ...env })
  const h = runStdio(config, { kind: 'apiKey', key: KEY, source: 'env' }, pino({ level: 'silent' }), { stdin, stdout })
  t.teardown(() => h.close())
  const answer = async (id: unknown) => {
    for (let i = 0; i < 2000; i++) {
      const a = answers.find((x) => x.id === id)
      if (a) return a
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    throw new Error(`no answer for ${JSON.stringify(id)}`)
  }
  return { send, answer, answers }
}

const INIT = (id: unknown, protocolVersion: string, capabilities: Record<string, unknown> = {}, clientInfo: Record<string, unknown> = { name: 'c', version: '1' }) =>
  ({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion, capabilities, clientInfo } })

t.test('the opening requests get the same answers with and without the SDK', async (t) => {
  const up = await fakeUpstream(t, () => ({ status: 200, body: '{"templates":[]}' }))
  const cases: unknown[][] = [
    [INIT(1, '2025-11-25'), { jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { jsonrpc: '2.0', id: 3, method: 'ping' }, { jsonrpc: '2.0', id: 4, method: 'tools/list', params: { cursor: 'x' } }],
    [INIT('a', '2025-06-18', { roots: { listChanged: true }, elicitation: {} }, { name: 'claude', version: '0.1', title: 'Claude' }), { jsonrpc: '2.0', id: 'b', method: 'tools/list' }],
    [INIT(7, '1999-01-01'), { jsonrpc: '2.0', id: 8, method: 'ping', params: {} }],
    [INIT(9, '2026-07-28')],
    // Left to the SDK from the start: client icons, an invalid initialize.
    [INIT(10, '2025-11-25', {}, { name: 'c', version: '1', icons: [{ src: 'https://example.com/i.png' }] }), { jsonrpc: '2.0', id: 11, method: 'tools/list' }],
    [{ jsonrpc: '2.0', id: 12, method: 'initialize', params: { protocolVersion: '2025-11-25' } }],
    // A tool call after the fast answers: the SDK, loaded now, answers it.
    [INIT(13, '2025-11-25'), { jsonrpc: '2.0', id: 14, method: 'tools/call', params: { name: 'templates_list', arguments: {} } }, { jsonrpc: '2.0', id: 15, method: 'tools/list' }]
  ]
  for (const lines of cases) {
    const results = []
    for (const fastPath of ['true', 'false']) {
      const s = await session(t, { PILOT_STATUS_API_URL: up.url, MCP_FAST_PATH: fastPath })
      for (const m of lines) s.send(m)
      const ids = lines.filter((m) => (m as { id?: unknown }).id !== undefined).map((m) => (m as { id: unknown }).id)
      results.push(await Promise.all(ids.map(s.answer)))
    }
    t.same(results[0], results[1], `same answers: ${JSON.stringify(lines).slice(0, 120)}`)
    t.ok(results[0].length > 0)
  }
})

t.test('the SDK loaded after a fast initialize knows the client can be asked: a send asks for confirmation', async (t) => {
  const up = await fakeUpstream(t, () => ({ status: 201, body: '{"id":"msg_1","status":"QUEUED"}' }))
  const s = await session(t, { PILOT_STATUS_API_URL: up.url })
  s.send(INIT(1, '2025-11-25', { elicitation: {} }))
  s.send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  t.equal((await s.answer(1)).result.protocolVersion, '2025-11-25')
  s.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'messages_send', arguments: { destinationNumber: '+5511988887777', text: 'hi' } } })
  // The SDK pushes elicitation/create to the client (a request from the server).
  for (let i = 0; i < 2000 && !s.answers.some((a) => a.method === 'elicitation/create'); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  const ask = s.answers.find((a) => a.method === 'elicitation/create')
  t.ok(ask, 'the client was asked')
  s.send({ jsonrpc: '2.0', id: ask!.id, result: { action: 'accept', content: {} } })
  const done = await s.answer(2)
  t.equal(done.result.isError, undefined, 'accepted: the send ran')
  t.equal(up.requests.filter((r) => r.path === '/v1/messages/send').length, 1, 'exactly once')
  t.notOk(s.answers.some((a) => a.id === 'pilot-status/replayed-initialize'), 'the replayed initialize is never answered on stdout')
})
