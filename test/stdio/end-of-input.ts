// stdio when the client closes stdin right after writing (`echo '<request>' | pilot-status-mcp`):
// every request already read is answered before the process exits (a send reaches the API exactly
// once and its result is printed), stdout is never cut mid-line, a large backlog raises no
// listener-leak warning, and the shutdown grace bounds the wait. Real child processes of the
// built CLI (run `npm run build` first).
import t from 'tap'
import { fakeUpstream } from '../faults/fake-upstream.js'
import { INITIALIZE, INITIALIZED, MODERN_META, messages, spawnStdio } from './child.js'

const KEY = 'ps_test_end_of_input'
const SEND_ARGS = { destinationNumber: '+5511988887777', text: 'hello from a pipe' }
const SENT = { id: 'msg_1', correlationId: 'corr_1', status: 'QUEUED', createdAt: '2026-12-02T10:00:00Z' }

for (const modern of [false, true]) {
  t.test(`${modern ? '2026-07-28' : '2025-11-25'} era: stdin closed right after messages_send — the answer is printed, the API got one POST`, async (t) => {
    // The upstream answers only after a delay, so the send is still in flight when stdin ends.
    const up = await fakeUpstream(t, () => ({ status: 201, body: JSON.stringify(SENT), delayMs: 500 }))
    const p = spawnStdio(t, ['stdio'], { PILOT_STATUS_API_KEY: KEY, PILOT_STATUS_API_URL: up.url, LOG_LEVEL: 'warn' })
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'messages_send', arguments: SEND_ARGS, ...(modern ? { _meta: MODERN_META } : {}) } }
    const lines = modern ? [call] : [INITIALIZE, INITIALIZED, call]
    p.child.stdin.end(lines.map((m) => JSON.stringify(m) + '\n').join(''))

    t.equal(await p.exited(60_000), 0, 'exits 0 once the call is answered')
    const sends = up.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages/send')
    t.equal(sends.length, 1, 'the send reached the API exactly once')
    t.equal(sends[0].headers['x-api-key'], KEY)
    t.same(JSON.parse(sends[0].body), SEND_ARGS)
    const answer = messages(p.stdout()).find((m) => m.id === 2)
    t.ok(answer, 'the call was answered on stdout')
    t.equal(answer?.result?.isError, undefined, 'not an error')
    t.same(answer?.result?.structuredContent, SENT, "the API's result was printed")
    t.notMatch(p.stderr(), /"level":(50|60)/, 'no error logged')
  })
}

t.test('500 requests written at once, then stdin closed: all answered, every line whole JSON, no listener warning', async (t) => {
  const p = spawnStdio(t, ['stdio', '--sandbox'], { LOG_LEVEL: 'warn', MCP_SHUTDOWN_GRACE_MS: '300000' }, { covered: true })
  // Nothing is read from stdout until every request is written and stdin is closed: the answers
  // pile up behind a full pipe, the backlog that used to add a drain listener per answer.
  p.child.stdout.pause()
  const requests: unknown[] = [INITIALIZE, INITIALIZED]
  for (let id = 2; id <= 501; id++) {
    requests.push(id % 2 === 0
      ? { jsonrpc: '2.0', id, method: 'tools/list' }
      : { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'templates_list', arguments: {} } })
  }
  p.child.stdin.end(requests.map((m) => JSON.stringify(m) + '\n').join(''))
  // Let the child read everything and build up its backlog before the test starts draining.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  p.child.stdout.resume()

  t.equal(await p.exited(300_000), 0, 'exits 0')
  const out = p.stdout()
  t.ok(out.endsWith('\n'), 'the last line is complete')
  const all = messages(out)
  t.equal(all.length, 501, 'one answer per request')
  t.same([...new Set(all.map((m) => m.id))].sort((a, b) => a - b), Array.from({ length: 501 }, (_, i) => i + 1), 'every id answered once')
  const failed = all.filter((m) => m.error !== undefined || m.result?.isError === true)
  t.same(failed, [], 'no request failed')
  t.equal(all.find((m) => m.id === 2)?.result?.tools?.length > 0, true, 'tools/list answered in full')
  t.notMatch(p.stderr(), /MaxListenersExceededWarning/, 'no listener-leak warning')
  t.notMatch(p.stderr(), /Warning/, 'no process warning at all')
})

t.test('a call still running when MCP_SHUTDOWN_GRACE_MS passes is answered with an error, and the exit code is 1', async (t) => {
  const up = await fakeUpstream(t, () => ({ hang: true }))
  const p = spawnStdio(t, ['stdio'], { PILOT_STATUS_API_KEY: KEY, PILOT_STATUS_API_URL: up.url, LOG_LEVEL: 'warn', MCP_SHUTDOWN_GRACE_MS: '500' })
  const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'messages_send', arguments: SEND_ARGS } }
  p.child.stdin.write([INITIALIZE, INITIALIZED, call].map((m) => JSON.stringify(m) + '\n').join(''))
  // The grace runs from the end of input: end it once the send is surely in flight.
  await up.nextRequest()
  p.child.stdin.end()

  t.equal(await p.exited(60_000), 1, 'exit code 1: work was cut off')
  const all = messages(p.stdout())
  t.equal(all.filter((m) => m.id === 2).length, 1, 'answered exactly once')
  const answer = all.find((m) => m.id === 2)
  t.equal(answer?.error?.code, -32603)
  t.match(answer?.error?.message, /shut down before this call finished .*whether it took effect is unknown/)
  t.equal(up.requests.filter((r) => r.path === '/v1/messages/send').length, 1, 'the send was made once, never repeated')
  t.match(p.stderr(), /1 request\(s\) did not finish within MCP_SHUTDOWN_GRACE_MS \(500 ms\)/)
  t.notMatch(p.stderr(), new RegExp(KEY), 'the key is not in the logs')
})

t.test('SIGTERM lets the call in flight finish and prints its answer', async (t) => {
  const up = await fakeUpstream(t, () => ({ status: 201, body: JSON.stringify(SENT), delayMs: 500 }))
  const p = spawnStdio(t, ['stdio'], { PILOT_STATUS_API_KEY: KEY, PILOT_STATUS_API_URL: up.url, LOG_LEVEL: 'warn' })
  const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'messages_send', arguments: SEND_ARGS } }
  // stdin stays open: the end comes from the signal.
  p.child.stdin.write([INITIALIZE, INITIALIZED, call].map((m) => JSON.stringify(m) + '\n').join(''))
  await up.nextRequest()
  p.child.kill('SIGTERM')
  t.equal(await p.exited(60_000), 0)
  t.same(messages(p.stdout()).find((m) => m.id === 2)?.result?.structuredContent, SENT)
  t.equal(up.requests.length, 1)
})
