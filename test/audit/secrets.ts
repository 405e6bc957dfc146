// No secret in an audit line or anywhere in the log: audited calls with an API key, a key id, a
// bearer token and the server's env key, ending ok, refused by the API (which echoes the
// credential it was sent), unknown and replayed — and a regenerated key the API returns.
import t from 'tap'
import { product } from '../helper.js'
import { fakeUpstream, type Seen } from '../faults/fake-upstream.js'
import { fingerprint } from '../../src/api/credentials.js'
import { auditLines } from './helpers.js'
import { rawPost } from '../helper.js'

const ENV_KEY = 'ps_audit_env_secret_71c2'
const HEADER_KEY = 'ps_audit_header_secret_9d0e'
const KEY_ID = 'kid_audit_secret_44b1'
const BEARER = 'audit-bearer-secret-6f3a2'
const NEW_KEY = 'ps_audit_regenerated_secret_e5f8'
const SECRETS = [ENV_KEY, HEADER_KEY, KEY_ID, BEARER, NEW_KEY]

const echo = (r: Seen) => {
  const creds = [r.headers['x-api-key'], r.headers['x-api-key-id'], r.headers.authorization].filter(Boolean).join(' ')
  return JSON.stringify({ error: `Invalid credentials: ${creds}`, code: `BAD_${creds}`, details: { received: creds } })
}

t.test('audit lines name the credential by fingerprint only; no secret in any log line', async (t) => {
  const up = await fakeUpstream(t, (r) => {
    if (r.path === '/v1/api-keys') return { status: 200, body: JSON.stringify({ id: 'key_new', key: NEW_KEY }) }
    if (r.path === '/v1/messages/send') {
      const text = (JSON.parse(r.body) as { text: string }).text
      if (text === 'ok') return { status: 200, body: JSON.stringify({ id: 'msg_ok', correlationId: 'c', status: 'QUEUED', createdAt: '2026-01-01T00:00:00Z' }) }
      return { status: text === '500' ? 500 : 403, body: echo(r) }
    }
    return { status: 200, body: '{}' }
  })
  const p = await product(t, up.url, { apiKey: ENV_KEY, envKeyFallback: true })
  const sets: Array<[string, Record<string, string>, string]> = [
    ['env', {}, fingerprint({ kind: 'apiKey', key: ENV_KEY, source: 'env' })],
    ['api_key', { 'x-api-key': HEADER_KEY, 'x-api-key-id': KEY_ID }, fingerprint({ kind: 'apiKey', key: HEADER_KEY, keyId: KEY_ID, source: 'header' })],
    ['api_key_id', { 'x-api-key-id': KEY_ID }, fingerprint({ kind: 'apiKeyId', keyId: KEY_ID, source: 'header' })],
    ['bearer', { authorization: `Bearer ${BEARER}` }, fingerprint({ kind: 'bearer', token: BEARER, source: 'header' })]
  ]
  const call = (name: string, args: Record<string, unknown>, headers: Record<string, string>) =>
    rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }, headers)
  for (const [, headers] of sets) {
    for (const text of ['ok', '403', '500']) await call('messages_send', { destinationNumber: '+5511988887777', text, idempotencyKey: `k-${text}` }, headers)
    await call('messages_send', { destinationNumber: '+5511988887777', text: 'ok', idempotencyKey: 'k-ok' }, headers)
    await call('api_keys_regenerate_number', { whatsappNumberId: 'num_1' }, headers)
  }
  const lines = auditLines(p.logs)
  t.equal(lines.length, sets.length * 5, 'five audit lines per credential')
  for (const [kind, , fp] of sets) {
    const mine = lines.filter((l) => l.credentialKind === kind)
    t.same(mine.map((l) => l.outcome), ['ok', 'tool_error', 'unknown', 'replayed', 'ok'], `${kind}: ok, refused by the API, unknown, replayed, regenerated`)
    t.ok(mine.every((l) => l.credential === fp && /^[0-9a-f]{16}$/.test(l.credential)), `${kind}: the fingerprint`)
    t.notOk(mine.some((l) => 'createdId' in l && l.tool === 'api_keys_regenerate_number'), `${kind}: no created id for a regenerated key`)
  }
  // The upstream was sent the secrets and echoed them (in the API's error code too) ...
  t.ok(up.requests.some((r) => JSON.stringify(r.headers).includes(BEARER)), 'the upstream was sent the bearer token')
  t.ok(lines.some((l) => l.errorCode === 'BAD_[redacted]'), 'an echoed credential in the API\'s code is redacted')
  // ... and no log line holds any of them.
  t.ok(p.logs.length > 40, `${p.logs.length} log lines at trace level`)
  for (const s of SECRETS) t.same(p.logs.filter((l) => l.includes(s)).slice(0, 2), [], `${s.slice(0, 14)}… in no log line`)
})
