// Confirmation in the 2026-07-28 era over stateless HTTP, driven by the official 2.x SDK client:
// the question, accept / decline / cancel, every way a retried call can fail to match its
// approval, clients that cannot ask, and two replicas sharing the signing key. Each test counts
// the writes that reached a loopback upstream.
import t from 'tap'
import { product } from '../helper.js'
import { ASKING_TOOLS, SEND, VALID_ARGS, modernClient, textOf, upstream } from './fixtures.js'
import { fingerprint } from '../../src/api/credentials.js'
import { testRedisUrl } from '../store/redis-server.js'

const SECRET = 'shared-confirmation-secret-0123456789'
const KEY = 'ps_confirm_test_key'

t.test('accept: the person sees the concrete effect, the call runs, exactly one upstream write', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true })
  const { client, asked } = await modernClient(t, p.mcp)
  const r = await client.callTool(SEND)
  t.notOk(r.isError, textOf(r))
  t.same((r.structuredContent as { id: string }).id, 'msg_1')
  t.equal(asked.length, 1, 'asked once')
  t.equal(asked[0].message, 'Send this WhatsApp message to +55 11 99999-9999 from +55 41 98888-7777 (Loja Centro): «Seu pedido chegou»')
  t.same(asked[0].requestedSchema, { type: 'object', properties: {} }, 'a yes/no form')
  t.equal(up.writes().length, 1, 'one upstream write')
  t.equal(up.writes()[0].path, '/v1/messages/send')
  t.ok(p.logs.some((l) => l.includes('"outcome":"accepted"')), 'the acceptance is logged')
  t.notOk(p.logs.some((l) => l.includes(KEY)), 'the key is never logged')
})

for (const action of ['decline', 'cancel'] as const) {
  t.test(`${action}: nothing runs, the result says so and is not an error`, async (t) => {
    const up = await upstream(t)
    const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true })
    const { client, asked } = await modernClient(t, p.mcp, { answer: () => ({ action }) })
    const r = await client.callTool(SEND)
    t.equal(asked.length, 1)
    t.notOk(r.isError, 'not an error a model would retry')
    t.match(textOf(r), action === 'decline' ? /The person declined this messages_send call.*Nothing was run/s : /dismissed the confirmation.*Nothing was run/s)
    t.equal(up.writes().length, 0, 'no upstream write')
    const line = p.logs.map((l) => JSON.parse(l)).find((l) => l.outcome === (action === 'decline' ? 'declined' : 'cancelled'))
    t.ok(line, 'the outcome is logged')
    t.equal(line.tool, 'messages_send')
    t.equal(line.credential, fingerprint({ kind: 'apiKey', key: KEY, source: 'env' }), 'with the credential fingerprint')
    t.notOk(p.logs.some((l) => l.includes(KEY)), 'never the key')
  })
}

/** Gets the question (manual mode) without answering it. */
async function question (client: Awaited<ReturnType<typeof modernClient>>['client'], call = SEND): Promise<{ requestState: string }> {
  const r = await client.callTool(call, { allowInputRequired: true } as never) as unknown as { resultType: string, requestState: string }
  if (r.resultType !== 'input_required') throw new Error(`expected a question, got ${JSON.stringify(r)}`)
  return r
}

const ACCEPT = { confirm: { action: 'accept', content: {} } }

async function retry (client: Awaited<ReturnType<typeof modernClient>>['client'], requestState: string | undefined, call: { name: string, arguments: Record<string, unknown> } = SEND) {
  return await client.callTool({ ...call, inputResponses: ACCEPT, ...(requestState !== undefined ? { requestState } : {}) } as never, { allowInputRequired: true } as never)
}

t.test('a retried call runs only with the state issued for exactly that call', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { confirmSecret: SECRET })
  const other = await product(t, up.url, { confirmSecret: 'another-confirmation-secret-9876543210' })
  const { client } = await modernClient(t, p.mcp, { headers: { 'x-api-key': KEY } })

  await t.test('tampered', async (t) => {
    const { requestState } = await question(client)
    const [v, body, mac] = requestState.split('.')
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString())
    payload.p.t = 'messages_cancel'
    await t.rejects(retry(client, `${v}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`), { code: -32602, message: /Invalid or expired requestState/ })
  })
  await t.test('signed by another key', async (t) => {
    const { client: c2 } = await modernClient(t, other.mcp, { headers: { 'x-api-key': KEY } })
    const { requestState } = await question(c2)
    await t.rejects(retry(client, requestState), { code: -32602 })
  })
  await t.test('expired', async (t) => {
    const { requestState } = await question(client)
    const now = Date.now
    Date.now = () => now() + 601_000
    try {
      await t.rejects(retry(client, requestState), { code: -32602 })
    } finally {
      Date.now = now
    }
  })
  await t.test('other arguments', async (t) => {
    const { requestState } = await question(client)
    const r = await retry(client, requestState, { name: 'messages_send', arguments: { ...VALID_ARGS.messages_send, text: 'something else' } })
    t.equal(r.isError, true)
    t.match(textOf(r), /different call.*Nothing was run/s)
  })
  await t.test('another tool', async (t) => {
    const { requestState } = await question(client)
    const r = await retry(client, requestState, { name: 'messages_cancel', arguments: VALID_ARGS.messages_cancel })
    t.equal(r.isError, true)
    t.match(textOf(r), /different call/)
  })
  await t.test('another credential', async (t) => {
    const { requestState } = await question(client)
    const { client: c2 } = await modernClient(t, p.mcp, { headers: { 'x-api-key': 'ps_someone_else' } })
    const r = await retry(c2, requestState)
    t.equal(r.isError, true)
    t.match(textOf(r), /different call/)
  })
  await t.test('an answer without state', async (t) => {
    const r = await retry(client, undefined)
    t.equal(r.isError, true)
    t.match(textOf(r), /without the request state.*Nothing was run/s)
  })
  t.equal(up.writes().length, 0, 'none of them reached the upstream')

  await t.test('an approval runs one call only', async (t) => {
    const { requestState } = await question(client)
    t.notOk((await retry(client, requestState)).isError, 'the first use runs')
    const again = await retry(client, requestState)
    t.equal(again.isError, true)
    t.match(textOf(again), /already used/)
    t.equal(up.writes().length, 1, 'one write')
  })
  await t.test('a declined question cannot be answered again', async (t) => {
    const { requestState } = await question(client)
    const declined = await client.callTool({ ...SEND, inputResponses: { confirm: { action: 'decline' } }, requestState } as never, { allowInputRequired: true } as never)
    t.match(textOf(declined), /declined/)
    const again = await retry(client, requestState)
    t.equal(again.isError, true)
    t.match(textOf(again), /already used/)
    t.equal(up.writes().length, 1, 'still the one write of the previous test')
  })
  t.ok(p.logs.some((l) => l.includes('"outcome":"state_mismatch"')), 'mismatches are logged')
  t.ok(p.logs.some((l) => l.includes('"outcome":"invalid_request_state"')), 'bad states are logged')
})

t.test('two replicas sharing the signing setting: a confirmation started on one completes on the other', async (t) => {
  const up = await upstream(t)
  const a = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirmSecret: SECRET })
  const b = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirmSecret: SECRET })
  const { client: ca } = await modernClient(t, a.mcp)
  const { client: cb } = await modernClient(t, b.mcp)
  const { requestState } = await question(ca)
  const r = await retry(cb, requestState)
  t.notOk(r.isError, textOf(r))
  t.equal(up.writes().length, 1, 'one write, made by the second replica')
})

t.test('replicas sharing Redis: an approval used on one cannot be replayed on the other', async (t) => {
  const redis = await testRedisUrl(t)
  if (!redis) return
  const up = await upstream(t)
  const a = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirmSecret: SECRET, redis })
  const b = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirmSecret: SECRET, redis })
  const { client: ca } = await modernClient(t, a.mcp)
  const { client: cb } = await modernClient(t, b.mcp)
  const { requestState } = await question(ca)
  t.notOk((await retry(ca, requestState)).isError, 'the approval runs on the first replica')
  const replayed = await retry(cb, requestState)
  t.equal(replayed.isError, true)
  t.match(textOf(replayed), /already used/)
  t.equal(up.writes().length, 1, 'one write in all')
})

t.test('a client without elicitation: auto runs once; required refuses and runs nothing', async (t) => {
  const up = await upstream(t)
  const auto = await product(t, up.url, { apiKey: KEY, envKeyFallback: true })
  const { client } = await modernClient(t, auto.mcp, { elicitation: false })
  const r = await client.callTool(SEND)
  t.notOk(r.isError, textOf(r))
  t.equal(up.writes().length, 1, 'auto: runs as before, once')

  const required = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirm: 'required' })
  const { client: c2 } = await modernClient(t, required.mcp, { elicitation: false })
  const refused = await c2.callTool(SEND)
  t.equal(refused.isError, true)
  t.match(textOf(refused), /needs a person's confirmation.*did not declare the elicitation capability.*Nothing was run.*supports elicitation/s)
  t.equal(up.writes().length, 1, 'required: no further write')
})

t.test('off: nothing asks', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirm: 'off' })
  const { client, asked } = await modernClient(t, p.mcp)
  t.notOk((await client.callTool(SEND)).isError)
  t.equal(asked.length, 0)
  t.equal(up.writes().length, 1)
})

t.test('read-only tools never ask, even under required with a client that cannot ask', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirm: 'required' })
  const { client, asked } = await modernClient(t, p.mcp)
  const { client: mute } = await modernClient(t, p.mcp, { elicitation: false })
  for (const [name, args] of [['templates_list', {}], ['numbers_list', {}], ['message_get', { messageId: 'msg_1' }], ['calls_list', {}]] as const) {
    for (const c of [client, mute]) {
      const r = await c.callTool({ name, arguments: args })
      t.notOk(/confirmation/.test(textOf(r)), `${name} is not gated`)
    }
  }
  t.equal(asked.length, 0, 'no question asked')
})

t.test('every listed tool asks, and a declined call writes nothing', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true })
  const { client, asked } = await modernClient(t, p.mcp, { answer: () => ({ action: 'decline' }) })
  for (const name of ASKING_TOOLS) {
    const before = asked.length
    const r = await client.callTool({ name, arguments: VALID_ARGS[name] })
    t.equal(asked.length, before + 1, `${name} asks`)
    t.ok(asked.at(-1)!.message.length > 20, `${name}: ${asked.at(-1)!.message}`)
    t.match(textOf(r), /declined/)
  }
  t.equal(up.writes().length, 0, 'no writes')
})

t.test('a confirmTools setting replaces the derived list', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirmTools: ['templates_list'] })
  const { client, asked } = await modernClient(t, p.mcp, { answer: () => ({ action: 'decline' }) })
  t.notOk((await client.callTool(SEND)).isError)
  t.equal(up.writes().length, 1, 'messages_send no longer asks')
  await client.callTool({ name: 'templates_list', arguments: {} })
  t.equal(asked.length, 1, 'templates_list asks')
  t.equal(asked[0].message, 'List templates (templates_list).')
})

t.test('bad options are refused at registration', async (t) => {
  const up = await upstream(t)
  await t.rejects(product(t, up.url, { confirm: 'sometimes' as never }), /confirm must be auto, required or off/)
  await t.rejects(product(t, up.url, { confirmTools: ['nope'] }), /confirmTools has unknown tools nope/)
  await t.rejects(product(t, up.url, { confirmSecret: 'short' }), /at least 32 characters/)
})

t.test('with output schemas listed, a declined call is an error result the SDK client accepts, still saying nothing ran', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, outputSchemas: true })
  const { client } = await modernClient(t, p.mcp, { answer: () => ({ action: 'decline' }) })
  await client.listTools()
  const r = await client.callTool(SEND)
  t.equal(r.isError, true)
  t.match(textOf(r), /declined.*Nothing was run.*Do not call it again/s)
  t.equal(up.writes().length, 0)
})
