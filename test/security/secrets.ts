// No credential in any log line, response body or response header: a mix of calls with API keys,
// key ids, bearer tokens, a key in the query string and the server's env key — including calls
// that fail in validation, in the transport and upstream, where the upstream echoes the
// credential it was sent back in its error (message, code and details). Everything the product
// wrote (its logs at trace level, every answer) is then searched for every secret.
import t from 'tap'
import { product, rawPost } from '../helper.js'
import { fakeUpstream, type Script, type Seen } from '../faults/fake-upstream.js'

const ENV_KEY = 'ps_env_secret_key_7f3a9'
const HEADER_KEY = 'ps_header_secret_key_c41d'
const KEY_ID = 'kid_secret_id_88e2'
const BEARER = 'bearer-secret-token-5b7e1f'
const QUERY_TOKEN = 'query-secret-token-90aa'
const SECRETS = [ENV_KEY, HEADER_KEY, KEY_ID, BEARER, QUERY_TOKEN]

/** What the upstream was sent, echoed back: the credential headers in every field it can. */
function echo (r: Seen): string {
  const creds = [r.headers['x-api-key'], r.headers['x-api-key-id'], r.headers.authorization].filter(Boolean).join(' ')
  return JSON.stringify({ error: `Invalid credentials: ${creds}`, code: `BAD_${creds}`, details: { received: creds, headers: { 'x-api-key': r.headers['x-api-key'] }, [creds]: 'as a key too' } })
}

t.test('no secret in logs, answers or headers, even when the upstream echoes it', async (t) => {
  const up = await fakeUpstream(t, (r): Script => {
    if (r.path.startsWith('/v1/templates/ok')) return { status: 200, body: '{"id":"ok","name":"n"}' }
    if (r.path.startsWith('/v1/templates/e500')) return { status: 500, body: echo(r) }
    if (r.path.startsWith('/v1/templates/e403')) return { status: 403, body: echo(r) }
    if (r.path.startsWith('/v1/templates/e429')) return { status: 429, headers: { 'retry-after': '60' }, body: echo(r) }
    if (r.path.startsWith('/v1/templates/hang')) return { hang: true }
    if (r.path.startsWith('/v1/templates/html')) return { status: 502, headers: { 'content-type': 'text/html' }, body: `<html>${echo(r)}</html>` }
    return { status: 401, body: echo(r) }
  })
  // The upstream timeout ends the `hang` calls; generous, so that on a busy machine no prompt
  // answer is mistaken for a timeout. The hanging calls run side by side (awaited at the end).
  const p = await product(t, up.url, { apiKey: ENV_KEY, envKeyFallback: true, upstreamTimeoutMs: 2000 })
  const answers: string[] = []
  const record = (res: { status: number, headers: Headers, text: string }) => {
    answers.push(`${res.status} ${JSON.stringify([...res.headers.entries()])} ${res.text}`)
    return res
  }
  const call = (name: string, args: unknown) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } })
  const credentialSets: Array<[string, Record<string, string>, string]> = [
    ['env key (no credentials sent)', {}, p.mcp],
    ['x-api-key', { 'x-api-key': HEADER_KEY }, p.mcp],
    ['x-api-key + x-api-key-id', { 'x-api-key': HEADER_KEY, 'x-api-key-id': KEY_ID }, p.mcp],
    ['x-api-key-id alone', { 'x-api-key-id': KEY_ID }, p.mcp],
    ['bearer token', { authorization: `Bearer ${BEARER}` }, p.mcp],
    ['token in the query string', {}, `${p.mcp}?access_token=${QUERY_TOKEN}&api_key=${QUERY_TOKEN}`]
  ]
  let echoedAndRedacted = 0
  const hanging: Array<Promise<void>> = []
  for (const [label, headers, url] of credentialSets) {
    for (const id of ['ok', 'e401', 'e500', 'e403', 'e429', 'hang', 'html']) {
      const answered = rawPost(url, call('templates_get', { id }), headers).then((res) => {
        record(res)
        t.ok(res.status < 500, `${label} / ${id}: answered ${res.status}`)
        if (/\[redacted\]/.test(res.text)) echoedAndRedacted++
      })
      if (id === 'hang') hanging.push(answered)
      else await answered
    }
    record(await rawPost(url, call('messages_send', { destinationNumber: '+5511988887777', text: 'hi' }), headers))
    record(await rawPost(url, call('templates_get', { id: 42, bogus: HEADER_KEY }), headers))
    record(await rawPost(url, call('no_such_tool', {}), headers))
    record(await rawPost(url, '{"jsonrpc":"2.0","id":1,"method":', headers))
    record(await rawPost(url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { ...headers, accept: 'text/html' }))
  }
  await Promise.all(hanging)
  const malformed = record(await rawPost(p.mcp, call('numbers_list', {}), { authorization: `Basic ${BEARER}` }))
  t.equal(malformed.status, 401)

  // The upstream did receive the secrets (so the test could catch a leak) ...
  const sent = up.requests.map((r) => JSON.stringify(r.headers)).join('\n')
  for (const s of [ENV_KEY, HEADER_KEY, KEY_ID, BEARER]) t.ok(sent.includes(s), `the upstream was sent ${s.slice(0, 10)}…`)
  // ... echoed them back, and the product scrubbed them before answering.
  // 4 echoing errors (401, 500, 403, 429) × 4 key-based credential sets, plus 3 for the bearer token
  // (its upstream 401 becomes an HTTP challenge); a token in the URL is refused before any call.
  t.equal(echoedAndRedacted, 19, 'every echoed credential came back redacted')
  t.ok(answers.some((a) => a.includes('Invalid credentials: [redacted]')), 'the echoed message is kept, minus the secret')

  t.ok(p.logs.length > 100, `${p.logs.length} log lines captured`)
  const logs = p.logs.join('\n')
  const everything = `${logs}\n${answers.join('\n')}`
  for (const s of SECRETS) {
    const hits = everything.split('\n').filter((l) => l.includes(s))
    t.same(hits.slice(0, 3), [], `${s.slice(0, 12)}… appears in no log line and no answer`)
  }
})
