// The HTTP MCP endpoint as clients meet it: auth and challenges, transport-level errors, both
// protocol eras and both SDK majors, and what reaches the upstream for each credential kind.
import t from 'tap'
import { sandbox, product, mcpClient, rawPost, SANDBOX_KEYS, SANDBOX_KEY_IDS, SANDBOX_NUMBERS } from '../helper.js'
import { originGuard } from '../../plugins/origin-guard.js'

const LIST = { jsonrpc: '2.0', id: 1, method: 'tools/list' }
const call = (name: string, args: unknown, id = 2) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } })

t.test('no credentials: 401 with an RFC 9728 challenge and no upstream call', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url)
  const res = await rawPost(p.mcp, call('numbers_list', {}))
  t.equal(res.status, 401)
  t.equal(res.headers.get('www-authenticate'), 'Bearer resource_metadata="https://mcp.pilotstatuss.com/.well-known/oauth-protected-resource", error_description="Authentication required: send x-api-key, or log in with OAuth"')
  t.equal(res.json.error.code, -32001)
  t.equal(sb.requests.length, 0, 'nothing went upstream')
  const meta = await fetch(`${p.url}/.well-known/oauth-protected-resource`)
  const expected = {
    resource: 'https://mcp.pilotstatuss.com',
    authorization_servers: ['https://pilotstatuss.com'],
    bearer_methods_supported: ['header'],
    resource_name: 'Pilot Status MCP server',
    resource_documentation: 'https://github.com/pilot-status/mcp-server#readme'
  }
  t.same(await meta.json(), expected)
  const suffixed = await fetch(`${p.url}/.well-known/oauth-protected-resource/mcp`)
  t.same(await suffixed.json(), { ...expected, resource: 'https://mcp.pilotstatuss.com/mcp' }, 'the path-inserted location names the identifier it is derived from')
})

t.test('a malformed Authorization header is a 401 invalid_request, not a fallback to other credentials', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url, { apiKey: SANDBOX_KEYS.number, envKeyFallback: true })
  const res = await rawPost(p.mcp, LIST, { authorization: 'Basic dXNlcjpwYXNz' })
  t.equal(res.status, 401)
  t.match(res.headers.get('www-authenticate'), /error="invalid_request"/)
  t.equal(sb.requests.length, 0)
})

t.test('each credential kind reaches the upstream as the API expects', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url)
  const pEnv = await product(t, sb.url, { apiKey: SANDBOX_KEYS.tenant, envKeyFallback: true })
  const cases: Array<[string, string, Record<string, string>, Record<string, string | undefined>]> = [
    ['x-api-key', p.mcp, { 'x-api-key': SANDBOX_KEYS.tenant }, { 'x-api-key': SANDBOX_KEYS.tenant, 'x-api-key-id': undefined, authorization: undefined }],
    ['x-api-key + x-api-key-id', p.mcp, { 'x-api-key': SANDBOX_KEYS.tenant, 'x-api-key-id': SANDBOX_KEY_IDS.tenant }, { 'x-api-key': SANDBOX_KEYS.tenant, 'x-api-key-id': SANDBOX_KEY_IDS.tenant, authorization: undefined }],
    ['x-api-key-id alone', p.mcp, { 'x-api-key-id': SANDBOX_KEY_IDS.tenant }, { 'x-api-key': undefined, 'x-api-key-id': SANDBOX_KEY_IDS.tenant, authorization: undefined }],
    ['env key fallback', pEnv.mcp, {}, { 'x-api-key': SANDBOX_KEYS.tenant, 'x-api-key-id': undefined, authorization: undefined }],
    ['a header wins over the env key', pEnv.mcp, { 'x-api-key': SANDBOX_KEYS.number }, { 'x-api-key': SANDBOX_KEYS.number, authorization: undefined }]
  ]
  for (const [name, url, headers, expected] of cases) {
    sb.requests.length = 0
    const res = await rawPost(url, call('numbers_list', {}), headers)
    t.equal(res.status, 200, name)
    t.notOk(res.json.result.isError, `${name}: tool succeeded`)
    t.equal(sb.requests.length, 1, `${name}: one upstream call`)
    const h = sb.requests[0].headers
    for (const [k, v] of Object.entries(expected)) t.equal(h[k], v, `${name}: upstream ${k}`)
    t.match(h['user-agent'], /^@pilot-status\/mcp-server\/\d+\.\d+\.\d+/, `${name}: user-agent`)
  }
})

t.test('bearer token: forwarded as is; an upstream 401 becomes an HTTP 401 invalid_token challenge', async (t) => {
  const sb = await sandbox(t)
  sb.store.bearerResolver = (token) => token === 'good-token' ? { tenantId: 'ten_demo', scope: 'tenant', boundNumberId: null, via: 'bearer', keyId: null } : undefined
  const p = await product(t, sb.url)
  const ok = await rawPost(p.mcp, call('numbers_list', {}), { authorization: 'Bearer good-token' })
  t.equal(ok.status, 200)
  t.notOk(ok.json.result.isError)
  t.equal(sb.requests[0].headers.authorization, 'Bearer good-token')
  t.equal(sb.requests[0].headers['x-api-key'], undefined)

  sb.requests.length = 0
  const bad = await rawPost(p.mcp, call('numbers_list', {}), { authorization: 'Bearer expired-token' })
  t.equal(bad.status, 401, 'HTTP 401, not a tool result')
  t.equal(bad.headers.get('www-authenticate'), 'Bearer resource_metadata="https://mcp.pilotstatuss.com/.well-known/oauth-protected-resource", error="invalid_token", error_description="The access token was rejected by Pilot Status; log in again"')
  t.equal(bad.json.result, undefined)
  t.equal(sb.requests.length, 1, 'the token went upstream once')

  // An API key rejected upstream is a tool error (a client cannot fix a key by logging in).
  const badKey = await rawPost(p.mcp, call('numbers_list', {}), { 'x-api-key': 'ps_not_a_real_key' })
  t.equal(badKey.status, 200)
  t.equal(badKey.json.result.isError, true)
  t.match(badKey.json.result.content[0].text, /HTTP 401/)
})

t.test('transport-level errors', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url, { bodyLimitBytes: 4096 })
  const key = { 'x-api-key': SANDBOX_KEYS.number }

  const parse = await rawPost(p.mcp, '{"jsonrpc":"2.0","id":1,"method":', key)
  t.equal(parse.status, 400)
  t.same(parse.json, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: the body is not valid JSON' } })

  const invalid = await rawPost(p.mcp, { hello: 'world' }, key)
  t.equal(invalid.status, 400)
  t.equal(invalid.json.error.code, -32600)

  const get = await fetch(p.mcp, { headers: key })
  t.equal(get.status, 405)
  t.equal(get.headers.get('allow'), 'POST')
  const del = await fetch(p.mcp, { method: 'DELETE', headers: key })
  t.equal(del.status, 405)

  const big = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { pad: 'x'.repeat(8000) } }, key)
  t.equal(big.status, 413)
  t.equal(big.json.error.code, -32000)

  const text = await fetch(p.mcp, { method: 'POST', headers: { ...key, 'content-type': 'text/plain', accept: 'application/json, text/event-stream' }, body: 'hi' })
  t.equal(text.status, 415)

  const jsonOnly = await fetch(p.mcp, { method: 'POST', headers: { ...key, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(LIST) })
  t.equal(jsonOnly.status, 406, 'Accept without text/event-stream')
  const http = await import('node:http')
  const noAccept = await new Promise<number>((resolve, reject) => {
    const req = http.request(p.mcp, { method: 'POST', headers: { 'content-type': 'application/json', ...key } }, (res) => { res.resume(); resolve(res.statusCode!) })
    req.on('error', reject)
    req.end(JSON.stringify(LIST))
  })
  t.equal(noAccept, 406, 'no Accept header')

  const badVersion = await rawPost(p.mcp, LIST, { ...key, 'mcp-protocol-version': '1999-01-01' })
  t.equal(badVersion.status, 400)
  t.match(badVersion.json.error.message, /unsupported MCP-Protocol-Version 1999-01-01/)

  const note = await rawPost(p.mcp, { jsonrpc: '2.0', method: 'notifications/initialized' }, key)
  t.equal(note.status, 202)
  t.equal(note.text, '')

  const unknown = await rawPost(p.mcp, { jsonrpc: '2.0', id: 9, method: 'resources/list' }, key)
  t.equal(unknown.status, 200)
  t.same(unknown.json.error.code, -32601)

  const batch = await rawPost(p.mcp, [LIST, { jsonrpc: '2.0', id: 'b', method: 'ping' }], key)
  t.equal(batch.status, 200)
  t.equal(batch.json.length, 2)
  t.equal(batch.json[0].id, 1)
  t.same(batch.json[1], { jsonrpc: '2.0', id: 'b', result: {} })
  t.equal(sb.requests.length, 0, 'none of this reached the upstream')
})

t.test('Host and Origin validation (DNS rebinding)', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url, { allowedOrigins: ['https://app.example.com'] })
  const key = { 'x-api-key': SANDBOX_KEYS.number }
  const foreign = await rawPost(p.mcp, LIST, { ...key, origin: 'https://evil.example' })
  t.equal(foreign.status, 403)
  t.match(foreign.json.error.message, /Origin "https:\/\/evil.example" is not allowed/)
  const allowed = await rawPost(p.mcp, LIST, { ...key, origin: 'https://app.example.com' })
  t.equal(allowed.status, 200)
  t.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example.com')
  const local = await rawPost(p.mcp, LIST, { ...key, origin: 'http://localhost:6274' })
  t.equal(local.status, 200)
  const resourceOrigin = await rawPost(p.mcp, LIST, { ...key, origin: 'https://mcp.pilotstatuss.com' })
  t.equal(resourceOrigin.status, 200, "MCP_RESOURCE_URL's origin is allowed")

  // fetch() will not forge Host: use a raw request.
  const http = await import('node:http')
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(p.mcp, { method: 'POST', headers: { host: 'evil.example:80', 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...key } }, (res) => { res.resume(); resolve(res.statusCode!) })
    req.on('error', reject)
    req.end(JSON.stringify(LIST))
  })
  t.equal(status, 403, 'foreign Host refused')

  const pre = await fetch(p.mcp, { method: 'OPTIONS', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key, content-type, mcp-protocol-version' } })
  t.equal(pre.status, 204)
  t.match(pre.headers.get('access-control-allow-headers'), /x-api-key/)
  const exposed = await rawPost(p.mcp, LIST, { origin: 'http://localhost:6274' })
  t.equal(exposed.status, 401)
  t.match(exposed.headers.get('access-control-expose-headers'), /WWW-Authenticate/)
  t.match(exposed.headers.get('access-control-expose-headers'), /Mcp-Session-Id/)
})

t.test('the Host guard remembers verdicts without changing them, past its memory bound', async (t) => {
  const refused: string[] = []
  const guard = originGuard({ allowedHosts: ['app.example.com'], allowedOrigins: [] }, (reply, message) => { refused.push(message); return reply })
  let both = 0
  const verdict = (host: string | undefined): boolean => {
    let passed = false
    refused.length = 0
    guard({ headers: host === undefined ? {} : { host } } as never, {} as never, () => { passed = true })
    if (passed === (refused.length > 0)) both++
    return passed
  }
  const cases: Array<[string | undefined, boolean]> = [['app.example.com', true], ['APP.example.com:8443', true], ['127.0.0.1:8787', true], ['localhost', true], ['[::1]:80', true], ['evil.example', false], ['app.example.com.evil.example', false], ['', false], [undefined, false], ['bad host', false]]
  for (let round = 0; round < 3; round++) {
    for (const [host, ok] of cases) t.equal(verdict(host), ok, `round ${round}: ${JSON.stringify(host)}`)
    // Many distinct hosts (a scanner): the memory is emptied when full, verdicts stay right.
    const scanned = Array.from({ length: 300 }, (_, i) => verdict(`h${round}-${i}.evil.example`))
    t.equal(scanned.filter(Boolean).length, 0, `round ${round}: 300 foreign hosts refused`)
  }
  t.equal(both, 0, 'each request either passed on or refused, never both nor neither')
})

t.test('SDK clients of both majors and both protocol eras list and call tools', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url)
  const headers = { 'x-api-key': SANDBOX_KEYS.tenant }
  for (const [label, opts] of [['v2 2025-11-25', {}], ['v2 2026-07-28', { modern: true }], ['v1 2025-11-25', { sdk: 'v1' as const }]] as const) {
    const c = await mcpClient(t, p.mcp, { headers, ...opts })
    const version = (c as any).getNegotiatedProtocolVersion?.() ?? (c as any)._transport?.protocolVersion
    t.equal(version, label.endsWith('2026-07-28') ? '2026-07-28' : '2025-11-25', `${label}: negotiated version`)
    const list = await c.listTools()
    t.ok(list.tools.length >= 1, `${label}: tools listed`)
    sb.requests.length = 0
    const r = await c.callTool({ name: 'numbers_list', arguments: {} })
    t.notOk(r.isError, `${label}: call succeeded`)
    t.equal(sb.requests.length, 1)
    t.equal(sb.requests[0].path, '/v1/numbers')
  }
})

t.test('tool errors through MCP: wrong scope, invalid arguments, hostile ids', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url)
  const number = await mcpClient(t, p.mcp, { headers: { 'x-api-key': SANDBOX_KEYS.number } })
  const tenant = await mcpClient(t, p.mcp, { headers: { 'x-api-key': SANDBOX_KEYS.tenant } })

  const wrong = await tenant.callTool({ name: 'templates_list', arguments: {} })
  t.equal(wrong.isError, true)
  t.match((wrong.content as any)[0].text, /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
  t.match((wrong.content as any)[0].text, /number-scoped API key/)

  const picked = await tenant.callTool({ name: 'templates_list', arguments: { whatsappNumberId: SANDBOX_NUMBERS.demo } })
  t.notOk(picked.isError, 'a tenant key picks a number with whatsappNumberId')
  t.equal(sb.requests.at(-1)!.headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)

  sb.requests.length = 0
  const bad = await number.callTool({ name: 'messages_send', arguments: { destinationNumber: 5511, text: 42, bogus: true } })
  t.equal(bad.isError, true)
  const text = (bad.content as any)[0].text as string
  t.match(text, /Invalid arguments for messages_send/)
  t.match(text, /bogus: unknown argument/)
  t.equal(sb.requests.length, 0, 'nothing was sent upstream')

  const hostile = await number.callTool({ name: 'templates_get', arguments: { id: '../numbers' } })
  t.equal(hostile.isError, true)
  t.equal(sb.requests.at(-1)!.path, '/v1/templates/%2E%2E%2Fnumbers', 'the id stayed one encoded segment')

  const unknown = await number.callTool({ name: 'no_such_tool', arguments: {} }).catch((e: Error) => e)
  t.ok(unknown instanceof Error, 'unknown tool is a protocol error')
  t.match((unknown as Error).message, /Unknown tool: no_such_tool/)
})

t.test('no secret reaches the logs', async (t) => {
  const sb = await sandbox(t)
  sb.store.bearerResolver = () => undefined
  const p = await product(t, sb.url, { apiKey: SANDBOX_KEYS.tenant, envKeyFallback: true })
  await rawPost(p.mcp, call('numbers_list', {}), { 'x-api-key': SANDBOX_KEYS.number, 'x-api-key-id': SANDBOX_KEY_IDS.number })
  await rawPost(`${p.mcp}?access_token=sekrit-query-token`, call('numbers_list', {}))
  await rawPost(p.mcp, call('numbers_list', {}), { authorization: 'Bearer sekrit-bearer-token' })
  await rawPost(p.mcp, call('messages_send', { destinationNumber: '+5511988887777', text: 'hi' }), { 'x-api-key': 'ps_wrong_sekrit_key' })
  const all = p.logs.join('\n')
  t.ok(p.logs.length > 4, 'logs were captured')
  for (const secret of [SANDBOX_KEYS.number, SANDBOX_KEYS.tenant, SANDBOX_KEY_IDS.number, 'sekrit-query-token', 'sekrit-bearer-token', 'ps_wrong_sekrit_key']) {
    t.notOk(all.includes(secret), `log does not contain ${secret.slice(0, 12)}…`)
  }
})
