// The simulator's calls API: the seeded call logs and their `before` paging, initiate / get /
// accept / reject / terminate with the per-provider SDP rules, Meta calling settings and call
// permissions with their daily limits, provider/session/scope errors, driven over HTTP.
import type { Test } from 'tap'
import { clocked, ok, fails, api, SANDBOX_NUMBERS } from './api.js'
import { SANDBOX_CALL_CONTACTS } from '../../sandbox/calls.js'
import type { RunningSandbox } from '../../sandbox/server.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const ago = (ms: number) => new Date(NOW - ms).toISOString()
const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\n'
const ANSWER = OFFER.replace('o=- 1 2', 'o=- 3 4')
const PERM = SANDBOX_CALL_CONTACTS.permanent
const NONE = SANDBOX_CALL_CONTACTS.none
const LIMITED = SANDBOX_CALL_CONTACTS.requestLimited
const META = { key: 'meta' as const }

async function log (t: Parameters<typeof ok>[0], sb: RunningSandbox, key: 'number' | 'meta' = 'number'): Promise<Array<Record<string, any>>> {
  return (await ok(t, sb, 'GET', '/v1/calls', { key, query: { limit: 100 } })).calls
}

export default async function suite (t: Test): Promise<void> {
  t.test('the log: 30 web calls and 8 Meta calls, newest first, 25 by default, `before` strictly older', async (t) => {
    const { sb } = await clocked(t, NOW)
    const d = await ok(t, sb, 'GET', '/v1/calls')
    t.equal(d.calls.length, 25)
    t.same(Object.keys(d), ['calls'], 'no cursor from the API')
    t.match(d.calls[0], { id: /^call_/, externalCallId: /^3EB0[0-9A-F]{16}$/, direction: 'INBOUND', status: 'RINGING', peerNumber: '+5521977770001', durationSeconds: null, startedAt: ago(20_000), connectedAt: null, endedAt: null, createdAt: ago(20_000), updatedAt: ago(20_000) })
    t.same(Object.keys(d.calls[0]), ['id', 'externalCallId', 'direction', 'status', 'peerNumber', 'durationSeconds', 'startedAt', 'connectedAt', 'endedAt', 'createdAt', 'updatedAt'])
    t.match(d.calls[1], { direction: 'INBOUND', status: 'ACCEPTED', peerNumber: '+5531966660002', connectedAt: ago(172_000), endedAt: null })
    t.match(d.calls[2], { direction: 'INBOUND', status: 'COMPLETED', peerNumber: '+5521977770001', durationSeconds: 30, createdAt: ago(3 * 3_600_000), endedAt: ago(3 * 3_600_000 - 36_000) })
    t.match(d.calls[3], { direction: 'OUTBOUND', status: 'COMPLETED', durationSeconds: 67 })
    const times = d.calls.map((c: any) => Date.parse(c.createdAt))
    t.same(times, [...times].sort((a: number, b: number) => b - a), 'newest first')
    t.notOk(d.calls.some((c: any) => 'sdpOffer' in c || 'numberId' in c), 'no SDPs or internal fields in the list')

    const all = await log(t, sb)
    t.equal(all.length, 30)
    const older = await ok(t, sb, 'GET', '/v1/calls', { query: { limit: 7, before: all[6].createdAt } })
    t.same(older.calls.map((c: any) => c.id), all.slice(7, 14).map((c) => c.id), 'strictly before the cursor')
    for (const before of ['2026-06-20T10:00:00Z', '2026-06-20T07:00:00-03:00']) {
      t.equal((await ok(t, sb, 'GET', '/v1/calls', { query: { before } })).calls[0].createdAt, ago(3 * 3_600_000), `${before}: the newest call before 10:00Z`)
    }
    const meta = await log(t, sb, 'meta')
    t.same(meta.slice(0, 3).map((c) => [c.status, c.peerNumber]), [['RINGING', PERM], ['ACCEPTED', NONE], ['COMPLETED', PERM]])
    t.match(meta[0].externalCallId, /^wacid\./)
    t.equal(meta.length, 8)
    t.same((await ok(t, sb, 'GET', '/v1/calls', { key: 'tenant', number: SANDBOX_NUMBERS.meta, query: { limit: 100 } })).calls, meta, 'a tenant key picks the number by header')
    for (const query of [{ limit: 0 }, { limit: 101 }, { before: 'yesterday' }] as Array<Record<string, string | number>>) await fails(t, sb, 'GET', '/v1/calls', 400, 'VALIDATION_ERROR', { query })
  })

  t.test('every route: scope, unknown number, unsupported provider, closed session; nothing changes', async (t) => {
    const { sb } = await clocked(t, NOW)
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/v1/calls', { to: '+5511970000001' }],
      ['GET', '/v1/calls'],
      ['GET', '/v1/calls/call_x'],
      ['POST', '/v1/calls/call_x/accept', {}],
      ['POST', '/v1/calls/call_x/reject', {}],
      ['POST', '/v1/calls/call_x/terminate', {}],
      ['GET', '/v1/calls/settings'],
      ['PUT', '/v1/calls/settings', { status: 'DISABLED' }],
      ['GET', `/v1/calls/permissions?to=${encodeURIComponent(PERM)}`],
      ['POST', '/v1/calls/permissions/request', { to: NONE }]
    ]
    const before = JSON.stringify(await log(t, sb))
    for (const [method, path, body] of routes) {
      await fails(t, sb, method, path, 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant', body })
      await fails(t, sb, method, path, 404, 'NUMBER_NOT_FOUND', { key: 'tenant', number: 'num_nope', body })
      t.equal(await fails(t, sb, method, path, 400, 'FEATURE_NOT_SUPPORTED', { key: 'offline', body }), 'Calling is only supported for Meta Cloud API and Pilot Status (web) numbers.')
    }
    sb.store.numbers.get(SANDBOX_NUMBERS.demo)!.state = 'CLOSE'
    for (const [method, path, body] of routes) {
      t.equal(await fails(t, sb, method, path, 409, 'WHATSAPP_INSTANCE_NOT_CONNECTED', { body }), 'Number num_demo is CLOSE: connect it before calling')
    }
    sb.store.numbers.get(SANDBOX_NUMBERS.demo)!.state = 'OPEN'
    t.equal(JSON.stringify(await log(t, sb)), before, 'no failed call changed the log')
  })

  t.test('initiate → get → terminate; by id or provider id; unknown and other numbers\' calls are not found', async (t) => {
    const { sb } = await clocked(t, NOW)
    const r = await api(sb, 'POST', '/v1/calls', { body: { to: '5511970000001', bizOpaqueCallbackData: 'order-1042' } })
    t.equal(r.status, 201)
    t.match(r.body, { id: /^call_/, externalCallId: /^3EB0[0-9A-F]{16}$/, status: 'INITIATED' })
    t.same(Object.keys(r.body), ['id', 'externalCallId', 'status'])
    const d = r.body
    t.match((await log(t, sb))[0], { id: d.id, direction: 'OUTBOUND', status: 'INITIATED', peerNumber: '+5511970000001', createdAt: ago(0) })
    const got = await ok(t, sb, 'GET', `/v1/calls/${d.id}`)
    t.same(got, { id: d.id, externalCallId: d.externalCallId, direction: 'OUTBOUND', status: 'INITIATED', peerNumber: '+5511970000001', durationSeconds: null, startedAt: ago(0), connectedAt: null, endedAt: null, createdAt: ago(0), updatedAt: ago(0) })
    t.notMatch(JSON.stringify(got), /order-1042/, 'callback data is not in the call object')
    t.same(await ok(t, sb, 'GET', `/v1/calls/${d.externalCallId}`), got, 'by the provider id')
    t.same(await ok(t, sb, 'POST', `/v1/calls/${d.id}/terminate`, { body: {} }), { success: true, id: d.id, status: 'COMPLETED' })
    t.match(await ok(t, sb, 'GET', `/v1/calls/${d.id}`), { status: 'COMPLETED', durationSeconds: 0, connectedAt: null, endedAt: ago(0) })
    t.equal(await fails(t, sb, 'POST', `/v1/calls/${d.id}/terminate`, 409, 'CALL_NOT_ACTIVE', { body: {} }), `Call ${d.id} has already ended (COMPLETED)`)

    const metaCall = (await log(t, sb, 'meta'))[0]
    for (const suffix of ['', '/accept', '/reject', '/terminate']) {
      const method = suffix === '' ? 'GET' : 'POST'
      t.equal(await fails(t, sb, method, `/v1/calls/call_nope${suffix}`, 404, 'CALL_NOT_FOUND'), 'Call call_nope not found on this number')
      await fails(t, sb, method, `/v1/calls/${metaCall.id}${suffix}`, 404, 'CALL_NOT_FOUND')
    }
    t.match(await fails(t, sb, 'POST', '/v1/calls', 400, 'VALIDATION_ERROR', { body: { to: '+5511970000003', sdp: OFFER } }), /^sdp must be omitted on Pilot Status \(web\) numbers/)
    await fails(t, sb, 'POST', '/v1/calls', 400, 'VALIDATION_ERROR', { body: { to: 'maria' } })
    await fails(t, sb, 'POST', '/v1/calls', 400, 'VALIDATION_ERROR', { body: { to: '+5511970000003', bizOpaqueCallbackData: 'x'.repeat(513) } })
    t.equal((await log(t, sb)).length, 31, 'refused calls were not created')
  })

  t.test('Meta: permission and an SDP offer to call; SDPs only on request', async (t) => {
    const { sb } = await clocked(t, NOW)
    t.equal(await fails(t, sb, 'POST', '/v1/calls', 400, 'META_CALL_PERMISSION_REQUIRED', { ...META, body: { to: NONE, sdp: OFFER } }), `${NONE} has not granted call permission to this business (Meta error 138006)`)
    t.match(await fails(t, sb, 'POST', '/v1/calls', 400, 'VALIDATION_ERROR', { ...META, body: { to: PERM } }), /^sdp is required on Meta Cloud API numbers/)
    await fails(t, sb, 'POST', '/v1/calls', 400, 'VALIDATION_ERROR', { ...META, body: { to: PERM, sdp: 'not an sdp' } })
    t.equal((await log(t, sb, 'meta')).length, 8, 'nothing created')
    const d = await ok(t, sb, 'POST', '/v1/calls', { key: 'tenant', number: SANDBOX_NUMBERS.meta, body: { to: PERM, sdp: OFFER } })
    t.match(d, { externalCallId: /^wacid\./, status: 'INITIATED' })
    t.match(await ok(t, sb, 'GET', `/v1/calls/${d.externalCallId}`, { ...META, query: { includeSdp: 1 } }), { id: d.id, direction: 'OUTBOUND', peerNumber: PERM, sdpOffer: OFFER, sdpAnswer: null })
    t.notOk('sdpOffer' in await ok(t, sb, 'GET', `/v1/calls/${d.id}`, META), 'SDPs only on request')
    const live = (await log(t, sb, 'meta'))[2]
    t.equal(live.status, 'ACCEPTED')
    const withSdp = await ok(t, sb, 'GET', `/v1/calls/${live.id}`, { ...META, query: { includeSdp: 'true' } })
    t.match(withSdp.sdpOffer, /^v=0\r\n.*a=setup:actpass/s)
    t.match(withSdp.sdpAnswer, /^v=0\r\n.*a=setup:active/s)
    const web = (await log(t, sb))[1]
    t.notOk('sdpOffer' in await ok(t, sb, 'GET', `/v1/calls/${web.id}`, { query: { includeSdp: 1 } }), 'web calls have no SDPs')
  })

  t.test('accept, reject, terminate: only ringing inbound calls are answered or declined; state sticks', async (t) => {
    const { sb } = await clocked(t, NOW)
    const [ringing, live, ended] = await log(t, sb)
    t.match(await fails(t, sb, 'POST', `/v1/calls/${ringing.id}/accept`, 400, 'VALIDATION_ERROR', { body: { sdp: ANSWER } }), /^sdp must be omitted on Pilot Status \(web\) numbers/)
    t.same(await ok(t, sb, 'POST', `/v1/calls/${ringing.id}/accept`, { body: {} }), { success: true, id: ringing.id, status: 'ACCEPTED' })
    t.match(await ok(t, sb, 'GET', `/v1/calls/${ringing.id}`), { status: 'ACCEPTED', connectedAt: ago(0), updatedAt: ago(0), endedAt: null })
    t.equal(await fails(t, sb, 'POST', `/v1/calls/${ringing.id}/accept`, 409, 'CALL_NOT_RINGING', { body: {} }), `Call ${ringing.id} is INBOUND and ACCEPTED: only a ringing inbound call can be accepted or rejected`)
    await fails(t, sb, 'POST', `/v1/calls/${live.id}/reject`, 409, 'CALL_NOT_RINGING', { body: {} })
    t.equal(await fails(t, sb, 'POST', `/v1/calls/${ended.id}/accept`, 409, 'CALL_NOT_ACTIVE', { body: {} }), `Call ${ended.id} has already ended (COMPLETED)`)
    const out = await ok(t, sb, 'POST', '/v1/calls', { body: { to: '+5511970000001' } })
    t.match(await fails(t, sb, 'POST', `/v1/calls/${out.id}/accept`, 409, 'CALL_NOT_RINGING', { body: {} }), `Call ${out.id} is OUTBOUND and INITIATED`)

    t.same(await ok(t, sb, 'POST', `/v1/calls/${live.externalCallId}/terminate`, { body: {} }), { success: true, id: live.id, status: 'COMPLETED' })
    t.match(await ok(t, sb, 'GET', `/v1/calls/${live.id}`), { status: 'COMPLETED', durationSeconds: 172, endedAt: ago(0) })

    const [mRinging, mLive] = await log(t, sb, 'meta')
    t.match(await fails(t, sb, 'POST', `/v1/calls/${mRinging.id}/accept`, 400, 'VALIDATION_ERROR', { ...META, body: {} }), /^sdp is required on Meta Cloud API numbers: the WebRTC SDP answer/)
    t.equal((await ok(t, sb, 'GET', `/v1/calls/${mRinging.id}`, META)).status, 'RINGING', 'a refused answer leaves it ringing')
    t.same(await ok(t, sb, 'POST', `/v1/calls/${mRinging.id}/accept`, { ...META, body: { sdp: ANSWER } }), { success: true, id: mRinging.id, status: 'ACCEPTED' })
    t.match(await ok(t, sb, 'GET', `/v1/calls/${mRinging.id}`, { ...META, query: { includeSdp: 1 } }), { sdpAnswer: ANSWER, connectedAt: ago(0) })
    t.same(await ok(t, sb, 'POST', `/v1/calls/${mLive.id}/terminate`, { ...META, body: {} }), { success: true, id: mLive.id, status: 'COMPLETED' })

    const sb2 = (await clocked(t, NOW)).sb
    const [r2] = await log(t, sb2)
    t.same(await ok(t, sb2, 'POST', `/v1/calls/${r2.id}/reject`, { key: 'tenant', number: SANDBOX_NUMBERS.demo, body: {} }), { success: true, id: r2.id, status: 'REJECTED' })
    t.match(await ok(t, sb2, 'GET', `/v1/calls/${r2.id}`), { status: 'REJECTED', endedAt: ago(0), connectedAt: null })
    t.equal(await fails(t, sb2, 'POST', `/v1/calls/${r2.id}/reject`, 409, 'CALL_NOT_ACTIVE', { body: {} }), `Call ${r2.id} has already ended (REJECTED)`)
    const [m2] = await log(t, sb2, 'meta')
    await ok(t, sb2, 'POST', `/v1/calls/${m2.id}/terminate`, { ...META, body: {} })
    t.match(await ok(t, sb2, 'GET', `/v1/calls/${m2.id}`, META), { status: 'COMPLETED', durationSeconds: 0 }, 'a ringing call hung up never connected')
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

  t.test('settings (Meta only): seeded, partial updates, call_hours replaced whole, validation changes nothing', async (t) => {
    const { sb } = await clocked(t, NOW)
    t.same(await ok(t, sb, 'GET', '/v1/calls/settings', META), { calling: SEEDED_SETTINGS })
    t.match(await fails(t, sb, 'GET', '/v1/calls/settings', 400, 'FEATURE_NOT_SUPPORTED'), /^Call settings exist only on Meta Cloud API numbers/)
    await fails(t, sb, 'PUT', '/v1/calls/settings', 400, 'FEATURE_NOT_SUPPORTED', { body: { status: 'DISABLED' } })

    const bad: Array<[unknown, RegExp]> = [
      [{ call_hours: { status: 'ENABLED', weekly_operating_hours: [] } }, /^call_hours\.timezone_id is required when call_hours\.status is ENABLED/],
      [{ call_hours: { status: 'ENABLED', timezone_id: 'UTC', weekly_operating_hours: [{ day_of_week: 'FUNDAY', open_time: '9', close_time: '1800' }] } }, /^each weekly_operating_hours entry needs day_of_week/],
      [{ call_hours: { status: 'ENABLED', timezone_id: 'UTC', weekly_operating_hours: [] } }, /weekly_operating_hours must be a non-empty array/],
      [{ call_hours: 'always' }, /call_hours must be an object/],
      [{ status: 'DISABLED', voicemail: { status: 'ON' } }, /^voicemail must be an object with status ENABLED or DISABLED/],
      [{ status: 'ON' }, /^status must be one of/],
      [{ sip: { status: 'ENABLED' } }, /^sip cannot be changed through the API/],
      [{ callIconVisibility: 'DEFAULT' }, /^Unknown setting\(s\): callIconVisibility/],
      [{}, /^Nothing to update/]
    ]
    for (const [body, re] of bad) t.match(await fails(t, sb, 'PUT', '/v1/calls/settings', 400, 'VALIDATION_ERROR', { ...META, body }), re, JSON.stringify(body).slice(0, 50))
    t.same(await ok(t, sb, 'GET', '/v1/calls/settings', META), { calling: SEEDED_SETTINGS }, 'refused updates change nothing')

    const hours = { status: 'ENABLED', timezone_id: 'Europe/Lisbon', weekly_operating_hours: [{ day_of_week: 'SATURDAY', open_time: '1000', close_time: '1400' }] }
    t.same(await ok(t, sb, 'PUT', '/v1/calls/settings', { ...META, body: { call_icon_visibility: 'DISABLE_ALL', call_hours: hours } }), { success: true })
    t.same((await ok(t, sb, 'GET', '/v1/calls/settings', META)).calling, { ...SEEDED_SETTINGS, call_icon_visibility: 'DISABLE_ALL', call_hours: hours }, 'holiday_schedule went with the old call_hours')
    await ok(t, sb, 'PUT', '/v1/calls/settings', { key: 'tenant', number: SANDBOX_NUMBERS.meta, body: { status: 'DISABLED', voicemail: { status: 'ENABLED' } } })
    t.same((await ok(t, sb, 'GET', '/v1/calls/settings', META)).calling, { ...SEEDED_SETTINGS, status: 'DISABLED', call_icon_visibility: 'DISABLE_ALL', call_hours: hours, voicemail: { status: 'ENABLED' } })
  })

  t.test('permissions (Meta only): status and limits; a request grants 7 days at once; 2 requests a day; permanent stays', async (t) => {
    const { sb } = await clocked(t, NOW)
    const perm = (to: string) => ok(t, sb, 'GET', '/v1/calls/permissions', { ...META, query: { to } })
    t.same(await perm(PERM), {
      permission: { status: 'permanent' },
      actions: [
        { action_name: 'send_call_permission_request', can_perform_action: false, limits: [{ time_period: 'PT24H', max_allowed: 2, current_usage: 0 }] },
        { action_name: 'start_call', can_perform_action: true, limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 0 }] }
      ]
    })
    const limited = await perm(LIMITED.slice(1))
    t.same(limited.permission, { status: 'no_permission' })
    t.same(limited.actions.map((a: any) => [a.can_perform_action, a.limits[0].current_usage]), [[false, 2], [false, 0]])
    await ok(t, sb, 'POST', '/v1/calls', { ...META, body: { to: PERM, sdp: OFFER } })
    t.equal((await perm(PERM)).actions[1].limits[0].current_usage, 1, 'calls made today count')
    t.match(await fails(t, sb, 'GET', '/v1/calls/permissions', 400, 'FEATURE_NOT_SUPPORTED', { query: { to: PERM } }), /^Call permissions exist only on Meta Cloud API numbers/)
    await fails(t, sb, 'GET', '/v1/calls/permissions', 400, 'VALIDATION_ERROR', { ...META, query: { to: 'maria' } })

    const first = await ok(t, sb, 'POST', '/v1/calls/permissions/request', { ...META, body: { to: NONE, text: 'About your order #1042' } })
    t.match(first.messageId, /^wamid\.[A-Za-z0-9_-]+$/)
    t.same(Object.keys(first), ['messageId'])
    const now = await perm(NONE)
    t.same(now.permission, { status: 'temporary', expiration_time: NOW / 1000 + 7 * 86_400 })
    t.same(now.actions[0].limits[0], { time_period: 'PT24H', max_allowed: 2, current_usage: 1 })
    t.equal(now.actions[1].can_perform_action, true)
    await ok(t, sb, 'POST', '/v1/calls', { ...META, body: { to: NONE, sdp: OFFER } })
    t.not((await ok(t, sb, 'POST', '/v1/calls/permissions/request', { key: 'tenant', number: SANDBOX_NUMBERS.meta, body: { to: NONE } })).messageId, first.messageId)
    t.equal(await fails(t, sb, 'POST', '/v1/calls/permissions/request', 400, 'META_CALL_PERMISSION_REQUEST_LIMIT', { ...META, body: { to: NONE } }), `Call-permission request limit reached for ${NONE}: 2 per 24 h (Meta error 138009)`)
    await fails(t, sb, 'POST', '/v1/calls/permissions/request', 400, 'META_CALL_PERMISSION_REQUEST_LIMIT', { ...META, body: { to: LIMITED } })
    t.same((await perm(LIMITED)).permission, { status: 'no_permission' })
    await ok(t, sb, 'POST', '/v1/calls/permissions/request', { ...META, body: { to: PERM } })
    t.same((await perm(PERM)).permission, { status: 'permanent' }, 'never downgraded by a new request')
    await fails(t, sb, 'POST', '/v1/calls/permissions/request', 400, 'FEATURE_NOT_SUPPORTED', { body: { to: '+5511970000001' } })
    await fails(t, sb, 'POST', '/v1/calls/permissions/request', 400, 'VALIDATION_ERROR', { ...META, body: { to: NONE, text: 'x'.repeat(1025) } })
  })
}
