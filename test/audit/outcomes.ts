// Every outcome an audit line can carry, each produced by the real pipeline over HTTP against a
// loopback upstream: ok, tool_error (with the API's code), unknown (5xx, a broken connection),
// refused (invalid arguments, each send guard, confirmation required), replayed, and declined by
// a person in the 2026-07-28 era — plus the kind of credential each line names.
import t, { type Test } from 'tap'
import { product, type RunningProduct } from '../helper.js'
import { deadPort } from '../faults/fake-upstream.js'
import { upstream, isSend, TO } from '../guard/helpers.js'
import { modernClient, SEND } from '../confirm/fixtures.js'
import { fingerprint } from '../../src/api/credentials.js'
import { callTool, newLines, type Line } from './helpers.js'

const KEY = 'ps_audit_outcome_key'
const H = { 'x-api-key': KEY }
const ME = fingerprint({ kind: 'apiKey', key: KEY, source: 'header' })
const send = (text: string, extra: Record<string, unknown> = {}) => ({ destinationNumber: TO, text, ...extra })

/** The one audit line a call wrote, without its time. */
async function one (t: Test, p: RunningProduct, name: string, args: Record<string, unknown>, headers: Record<string, string> = H): Promise<Omit<Line, 'time'>> {
  const lines = await newLines(p, () => callTool(p, headers, name, args))
  t.equal(lines.length, 1, `${name}: one audit line`)
  const { time: _time, ...rest } = lines[0] ?? ({} as Line)
  return rest
}
const base = (outcome: string, extra: Record<string, unknown> = {}) => ({ v: 1, tool: 'messages_send', credential: ME, credentialKind: 'api_key', target: TO, outcome, ...extra })

t.test('ok, then replayed with the first call\'s created id; a different payload under the key is refused', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url)
  t.same(await one(t, p, 'messages_send', send('hi', { idempotencyKey: 'k1' })), base('ok', { createdId: 'msg_1' }))
  t.same(await one(t, p, 'messages_send', send('hi', { idempotencyKey: 'k1' })), base('replayed', { createdId: 'msg_1' }))
  t.same(await one(t, p, 'messages_send', send('other', { idempotencyKey: 'k1' })), base('refused', { reason: 'conflict' }))
  t.equal(up.requests.filter(isSend).length, 1, 'one send reached the API')
})

t.test('tool_error with the API\'s code; unknown for a 5xx and a broken connection', async (t) => {
  const up = await upstream(t, (req) => {
    if (!isSend(req)) return undefined
    const body = JSON.parse(req.body) as { text: string }
    if (body.text === '404') return { status: 404, body: JSON.stringify({ error: 'No such number', code: 'NUMBER_NOT_FOUND' }) }
    if (body.text === '500') return { status: 500, body: JSON.stringify({ error: 'boom', code: 'INTERNAL' }) }
    if (body.text === 'reset') return { reset: true }
    return undefined
  })
  const p = await product(t, up.url)
  t.same(await one(t, p, 'messages_send', send('404')), base('tool_error', { errorCode: 'NUMBER_NOT_FOUND', httpStatus: 404 }))
  t.same(await one(t, p, 'messages_send', send('500')), base('unknown', { errorCode: 'INTERNAL', httpStatus: 500 }))
  t.same(await one(t, p, 'messages_send', send('reset')), base('unknown', { reason: 'interrupted' }))
})

t.test('an API that cannot be reached: tool_error, reason connection (nothing was sent)', async (t) => {
  const p = await product(t, `http://127.0.0.1:${await deadPort()}`)
  t.same(await one(t, p, 'messages_send', send('hi')), base('tool_error', { reason: 'connection' }))
})

t.test('refused: invalid arguments, the allow-list, the duplicate guard, the send limit', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { sendAllow: [TO], dedupeWindow: '60s', sendLimit: '2/min' })
  t.same(await one(t, p, 'messages_send', { destinationNumber: TO }), base('refused', { reason: 'invalid_arguments' }))
  t.same(await one(t, p, 'messages_send', { destinationNumber: '+5511900000000', text: 'x' }), base('refused', { target: '+5511900000000', reason: 'allow_list' }))
  t.same(await one(t, p, 'messages_send', send('first')), base('ok', { createdId: 'msg_1' }))
  t.same(await one(t, p, 'messages_send', send('first')), base('refused', { reason: 'duplicate' }))
  t.same(await one(t, p, 'messages_send', send('second')), base('ok', { createdId: 'msg_2' }))
  t.same(await one(t, p, 'messages_send', send('third')), base('refused', { reason: 'rate_limit' }))
  t.equal(up.requests.filter(isSend).length, 2, 'only the two allowed sends reached the API')
})

t.test('refused: the shared store is unreachable', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { redis: `redis://127.0.0.1:${await deadPort()}` })
  t.same(await one(t, p, 'messages_send', send('hi', { idempotencyKey: 'k' })), base('refused', { reason: 'store_unavailable' }))
  t.equal(up.requests.length, 0)
})

t.test('refused: confirmation required and a 2025-era client cannot be asked', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { confirm: 'required' })
  t.same(await one(t, p, 'messages_send', send('hi')), base('refused', { reason: 'confirmation_required' }))
  t.equal(up.requests.length, 0)
})

t.test('2026-07-28: declined and dismissed by the person; accepted runs and is logged once', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true })
  const env = fingerprint({ kind: 'apiKey', key: KEY, source: 'env' })
  const expect = (outcome: string, extra: Record<string, unknown>) => ({ ...base(outcome, extra), credential: env, credentialKind: 'env', target: SEND.arguments.destinationNumber })
  for (const [action, outcome, extra] of [
    ['decline', 'declined', { reason: 'declined' }],
    ['cancel', 'declined', { reason: 'dismissed' }],
    ['accept', 'ok', { createdId: 'msg_1' }]
  ] as const) {
    const { client, asked } = await modernClient(t, p.mcp, { answer: () => ({ action, content: {} }) })
    const lines = await newLines(p, () => client.callTool(SEND))
    t.equal(asked.length, 1, `${action}: the person was asked`)
    t.same(lines.map(({ time: _time, ...rest }) => rest), [expect(outcome, extra)], `${action}: one line, none for the question`)
  }
})

t.test('the kind of credential: key id and bearer token', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url)
  const id = await one(t, p, 'messages_send', send('a'), { 'x-api-key-id': 'kid_audit' })
  t.same([id.credential, id.credentialKind], [fingerprint({ kind: 'apiKeyId', keyId: 'kid_audit', source: 'header' }), 'api_key_id'])
  const bearer = await one(t, p, 'messages_send', send('b'), { authorization: 'Bearer tok_audit_1' })
  t.same([bearer.credential, bearer.credentialKind], [fingerprint({ kind: 'bearer', token: 'tok_audit_1', source: 'header' }), 'bearer'])
})

t.test('2026-07-28, confirmation required, a client that cannot ask: refused at the gate', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true, confirm: 'required' })
  const { client } = await modernClient(t, p.mcp, { elicitation: false })
  const lines = await newLines(p, () => client.callTool(SEND))
  t.same(lines.map((l) => [l.tool, l.credentialKind, l.outcome, l.reason]), [['messages_send', 'env', 'refused', 'confirmation_required']])
  t.equal(up.requests.length, 0)
})
