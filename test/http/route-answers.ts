// What the MCP route answers by itself, with the fast path on and off: requests the SDK would
// drop unanswered, every refusal of both protocol eras with the request's id, the versions and
// cache fields discovery announces, invalid narrowing headers, an API key sent as a bearer
// token, and a batch in which one call is refused for its OAuth scope.
import t, { type Test } from 'tap'
import { product, rawPost, sandbox, SANDBOX_KEYS } from '../helper.js'
import { fakeUpstream } from '../faults/fake-upstream.js'

const KEY = { 'x-api-key': 'ps_route_answers_key' }
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'route-test', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {}
}
const modernHeaders = (method: string, extra: Record<string, string> = {}) => ({ ...KEY, 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...extra })
const SERVED = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07']

function bothWays (name: string, fn: (t: Test, fastPath: boolean) => Promise<void>): void {
  for (const fastPath of [true, false]) t.test(`${name} (fast path ${fastPath ? 'on' : 'off'})`, (t) => fn(t, fastPath))
}

bothWays('requests the SDK would drop are answered at once, with their id', async (t, fastPath) => {
  const up = await fakeUpstream(t)
  // A long deadline: an answer that waited for it would show as -32001 (and take a minute).
  const p = await product(t, up.url, { requestTimeoutMs: 60_000, fastPath })
  const cases: Array<[string, string, number, number]> = [
    ['a stray member', '{"jsonrpc":"2.0","id":1,"method":"tools/call","extra":"x"}', 1, -32600],
    ['a result member on a request', '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"webhooks_list","arguments":"s"},"result":1}', 2, -32600],
    ['__proto__ and arguments of the wrong type', '{"__proto__":{"x":1},"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"webhooks_list","arguments":"s"}}', 3, -32600],
    ['an unlisted tool with an odd _meta', '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"no_such_tool","_meta":{"progressToken":true}}}', 4, -32600],
    ['a related-task entry without taskId', '{"jsonrpc":"2.0","id":"r","method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/related-task":{}}}}', 0, -32600],
    ['a float id', '{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}', 1.5, -32600]
  ]
  for (const [name, body, id, code] of cases) {
    const res = await rawPost(p.mcp, body, KEY)
    t.equal(res.status, 400, `${name}: 400`)
    t.same(res.json?.error?.code, code, `${name}: ${code}`)
    t.equal(res.json?.id, id === 0 ? 'r' : id, `${name}: the request's id`)
  }
  const unknown = await rawPost(p.mcp, { jsonrpc: '2.0', id: 'u', method: 'bogus/method' }, KEY)
  t.same([unknown.status, unknown.json.id, unknown.json.error.code], [200, 'u', -32601], 'an unknown method: -32601 with its id')
  const args = await rawPost(p.mcp, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'webhooks_list', arguments: 's' } }, KEY)
  t.same([args.json.id, args.json.error.code], [5, -32602])
  t.match(args.json.error.message, /arguments of webhooks_list must be a JSON object/)

  // In a batch each message is judged alone: the malformed ones get their errors, the rest is served.
  const batch = await rawPost(p.mcp, '[{"jsonrpc":"2.0","id":1,"method":"tools/call","extra":"x"},{"__proto__":1,"jsonrpc":"2.0","id":2,"method":"ping"},7,{"jsonrpc":"2.0","id":3,"method":"tools/list"},{"jsonrpc":"2.0","method":"notifications/initialized"}]', KEY)
  t.equal(batch.status, 200)
  t.same(batch.json.map((m: { id: unknown }) => m.id), [1, 2, null, 3])
  t.same(batch.json.slice(0, 3).map((m: { error: { code: number } }) => m.error.code), [-32600, -32600, -32600])
  t.equal(batch.json[3].result.tools.length, 56)
  t.equal(up.requests.length, 0, 'nothing reached the upstream')
})

bothWays('every refusal of both eras carries the request\'s id', async (t, fastPath) => {
  const up = await fakeUpstream(t)
  const p = await product(t, up.url, { fastPath })
  const list = (id: number, meta?: Record<string, unknown>) => ({ jsonrpc: '2.0', id, method: 'tools/list', ...(meta ? { params: { _meta: meta } } : {}) })
  const { 'io.modelcontextprotocol/clientCapabilities': _caps, ...noCaps } = MODERN_META
  const cases: Array<[string, unknown, Record<string, string>, number, number]> = [
    ['2025: an unsupported MCP-Protocol-Version', list(11), { ...KEY, 'mcp-protocol-version': '1999-01-01' }, 400, -32000],
    ['2025: a 2026 version header without the envelope', list(12), { ...KEY, 'mcp-protocol-version': '2026-07-28' }, 400, -1],
    ['2025: an invalid narrowing header', list(13), { ...KEY, 'x-mcp-readonly': 'maybe' }, 400, -32600],
    ['2026: Mcp-Method disagrees with the body', list(21, MODERN_META), modernHeaders('tools/call'), 400, -1],
    ['2026: MCP-Protocol-Version disagrees with the envelope', list(22, MODERN_META), { ...KEY, 'mcp-protocol-version': '2025-11-25', 'mcp-method': 'tools/list' }, 400, -1],
    ['2026: an envelope without clientCapabilities', list(23, noCaps), modernHeaders('tools/list'), 400, -1],
    ['2026: no Mcp-Method header', list(24, MODERN_META), { ...KEY, 'mcp-protocol-version': '2026-07-28' }, 400, -1],
    ['2026: an unsupported envelope version', list(25, { ...MODERN_META, 'io.modelcontextprotocol/protocolVersion': '2030-01-01' }), { ...KEY, 'mcp-protocol-version': '2030-01-01', 'mcp-method': 'tools/list' }, 400, -32022],
    ['2026: a stray member', { ...list(26, MODERN_META), extra: 1 }, modernHeaders('tools/list'), 400, -32600],
    ['2026: an invalid narrowing header', list(27, MODERN_META), modernHeaders('tools/list', { 'x-mcp-tools': 'nope' }), 400, -32600]
  ]
  for (const [name, body, headers, status, code] of cases) {
    const res = await rawPost(p.mcp, body, headers)
    t.equal(res.status, status, `${name}: HTTP ${status}`)
    t.equal(res.json?.id, (body as { id: number }).id, `${name}: the request's id (${res.text.slice(0, 160)})`)
    if (code !== -1) t.equal(res.json?.error?.code, code, `${name}: ${code}`)
    else t.type(res.json?.error?.code, 'number', `${name}: a JSON-RPC error`)
  }
  for (const [label, body, headers] of [
    ['2025', { jsonrpc: '2.0', id: 31, method: 'tools/list', params: { cursor: 5 } }, KEY],
    ['2026', { jsonrpc: '2.0', id: 32, method: 'tools/list', params: { cursor: 5, _meta: MODERN_META } }, modernHeaders('tools/list')]
  ] as const) {
    const res = await rawPost(p.mcp, body, headers)
    t.equal(res.json.id, body.id, `${label}: a bad cursor keeps the id`)
    t.equal(res.json.error.code, -32602, `${label}: a bad cursor is invalid params`)
    t.match(res.json.error.message, /cursor must be a string/, `${label}: naming the field`)
  }
  const version = await rawPost(p.mcp, list(41), { ...KEY, 'mcp-protocol-version': '1999-01-01' })
  t.same(version.json.error.data, { supported: SERVED, requested: '1999-01-01' }, 'the version error lists every version served')
  const modernVersion = await rawPost(p.mcp, list(42, { ...MODERN_META, 'io.modelcontextprotocol/protocolVersion': '2030-01-01' }), { ...KEY, 'mcp-protocol-version': '2030-01-01', 'mcp-method': 'tools/list' })
  t.same(modernVersion.json.error.data, { supported: SERVED, requested: '2030-01-01' }, 'so does the 2026-era one')
})

t.test('discovery lists every version served; lists carry a cache lifetime, private when headers narrow them', async (t) => {
  const up = await fakeUpstream(t)
  const p = await product(t, up.url)
  const discover = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: MODERN_META } }, modernHeaders('server/discover'))
  t.equal(discover.status, 200)
  t.same(discover.json.result.supportedVersions, SERVED, 'server/discover names 2026-07-28 and the 2025-era versions served through initialize')
  t.same([discover.json.result.ttlMs, discover.json.result.cacheScope], [3_600_000, 'public'])
  const list = await rawPost(p.mcp, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: MODERN_META } }, modernHeaders('tools/list'))
  t.same([list.json.result.ttlMs, list.json.result.cacheScope], [3_600_000, 'public'], 'tools/list: fixed for the configuration')
  const narrowed = await rawPost(p.mcp, { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: MODERN_META } }, modernHeaders('tools/list', { 'x-mcp-readonly': 'true' }))
  t.same([narrowed.json.result.ttlMs, narrowed.json.result.cacheScope], [3_600_000, 'private'], 'a list narrowed by headers is this client\'s own')
  t.ok(narrowed.json.result.tools.length < list.json.result.tools.length)
  const init = await rawPost(p.mcp, { jsonrpc: '2.0', id: 4, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } } }, KEY)
  t.equal(init.json.result.protocolVersion, '2025-11-25', '2025-11-25 is served through initialize')
})

t.test('narrowing headers: invalid values are refused naming the header and the valid values; never fail open', async (t) => {
  const up = await fakeUpstream(t)
  const p = await product(t, up.url)
  const LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list' }
  const names = async (h: Record<string, string>) => (await rawPost(p.mcp, LIST, { ...KEY, ...h })).json.result.tools.map((x: { name: string }) => x.name) as string[]
  for (const yes of ['true', '1', 'yes', 'on', 'YES', ' On ']) {
    const listed = await names({ 'x-mcp-readonly': yes })
    t.notOk(listed.includes('messages_send'), `x-mcp-readonly: ${JSON.stringify(yes)} hides sends`)
    t.ok(listed.length > 10 && listed.length < 56)
  }
  for (const no of ['false', '0', 'no', 'off']) t.equal((await names({ 'x-mcp-readonly': no })).length, 56, `x-mcp-readonly: ${no}`)
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ 'x-mcp-readonly': 'maybe' }, /x-mcp-readonly header: "maybe" is not a boolean; valid: true\/1\/yes\/on or false\/0\/no\/off/],
    [{ 'x-mcp-toolsets': 'messages,nope' }, /x-mcp-toolsets header: unknown toolset nope; valid toolsets: messages, /],
    [{ 'x-mcp-toolsets': ',,' }, /x-mcp-toolsets header: no toolset named/],
    [{ 'x-mcp-tools': 'messages_send,no_such_tool' }, /x-mcp-tools header: unknown tool no_such_tool; valid tools: messages_send, /]
  ]
  for (const [h, message] of bad) {
    const res = await rawPost(p.mcp, LIST, { ...KEY, ...h })
    t.equal(res.status, 400, `${JSON.stringify(h)}: 400`)
    t.same([res.json.id, res.json.error.code], [1, -32600])
    t.match(res.json.error.message, message)
  }
  const send = await rawPost(p.mcp, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'messages_send', arguments: { destinationNumber: '+5511988887777', text: 'hi' } } }, { ...KEY, 'x-mcp-readonly': 'yes' })
  t.equal(send.json.result.isError, true, 'a send under x-mcp-readonly: yes is refused')
  t.match(send.json.result.content[0].text, /read-only/)
  t.same(await names({ 'x-mcp-toolsets': 'account', 'x-mcp-tools': 'api_keys_list,messages_send' }), ['api_keys_list'], 'headers combine by intersection')
  t.equal(up.requests.length, 0)
})

t.test('an API key sent as a bearer token: 401 saying where keys go, without starting an OAuth login', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url)
  const res = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${SANDBOX_KEYS.number}` })
  t.equal(res.status, 401)
  const challenge = res.headers.get('www-authenticate') ?? ''
  t.notMatch(challenge, /invalid_token/, 'no error="invalid_token": that would send OAuth clients into a login loop')
  t.match(challenge, /error_description="[^"]*x-api-key header/)
  t.match(res.json.error.message, /send API keys in the x-api-key header/)
  t.notMatch(res.text, new RegExp(SANDBOX_KEYS.number), 'the key is not echoed')
  t.equal(sb.requests.length, 0, 'nothing went upstream')
})

/** Sends succeed; api_keys_list is refused for the OAuth grant's scope. */
function scopedUpstream (r: { method: string, path: string }) {
  if (r.path === '/v1/api-keys') return { status: 403, body: '{"error":"The token lacks the keys:read scope","code":"insufficient_scope"}' }
  if (r.method === 'POST' && r.path === '/v1/messages/send') return { status: 201, body: '{"id":"msg_1","correlationId":"c_1","status":"QUEUED","createdAt":"2026-06-20T10:00:00.000Z"}' }
  return { status: 200, body: '{}' }
}

bothWays('a batch with a call refused for its OAuth scope keeps the results of the calls that ran', async (t, fastPath) => {
  const up = await fakeUpstream(t, scopedUpstream)
  const p = await product(t, up.url, { fastPath })
  const bearer = { authorization: 'Bearer oauth-token-1' }
  const send = { jsonrpc: '2.0', id: 'send', method: 'tools/call', params: { name: 'messages_send', arguments: { destinationNumber: '+5511988887777', text: 'hi', whatsappNumberId: 'num_1' } } }
  const keys = { jsonrpc: '2.0', id: 'keys', method: 'tools/call', params: { name: 'api_keys_list', arguments: {} } }

  const batch = await rawPost(p.mcp, [send, keys], bearer)
  t.equal(batch.status, 200, 'not a 403 for the whole batch')
  t.same(batch.json.map((m: { id: string }) => m.id), ['send', 'keys'])
  t.equal(batch.json[0].result.isError, undefined, 'the send\'s result is there')
  t.equal(batch.json[0].result.structuredContent.id, 'msg_1')
  t.equal(batch.json[1].result.isError, true)
  t.match(batch.json[1].result.content[0].text, /HTTP 403 insufficient_scope/)
  t.match(batch.json[1].result.content[0].text, /log in again and consent to that scope/, 'the refusal names the need to re-consent')
  t.equal(up.requests.filter((r) => r.path === '/v1/messages/send').length, 1, 'exactly one upstream send')

  up.requests.length = 0
  const single = await rawPost(p.mcp, keys, bearer)
  t.equal(single.status, 403, 'a single call refused for its scope is an HTTP challenge')
  t.match(single.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/)
  t.equal(single.json.id, 'keys', 'carrying the request\'s id')

  const allRefused = await rawPost(p.mcp, [keys, { ...keys, id: 'keys2' }], bearer)
  t.equal(allRefused.status, 403, 'a batch in which every call was refused is a challenge too (nothing is hidden)')

  const modern = await rawPost(p.mcp, { ...keys, params: { ...keys.params, _meta: MODERN_META } }, { ...bearer, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'api_keys_list' })
  t.equal(modern.status, 403, '2026 era: the SDK path carries the outcome to the route too')
  t.match(modern.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/)

  const key = await rawPost(p.mcp, keys, KEY)
  t.equal(key.status, 200, 'an API key refused upstream stays a tool error (logging in cannot fix a key)')
  t.equal(key.json.result.isError, true)
})
