// Sandbox routes for /v1/groups (pilot-status-api.md §2.6) and GET /v1/newsletters (§2.7): seeded
// groups and channels on the demo number, participant changes that stick, and the provider rules
// (Meta → not eligible, disconnected session → 409). Promote/demote/invite/pin paths are inferred.
import type { FastifyRequest } from 'fastify'
import type { SandboxDomain } from './index.js'
import {
  SANDBOX_CHANNEL, SANDBOX_GROUPS, SANDBOX_NUMBERS, SandboxError, isE164, numberScope,
  type SandboxNumber, type SandboxStore
} from './core.js'

export type GroupRole = 'superadmin' | 'admin' | 'member'

interface Participant { id: string, name: string | null, role: GroupRole }

interface Group {
  id: string
  numberId: string
  subject: string
  description: string | null
  /** E.164 digits of the creator. */
  owner: string
  createdAt: string
  participants: Participant[]
  inviteCode: string
  /** Message id → pinned-until ISO time. */
  pins: Map<string, string>
}

interface Newsletter {
  id: string
  numberId: string
  name: string
  description: string | null
  role: 'OWNER' | 'ADMIN' | 'SUBSCRIBER'
  subscribers: number
  createdAt: string
}

interface GroupState {
  /** By JID. */
  groups: Map<string, Group>
  newsletters: Newsletter[]
  seq: number
}

/** WhatsApp's only pin durations: 24 hours, 7 days, 30 days. */
export const PIN_DURATIONS = [86_400, 604_800, 2_592_000] as const
const MAX_GROUP_SIZE = 1024
const MAX_SUBJECT = 100

export const groupState = (store: SandboxStore) => store.slice<GroupState>('groups', () => ({ groups: new Map(), newsletters: [], seq: 100 }))

/** Groups need a WhatsApp session: Meta numbers are not eligible OBAs here, and a closed session cannot answer. */
function groupNumber (store: SandboxStore, req: FastifyRequest, what = 'Groups'): SandboxNumber {
  const n = numberScope(store, req)
  if (n.kind === 'META') {
    if (what === 'Channels') throw new SandboxError(400, 'NOT_SUPPORTED_FOR_META', 'WhatsApp channels are not available on Meta Cloud API numbers')
    throw new SandboxError(400, 'META_GROUPS_NOT_ELIGIBLE', 'This Meta Cloud API number is not an Official Business Account with groups enabled')
  }
  if (n.state !== 'OPEN') throw new SandboxError(409, 'WHATSAPP_INSTANCE_NOT_CONNECTED', `${what} need a connected WhatsApp session; number ${n.id} is ${n.state}`)
  return n
}

function findGroup (store: SandboxStore, n: SandboxNumber, jid: string): Group {
  const g = groupState(store).groups.get(jid)
  if (!g || g.numberId !== n.id) throw new SandboxError(404, 'GROUP_NOT_FOUND', `Group ${jid} not found on this number`)
  return g
}

function bodyOf (req: FastifyRequest): Record<string, unknown> {
  const b = req.body
  if (b === undefined || b === null) return {}
  if (typeof b !== 'object' || Array.isArray(b)) throw new SandboxError(400, 'VALIDATION_ERROR', 'Body must be a JSON object')
  return b as Record<string, unknown>
}

/** Participants as E.164 digits ('+' tolerated), de-duplicated, in the caller's order. */
function parseParticipants (raw: unknown, required: boolean): string[] {
  if (raw === undefined && !required) return []
  if (!Array.isArray(raw) || (required && raw.length === 0)) {
    throw new SandboxError(400, 'VALIDATION_ERROR', 'participants must be a non-empty array of E.164 phone numbers')
  }
  const bad = raw.filter((p) => typeof p !== 'string' || !isE164(p))
  if (bad.length > 0) throw new SandboxError(400, 'VALIDATION_ERROR', `Invalid participant phone number(s): ${bad.map((b) => JSON.stringify(b)).join(', ')} (E.164 expected, e.g. 5511999999999)`)
  return [...new Set((raw as string[]).map((p) => p.replace(/^\+/, '')))]
}

/** A stable, URL-safe invite code derived from the JID (22 chars like WhatsApp's). */
function inviteCodeFor (jid: string): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'
  let h = 2166136261
  let out = ''
  for (let i = 0; out.length < 22; i++) {
    h = Math.imul(h ^ jid.charCodeAt(i % jid.length) ^ i, 16777619) >>> 0
    out += alphabet[h % alphabet.length]
  }
  return out
}

function seed (store: SandboxStore): void {
  const s = groupState(store)
  const demo = store.numbers.get(SANDBOX_NUMBERS.demo)!
  const own = demo.number
  const at = (days: number) => store.iso(-days * 86_400_000)
  const group = (jid: string, subject: string, description: string | null, days: number, others: Participant[]) => {
    s.groups.set(jid, {
      id: jid,
      numberId: demo.id,
      subject,
      description,
      owner: own,
      createdAt: at(days),
      participants: [{ id: own, name: demo.name, role: 'superadmin' }, ...others],
      inviteCode: inviteCodeFor(jid),
      pins: new Map()
    })
  }
  group(SANDBOX_GROUPS.team.jid, SANDBOX_GROUPS.team.name, 'Internal coordination for the Demo Store team.', 20, [
    { id: '5511988880001', name: 'Ana Souza', role: 'admin' },
    { id: '5511988880002', name: 'Bruno Lima', role: 'member' },
    { id: '5511988880003', name: 'Carla Dias', role: 'member' }
  ])
  group(SANDBOX_GROUPS.vip.jid, SANDBOX_GROUPS.vip.name, 'Early access to offers. Be kind.', 12, [
    { id: '5521977770001', name: 'Maria Oliveira', role: 'member' },
    { id: '5531966660002', name: 'João Pereira', role: 'member' },
    { id: '5511988880001', name: 'Ana Souza', role: 'admin' },
    { id: '5541955550003', name: null, role: 'member' }
  ])
  s.newsletters.push(
    { id: SANDBOX_CHANNEL.jid, numberId: demo.id, name: SANDBOX_CHANNEL.name, description: 'Launches and weekly offers from Demo Store.', role: 'OWNER', subscribers: 1284, createdAt: at(60) },
    { id: '120363000000000098@newsletter', numberId: demo.id, name: 'Pilot Status Updates', description: 'Product news from Pilot Status.', role: 'SUBSCRIBER', subscribers: 5310, createdAt: at(200) }
  )
}

const groupView = (g: Group) => ({
  id: g.id,
  subject: g.subject,
  description: g.description,
  owner: g.owner,
  createdAt: g.createdAt,
  size: g.participants.length,
  participants: g.participants.map((p) => ({ id: p.id, name: p.name, role: p.role }))
})

interface GroupParams { groupId: string }

const register: SandboxDomain = (app, store) => {
  seed(store)
  const s = groupState(store)

  app.get('/v1/groups', async (req) => {
    const n = groupNumber(store, req)
    const groups = [...s.groups.values()].filter((g) => g.numberId === n.id).map((g) => ({ id: g.id, name: g.subject }))
    return { groups }
  })

  app.post('/v1/groups', async (req, reply) => {
    const n = groupNumber(store, req)
    const body = bodyOf(req)
    const subject = body.subject
    if (typeof subject !== 'string' || subject.trim() === '' || subject.length > MAX_SUBJECT) {
      throw new SandboxError(400, 'VALIDATION_ERROR', `subject is required: a non-empty string of at most ${MAX_SUBJECT} characters`)
    }
    const participants = parseParticipants(body.participants, false).filter((p) => p !== n.number)
    if (participants.length + 1 > MAX_GROUP_SIZE) throw new SandboxError(400, 'VALIDATION_ERROR', `A group holds at most ${MAX_GROUP_SIZE} participants`)
    s.seq++
    const jid = `120363${String(s.seq).padStart(12, '0')}@g.us`
    s.groups.set(jid, {
      id: jid,
      numberId: n.id,
      subject: subject.trim(),
      description: null,
      owner: n.number,
      createdAt: store.iso(),
      participants: [{ id: n.number, name: n.name, role: 'superadmin' }, ...participants.map((id): Participant => ({ id, name: null, role: 'member' }))],
      inviteCode: inviteCodeFor(jid),
      pins: new Map()
    })
    return reply.code(201).send({ id: jid, subject: subject.trim(), participants })
  })

  app.get<{ Params: GroupParams }>('/v1/groups/:groupId', async (req) => {
    const n = groupNumber(store, req)
    return groupView(findGroup(store, n, req.params.groupId))
  })

  /** One participant change applied to each phone; per-phone outcomes, as WhatsApp reports them. */
  type Change = (g: Group, phone: string, n: SandboxNumber) => string
  const participantsRoute = (change: Change) => async (req: FastifyRequest<{ Params: GroupParams }>) => {
    const n = groupNumber(store, req)
    const g = findGroup(store, n, req.params.groupId)
    const phones = parseParticipants(bodyOf(req).participants, true)
    const participants = phones.map((id) => ({ id, status: change(g, id, n) }))
    return { success: true, groupId: g.id, participants }
  }
  const member = (g: Group, phone: string) => g.participants.find((p) => p.id === phone)

  app.post<{ Params: GroupParams }>('/v1/groups/:groupId/participants', participantsRoute((g, phone) => {
    if (member(g, phone)) return 'ALREADY_MEMBER'
    if (g.participants.length >= MAX_GROUP_SIZE) return 'GROUP_FULL'
    g.participants.push({ id: phone, name: null, role: 'member' })
    return 'ADDED'
  }))

  app.delete<{ Params: GroupParams }>('/v1/groups/:groupId/participants', participantsRoute((g, phone) => {
    const p = member(g, phone)
    if (!p) return 'NOT_MEMBER'
    // WhatsApp never lets anyone remove the group's creator.
    if (p.role === 'superadmin') return 'NOT_ALLOWED'
    g.participants = g.participants.filter((x) => x !== p)
    return 'REMOVED'
  }))

  app.post<{ Params: GroupParams }>('/v1/groups/:groupId/participants/promote', participantsRoute((g, phone) => {
    const p = member(g, phone)
    if (!p) return 'NOT_MEMBER'
    if (p.role !== 'member') return 'ALREADY_ADMIN'
    p.role = 'admin'
    return 'PROMOTED'
  }))

  app.post<{ Params: GroupParams }>('/v1/groups/:groupId/participants/demote', participantsRoute((g, phone) => {
    const p = member(g, phone)
    if (!p) return 'NOT_MEMBER'
    if (p.role === 'superadmin') return 'NOT_ALLOWED'
    if (p.role === 'member') return 'NOT_ADMIN'
    p.role = 'member'
    return 'DEMOTED'
  }))

  app.get<{ Params: GroupParams }>('/v1/groups/:groupId/invite', async (req) => {
    const n = groupNumber(store, req)
    const g = findGroup(store, n, req.params.groupId)
    return { inviteCode: g.inviteCode, inviteUrl: `https://chat.whatsapp.com/${g.inviteCode}` }
  })

  app.post<{ Params: GroupParams }>('/v1/groups/:groupId/pin', async (req) => {
    const n = groupNumber(store, req)
    const g = findGroup(store, n, req.params.groupId)
    const body = bodyOf(req)
    const messageId = body.messageId
    if (typeof messageId !== 'string' || messageId.trim() === '') throw new SandboxError(400, 'VALIDATION_ERROR', 'messageId is required')
    const duration = body.durationSeconds ?? 604_800
    if (!PIN_DURATIONS.includes(duration as typeof PIN_DURATIONS[number])) {
      throw new SandboxError(400, 'VALIDATION_ERROR', `durationSeconds must be one of ${PIN_DURATIONS.join(', ')} (24 h, 7 days, 30 days)`)
    }
    // A stored message of another chat cannot be pinned here; unknown ids pass (sent from the phone).
    const m = store.messages.find((x) => x.numberId === n.id && (x.id === messageId || x.externalMessageId === messageId))
    if (m) {
      const conv = store.conversations.get(m.conversationId)
      if (conv && conv.jid !== g.id) throw new SandboxError(400, 'VALIDATION_ERROR', `Message ${messageId} does not belong to group ${g.id}`)
    }
    const pinnedUntil = store.iso((duration as number) * 1000)
    g.pins.set(messageId, pinnedUntil)
    return { success: true, groupId: g.id, messageId, pinnedUntil }
  })

  // Inferred path (pilot-status-api.md §2.7): channels the number owns or follows.
  app.get('/v1/newsletters', async (req) => {
    const n = groupNumber(store, req, 'Channels')
    return { newsletters: s.newsletters.filter((c) => c.numberId === n.id).map(({ numberId: _n, ...c }) => c) }
  })
}

export default register
