// What the call tools themselves do (the simulator's calls are in test/sandbox/calls.ts):
// calls_list's nextBefore cursor, summaries, encoded call ids, includeSdp and bodies as sent,
// an undocumented bare reject answer, error hints, the number header and local argument checks.
import type { Test } from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SANDBOX_KEYS, SANDBOX_NUMBERS, errorText, invoke, okResult, registry, sandbox } from './harness.js'
import { hints } from '../../tools/define.js'
import { DEFAULT_PAGE_SIZE } from '../../tools/common.js'
import { SANDBOX_CALL_CONTACTS } from '../../sandbox/calls.js'
import type { RunningSandbox } from '../../sandbox/server.js'
import type { ToolResult } from '../../src/mcp/call.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const META = { key: SANDBOX_KEYS.meta }
const TENANT = { key: SANDBOX_KEYS.tenant }
const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\n'
const ANSWER = OFFER.replace('o=- 1 2', 'o=- 3 4')
const PERM = SANDBOX_CALL_CONTACTS.permanent
const NONE = SANDBOX_CALL_CONTACTS.none

const textOf = (r: ToolResult) => (r.content[0]?.type === 'text' ? r.content[0].text : '')

interface CallItem { id: string, externalCallId: string, direction: string, status: string, createdAt: string }

/** The number's whole call log through the tool (newest first). */
async function allCalls (sb: RunningSandbox, opts = {}): Promise<CallItem[]> {
  const r = await invoke(sb, 'calls_list', { limit: 100 }, opts)
  if (r.isError) throw new Error(textOf(r))
  return (r.structuredContent as { calls: CallItem[] }).calls
}

export default async function suite (t: Test): Promise<void> {
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

  t.test('call tools', async (t) => {
    const sb = await sandbox(t, { now: () => NOW })

    t.test('calls_list: a full page gets nextBefore (the last createdAt); walking it visits every call once', async (t) => {
      const r = await invoke(sb, 'calls_list', {})
      const d = okResult(t, 'calls_list', r)
      t.same(sb.requests[0].query, { limit: String(DEFAULT_PAGE_SIZE) }, 'the default page size is sent explicitly (shorter than the API\'s 25)')
      t.equal(d.calls.length, DEFAULT_PAGE_SIZE)
      t.equal(d.nextBefore, d.calls[DEFAULT_PAGE_SIZE - 1].createdAt)
      t.match(textOf(r), new RegExp(`^${DEFAULT_PAGE_SIZE} call\\(s\\); older: before=${d.nextBefore.replace(/\./g, '\\.')}\n`))

      const seen: string[] = []
      const sizes: number[] = []
      let before: string | undefined
      for (let page = 0; page < 10; page++) {
        const args = before === undefined ? { limit: 7 } : { limit: 7, before }
        const p = okResult(t, 'calls_list', await invoke(sb, 'calls_list', args))
        t.same(sb.requests[0].query, before === undefined ? { limit: '7' } : { limit: '7', before }, `page ${page + 1} query`)
        sizes.push(p.calls.length)
        seen.push(...p.calls.map((c: CallItem) => c.id))
        if (p.nextBefore === undefined) break
        before = p.nextBefore
      }
      t.same(sizes, [7, 7, 7, 7, 2], '30 seeded calls in five pages; a short page has no cursor')
      t.same(seen, (await allCalls(sb)).map((c) => c.id), 'every call once, in order')

      const first = okResult(t, 'calls_list', await invoke(sb, 'calls_list', { limit: 15 }))
      const second = okResult(t, 'calls_list', await invoke(sb, 'calls_list', { limit: 15, before: first.nextBefore }))
      t.ok(second.nextBefore, 'an exactly full last page still gets a cursor')
      const third = await invoke(sb, 'calls_list', { limit: 15, before: second.nextBefore })
      t.same(okResult(t, 'calls_list', third), { calls: [] })
      t.equal(textOf(third).split('\n')[0], '0 call(s)')
    })

    t.test('summary lines and what is sent: bodies, includeSdp only when true, the number header', async (t) => {
      const r = await invoke(sb, 'call_initiate', { to: '+5511970000001', bizOpaqueCallbackData: 'order-1042' })
      const d = okResult(t, 'call_initiate', r)
      t.match(textOf(r), new RegExp(`^Call ${d.id} to \\+5511970000001: INITIATED\n`))
      const g = await invoke(sb, 'call_get', { callId: d.id, includeSdp: false })
      okResult(t, 'call_get', g)
      t.same(sb.requests[0].query, {}, 'includeSdp false is not sent')
      t.match(textOf(g), new RegExp(`^Call ${d.id}: INITIATED\n`))
      okResult(t, 'call_get', await invoke(sb, 'call_get', { callId: d.id, includeSdp: true }))
      t.same(sb.requests[0].query, { includeSdp: '1' })
      const term = await invoke(sb, 'call_terminate', { callId: d.id })
      okResult(t, 'call_terminate', term)
      t.same(sb.requests[0].body, {})
      t.match(textOf(term), new RegExp(`^Call ${d.id}: COMPLETED\n`))

      const ringing = (await allCalls(sb)).find((c) => c.status === 'RINGING')!
      const rej = await invoke(sb, 'call_reject', { callId: ringing.id, whatsappNumberId: SANDBOX_NUMBERS.demo }, TENANT)
      okResult(t, 'call_reject', rej)
      t.same(sb.requests[0].body, {})
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
      t.match(textOf(rej), new RegExp(`^Call ${ringing.id}: REJECTED\n`))

      const mRinging = (await allCalls(sb, META)).find((c) => c.status === 'RINGING')!
      const acc = await invoke(sb, 'call_accept', { callId: mRinging.id, sdp: ANSWER }, META)
      okResult(t, 'call_accept', acc)
      t.same(sb.requests[0].body, { sdp: ANSWER })
      t.match(textOf(acc), new RegExp(`^Call ${mRinging.id}: ACCEPTED\n`))

      const set = await invoke(sb, 'call_settings_get', {}, META)
      okResult(t, 'call_settings_get', set)
      t.match(textOf(set), /^Calling ENABLED\n/)
      const upd = await invoke(sb, 'call_settings_update', { call_icon_visibility: 'DISABLE_ALL', voicemail: { status: 'ENABLED' } }, META)
      t.same(okResult(t, 'call_settings_update', upd), { success: true })
      t.same(sb.requests[0].body, { call_icon_visibility: 'DISABLE_ALL', voicemail: { status: 'ENABLED' } }, 'only the given settings')
      t.match(textOf(upd), /^Updated calling settings: call_icon_visibility, voicemail\n/)
      const pg = await invoke(sb, 'call_permission_get', { to: PERM }, META)
      okResult(t, 'call_permission_get', pg)
      t.match(textOf(pg), `Call permission for ${PERM}: permanent\n`)
      const pr = await invoke(sb, 'call_permission_request', { to: NONE }, META)
      const prd = okResult(t, 'call_permission_request', pr)
      t.same(sb.requests[0].body, { to: NONE }, 'text omitted when not given')
      t.match(textOf(pr), `Asked ${NONE} for call permission (message ${prd.messageId})\n`)
    })

    t.test('API refusals read with a hint a model can act on', async (t) => {
      const perm = errorText(t, await invoke(sb, 'call_initiate', { to: '+5511977770000', sdp: OFFER }, META))
      t.match(perm, 'HTTP 400 META_CALL_PERMISSION_REQUIRED')
      t.match(perm, 'Hint: The user has not allowed business calls: ask with call_permission_request')
      okResult(t, 'call_permission_request', await invoke(sb, 'call_permission_request', { to: NONE }, META))
      const limit = errorText(t, await invoke(sb, 'call_permission_request', { to: NONE }, META))
      t.match(limit, 'HTTP 400 META_CALL_PERMISSION_REQUEST_LIMIT')
      t.match(limit, 'Hint: Too many call-permission requests to this user')
      t.match(errorText(t, await invoke(sb, 'call_settings_get', {})), 'HTTP 400 FEATURE_NOT_SUPPORTED')
      for (const [name, args] of ALL) {
        const tenant = errorText(t, await invoke(sb, name, args, TENANT))
        t.match(tenant, 'HTTP 403 TENANT_SCOPE_NOT_ALLOWED', name)
        t.match(tenant, 'pass whatsappNumberId', `${name}: the hint names the argument`)
        await invoke(sb, name, { ...args, whatsappNumberId: 'num_nope' }, TENANT)
        t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_nope')
        t.match(errorText(t, await invoke(sb, name, args, { key: SANDBOX_KEYS.offline })), 'Hint: Calling works only on Meta Cloud API and Pilot Status (web) numbers.', name)
      }
      const demo = sb.store.numbers.get(SANDBOX_NUMBERS.demo)!
      demo.state = 'CLOSE'
      t.teardown(() => { demo.state = 'OPEN' })
      for (const [name, args] of ALL) t.match(errorText(t, await invoke(sb, name, args)), 'numbers_connect', `${name}: the hint says how to reconnect`)
      demo.state = 'OPEN'
    })

    t.test('every call-id tool: hostile ids arrive as one encoded segment', async (t) => {
      const cases: Array<[string, string]> = [
        ['../calls', '/v1/calls/%2E%2E%2Fcalls'],
        ['settings', '/v1/calls/settings'],
        ['a/b?c#d', '/v1/calls/a%2Fb%3Fc%23d'],
        ['wacid.X', '/v1/calls/wacid%2EX']
      ]
      for (const [name, suffix] of [['call_get', ''], ['call_accept', '/accept'], ['call_reject', '/reject'], ['call_terminate', '/terminate']]) {
        for (const [callId, path] of cases) {
          if (name === 'call_get' && callId === 'settings') continue // GET /v1/calls/settings is the settings endpoint
          t.match(errorText(t, await invoke(sb, name, { callId })), 'HTTP 404 CALL_NOT_FOUND', `${name} ${callId}`)
          t.equal(sb.requests[0].path, path + suffix, `${name} ${callId}`)
        }
      }
    })

    t.test('invalid arguments are refused before any request', async (t) => {
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['calls_list', { limit: 0 }, 'limit'],
        ['calls_list', { limit: 101 }, 'limit'],
        ['calls_list', { limit: 2.5 }, 'limit'],
        ['calls_list', { before: 'yesterday' }, 'before'],
        ['calls_list', { before: '2026-06-20' }, 'before'],
        ['calls_list', { before: '2026-06-20T10:00:00' }, 'before'],
        ['calls_list', { page: 2 }, 'page: unknown argument'],
        ['call_initiate', {}, 'to'],
        ['call_initiate', { to: 'maria' }, 'to'],
        ['call_initiate', { to: '+0511970000001' }, 'to'],
        ['call_initiate', { to: '+551197' }, 'to'],
        ['call_initiate', { to: '+5511970000001', sdp: '' }, 'sdp'],
        ['call_initiate', { to: '+5511970000001', bizOpaqueCallbackData: 'x'.repeat(513) }, 'bizOpaqueCallbackData'],
        ['call_initiate', { to: '+5511970000001', sdpType: 'answer' }, 'sdpType: unknown argument'],
        ['call_get', { callId: 'call_x', includeSdp: 'yes' }, 'includeSdp'],
        ['call_accept', { callId: 'call_x', sdp: '' }, 'sdp'],
        ['call_accept', { callId: 'call_x', mode: 'talk' }, 'mode: unknown argument'],
        ['call_reject', { callId: 'call_x', reason: 'busy' }, 'reason: unknown argument'],
        ['call_settings_update', {}, 'give at least one of status, call_icon_visibility, callback_permission_status, call_hours, voicemail'],
        ['call_settings_update', { whatsappNumberId: SANDBOX_NUMBERS.meta }, 'give at least one of'],
        ['call_settings_update', { status: 'ON' }, 'status'],
        ['call_settings_update', { call_icon_visibility: 'HIDDEN' }, 'call_icon_visibility'],
        ['call_settings_update', { callback_permission_status: true }, 'callback_permission_status'],
        ['call_settings_update', { call_hours: 'always' }, 'call_hours'],
        ['call_settings_update', { sip: { status: 'ENABLED' } }, 'sip: unknown argument'],
        ['call_settings_update', { callIconVisibility: 'DEFAULT' }, 'callIconVisibility: unknown argument'],
        ['call_permission_get', {}, 'to'],
        ['call_permission_get', { to: 'maria' }, 'to'],
        ['call_permission_get', { to: '+55 11 98888-7777' }, 'to'],
        ['call_permission_request', {}, 'to'],
        ['call_permission_request', { to: NONE, text: '' }, 'text'],
        ['call_permission_request', { to: NONE, text: 'x'.repeat(1025) }, 'text']
      ]
      for (const name of ['call_get', 'call_accept', 'call_reject', 'call_terminate']) cases.push([name, { callId: '' }, 'callId'], [name, {}, 'callId'])
      for (const [name, args, field] of cases) {
        const msg = errorText(t, await invoke(sb, name, args, META))
        t.match(msg, name)
        t.match(msg, field, JSON.stringify(args).slice(0, 60))
        t.equal(sb.requests.length, 0, 'nothing sent')
      }
    })
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
}
