// The multiplexing transport on its own: answers are routed back by the swapped id with the
// original restored, anything else the server sends is dropped, an abort (even one that came
// before the request) tells the server to cancel and resolves undefined, and a closed
// transport refuses new requests. (Through HTTP it is exercised by test/faults/* with the fast path off.)
import t from 'tap'
import type { JSONRPCMessage } from '@modelcontextprotocol/server'
import { MultiplexTransport } from '../../src/mcp/multiplex.js'

function wired () {
  const mux = new MultiplexTransport()
  const seen: Array<{ message: JSONRPCMessage, token?: string }> = []
  mux.onmessage = (message, extra) => { seen.push({ message, token: extra?.authInfo?.token }) }
  return { mux, seen }
}

t.test('answers come back to their request with the original id', async (t) => {
  const { mux, seen } = wired()
  const a = mux.request({ jsonrpc: '2.0', id: 'client-a', method: 'ping' }, { token: 'ta', clientId: 'c', scopes: [] })
  const b = mux.request({ jsonrpc: '2.0', id: 'client-a', method: 'ping' }, { token: 'tb', clientId: 'c', scopes: [] })
  const [ia, ib] = seen.map((s) => (s.message as { id: number }).id)
  t.not(ia, ib, 'two requests with the same client id get distinct ids inside')
  t.same(seen.map((s) => s.token), ['ta', 'tb'], 'each with its own authInfo')
  await mux.send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } })
  await mux.send({ jsonrpc: '2.0', id: 999, result: {} })
  await mux.send({ jsonrpc: '2.0', id: ib, result: { b: true } })
  await mux.send({ jsonrpc: '2.0', id: ia, result: { a: true } })
  t.same(await a, { jsonrpc: '2.0', id: 'client-a', result: { a: true } })
  t.same(await b, { jsonrpc: '2.0', id: 'client-a', result: { b: true } })
})

t.test('an abort cancels the request inside the server and resolves undefined', async (t) => {
  const { mux, seen } = wired()
  const ac = new AbortController()
  const pending = mux.request({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } }, undefined, ac.signal)
  const inner = (seen[0].message as { id: number }).id
  ac.abort()
  t.equal(await pending, undefined)
  t.same(seen[1].message, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: inner, reason: 'HTTP client disconnected' } })
  await mux.send({ jsonrpc: '2.0', id: inner, result: {} })
  t.equal(seen.length, 2, 'a late answer is dropped')

  const before = new AbortController()
  before.abort()
  t.equal(await mux.request({ jsonrpc: '2.0', id: 2, method: 'ping' }, undefined, before.signal), undefined, 'already aborted: cancelled at once')
  t.equal((seen.at(-1)!.message as { method: string }).method, 'notifications/cancelled')
})

t.test('a closed transport refuses requests; closing twice closes once', async (t) => {
  const { mux } = wired()
  let closed = 0
  mux.onclose = () => { closed++ }
  await mux.close()
  await mux.close()
  t.equal(closed, 1)
  await t.rejects(mux.request({ jsonrpc: '2.0', id: 1, method: 'ping' }, undefined), /transport is closed/)
})
