// Sandbox routes for /v1/calls (pilot-status-api.md §2.14): provider rules (Meta / web only),
// SDP rules, Meta call permissions with a request limit, a call log paged by `before` cursor,
// status transitions, and the Meta calling-settings passthrough (snake_case).
import type { FastifyRequest } from 'fastify'
import type { SandboxDomain } from './index.js'
import { SANDBOX_NUMBERS, SandboxError, isE164, numberScope, type SandboxNumber, type SandboxStore } from './core.js'

export type CallStatus = 'INITIATED' | 'RINGING' | 'ACCEPTED' | 'COMPLETED' | 'FAILED' | 'REJECTED'

interface Call {
  id: string
  externalCallId: string
  numberId: string
  direction: 'INBOUND' | 'OUTBOUND'
  status: CallStatus
  /** E.164 with '+'. */
  peerNumber: string
  durationSeconds: number | null
  startedAt: string
  connectedAt: string | null
  endedAt: string | null
  createdAt: string
  updatedAt: string
  sdpOffer: string | null
  sdpAnswer: string | null
  bizOpaqueCallbackData: string | null
}

interface Permission {
  status: 'temporary' | 'permanent'
  /** Unix seconds; temporary permissions only. */
  expiresAt: number | null
}

interface CallState {
  /** Newest first is computed on read; kept in insertion order. */
  calls: Call[]
  /** `${numberId}|${digits}` → permission granted by the user. */
  permissions: Map<string, Permission>
  /** `${numberId}|${digits}` → epoch ms of permission requests sent. */
  requests: Map<string, number[]>
  /** numberId → Meta `calling` settings object. */
  settings: Map<string, Record<string, unknown>>
  seq: number
}

const DAY_MS = 86_400_000
/** Meta's documented per-user limits for the two actions, per rolling 24 h (sandbox values). */
export const PERMISSION_REQUESTS_PER_DAY = 2
export const CALLS_PER_DAY = 100
const ENDED = new Set<CallStatus>(['COMPLETED', 'FAILED', 'REJECTED'])
const UNSUPPORTED = 'Calling is only supported for Meta Cloud API and Pilot Status (web) numbers.'

/** Seeded contacts of the Meta number: one granted permanent permission, one limited by requests. */
export const SANDBOX_CALL_CONTACTS = {
  permanent: '+5511988887777',
  none: '+5511977776666',
  requestLimited: '+5511966665555'
} as const

export const callState = (store: SandboxStore) => store.slice<CallState>('calls', () => ({ calls: [], permissions: new Map(), requests: new Map(), settings: new Map(), seq: 0 }))

/** Calling needs Meta or an EVO_GO (web) number; a web number also needs its session open. */
function callNumber (store: SandboxStore, req: FastifyRequest): SandboxNumber {
  const n = numberScope(store, req)
  if (n.kind !== 'META' && n.kind !== 'EVO_GO') throw new SandboxError(400, 'FEATURE_NOT_SUPPORTED', UNSUPPORTED)
  if (n.kind === 'EVO_GO' && n.state !== 'OPEN') throw new SandboxError(409, 'WHATSAPP_INSTANCE_NOT_CONNECTED', `Number ${n.id} is ${n.state}: connect it before calling`)
  return n
}

/** Settings and permissions are Meta Cloud API objects; web numbers have neither. */
function metaNumber (store: SandboxStore, req: FastifyRequest, what: string): SandboxNumber {
  const n = callNumber(store, req)
  if (n.kind !== 'META') throw new SandboxError(400, 'FEATURE_NOT_SUPPORTED', `${what} exist only on Meta Cloud API numbers; Pilot Status (web) numbers can call without them.`)
  return n
}

function bodyOf (req: FastifyRequest): Record<string, unknown> {
  const b = req.body
  if (b === undefined || b === null) return {}
  if (typeof b !== 'object' || Array.isArray(b)) throw new SandboxError(400, 'VALIDATION_ERROR', 'Body must be a JSON object')
  return b as Record<string, unknown>
}

function parseTo (raw: unknown): string {
  if (typeof raw !== 'string' || !isE164(raw)) throw new SandboxError(400, 'VALIDATION_ERROR', 'to is required: an E.164 phone number, e.g. +5511999999999')
  return raw.replace(/^\+/, '')
}

/** Validates `sdp` by provider: Meta relays a WebRTC offer/answer, web numbers handle media server-side. */
function parseSdp (n: SandboxNumber, raw: unknown, kind: 'offer' | 'answer'): string | null {
  if (n.kind === 'META') {
    if (typeof raw !== 'string' || !raw.startsWith('v=0')) throw new SandboxError(400, 'VALIDATION_ERROR', `sdp is required on Meta Cloud API numbers: the WebRTC SDP ${kind} (RFC 8866, starting with v=0)`)
    return raw
  }
  if (raw !== undefined) throw new SandboxError(400, 'VALIDATION_ERROR', 'sdp must be omitted on Pilot Status (web) numbers: media is handled server-side')
  return null
}

const key = (n: SandboxNumber, digits: string) => `${n.id}|${digits}`

function livePermission (store: SandboxStore, n: SandboxNumber, digits: string): Permission | undefined {
  const p = callState(store).permissions.get(key(n, digits))
  if (p && p.expiresAt !== null && p.expiresAt * 1000 <= store.now()) return undefined
  return p
}

function recentRequests (store: SandboxStore, n: SandboxNumber, digits: string): number[] {
  const since = store.now() - DAY_MS
  return (callState(store).requests.get(key(n, digits)) ?? []).filter((t) => t > since)
}

function externalId (n: SandboxNumber, seq: number): string {
  if (n.kind === 'META') return `wacid.${Buffer.from(`HBgNNTUxMTk5OTk5MDAwMhUCABEYEjA${seq}`).toString('base64url')}`
  return `3EB0${(0x9A10C0DE + seq * 7919).toString(16).toUpperCase().padStart(16, '0')}`
}

const SDP_OFFER = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\n'
const SDP_ANSWER = SDP_OFFER.replace('a=setup:actpass', 'a=setup:active')

function newCall (store: SandboxStore, n: SandboxNumber, c: Pick<Call, 'direction' | 'status' | 'peerNumber'> & Partial<Call>): Call {
  const s = callState(store)
  s.seq++
  const created = c.createdAt ?? store.iso()
  return {
    id: store.id('call'),
    externalCallId: externalId(n, s.seq),
    numberId: n.id,
    durationSeconds: null,
    startedAt: created,
    connectedAt: null,
    endedAt: null,
    createdAt: created,
    updatedAt: created,
    sdpOffer: null,
    sdpAnswer: null,
    bizOpaqueCallbackData: null,
    ...c
  }
}

/**
 * ~30 past calls on the web number (so `before` paging matters) and a few on Meta. Newest of each:
 * an inbound call still RINGING (accept / reject it) and one ACCEPTED in progress (terminate it).
 */
function seed (store: SandboxStore): void {
  const s = callState(store)
  const peers = ['+5521977770001', '+5531966660002', '+5511988880001', '+5541955550003', '+5511988880002']
  const outcomes: CallStatus[] = ['COMPLETED', 'COMPLETED', 'REJECTED', 'COMPLETED', 'FAILED']
  const history = (n: SandboxNumber, count: number, peerList: string[]) => {
    const meta = n.kind === 'META'
    const at = (ms: number) => store.iso(-ms)
    s.calls.push(newCall(store, n, { direction: 'INBOUND', status: 'RINGING', peerNumber: peerList[0], createdAt: at(20_000), sdpOffer: meta ? SDP_OFFER : null }))
    const live = newCall(store, n, { direction: 'INBOUND', status: 'ACCEPTED', peerNumber: peerList[1 % peerList.length], createdAt: at(180_000), sdpOffer: meta ? SDP_OFFER : null, sdpAnswer: meta ? SDP_ANSWER : null })
    live.connectedAt = at(172_000)
    live.updatedAt = live.connectedAt
    s.calls.push(live)
    for (let i = 0; i < count - 2; i++) {
      const startMs = (i + 1) * 3 * 3_600_000 + i * 60_000
      const status = outcomes[i % outcomes.length]
      const duration = status === 'COMPLETED' ? 30 + ((i * 37) % 540) : null
      const outbound = i % 3 === 1
      const c = newCall(store, n, {
        direction: outbound ? 'OUTBOUND' : 'INBOUND',
        status,
        peerNumber: peerList[i % peerList.length],
        createdAt: at(startMs),
        durationSeconds: duration,
        sdpOffer: meta ? SDP_OFFER : null,
        sdpAnswer: meta && status === 'COMPLETED' ? SDP_ANSWER : null
      })
      c.connectedAt = duration !== null ? at(startMs - 6_000) : null
      c.endedAt = at(startMs - 6_000 - (duration ?? 24) * 1000)
      c.updatedAt = c.endedAt
      s.calls.push(c)
    }
  }
  history(store.numbers.get(SANDBOX_NUMBERS.demo)!, 30, peers)
  const meta = store.numbers.get(SANDBOX_NUMBERS.meta)!
  history(meta, 8, [SANDBOX_CALL_CONTACTS.permanent, SANDBOX_CALL_CONTACTS.none, SANDBOX_CALL_CONTACTS.permanent])

  const digits = (p: string) => p.replace(/^\+/, '')
  s.permissions.set(key(meta, digits(SANDBOX_CALL_CONTACTS.permanent)), { status: 'permanent', expiresAt: null })
  s.requests.set(key(meta, digits(SANDBOX_CALL_CONTACTS.requestLimited)), [store.now() - 5 * 3_600_000, store.now() - 2 * 3_600_000])
  s.settings.set(meta.id, {
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
  })
}

function findCall (store: SandboxStore, n: SandboxNumber, idOrExternal: string): Call {
  const c = callState(store).calls.find((x) => x.numberId === n.id && (x.id === idOrExternal || x.externalCallId === idOrExternal))
  if (!c) throw new SandboxError(404, 'CALL_NOT_FOUND', `Call ${idOrExternal} not found on this number`)
  return c
}

/** The documented call object, fields in the documented order (numberId and callback data stay internal). */
function callView (c: Call, withSdp: boolean) {
  const view = {
    id: c.id,
    externalCallId: c.externalCallId,
    direction: c.direction,
    status: c.status,
    peerNumber: c.peerNumber,
    durationSeconds: c.durationSeconds,
    startedAt: c.startedAt,
    connectedAt: c.connectedAt,
    endedAt: c.endedAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt
  }
  return withSdp ? { ...view, sdpOffer: c.sdpOffer, sdpAnswer: c.sdpAnswer } : view
}

function notActive (c: Call): SandboxError {
  return new SandboxError(409, 'CALL_NOT_ACTIVE', `Call ${c.id} has already ended (${c.status})`)
}

/** accept / reject only apply to an inbound call that is still ringing. */
function ringingInbound (c: Call): void {
  if (ENDED.has(c.status)) throw notActive(c)
  if (c.direction !== 'INBOUND' || c.status !== 'RINGING') {
    throw new SandboxError(409, 'CALL_NOT_RINGING', `Call ${c.id} is ${c.direction} and ${c.status}: only a ringing inbound call can be accepted or rejected`)
  }
}

const SETTINGS_ENUMS: Record<string, string[]> = {
  status: ['ENABLED', 'DISABLED'],
  call_icon_visibility: ['DEFAULT', 'DISABLE_ALL'],
  callback_permission_status: ['ENABLED', 'DISABLED']
}
const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY']

function invalid (message: string): SandboxError {
  return new SandboxError(400, 'VALIDATION_ERROR', message)
}

function parseCallHours (raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('call_hours must be an object')
  const h = raw as Record<string, unknown>
  if (!SETTINGS_ENUMS.status.includes(h.status as string)) throw invalid('call_hours.status must be ENABLED or DISABLED')
  if (h.status === 'ENABLED') {
    if (typeof h.timezone_id !== 'string' || h.timezone_id === '') throw invalid('call_hours.timezone_id is required when call_hours.status is ENABLED')
    const week = h.weekly_operating_hours
    if (!Array.isArray(week) || week.length === 0) throw invalid('call_hours.weekly_operating_hours must be a non-empty array when call_hours.status is ENABLED')
    for (const d of week as Array<Record<string, unknown>>) {
      if (!DAYS.includes(d?.day_of_week as string) || !/^\d{4}$/.test(String(d?.open_time)) || !/^\d{4}$/.test(String(d?.close_time))) {
        throw invalid('each weekly_operating_hours entry needs day_of_week (MONDAY..SUNDAY), open_time and close_time as HHMM, e.g. "0900"')
      }
    }
  }
  return h
}

interface CallParams { callId: string }

const register: SandboxDomain = (app, store) => {
  seed(store)
  const s = callState(store)

  app.post('/v1/calls', async (req, reply) => {
    const n = callNumber(store, req)
    const body = bodyOf(req)
    const to = parseTo(body.to)
    if (body.sdpType !== undefined && body.sdpType !== 'offer') throw invalid('sdpType must be "offer"')
    if (body.bizOpaqueCallbackData !== undefined && (typeof body.bizOpaqueCallbackData !== 'string' || body.bizOpaqueCallbackData.length > 512)) {
      throw invalid('bizOpaqueCallbackData must be a string of at most 512 characters')
    }
    const sdp = parseSdp(n, body.sdp, 'offer')
    if (n.kind === 'META' && !livePermission(store, n, to)) {
      throw new SandboxError(400, 'META_CALL_PERMISSION_REQUIRED', `+${to} has not granted call permission to this business (Meta error 138006)`)
    }
    const c = newCall(store, n, {
      direction: 'OUTBOUND',
      status: 'INITIATED',
      peerNumber: `+${to}`,
      sdpOffer: sdp,
      bizOpaqueCallbackData: (body.bizOpaqueCallbackData as string | undefined) ?? null
    })
    s.calls.push(c)
    return reply.code(201).send({ id: c.id, externalCallId: c.externalCallId, status: c.status })
  })

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/calls', async (req) => {
    const n = callNumber(store, req)
    const limit = req.query.limit === undefined ? 25 : Number(req.query.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid('limit must be an integer from 1 to 100')
    let before = Infinity
    if (req.query.before !== undefined) {
      before = Date.parse(req.query.before)
      if (Number.isNaN(before)) throw invalid('before must be an ISO 8601 date-time, e.g. 2026-06-20T10:00:00.000Z')
    }
    const calls = s.calls
      .filter((c) => c.numberId === n.id && Date.parse(c.createdAt) < before)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
      .slice(0, limit)
      .map((c) => callView(c, false))
    return { calls }
  })

  app.get('/v1/calls/settings', async (req) => {
    const n = metaNumber(store, req, 'Call settings')
    return { calling: structuredClone(s.settings.get(n.id) ?? {}) }
  })

  app.put('/v1/calls/settings', async (req) => {
    const n = metaNumber(store, req, 'Call settings')
    const body = bodyOf(req)
    if ('sip' in body) throw invalid('sip cannot be changed through the API; configure SIP in Meta\'s WhatsApp Manager')
    const allowed = [...Object.keys(SETTINGS_ENUMS), 'call_hours', 'voicemail']
    const unknown = Object.keys(body).filter((k) => !allowed.includes(k))
    if (unknown.length > 0) throw invalid(`Unknown setting(s): ${unknown.join(', ')}. Allowed: ${allowed.join(', ')}`)
    if (Object.keys(body).length === 0) throw invalid(`Nothing to update: send at least one of ${allowed.join(', ')}`)
    for (const [k, values] of Object.entries(SETTINGS_ENUMS)) {
      if (k in body && !values.includes(body[k] as string)) throw invalid(`${k} must be one of ${values.join(', ')}`)
    }
    const patch: Record<string, unknown> = { ...body }
    if ('call_hours' in body) patch.call_hours = parseCallHours(body.call_hours)
    if ('voicemail' in body) {
      const v = body.voicemail as Record<string, unknown> | null
      if (typeof v !== 'object' || v === null || !SETTINGS_ENUMS.status.includes(v.status as string)) throw invalid('voicemail must be an object with status ENABLED or DISABLED')
    }
    // Partial at the top level; nested objects (call_hours, voicemail) replace the stored ones whole.
    s.settings.set(n.id, { ...s.settings.get(n.id), ...structuredClone(patch) })
    return { success: true }
  })

  app.get<{ Querystring: { to?: string } }>('/v1/calls/permissions', async (req) => {
    const n = metaNumber(store, req, 'Call permissions')
    const to = parseTo(req.query.to)
    const p = livePermission(store, n, to)
    const since = Date.parse(store.iso(-DAY_MS))
    const callsToday = s.calls.filter((c) => c.numberId === n.id && c.direction === 'OUTBOUND' && c.peerNumber === `+${to}` && Date.parse(c.createdAt) > since).length
    const requests = recentRequests(store, n, to).length
    return {
      permission: p
        ? { status: p.status, ...(p.expiresAt !== null ? { expiration_time: p.expiresAt } : {}) }
        : { status: 'no_permission' },
      actions: [
        { action_name: 'send_call_permission_request', can_perform_action: !p && requests < PERMISSION_REQUESTS_PER_DAY, limits: [{ time_period: 'PT24H', max_allowed: PERMISSION_REQUESTS_PER_DAY, current_usage: requests }] },
        { action_name: 'start_call', can_perform_action: !!p && callsToday < CALLS_PER_DAY, limits: [{ time_period: 'PT24H', max_allowed: CALLS_PER_DAY, current_usage: callsToday }] }
      ]
    }
  })

  app.post('/v1/calls/permissions/request', async (req) => {
    const n = metaNumber(store, req, 'Call permissions')
    const body = bodyOf(req)
    const to = parseTo(body.to)
    if (body.text !== undefined && (typeof body.text !== 'string' || body.text.length > 1024)) throw invalid('text must be a string of at most 1024 characters')
    const recent = recentRequests(store, n, to)
    if (recent.length >= PERMISSION_REQUESTS_PER_DAY) {
      throw new SandboxError(400, 'META_CALL_PERMISSION_REQUEST_LIMIT', `Call-permission request limit reached for +${to}: ${PERMISSION_REQUESTS_PER_DAY} per 24 h (Meta error 138009)`)
    }
    s.requests.set(key(n, to), [...recent, store.now()])
    // The sandbox user taps "Allow" at once: a temporary (7-day) permission, never downgrading a permanent one.
    if (livePermission(store, n, to)?.status !== 'permanent') {
      s.permissions.set(key(n, to), { status: 'temporary', expiresAt: Math.floor((store.now() + 7 * DAY_MS) / 1000) })
    }
    return { messageId: `wamid.${Buffer.from(store.id('cpr')).toString('base64url')}` }
  })

  app.get<{ Params: CallParams, Querystring: { includeSdp?: string } }>('/v1/calls/:callId', async (req) => {
    const n = callNumber(store, req)
    const c = findCall(store, n, req.params.callId)
    const withSdp = n.kind === 'META' && (req.query.includeSdp === '1' || req.query.includeSdp === 'true')
    return callView(c, withSdp)
  })

  app.post<{ Params: CallParams }>('/v1/calls/:callId/accept', async (req) => {
    const n = callNumber(store, req)
    const c = findCall(store, n, req.params.callId)
    ringingInbound(c)
    const sdp = parseSdp(n, bodyOf(req).sdp, 'answer')
    c.status = 'ACCEPTED'
    c.sdpAnswer = sdp
    c.connectedAt = c.updatedAt = store.iso()
    return { success: true, id: c.id, status: c.status }
  })

  app.post<{ Params: CallParams }>('/v1/calls/:callId/reject', async (req) => {
    const n = callNumber(store, req)
    const c = findCall(store, n, req.params.callId)
    ringingInbound(c)
    c.status = 'REJECTED'
    c.endedAt = c.updatedAt = store.iso()
    return { success: true, id: c.id, status: c.status }
  })

  app.post<{ Params: CallParams }>('/v1/calls/:callId/terminate', async (req) => {
    const n = callNumber(store, req)
    const c = findCall(store, n, req.params.callId)
    if (ENDED.has(c.status)) throw notActive(c)
    c.status = 'COMPLETED'
    c.endedAt = c.updatedAt = store.iso()
    c.durationSeconds = c.connectedAt ? Math.max(0, Math.round((Date.parse(c.endedAt) - Date.parse(c.connectedAt)) / 1000)) : 0
    return { success: true, id: c.id, status: c.status }
  })
}

export default register
