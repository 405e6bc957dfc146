// Graceful shutdown of the standalone HTTP server (a real child process of the built CLI): on
// SIGTERM/SIGINT it stops accepting connections at once, lets in-flight calls finish and exits
// 0; a call still running when MCP_SHUTDOWN_GRACE_MS runs out does not hold it: exit 1.
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { rawPost } from '../helper.js'
import { fakeUpstream, type Behaviour } from '../faults/fake-upstream.js'

const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url))
const TEMPLATE = { id: 'tpl_1', name: 'order_update', sendable: true }
const KEY = { 'x-api-key': 'ps_shutdown_key' }

interface Server { child: ChildProcess, port: number, mcp: string, exit: Promise<number | null>, stderr: () => string }

async function startServer (t: Test, apiUrl: string, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'http'], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', PILOT_STATUS_API_URL: apiUrl, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr!.on('data', (d) => { stderr += d })
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const deadline = Date.now() + 20_000
  let m: RegExpExecArray | null = null
  while (!(m = /HTTP MCP endpoint: http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(stderr))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const port = Number(m[1])
  return { child, port, mcp: `http://127.0.0.1:${port}/mcp`, exit, stderr: () => stderr }
}

/** Resolves 'refused' or 'accepted' for a fresh TCP connection to the port. */
function tryConnect (port: number): Promise<'refused' | 'accepted'> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => { s.destroy(); resolve('accepted') })
    s.once('error', () => resolve('refused'))
  })
}

const slow = (ms: number): Behaviour => () => ({ delayMs: ms, status: 200, body: JSON.stringify(TEMPLATE) })

t.test('SIGTERM: new connections refused, the in-flight call completes, exit 0', async (t) => {
  const up = await fakeUpstream(t, slow(1500))
  const srv = await startServer(t, up.url, { MCP_SHUTDOWN_GRACE_MS: '8000' })
  t.equal(await tryConnect(srv.port), 'accepted', 'accepting before the signal')

  const call = { finished: false }
  const inFlight = rawPost(srv.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } }, KEY)
    .finally(() => { call.finished = true })
  await up.nextRequest()
  const signalled = Date.now()
  srv.child.kill('SIGTERM')

  let refusedWhileInFlight = false
  while (!call.finished && Date.now() - signalled < 1200) {
    if (await tryConnect(srv.port) === 'refused') { refusedWhileInFlight = !call.finished; break }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  t.ok(refusedWhileInFlight, 'a new connection is refused while the call is still running')

  const res = await inFlight
  t.equal(res.status, 200, 'the in-flight call got its answer')
  t.equal(res.json.result.isError, undefined, 'a successful result')
  t.same(res.json.result.structuredContent, TEMPLATE)
  t.ok(Date.now() - signalled >= 1000, 'the answer came after the signal (the call really was in flight)')
  t.equal(up.requests.length, 1)
  t.equal(up.requests[0].aborted, false, 'the upstream request was not abandoned')

  const code = await srv.exit
  t.equal(code, 0, 'exit code 0')
  t.ok(Date.now() - signalled < 8000, `exited before the grace period ran out (${Date.now() - signalled} ms)`)
  t.match(srv.stderr(), /shutting down: finishing in-flight requests/)
})

t.test('a call outlasting MCP_SHUTDOWN_GRACE_MS does not hold the process: exit 1 at the deadline', async (t) => {
  const up = await fakeUpstream(t, () => ({ hang: true }))
  const srv = await startServer(t, up.url, { MCP_SHUTDOWN_GRACE_MS: '600', PILOT_STATUS_TIMEOUT_MS: '60000' })
  const inFlight = rawPost(srv.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } }, KEY)
    .catch((err: Error) => err)
  await up.nextRequest()
  const signalled = Date.now()
  srv.child.kill('SIGTERM')
  const code = await srv.exit
  const ms = Date.now() - signalled
  t.equal(code, 1, 'exit code 1: the grace period ran out')
  t.ok(ms >= 550 && ms < 5000, `at the deadline (${ms} ms)`)
  t.match(srv.stderr(), /killed by timeout \(600ms\)/)
  t.ok(await inFlight instanceof Error, 'the abandoned call saw its connection close')
})

t.test('SIGINT on an idle server: exit 0 at once', async (t) => {
  const up = await fakeUpstream(t, slow(0))
  const srv = await startServer(t, up.url)
  const warm = await rawPost(srv.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } }, KEY)
  t.equal(warm.json.result.isError, undefined, 'served a call (a kept-alive connection stays open)')
  const signalled = Date.now()
  srv.child.kill('SIGINT')
  t.equal(await srv.exit, 0)
  t.ok(Date.now() - signalled < 3000, `promptly (${Date.now() - signalled} ms), idle keep-alive connections closed`)
})
