// Slow clients: the standalone server gives a request (headers and body) MCP_REQUEST_READ_TIMEOUT_MS
// to arrive; past it the answer is 408 and the connection is closed, whether the body stalls or
// trickles in a byte at a time. Deadlines here are short (1 s) and the assertions generous.
import t, { type Test } from 'tap'
import net from 'node:net'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.js'
import { buildHttpServer } from '../../src/http.js'
import { sandbox, SANDBOX_KEYS } from '../helper.js'

async function server (t: Test, apiUrl: string): Promise<number> {
  const config = loadConfig({ MCP_TRANSPORT: 'http', PILOT_STATUS_API_URL: apiUrl, MCP_REQUEST_READ_TIMEOUT_MS: '1000' })
  const app = await buildHttpServer(config, pino({ level: 'silent' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return (app.server.address() as { port: number }).port
}

interface Outcome { response: string, closed: boolean, ms: number }

/** Opens a raw connection, writes `head`, then calls `feed` until the server answers and closes. */
function exchange (port: number, head: string, feed?: (socket: net.Socket) => NodeJS.Timeout): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = net.connect(port, '127.0.0.1')
    let response = ''
    let timer: NodeJS.Timeout | undefined
    // Far beyond the 1 s deadline: only a server that never answers reaches it.
    const guard = setTimeout(() => { socket.destroy(); resolve({ response, closed: false, ms: Date.now() - started }) }, 20_000)
    socket.on('connect', () => {
      socket.write(head)
      if (feed) timer = feed(socket)
    })
    socket.on('data', (d) => { response += d })
    socket.on('error', () => { /* writes racing the close (EPIPE/ECONNRESET) */ })
    socket.on('close', () => {
      clearTimeout(guard)
      clearInterval(timer)
      resolve({ response, closed: true, ms: Date.now() - started })
    })
    socket.on('timeout', () => reject(new Error('socket timeout')))
  })
}

const head = (length: number) => 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
  `Accept: application/json, text/event-stream\r\nx-api-key: ${SANDBOX_KEYS.number}\r\nContent-Length: ${length}\r\n\r\n`

t.test('a well-formed request within the deadline is answered as usual', async (t) => {
  const sb = await sandbox(t)
  const port = await server(t, sb.url)
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
  const r = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': SANDBOX_KEYS.number }, body })
  t.equal(r.status, 200)
  t.ok((await r.json()).result.tools.length > 0)
})

t.test('a stalled body: 408, then the connection is closed', async (t) => {
  const sb = await sandbox(t)
  const port = await server(t, sb.url)
  const r = await exchange(port, head(200) + '{"jsonrpc":"2.0",')
  t.ok(r.closed, `the server closed the connection (after ${r.ms} ms)`)
  t.match(r.response, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  t.ok(r.ms >= 900, 'not before the deadline')
})

t.test('a trickled body (one byte every 200 ms): 408, then the connection is closed', async (t) => {
  const sb = await sandbox(t)
  const port = await server(t, sb.url)
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(100) } })
  let i = 0
  const r = await exchange(port, head(body.length), (socket) => setInterval(() => { if (i < body.length && !socket.destroyed) socket.write(body[i++]) }, 200))
  t.ok(r.closed, `the server closed the connection (after ${r.ms} ms, ${i} bytes sent)`)
  t.ok(i < body.length, 'the body never completed')
  t.match(r.response, /^HTTP\/1\.1 408 Request Timeout\r\n/)
})

t.test('stalled headers: 408, then the connection is closed', async (t) => {
  const sb = await sandbox(t)
  const port = await server(t, sb.url)
  const r = await exchange(port, 'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n')
  t.ok(r.closed, `closed after ${r.ms} ms`)
  t.match(r.response, /^HTTP\/1\.1 408 Request Timeout\r\n/)
})
