// Graceful shutdown of the standalone HTTP server (a real child process of the built CLI): on
// SIGTERM/SIGINT it stops accepting connections at once, lets in-flight calls finish and exits
// 0; a call still running when MCP_SHUTDOWN_GRACE_MS runs out does not hold it: exit 1.
// No tight deadlines: the upstream holds answers until released, grace periods are long.
import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { rawPost } from '../helper.js'
import { fakeUpstream, type Behaviour } from '../faults/fake-upstream.js'
import { cli } from '../spawn.js'

const TEMPLATE = { id: 'tpl_1', name: 'order_update', sendable: true }
const KEY = { 'x-api-key': 'ps_shutdown_key' }

interface Server { child: ChildProcess, port: number, mcp: string, exit: Promise<number | null>, stderr: () => string }

async function startServer (t: Test, apiUrl: string, env: Record<string, string> = {}): Promise<Server> {
  const childEnv = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', PILOT_STATUS_API_URL: apiUrl, LOG_LEVEL: 'info', ...env }
  const cmd = cli(['http'], childEnv)
  const child = spawn(cmd.command, cmd.args, {
    env: childEnv,
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr!.on('data', (d) => { stderr += d })
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const deadline = Date.now() + 90_000
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

/** An upstream that holds every answer until the test releases it: the call is in flight for as long as the test needs, whatever the machine's speed. */
async function heldUpstream (t: Test): Promise<{ url: string, arrived: Promise<void>, release: () => void, aborted: () => boolean }> {
  const held: http.ServerResponse[] = []
  let aborted = false
  let arrivedResolve!: () => void
  const arrived = new Promise<void>((resolve) => { arrivedResolve = resolve })
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      held.push(res)
      res.on('close', () => { if (!res.writableFinished) aborted = true })
      arrivedResolve()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const release = () => {
    for (const res of held.splice(0)) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(TEMPLATE))
  }
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrived, release, aborted: () => aborted }
}

t.test('SIGTERM: new connections refused, the in-flight call completes, exit 0', async (t) => {
  const up = await heldUpstream(t)
  // A grace period far longer than the test: exit 0 (not 1) proves the call finished within it.
  const srv = await startServer(t, up.url, { MCP_SHUTDOWN_GRACE_MS: '120000' })
  t.equal(await tryConnect(srv.port), 'accepted', 'accepting before the signal')

  const call = { finished: false }
  const inFlight = rawPost(srv.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } }, KEY)
    .finally(() => { call.finished = true })
  await up.arrived
  srv.child.kill('SIGTERM')

  // The upstream holds the answer, so the call stays in flight until released below.
  const deadline = Date.now() + 90_000
  let refused = false
  while (!refused && Date.now() < deadline) {
    refused = await tryConnect(srv.port) === 'refused'
    if (!refused) await new Promise((resolve) => setTimeout(resolve, 25))
  }
  t.ok(refused, 'a new connection is refused while the call is still running')
  t.notOk(call.finished, 'the call was still in flight then')
  t.equal(srv.child.exitCode, null, 'and the server still running')

  up.release()
  const res = await inFlight
  t.equal(res.status, 200, 'the in-flight call got its answer')
  t.equal(res.json.result.isError, undefined, 'a successful result')
  t.same(res.json.result.structuredContent, TEMPLATE)
  t.equal(up.aborted(), false, 'the upstream request was not abandoned')

  t.equal(await srv.exit, 0, 'exit code 0: finished within the grace period')
  t.match(srv.stderr(), /shutting down: finishing in-flight requests/)
})

t.test('a call outlasting MCP_SHUTDOWN_GRACE_MS does not hold the process: exit 1 at the deadline', async (t) => {
  const up = await fakeUpstream(t, () => ({ hang: true }))
  const srv = await startServer(t, up.url, { MCP_SHUTDOWN_GRACE_MS: '1000', PILOT_STATUS_TIMEOUT_MS: '120000' })
  const inFlight = rawPost(srv.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } }, KEY)
    .catch((err: Error) => err)
  await up.nextRequest()
  const signalled = Date.now()
  srv.child.kill('SIGTERM')
  const code = await srv.exit
  const ms = Date.now() - signalled
  t.equal(code, 1, 'exit code 1: the grace period ran out')
  // Not before the grace period; and far sooner than the call's own 120 s upstream timeout.
  t.ok(ms >= 950, `not before the deadline (${ms} ms)`)
  t.ok(ms < 60_000, `the hanging call did not hold the process (${ms} ms)`)
  t.match(srv.stderr(), /killed by timeout \(1000ms\)/)
  t.ok(await inFlight instanceof Error, 'the abandoned call saw its connection close')
})

t.test('SIGINT on an idle server: exit 0 at once', async (t) => {
  const up = await fakeUpstream(t, slow(0))
  // Idle keep-alive sockets would hold a server until they time out (about 72 s), so it would
  // exit 1 when the 30 s grace period ran out: exit 0 proves they were closed, not waited for.
  const srv = await startServer(t, up.url, { MCP_SHUTDOWN_GRACE_MS: '30000' })
  const warm = await rawPost(srv.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } }, KEY)
  t.equal(warm.json.result.isError, undefined, 'served a call (a kept-alive connection stays open)')
  const signalled = Date.now()
  srv.child.kill('SIGINT')
  const code = await srv.exit
  t.equal(code, 0, `exit 0 after ${Date.now() - signalled} ms: idle keep-alive connections closed, not waited for`)
})
