// Fault injection on the write path: a tool that is not idempotent (a send, a create, a call)
// reaches the upstream exactly once per tools/call whatever goes wrong — 5xx, 429, a timeout, a
// reset connection, an unreadable answer — and the result says the outcome is unknown instead of
// inviting a retry. A read under the same fault is retried, for contrast.
import t, { type Test } from 'tap'
import { product, rawPost, registry, type RunningProduct } from '../helper.js'
import { fakeUpstream, type Behaviour } from './fake-upstream.js'

// Every fault runs with the HTTP fast path on and off: the SDK path keeps its own deadline,
// cancellation and retry behaviour, and both must hold.
function bothWays (name: string, fn: (t: Test, fastPath: boolean) => Promise<void>): void {
  for (const fastPath of [true, false]) t.test(`${fastPath ? '' : '[fast path off] '}${name}`, (t) => fn(t, fastPath))
}

const KEY = { 'x-api-key': 'ps_fault_write_key' }
const UNKNOWN = 'The request may have reached Pilot Status before it failed. Do not repeat it blindly: check first (message_get, messages_history, or the matching list tool) whether it took effect.'

const WRITES: Array<{ name: string, args: Record<string, unknown>, method: string, path: string }> = [
  { name: 'messages_send', args: { destinationNumber: '+5511988887777', text: 'hi' }, method: 'POST', path: '/v1/messages/send' },
  { name: 'templates_create', args: { name: 'order_update', body: 'Hello {{name}}', examples: { name: 'Maria' } }, method: 'POST', path: '/v1/templates' },
  { name: 'groups_create', args: { subject: 'Team' }, method: 'POST', path: '/v1/groups' },
  { name: 'webhooks_create', args: { url: 'https://example.com/hook' }, method: 'POST', path: '/v1/webhooks' },
  { name: 'call_initiate', args: { to: '+5511988887777' }, method: 'POST', path: '/v1/calls' }
]

const FAULTS: Array<{ fault: string, behave: Behaviour, text: (tool: string) => string }> = [
  { fault: '500', behave: () => ({ status: 500, body: '{"error":"boom"}' }), text: (n) => `${n} failed: Pilot Status API answered HTTP 500: boom\nHint: Pilot Status had an internal error. ${UNKNOWN}` },
  { fault: '502', behave: () => ({ status: 502, body: '{"error":"bad gateway"}' }), text: (n) => `${n} failed: Pilot Status API answered HTTP 502: bad gateway\nHint: Pilot Status had an internal error. ${UNKNOWN}` },
  { fault: '503 + Retry-After: 0', behave: () => ({ status: 503, headers: { 'retry-after': '0' }, body: '{"error":"unavailable"}' }), text: (n) => `${n} failed: Pilot Status API answered HTTP 503: unavailable\nHint: Pilot Status had an internal error. ${UNKNOWN}` },
  { fault: '504 HTML page', behave: () => ({ status: 504, headers: { 'content-type': 'text/html' }, body: '<html><body>Gateway Timeout</body></html>' }), text: (n) => `${n} failed: Pilot Status API answered HTTP 504: Gateway timeout (an HTML error page)\nHint: Pilot Status had an internal error. ${UNKNOWN}` },
  { fault: '429 + Retry-After: 0', behave: () => ({ status: 429, headers: { 'retry-after': '0' }, body: '{"error":"slow down"}' }), text: (n) => `${n} failed: Pilot Status API answered HTTP 429: slow down\nHint: Rate limited by the API: wait before trying again.\nRetry after 0 s.` },
  { fault: 'timeout', behave: () => ({ hang: true }), text: (n) => `${n} failed: the API did not answer within 500 ms.\nHint: ${UNKNOWN}` },
  { fault: 'connection reset after the request', behave: () => ({ reset: true }), text: (n) => `${n} failed: the connection to the Pilot Status API broke before it answered (UND_ERR_SOCKET).\nHint: ${UNKNOWN}` },
  { fault: 'malformed 200', behave: () => ({ status: 200, body: '{"id":"msg_1",' }), text: (n) => `${n} failed: the API answered 200 with a body that is not valid JSON.\nHint: ${UNKNOWN}` }
]

async function callTool (p: RunningProduct, name: string, args: unknown) {
  const res = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }, KEY)
  if (res.status !== 200 || !res.json?.result) throw new Error(`not a tool result: ${res.status} ${res.text.slice(0, 300)}`)
  return { isError: res.json.result.isError as boolean | undefined, text: res.json.result.content[0].text as string }
}

t.test('the tools under test are the non-idempotent ones', async (t) => {
  for (const w of WRITES) {
    const a = registry.all.get(w.name)!.def.annotations
    t.same([a.readOnlyHint, a.idempotentHint], [false, false], `${w.name} is neither read-only nor idempotent`)
  }
})

bothWays('a non-idempotent call reaches the upstream exactly once, whatever the fault', async (t, fastPath) => {
  const up = await fakeUpstream(t)
  const p = await product(t, up.url, { fastPath, upstreamTimeoutMs: 500, requestTimeoutMs: 10_000 })
  // Warm-up before the 500 ms deadlines count: the first call of each tool compiles its
  // validator and opens the upstream connection, which a busy machine can stretch past 500 ms.
  up.behave(() => ({ status: 201, body: '{}' }))
  for (const w of WRITES) await callTool(p, w.name, w.args)
  let calls = 0
  for (const f of FAULTS) {
    up.behave(f.behave)
    for (const w of WRITES) {
      up.requests.length = 0
      const r = await callTool(p, w.name, w.args)
      calls++
      t.equal(r.isError, true, `${w.name} / ${f.fault}: isError`)
      t.equal(r.text, f.text(w.name), `${w.name} / ${f.fault}: names the fault`)
      t.same(up.requests.map((x) => `${x.method} ${x.path}`), [`${w.method} ${w.path}`], `${w.name} / ${f.fault}: exactly one upstream request`)
    }
  }
  // Nothing arrives late either (a retry scheduled after the answer would show up here).
  up.requests.length = 0
  await new Promise((resolve) => setTimeout(resolve, 700))
  t.equal(up.requests.length, 0, 'no late retries')
  t.equal(calls, WRITES.length * FAULTS.length)

  // The same faults on a read are retried (contrast): 1 + 2 retries, given a deadline they fit in.
  const patient = await product(t, up.url, { fastPath, upstreamTimeoutMs: 5000 })
  for (const fault of ['502', '503 + Retry-After: 0', 'connection reset after the request', 'malformed 200']) {
    up.behave(FAULTS.find((f) => f.fault === fault)!.behave)
    up.requests.length = 0
    const read = await callTool(patient, 'templates_get', { id: 'tpl_1' })
    t.equal(read.isError, true)
    t.same(up.requests.map((x) => `${x.method} ${x.path}`), ['GET /v1/templates/tpl_1', 'GET /v1/templates/tpl_1', 'GET /v1/templates/tpl_1'], `a read under ${fault} is retried twice`)
  }

  up.behave(() => ({ status: 202, body: '{"id":"msg_1","correlationId":"c_1","status":"QUEUED","createdAt":"2026-06-20T10:00:00.000Z"}' }))
  const ok = await callTool(p, 'messages_send', WRITES[0].args)
  t.equal(ok.isError, undefined, 'the next send succeeds')
  t.equal((await fetch(`${p.url}/health`)).status, 200)
})

bothWays('a 2xx send is a success even when the answer does not match the output schema', async (t, fastPath) => {
  const up = await fakeUpstream(t, () => ({ status: 201, body: '{"unexpected":true}' }))
  const p = await product(t, up.url, { fastPath })
  const r = await callTool(p, 'messages_send', WRITES[0].args)
  t.equal(r.isError, undefined, 'never reported as failed (it would be sent again)')
  t.equal(up.requests.length, 1)
})
