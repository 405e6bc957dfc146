// The calls toolset against the sandbox: every tool's upstream request, results against the output
// schemas, the provider rules (Meta / web only, SDP per provider, Meta call permissions and their
// request limit), call state that changes, `before` cursor paging, scope errors and encoded ids.
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SANDBOX_KEYS, SANDBOX_NUMBERS, errorText, invoke, okResult, registry, sandbox } from '../helper.js'
import { hints } from '../../tools/define.js'
import { SANDBOX_CALL_CONTACTS, callState } from '../../sandbox/calls.js'
import type { RunningSandbox } from '../../sandbox/server.js'
import type { ToolResult } from '../../src/mcp/call.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const clock = { now: () => NOW }
const ago = (ms: number) => new Date(NOW - ms).toISOString()
const META = { key: SANDBOX_KEYS.meta }
const TENANT = { key: SANDBOX_KEYS.tenant }
const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\n'
const ANSWER = OFFER.replace('o=- 1 2', 'o=- 3 4')
const PERM = SANDBOX_CALL_CONTACTS.permanent
const NONE = SANDBOX_CALL_CONTACTS.none
const LIMITED = SANDBOX_CALL_CONTACTS.requestLimited

const textOf = (r: ToolResult) => (r.content[0]?.type === 'text' ? r.content[0].text : '')

interface CallItem { id: string, externalCallId: string, direction: string, status: string, peerNumber: string, createdAt: string }

/** The number's whole call log through the tool (newest first). */
async function allCalls (sb: RunningSandbox, opts = {}): Promise<CallItem[]> {
  const r = await invoke(sb, 'calls_list', { limit: 100 }, opts)
  if (r.isError) throw new Error(textOf(r))
  return (r.structuredContent as { calls: CallItem[] }).calls
}

/** The seeded inbound RINGING call and the ACCEPTED call in progress of a number. */
async function seeded (sb: RunningSandbox, opts = {}) {
  const calls = await allCalls(sb, opts)
  return { ringing: calls[0], live: calls[1], ended: calls[2], calls }
}

t.test('catalogue: toolset, scope, hints, whatsappNumberId and a compact entry', async (t) => {
  const expected: Record<string, string> = {
    call_initiate: 'O',
    calls_list: 'RI',
    call_get: 'RI',
    call_accept: 'O',
    call_reject: 'D',
    call_terminate: 'D',
    call_settings_get: 'RI',
    call_settings_update: 'I',
    call_permission_get: 'RI',
    call_permission_request: 'O'
  }
  t.same([...registry.all.values()].filter((x) => x.def.toolset === 'calls').map((x) => x.def.name).sort(), Object.keys(expected).sort())
  for (const [name, letters] of Object.entries(expected)) {
    const tool = registry.all.get(name)!
    t.equal(tool.def.scope, 'number', `${name} scope`)
    t.same(tool.def.annotations, hints(letters), `${name} hints`)
    t.ok('whatsappNumberId' in (tool.entry.inputSchema.properties ?? {}), `${name} takes whatsappNumberId`)
    const d = tool.def.description.length
    t.ok(d >= 60 && d <= 300, `${name} description is ${d} chars`)
    const size = JSON.stringify(tool.entry).length
    t.ok(size < 1300, `${name} tools/list entry is ${size} bytes`)
  }
})

// Every tool with arguments that would succeed on its right number, for the rules shared by all.
const ALL: Array<[string, Record<string, unknown>]> = [
  ['call_initiate', { to: '+5511970000001' }],
  ['calls_list', {}],
  ['call_get', { callId: 'call_x' }],
  ['call_accept', { callId: 'call_x' }],
  ['call_reject', { callId: 'call_x' }],
  ['call_terminate', { callId: 'call_x' }],
  ['call_settings_get', {}],
  ['call_settings_update', { status: 'DISABLED' }],
  ['call_permission_get', { to: PERM }],
  ['call_permission_request', { to: NONE }]
]

t.test('every tool: scope, unknown number and provider errors; nothing changes', async (t) => {
  const sb = await sandbox(t, clock)
  const s = callState(sb.store)
  const before = JSON.stringify([s.calls, [...s.permissions], [...s.requests], [...s.settings]])
  for (const [name, args] of ALL) {
    let text = errorText(t, await invoke(sb, name, args, TENANT))
    t.match(text, 'HTTP 403 TENANT_SCOPE_NOT_ALLOWED', `${name}: tenant key without a number`)
    t.match(text, 'pass whatsappNumberId', `${name}: the hint names the argument`)
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined)

    text = errorText(t, await invoke(sb, name, { ...args, whatsappNumberId: 'num_nope' }, TENANT))
    t.match(text, 'HTTP 404 NUMBER_NOT_FOUND', `${name}: unknown number`)
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_nope')

    // The offline number is EVO_V2: neither Meta nor a Pilot Status web (EVO_GO) number.
    text = errorText(t, await invoke(sb, name, args, { key: SANDBOX_KEYS.offline }))
    t.match(text, 'HTTP 400 FEATURE_NOT_SUPPORTED: Calling is only supported for Meta Cloud API and Pilot Status (web) numbers.', `${name}: unsupported provider`)
    t.match(text, 'Hint: Calling works only on Meta Cloud API and Pilot Status (web) numbers.')
    text = errorText(t, await invoke(sb, name, { ...args, whatsappNumberId: SANDBOX_NUMBERS.offline }, TENANT))
    t.match(text, 'FEATURE_NOT_SUPPORTED', `${name}: unsupported provider picked by a tenant key`)
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.offline)
  }
  t.equal(JSON.stringify([s.calls, [...s.permissions], [...s.requests], [...s.settings]]), before, 'no failed call changed the sandbox')
})

t.test('every tool on a web number whose session is closed: 409 WHATSAPP_INSTANCE_NOT_CONNECTED', async (t) => {
  const sb = await sandbox(t, clock)
  sb.store.numbers.get(SANDBOX_NUMBERS.demo)!.state = 'CLOSE'
  for (const [name, args] of ALL) {
    const text = errorText(t, await invoke(sb, name, args))
    t.match(text, 'HTTP 409 WHATSAPP_INSTANCE_NOT_CONNECTED: Number num_demo is CLOSE: connect it before calling', name)
    t.match(text, 'numbers_connect', `${name}: the hint says how to reconnect`)
  }
})

t.test('every call-id tool: hostile ids arrive as one encoded segment; unknown → 404 CALL_NOT_FOUND', async (t) => {
  const sb = await sandbox(t, clock)
  const cases: Array<[string, string]> = [
    ['../calls', '/v1/calls/%2E%2E%2Fcalls'],
    ['settings', '/v1/calls/settings'],
    ['a/b?c#d', '/v1/calls/a%2Fb%3Fc%23d'],
    ['call_nope', '/v1/calls/call_nope']
  ]
  for (const [name, suffix] of [['call_get', ''], ['call_accept', '/accept'], ['call_reject', '/reject'], ['call_terminate', '/terminate']]) {
    for (const [callId, path] of cases) {
      if (name === 'call_get' && callId === 'settings') continue // GET /v1/calls/settings is the settings endpoint
      const text = errorText(t, await invoke(sb, name, { callId }))
      t.equal(sb.requests.length, 1)
      t.equal(sb.requests[0].path, path + suffix, `${name} ${callId}`)
      t.match(text, `HTTP 404 CALL_NOT_FOUND: Call ${callId} not found on this number`, `${name} ${callId}`)
    }
    // Another number's call is not found either.
    const metaCall = (await allCalls(sb, META))[0]
    t.match(errorText(t, await invoke(sb, name, { callId: metaCall.id })), 'CALL_NOT_FOUND', `${name}: another number's call`)
    t.match(errorText(t, await invoke(sb, name, { callId: '' })), '- callId', `${name}: empty id`)
    t.equal(sb.requests.length, 0)
    t.match(errorText(t, await invoke(sb, name, {})), '- callId', `${name}: no id`)
    t.equal(sb.requests.length, 0)
  }
})

t.test('calls_list', async (t) => {
  t.test('the first page: 25 newest calls, a cursor to older ones', async (t) => {
    const sb = await sandbox(t, clock)
    const r = await invoke(sb, 'calls_list', {})
    const d = okResult(t, 'calls_list', r)
    t.equal(sb.requests.length, 1)
    t.match(sb.requests[0], { method: 'GET', path: '/v1/calls', body: undefined })
    t.same(sb.requests[0].query, {})
    t.equal(sb.requests[0].headers['x-api-key'], SANDBOX_KEYS.number)
    t.equal(d.calls.length, 25)
    t.match(d.calls[0], {
      id: /^call_/,
      externalCallId: /^3EB0[0-9A-F]{16}$/,
      direction: 'INBOUND',
      status: 'RINGING',
      peerNumber: '+5521977770001',
      durationSeconds: null,
      startedAt: ago(20_000),
      connectedAt: null,
      endedAt: null,
      createdAt: ago(20_000),
      updatedAt: ago(20_000)
    })
    t.same(Object.keys(d.calls[0]), ['id', 'externalCallId', 'direction', 'status', 'peerNumber', 'durationSeconds', 'startedAt', 'connectedAt', 'endedAt', 'createdAt', 'updatedAt'])
    t.match(d.calls[1], { direction: 'INBOUND', status: 'ACCEPTED', peerNumber: '+5531966660002', connectedAt: ago(172_000), endedAt: null })
    t.match(d.calls[2], { direction: 'INBOUND', status: 'COMPLETED', peerNumber: '+5521977770001', durationSeconds: 30, createdAt: ago(3 * 3_600_000), endedAt: ago(3 * 3_600_000 - 36_000) })
    t.match(d.calls[3], { direction: 'OUTBOUND', status: 'COMPLETED', durationSeconds: 67 })
    const times = d.calls.map((c: CallItem) => Date.parse(c.createdAt))
    t.same(times, [...times].sort((a, b) => b - a), 'newest first')
    t.equal(d.nextBefore, d.calls[24].createdAt)
    t.notOk(d.calls.some((c: Record<string, unknown>) => 'sdpOffer' in c || 'numberId' in c), 'no SDPs or internal fields in the list')
    t.match(textOf(r), new RegExp(`^25 call\\(s\\); older: before=${d.nextBefore.replace(/\./g, '\\.')}\n`))
  })

  t.test('paging with limit and before = nextBefore walks the whole log once', async (t) => {
    const sb = await sandbox(t, clock)
    const seen: string[] = []
    const sizes: number[] = []
    let before: string | undefined
    for (let page = 0; page < 10; page++) {
      const args = before === undefined ? { limit: 7 } : { limit: 7, before }
      const d = okResult(t, 'calls_list', await invoke(sb, 'calls_list', args))
      t.same(sb.requests[0].query, before === undefined ? { limit: '7' } : { limit: '7', before }, `page ${page + 1} query`)
      if (before !== undefined) t.ok(d.calls.every((c: CallItem) => c.createdAt < before!), 'strictly before the cursor')
      sizes.push(d.calls.length)
      seen.push(...d.calls.map((c: CallItem) => c.id))
      if (d.nextBefore === undefined) break
      t.equal(d.nextBefore, d.calls[6].createdAt)
      before = d.nextBefore
    }
    t.same(sizes, [7, 7, 7, 7, 2], '30 seeded calls in five pages; a short page has no cursor')
    t.equal(new Set(seen).size, 30, 'no call twice')
    t.same(seen, (await allCalls(sb)).map((c) => c.id), 'the same order as one big page')
  })

  t.test('an exactly full last page gives a cursor to an empty page', async (t) => {
    const sb = await sandbox(t, clock)
    const first = okResult(t, 'calls_list', await invoke(sb, 'calls_list', { limit: 15 }))
    const second = okResult(t, 'calls_list', await invoke(sb, 'calls_list', { limit: 15, before: first.nextBefore }))
    t.equal(second.calls.length, 15)
    const third = okResult(t, 'calls_list', await invoke(sb, 'calls_list', { limit: 15, before: second.nextBefore }))
    t.same(third, { calls: [] })
  })

  t.test('tenant key picks the Meta number with the header', async (t) => {
    const sb = await sandbox(t, clock)
    const d = okResult(t, 'calls_list', await invoke(sb, 'calls_list', { whatsappNumberId: SANDBOX_NUMBERS.meta, limit: 3 }, TENANT))
    t.match(sb.requests[0], { method: 'GET', path: '/v1/calls' })
    t.same(sb.requests[0].query, { limit: '3' })
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.equal(sb.requests[0].headers['x-api-key'], SANDBOX_KEYS.tenant)
    t.same(d.calls.map((c: CallItem) => [c.status, c.peerNumber]), [['RINGING', PERM], ['ACCEPTED', NONE], ['COMPLETED', PERM]])
    t.match(d.calls[0].externalCallId, /^wacid\./)
    t.equal(d.nextBefore, ago(3 * 3_600_000))
    t.equal((await allCalls(sb, META)).length, 8)
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t, clock)
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ limit: 0 }, '- limit:'],
      [{ limit: 101 }, '- limit:'],
      [{ limit: 2.5 }, '- limit:'],
      [{ before: 'yesterday' }, '- before:'],
      [{ before: '2026-06-20' }, '- before:'],
      [{ before: '2026-06-20T10:00:00' }, '- before:'],
      [{ page: 2 }, '- page: unknown argument']
    ]
    for (const [args, field] of cases) {
      const text = errorText(t, await invoke(sb, 'calls_list', args))
      t.match(text, field, JSON.stringify(args))
      t.match(text, 'The tool was not run.')
      t.equal(sb.requests.length, 0)
    }
    // Accepted forms of the cursor reach the API as given.
    for (const before of ['2026-06-20T10:00:00Z', '2026-06-20T10:00:00.000Z', '2026-06-20T07:00:00-03:00']) {
      const d = okResult(t, 'calls_list', await invoke(sb, 'calls_list', { before }))
      t.same(sb.requests[0].query, { before })
      t.equal(d.calls[0].createdAt, ago(3 * 3_600_000), `${before}: the newest call before 10:00Z`)
    }
  })
})

t.test('call_initiate → calls_list shows it → call_get → call_terminate → COMPLETED', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'call_initiate', { to: '+5511970000001', bizOpaqueCallbackData: 'order-1042' })
  const d = okResult(t, 'call_initiate', r)
  t.equal(sb.requests.length, 1)
  t.match(sb.requests[0], { method: 'POST', path: '/v1/calls' })
  t.same(sb.requests[0].query, {})
  t.same(sb.requests[0].body, { to: '+5511970000001', bizOpaqueCallbackData: 'order-1042' })
  t.match(d, { id: /^call_/, externalCallId: /^3EB0[0-9A-F]{16}$/, status: 'INITIATED' })
  t.same(Object.keys(d), ['id', 'externalCallId', 'status'])
  t.match(textOf(r), new RegExp(`^Call ${d.id} to \\+5511970000001: INITIATED\n`))

  const list = await allCalls(sb)
  t.equal(list.length, 31)
  t.match(list[0], { id: d.id, direction: 'OUTBOUND', status: 'INITIATED', peerNumber: '+5511970000001', createdAt: ago(0) })

  let got = okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: d.id }))
  t.match(sb.requests[0], { method: 'GET', path: `/v1/calls/${d.id}`, body: undefined })
  t.same(sb.requests[0].query, {})
  t.same(got, {
    id: d.id,
    externalCallId: d.externalCallId,
    direction: 'OUTBOUND',
    status: 'INITIATED',
    peerNumber: '+5511970000001',
    durationSeconds: null,
    startedAt: ago(0),
    connectedAt: null,
    endedAt: null,
    createdAt: ago(0),
    updatedAt: ago(0)
  })
  t.notMatch(JSON.stringify(got), /order-1042/, 'callback data is echoed in webhooks, not in the call object')

  const term = await invoke(sb, 'call_terminate', { callId: d.id })
  t.same(okResult(t, 'call_terminate', term), { success: true, id: d.id, status: 'COMPLETED' })
  t.match(sb.requests[0], { method: 'POST', path: `/v1/calls/${d.id}/terminate` })
  t.same(sb.requests[0].body, {})
  t.match(textOf(term), new RegExp(`^Call ${d.id}: COMPLETED\n`))
  got = okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: d.id }))
  t.match(got, { status: 'COMPLETED', durationSeconds: 0, connectedAt: null, endedAt: ago(0) })
  t.match((await allCalls(sb))[0], { id: d.id, status: 'COMPLETED' })

  const again = errorText(t, await invoke(sb, 'call_terminate', { callId: d.id }))
  t.match(again, `HTTP 409 CALL_NOT_ACTIVE: Call ${d.id} has already ended (COMPLETED)`)
})

t.test('call_initiate', async (t) => {
  t.test('web numbers: only `to` is sent; sdp is refused by the API', async (t) => {
    const sb = await sandbox(t, clock)
    const d = okResult(t, 'call_initiate', await invoke(sb, 'call_initiate', { to: '5511970000002' }))
    t.same(sb.requests[0].body, { to: '5511970000002' })
    t.equal(d.status, 'INITIATED')
    t.equal((await allCalls(sb))[0].peerNumber, '+5511970000002', 'stored in E.164 with +')
    const text = errorText(t, await invoke(sb, 'call_initiate', { to: '+5511970000003', sdp: OFFER }))
    t.same(sb.requests[0].body, { to: '+5511970000003', sdp: OFFER })
    t.match(text, 'HTTP 400 VALIDATION_ERROR: sdp must be omitted on Pilot Status (web) numbers')
    t.equal((await allCalls(sb)).length, 31, 'the refused call was not created')
  })

  t.test('Meta: needs the user\'s permission and an SDP offer', async (t) => {
    const sb = await sandbox(t, clock)
    let text = errorText(t, await invoke(sb, 'call_initiate', { to: NONE, sdp: OFFER }, META))
    t.match(text, `HTTP 400 META_CALL_PERMISSION_REQUIRED: ${NONE} has not granted call permission to this business (Meta error 138006)`)
    t.match(text, 'Hint: The user has not allowed business calls: ask with call_permission_request')
    text = errorText(t, await invoke(sb, 'call_initiate', { to: PERM }, META))
    t.same(sb.requests[0].body, { to: PERM })
    t.match(text, 'HTTP 400 VALIDATION_ERROR: sdp is required on Meta Cloud API numbers')
    text = errorText(t, await invoke(sb, 'call_initiate', { to: PERM, sdp: 'not an sdp' }, META))
    t.match(text, 'VALIDATION_ERROR: sdp is required')
    t.equal((await allCalls(sb, META)).length, 8, 'nothing created')

    const r = await invoke(sb, 'call_initiate', { to: PERM, sdp: OFFER, whatsappNumberId: SANDBOX_NUMBERS.meta }, TENANT)
    const d = okResult(t, 'call_initiate', r)
    t.match(sb.requests[0], { method: 'POST', path: '/v1/calls' })
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.same(sb.requests[0].body, { to: PERM, sdp: OFFER })
    t.match(d, { id: /^call_/, externalCallId: /^wacid\./, status: 'INITIATED' })
    const got = okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: d.externalCallId, includeSdp: true }, META))
    t.equal(sb.requests[0].path, `/v1/calls/${d.externalCallId.replace(/\./g, '%2E')}`, 'the provider id works too, dots encoded')
    t.same(sb.requests[0].query, { includeSdp: '1' })
    t.match(got, { id: d.id, direction: 'OUTBOUND', peerNumber: PERM, sdpOffer: OFFER, sdpAnswer: null })
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t, clock)
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, '- to:'],
      [{ to: 'maria' }, '- to:'],
      [{ to: '+0511970000001' }, '- to:'],
      [{ to: '+551197' }, '- to:'],
      [{ to: '+5511970000001', sdp: '' }, '- sdp:'],
      [{ to: '+5511970000001', bizOpaqueCallbackData: 'x'.repeat(513) }, '- bizOpaqueCallbackData:'],
      [{ to: '+5511970000001', sdpType: 'answer' }, '- sdpType: unknown argument']
    ]
    for (const [args, field] of cases) {
      t.match(errorText(t, await invoke(sb, 'call_initiate', args)), field, JSON.stringify(args).slice(0, 60))
      t.equal(sb.requests.length, 0)
    }
  })
})

t.test('call_get', async (t) => {
  const sb = await sandbox(t, clock)
  const { live } = await seeded(sb)
  const r = await invoke(sb, 'call_get', { callId: live.id, whatsappNumberId: SANDBOX_NUMBERS.demo }, TENANT)
  const d = okResult(t, 'call_get', r)
  t.match(sb.requests[0], { method: 'GET', path: `/v1/calls/${live.id}`, body: undefined })
  t.same(sb.requests[0].query, {})
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
  t.same(d, { ...live, durationSeconds: null, startedAt: ago(180_000), connectedAt: ago(172_000), endedAt: null, updatedAt: ago(172_000) })
  t.match(textOf(r), new RegExp(`^Call ${live.id}: ACCEPTED\n`))

  // By the provider id; includeSdp on a web number adds nothing (media is server-side).
  const byExt = okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: live.externalCallId, includeSdp: true }))
  t.same(sb.requests[0].query, { includeSdp: '1' })
  t.same(byExt, d)
  okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: live.id, includeSdp: false }))
  t.same(sb.requests[0].query, {}, 'includeSdp false is not sent')

  const meta = await seeded(sb, META)
  const withSdp = okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: meta.live.id, includeSdp: true }, META))
  t.match(withSdp.sdpOffer, /^v=0\r\n.*a=setup:actpass/s)
  t.match(withSdp.sdpAnswer, /^v=0\r\n.*a=setup:active/s)
  const without = okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: meta.live.id }, META))
  t.notOk('sdpOffer' in without, 'SDPs only on request')

  t.match(errorText(t, await invoke(sb, 'call_get', { callId: live.id, includeSdp: 'yes' })), '- includeSdp:')
  t.equal(sb.requests.length, 0)
})

t.test('call_accept', async (t) => {
  t.test('web: answers the ringing inbound call; state sticks; only once', async (t) => {
    const sb = await sandbox(t, clock)
    const { ringing, live, ended } = await seeded(sb)
    const r = await invoke(sb, 'call_accept', { callId: ringing.id })
    const d = okResult(t, 'call_accept', r)
    t.match(sb.requests[0], { method: 'POST', path: `/v1/calls/${ringing.id}/accept` })
    t.same(sb.requests[0].query, {})
    t.same(sb.requests[0].body, {})
    t.same(d, { success: true, id: ringing.id, status: 'ACCEPTED' })
    t.match(textOf(r), new RegExp(`^Call ${ringing.id}: ACCEPTED\n`))
    t.match(okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: ringing.id })), { status: 'ACCEPTED', connectedAt: ago(0), updatedAt: ago(0), endedAt: null })

    let text = errorText(t, await invoke(sb, 'call_accept', { callId: ringing.id }))
    t.match(text, `HTTP 409 CALL_NOT_RINGING: Call ${ringing.id} is INBOUND and ACCEPTED: only a ringing inbound call can be accepted or rejected`)
    text = errorText(t, await invoke(sb, 'call_accept', { callId: live.id }))
    t.match(text, 'HTTP 409 CALL_NOT_RINGING')
    text = errorText(t, await invoke(sb, 'call_accept', { callId: ended.id }))
    t.match(text, `HTTP 409 CALL_NOT_ACTIVE: Call ${ended.id} has already ended (COMPLETED)`)
    const out = okResult(t, 'call_initiate', await invoke(sb, 'call_initiate', { to: '+5511970000001' }))
    t.match(errorText(t, await invoke(sb, 'call_accept', { callId: out.id })), `Call ${out.id} is OUTBOUND and INITIATED`)
  })

  t.test('an sdp on a web number is refused and the call keeps ringing', async (t) => {
    const sb = await sandbox(t, clock)
    const { ringing } = await seeded(sb)
    const text = errorText(t, await invoke(sb, 'call_accept', { callId: ringing.id, sdp: ANSWER }))
    t.same(sb.requests[0].body, { sdp: ANSWER })
    t.match(text, 'HTTP 400 VALIDATION_ERROR: sdp must be omitted')
    t.equal(okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: ringing.id })).status, 'RINGING')
  })

  t.test('Meta: the SDP answer is required and stored', async (t) => {
    const sb = await sandbox(t, clock)
    const { ringing } = await seeded(sb, META)
    const text = errorText(t, await invoke(sb, 'call_accept', { callId: ringing.id }, META))
    t.same(sb.requests[0].body, {})
    t.match(text, 'HTTP 400 VALIDATION_ERROR: sdp is required on Meta Cloud API numbers: the WebRTC SDP answer')
    t.equal(okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: ringing.id }, META)).status, 'RINGING')

    const d = okResult(t, 'call_accept', await invoke(sb, 'call_accept', { callId: ringing.id, sdp: ANSWER, whatsappNumberId: SANDBOX_NUMBERS.meta }, TENANT))
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.same(sb.requests[0].body, { sdp: ANSWER })
    t.same(d, { success: true, id: ringing.id, status: 'ACCEPTED' })
    const got = okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: ringing.id, includeSdp: true }, META))
    t.equal(got.sdpAnswer, ANSWER)
    t.equal(got.connectedAt, ago(0))
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t, clock)
    t.match(errorText(t, await invoke(sb, 'call_accept', { callId: 'call_x', sdp: '' })), '- sdp:')
    t.equal(sb.requests.length, 0)
    t.match(errorText(t, await invoke(sb, 'call_accept', { callId: 'call_x', mode: 'talk' })), '- mode: unknown argument')
    t.equal(sb.requests.length, 0)
  })
})

t.test('call_reject: declines a ringing call once; a connected one is not ringing', async (t) => {
  const sb = await sandbox(t, clock)
  const { ringing, live } = await seeded(sb)
  const r = await invoke(sb, 'call_reject', { callId: ringing.id, whatsappNumberId: SANDBOX_NUMBERS.demo }, TENANT)
  const d = okResult(t, 'call_reject', r)
  t.match(sb.requests[0], { method: 'POST', path: `/v1/calls/${ringing.id}/reject` })
  t.same(sb.requests[0].query, {})
  t.same(sb.requests[0].body, {})
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
  t.same(d, { success: true, id: ringing.id, status: 'REJECTED' })
  t.match(textOf(r), new RegExp(`^Call ${ringing.id}: REJECTED\n`))
  t.match(okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: ringing.id })), { status: 'REJECTED', endedAt: ago(0), connectedAt: null })

  t.match(errorText(t, await invoke(sb, 'call_reject', { callId: ringing.id })), `HTTP 409 CALL_NOT_ACTIVE: Call ${ringing.id} has already ended (REJECTED)`)
  t.match(errorText(t, await invoke(sb, 'call_reject', { callId: live.id })), `HTTP 409 CALL_NOT_RINGING: Call ${live.id} is INBOUND and ACCEPTED`)
  t.equal(okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: live.id })).status, 'ACCEPTED', 'untouched')
  t.match(errorText(t, await invoke(sb, 'call_reject', { callId: live.id, reason: 'busy' })), '- reason: unknown argument')
  t.equal(sb.requests.length, 0)
})

t.test('call_reject: a bare success body (the shape is undocumented) still validates', async (t) => {
  // A stub upstream answering as the real API might: no id, no status.
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const stub = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: [] } as unknown as RunningSandbox
  const r = await invoke(stub, 'call_reject', { callId: 'call_abc' })
  t.same(okResult(t, 'call_reject', r), { success: true })
  t.match(textOf(r), /^Call call_abc: rejected\n/)
  t.same(seen, ['POST /v1/calls/call_abc/reject'])
})

t.test('call_terminate: ends a connected call with its duration', async (t) => {
  const sb = await sandbox(t, clock)
  const { live, ringing } = await seeded(sb)
  const d = okResult(t, 'call_terminate', await invoke(sb, 'call_terminate', { callId: live.externalCallId }))
  t.match(sb.requests[0], { method: 'POST', path: `/v1/calls/${live.externalCallId}/terminate` })
  t.same(sb.requests[0].body, {})
  t.same(d, { success: true, id: live.id, status: 'COMPLETED' })
  t.match(okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: live.id })), { status: 'COMPLETED', durationSeconds: 172, endedAt: ago(0), updatedAt: ago(0) })
  t.match(errorText(t, await invoke(sb, 'call_terminate', { callId: live.id })), 'HTTP 409 CALL_NOT_ACTIVE')

  // A ringing call can be hung up too (it never connected: 0 s).
  const m = await seeded(sb, META)
  okResult(t, 'call_terminate', await invoke(sb, 'call_terminate', { callId: m.ringing.id, whatsappNumberId: SANDBOX_NUMBERS.meta }, TENANT))
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
  t.match(okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: m.ringing.id }, META)), { status: 'COMPLETED', durationSeconds: 0 })
  t.equal(okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: ringing.id })).status, 'RINGING', 'other number untouched')
})

const SEEDED_SETTINGS = {
  status: 'ENABLED',
  call_icon_visibility: 'DEFAULT',
  callback_permission_status: 'ENABLED',
  call_hours: {
    status: 'ENABLED',
    timezone_id: 'America/Sao_Paulo',
    weekly_operating_hours: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'].map((day) => ({ day_of_week: day, open_time: '0900', close_time: '1800' })),
    holiday_schedule: [{ date: '2026-12-25', start_time: '0000', end_time: '2359' }]
  },
  voicemail: { status: 'DISABLED' },
  sip: { status: 'DISABLED', servers: [] }
}

t.test('call_settings_get', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'call_settings_get', {}, META)
  const d = okResult(t, 'call_settings_get', r)
  t.match(sb.requests[0], { method: 'GET', path: '/v1/calls/settings', body: undefined })
  t.same(sb.requests[0].query, {})
  t.same(d, { calling: SEEDED_SETTINGS })
  t.match(textOf(r), /^Calling ENABLED\n/)

  okResult(t, 'call_settings_get', await invoke(sb, 'call_settings_get', { whatsappNumberId: SANDBOX_NUMBERS.meta }, TENANT))
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)

  const text = errorText(t, await invoke(sb, 'call_settings_get', {}))
  t.match(text, 'HTTP 400 FEATURE_NOT_SUPPORTED: Call settings exist only on Meta Cloud API numbers')
})

t.test('call_settings_update', async (t) => {
  t.test('partial update: only given fields sent and changed; call_hours replaced whole', async (t) => {
    const sb = await sandbox(t, clock)
    const hours = { status: 'ENABLED', timezone_id: 'Europe/Lisbon', weekly_operating_hours: [{ day_of_week: 'SATURDAY', open_time: '1000', close_time: '1400' }] }
    const r = await invoke(sb, 'call_settings_update', { call_icon_visibility: 'DISABLE_ALL', call_hours: hours }, META)
    t.same(okResult(t, 'call_settings_update', r), { success: true })
    t.match(sb.requests[0], { method: 'PUT', path: '/v1/calls/settings' })
    t.same(sb.requests[0].query, {})
    t.same(sb.requests[0].body, { call_icon_visibility: 'DISABLE_ALL', call_hours: hours })
    t.match(textOf(r), /^Updated calling settings: call_icon_visibility, call_hours\n/)
    let got = okResult(t, 'call_settings_get', await invoke(sb, 'call_settings_get', {}, META))
    t.same(got.calling, { ...SEEDED_SETTINGS, call_icon_visibility: 'DISABLE_ALL', call_hours: hours }, 'holiday_schedule went with the old call_hours')

    okResult(t, 'call_settings_update', await invoke(sb, 'call_settings_update', { status: 'DISABLED', voicemail: { status: 'ENABLED' }, whatsappNumberId: SANDBOX_NUMBERS.meta }, TENANT))
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
    t.same(sb.requests[0].body, { status: 'DISABLED', voicemail: { status: 'ENABLED' } })
    got = okResult(t, 'call_settings_get', await invoke(sb, 'call_settings_get', {}, META))
    t.same(got.calling, { ...SEEDED_SETTINGS, status: 'DISABLED', call_icon_visibility: 'DISABLE_ALL', call_hours: hours, voicemail: { status: 'ENABLED' } })
  })

  t.test('the API\'s validation of nested objects; nothing changes', async (t) => {
    const sb = await sandbox(t, clock)
    let text = errorText(t, await invoke(sb, 'call_settings_update', { call_hours: { status: 'ENABLED', weekly_operating_hours: [] } }, META))
    t.match(text, 'HTTP 400 VALIDATION_ERROR: call_hours.timezone_id is required when call_hours.status is ENABLED')
    text = errorText(t, await invoke(sb, 'call_settings_update', { call_hours: { status: 'ENABLED', timezone_id: 'UTC', weekly_operating_hours: [{ day_of_week: 'FUNDAY', open_time: '9', close_time: '1800' }] } }, META))
    t.match(text, 'VALIDATION_ERROR: each weekly_operating_hours entry needs day_of_week')
    text = errorText(t, await invoke(sb, 'call_settings_update', { status: 'DISABLED', voicemail: { status: 'ON' } }, META))
    t.same(sb.requests[0].body, { status: 'DISABLED', voicemail: { status: 'ON' } })
    t.match(text, 'VALIDATION_ERROR: voicemail must be an object with status ENABLED or DISABLED')
    t.same(okResult(t, 'call_settings_get', await invoke(sb, 'call_settings_get', {}, META)).calling, SEEDED_SETTINGS, 'a refused update changes nothing')
    t.match(errorText(t, await invoke(sb, 'call_settings_update', { status: 'DISABLED' })), 'HTTP 400 FEATURE_NOT_SUPPORTED', 'web numbers have no Meta settings')
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t, clock)
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, '- give at least one of status, call_icon_visibility, callback_permission_status, call_hours, voicemail'],
      [{ whatsappNumberId: SANDBOX_NUMBERS.meta }, '- give at least one of'],
      [{ status: 'ON' }, '- status:'],
      [{ call_icon_visibility: 'HIDDEN' }, '- call_icon_visibility:'],
      [{ callback_permission_status: true }, '- callback_permission_status:'],
      [{ call_hours: 'always' }, '- call_hours:'],
      [{ sip: { status: 'ENABLED' } }, '- sip: unknown argument'],
      [{ callIconVisibility: 'DEFAULT' }, '- callIconVisibility: unknown argument']
    ]
    for (const [args, field] of cases) {
      t.match(errorText(t, await invoke(sb, 'call_settings_update', args, META)), field, JSON.stringify(args))
      t.equal(sb.requests.length, 0)
    }
  })
})

t.test('call_permission_get', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'call_permission_get', { to: PERM }, META)
  const d = okResult(t, 'call_permission_get', r)
  t.match(sb.requests[0], { method: 'GET', path: '/v1/calls/permissions', body: undefined })
  t.same(sb.requests[0].query, { to: PERM })
  t.same(d, {
    permission: { status: 'permanent' },
    actions: [
      { action_name: 'send_call_permission_request', can_perform_action: false, limits: [{ time_period: 'PT24H', max_allowed: 2, current_usage: 0 }] },
      { action_name: 'start_call', can_perform_action: true, limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 0 }] }
    ]
  })
  t.match(textOf(r), `Call permission for ${PERM}: permanent\n`)

  const limited = okResult(t, 'call_permission_get', await invoke(sb, 'call_permission_get', { to: LIMITED.slice(1), whatsappNumberId: SANDBOX_NUMBERS.meta }, TENANT))
  t.same(sb.requests[0].query, { to: LIMITED.slice(1) })
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
  t.same(limited.permission, { status: 'no_permission' })
  t.same(limited.actions.map((a: { can_perform_action: boolean, limits: Array<{ current_usage: number }> }) => [a.can_perform_action, a.limits[0].current_usage]), [[false, 2], [false, 0]])

  // Calls made today count against start_call.
  okResult(t, 'call_initiate', await invoke(sb, 'call_initiate', { to: PERM, sdp: OFFER }, META))
  const after = okResult(t, 'call_permission_get', await invoke(sb, 'call_permission_get', { to: PERM }, META))
  t.equal(after.actions[1].limits[0].current_usage, 1)

  t.match(errorText(t, await invoke(sb, 'call_permission_get', { to: PERM })), 'HTTP 400 FEATURE_NOT_SUPPORTED: Call permissions exist only on Meta Cloud API numbers')
  for (const args of [{}, { to: 'maria' }, { to: '+55 11 98888-7777' }]) {
    t.match(errorText(t, await invoke(sb, 'call_permission_get', args, META)), '- to:', JSON.stringify(args))
    t.equal(sb.requests.length, 0)
  }
})

t.test('call_permission_request: the user allows at once (temporary), then calls work; limited to 2 a day', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'call_permission_request', { to: NONE, text: 'About your order #1042' }, META)
  const d = okResult(t, 'call_permission_request', r)
  t.match(sb.requests[0], { method: 'POST', path: '/v1/calls/permissions/request' })
  t.same(sb.requests[0].query, {})
  t.same(sb.requests[0].body, { to: NONE, text: 'About your order #1042' })
  t.match(d.messageId, /^wamid\.[A-Za-z0-9_-]+$/)
  t.same(Object.keys(d), ['messageId'])
  t.match(textOf(r), `Asked ${NONE} for call permission (message ${d.messageId})\n`)

  const perm = okResult(t, 'call_permission_get', await invoke(sb, 'call_permission_get', { to: NONE }, META))
  t.same(perm.permission, { status: 'temporary', expiration_time: NOW / 1000 + 7 * 86_400 })
  t.same(perm.actions[0].limits[0], { time_period: 'PT24H', max_allowed: 2, current_usage: 1 })
  t.equal(perm.actions[1].can_perform_action, true)
  okResult(t, 'call_initiate', await invoke(sb, 'call_initiate', { to: NONE, sdp: OFFER }, META))

  const second = okResult(t, 'call_permission_request', await invoke(sb, 'call_permission_request', { to: NONE, whatsappNumberId: SANDBOX_NUMBERS.meta }, TENANT))
  t.same(sb.requests[0].body, { to: NONE }, 'text omitted when not given')
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
  t.not(second.messageId, d.messageId)
  const third = errorText(t, await invoke(sb, 'call_permission_request', { to: NONE }, META))
  t.match(third, `HTTP 400 META_CALL_PERMISSION_REQUEST_LIMIT: Call-permission request limit reached for ${NONE}: 2 per 24 h (Meta error 138009)`)
  t.match(third, 'Hint: Too many call-permission requests to this user')

  // The seeded limited contact already used both of today's requests.
  t.match(errorText(t, await invoke(sb, 'call_permission_request', { to: LIMITED }, META)), 'META_CALL_PERMISSION_REQUEST_LIMIT')
  t.same(okResult(t, 'call_permission_get', await invoke(sb, 'call_permission_get', { to: LIMITED }, META)).permission, { status: 'no_permission' })
  // A permanent permission is never downgraded by a new request.
  okResult(t, 'call_permission_request', await invoke(sb, 'call_permission_request', { to: PERM }, META))
  t.same(okResult(t, 'call_permission_get', await invoke(sb, 'call_permission_get', { to: PERM }, META)).permission, { status: 'permanent' })

  t.match(errorText(t, await invoke(sb, 'call_permission_request', { to: '+5511970000001' })), 'HTTP 400 FEATURE_NOT_SUPPORTED', 'web numbers need no permission')
  const cases: Array<[Record<string, unknown>, string]> = [
    [{}, '- to:'],
    [{ to: 'maria' }, '- to:'],
    [{ to: NONE, text: '' }, '- text:'],
    [{ to: NONE, text: 'x'.repeat(1025) }, '- text:']
  ]
  for (const [args, field] of cases) {
    t.match(errorText(t, await invoke(sb, 'call_permission_request', args, META)), field)
    t.equal(sb.requests.length, 0)
  }
})
