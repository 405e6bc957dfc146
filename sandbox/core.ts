// The embedded sandbox's shared core: in-memory state, the seeded demo tenant, caller
// resolution from x-api-key / x-api-key-id / bearer, the key-scope rules and the API's error
// shape `{ error, code }`. Domain route files (messages.ts, templates.ts, ...) build on this.
import type { FastifyReply, FastifyRequest } from 'fastify'

export type Provider = 'PILOT_STATUS' | 'META'
export type ConnectionState = 'OPEN' | 'CONNECTING' | 'CLOSE'

export interface SandboxNumber {
  id: string
  instanceName: string
  /** E.164 digits without '+', as the API returns it. */
  number: string
  name: string
  provider: Provider
  /** Internal provider kind: EVO_GO / EVO_V2 for PILOT_STATUS numbers, META for Meta. */
  kind: 'EVO_GO' | 'EVO_V2' | 'META'
  state: ConnectionState
  isFullyConnected: boolean
  /** Meta phone number id (Meta numbers only). */
  metaPhoneId: string | null
  /** Whether the account has a paid subscription covering media sends from this number. */
  paid: boolean
  /** PII handling mode of the number. */
  piiMode: 'STORE_INDEFINITE' | 'RELAY_ONLY'
  createdAt: string
  updatedAt: string
}

export interface SandboxKey {
  id: string
  key: string
  name: string
  scope: 'number' | 'tenant'
  numberId: string | null
  tenantId: string
  createdAt: string
}

export type MessageStatus = 'QUEUED' | 'SENT' | 'DELIVERED' | 'READ' | 'FAILED' | 'CANCELED'
export type MessageType = 'text' | 'image' | 'audio' | 'video' | 'document' | 'location' | 'contacts' | 'sticker' | 'reaction'

export interface SandboxMedia {
  provider: 'META' | 'EVO' | 'EVO_GO'
  id: string | null
  url: string | null
  mimeType: string
  fileName: string | null
}

/** One stored message, inbound or outbound, direct or group. */
export interface SandboxMessage {
  id: string
  correlationId: string
  numberId: string
  conversationId: string
  direction: 'INBOUND' | 'OUTBOUND'
  type: MessageType
  text: string | null
  /** Peer phone (E.164 with '+') for direct messages; sender phone for inbound group messages. */
  participantPhone: string | null
  participantName: string | null
  templateId: string | null
  templateName: string | null
  media: SandboxMedia | null
  externalMessageId: string | null
  origin: string
  createdAt: string
  /** Scheduled send time for outbound messages sent with deliverAt. */
  deliverAt: string | null
  /** Final states set explicitly (FAILED / CANCELED); otherwise the status follows the clock. */
  fixedStatus: 'FAILED' | 'CANCELED' | null
  errorMessage: string | null
  /** Inbound messages: whether the number has read it. */
  read: boolean
}

export interface SandboxConversation {
  id: string
  numberId: string
  type: 'DIRECT' | 'GROUP' | 'NEWSLETTER'
  from: string | null
  fromName: string | null
  userId: string | null
  username: string | null
  /** Group or channel JID for GROUP / NEWSLETTER conversations. */
  jid: string | null
  createdAt: string
}

export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'OTP'

/** A message template. `structure` is the normalised body object `{ header?, body: { text }, footer?, buttons? }`. */
export interface SandboxTemplate {
  id: string
  numberId: string
  name: string
  category: TemplateCategory
  language: string
  structure: { header?: Record<string, unknown>, body: { text: string }, footer?: { text: string }, buttons?: Array<Record<string, unknown>> }
  /** Variable names in order of first appearance ({{name}} placeholders, incl. header and dynamic URL buttons). */
  variables: string[]
  examples: Record<string, string>
  source: 'META' | 'PILOT_STATUS'
  metaStatus: 'APPROVED' | 'PENDING' | 'REJECTED' | 'DISABLED' | null
  metaLanguage: string | null
  createdAt: string
  updatedAt: string
}

/** Seeded group and channel JIDs (groups.ts serves them; messages.ts seeds their conversations). */
export const SANDBOX_GROUPS = {
  team: { jid: '120363000000000001@g.us', name: 'Demo Team' },
  vip: { jid: '120363000000000002@g.us', name: 'VIP Customers' }
} as const
export const SANDBOX_CHANNEL = { jid: '120363000000000099@newsletter', name: 'Demo Store News' } as const

/**
 * Seeded Meta media ids (inbound media on the Meta number, phoneNumberId = its metaPhoneId).
 * messages.ts seeds inbound messages carrying them; account.ts serves GET /v1/media/{id}.
 */
export const SANDBOX_MEDIA = {
  image: { id: 'mid_demo_image', mimeType: 'image/png', fileName: null },
  audio: { id: 'mid_demo_audio', mimeType: 'audio/ogg', fileName: null },
  document: { id: 'mid_demo_pdf', mimeType: 'application/pdf', fileName: 'invoice-1042.pdf' }
} as const

export interface SandboxOptions {
  /** Clock, in epoch ms (tests inject a controllable one). */
  now?: () => number
  /** Time for each step QUEUED→SENT→DELIVERED→READ of an outbound message (default 1500 ms). */
  statusStepMs?: number
}

/** The demo credentials the sandbox accepts. Printed by `--sandbox` and listed in the README. */
export const SANDBOX_KEYS = {
  /** Number-scoped key of "Demo Store" (Pilot Status QR number, connected). */
  number: 'ps_sandbox_demo_number',
  /** Number-scoped key of "Demo Meta" (Meta Cloud API number). */
  meta: 'ps_sandbox_meta_number',
  /** Number-scoped key of "Support" (Pilot Status number, disconnected). */
  offline: 'ps_sandbox_offline_number',
  /** The tenant-scoped key. */
  tenant: 'ps_sandbox_demo_tenant'
} as const

export const SANDBOX_KEY_IDS = {
  number: 'key_demo_number',
  meta: 'key_meta_number',
  offline: 'key_offline_number',
  tenant: 'key_demo_tenant'
} as const

export const SANDBOX_NUMBERS = { demo: 'num_demo', meta: 'num_meta', offline: 'num_offline' } as const
export const SANDBOX_TENANT = 'ten_demo'

/** An error the sandbox answers with, in the API's `{ error, code }` shape. */
export class SandboxError extends Error {
  readonly status: number
  readonly code: string
  readonly extra: Record<string, unknown> | undefined
  constructor (status: number, code: string, message: string, extra?: Record<string, unknown>) {
    super(message)
    this.status = status
    this.code = code
    this.extra = extra
  }
}

export interface Caller {
  tenantId: string
  scope: 'number' | 'tenant'
  /** The number a number-scoped key is bound to. */
  boundNumberId: string | null
  via: 'apiKey' | 'apiKeyId' | 'bearer'
  keyId: string | null
  /** OAuth grant limited to these numbers (undefined = whole tenant). */
  grantNumbers?: string[]
  /** OAuth scopes of a bearer token. */
  scopes?: string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    sandboxCaller?: Caller
  }
}

/** Resolves bearer tokens; set by the sandbox's authorization server (oauth.ts). */
export type BearerResolver = (token: string) => Caller | undefined

/** A template is sendable when local (Pilot Status) or approved by Meta. */
export function templateSendable (t: SandboxTemplate): boolean {
  return t.source === 'PILOT_STATUS' || t.metaStatus === 'APPROVED'
}

/** Looks a template up by id or name within one number. */
export function findTemplate (store: SandboxStore, numberId: string, idOrName: string): SandboxTemplate | undefined {
  const byId = store.templates.get(idOrName)
  if (byId && byId.numberId === numberId) return byId
  for (const t of store.templates.values()) if (t.numberId === numberId && t.name === idOrName) return t
  return undefined
}

export class SandboxStore {
  readonly now: () => number
  readonly statusStepMs: number
  readonly tenant = { id: SANDBOX_TENANT, name: 'Demo Store Ltda', plan: 'FREE' as 'FREE' | 'ON_DEMAND', paidExtraNumbers: 0, hasSavedCard: false }
  readonly numbers = new Map<string, SandboxNumber>()
  /** By raw key value. */
  readonly keys = new Map<string, SandboxKey>()
  readonly messages: SandboxMessage[] = []
  readonly conversations = new Map<string, SandboxConversation>()
  /** By id. Names are unique per number. */
  readonly templates = new Map<string, SandboxTemplate>()
  bearerResolver: BearerResolver | undefined
  private readonly slices = new Map<string, unknown>()
  private counter = 0

  constructor (opts: SandboxOptions = {}) {
    this.now = opts.now ?? Date.now
    this.statusStepMs = opts.statusStepMs ?? 1500
    seedCore(this)
  }

  /** A new id with the API's prefix style, unique within this sandbox: `msg_sbx0001a`. */
  id (prefix: string): string {
    this.counter++
    return `${prefix}_sbx${this.counter.toString(36).padStart(5, '0')}`
  }

  iso (offsetMs = 0): string {
    return new Date(this.now() + offsetMs).toISOString()
  }

  /** Per-domain state, created on first use by its owner file. */
  slice<T> (name: string, init: () => T): T {
    let s = this.slices.get(name) as T | undefined
    if (s === undefined) {
      s = init()
      this.slices.set(name, s)
    }
    return s
  }

  /** Effective status of a message now: scheduled sends wait for deliverAt, then step through the lifecycle. */
  messageStatus (m: SandboxMessage): MessageStatus {
    if (m.fixedStatus) return m.fixedStatus
    if (m.direction === 'INBOUND') return m.read ? 'READ' : 'DELIVERED'
    const start = Date.parse(m.deliverAt ?? m.createdAt)
    const elapsed = this.now() - start
    if (elapsed < this.statusStepMs) return 'QUEUED'
    if (elapsed < 2 * this.statusStepMs) return 'SENT'
    if (elapsed < 4 * this.statusStepMs) return 'DELIVERED'
    return 'READ'
  }

  /** Timestamps matching messageStatus(): sentAt / deliveredAt / readAt, or null when not reached. */
  messageTimes (m: SandboxMessage): { sentAt: string | null, deliveredAt: string | null, readAt: string | null } {
    if (m.direction === 'INBOUND') return { sentAt: m.createdAt, deliveredAt: m.createdAt, readAt: null }
    if (m.fixedStatus) return { sentAt: null, deliveredAt: null, readAt: null }
    const start = Date.parse(m.deliverAt ?? m.createdAt)
    const at = (k: number) => (this.now() - start >= k * this.statusStepMs ? new Date(start + k * this.statusStepMs).toISOString() : null)
    return { sentAt: at(1), deliveredAt: at(2), readAt: at(4) }
  }

  numberOrThrow (id: string, tenantId: string): SandboxNumber {
    const n = this.numbers.get(id)
    if (!n || tenantId !== SANDBOX_TENANT) throw new SandboxError(404, 'NUMBER_NOT_FOUND', `Number ${id} not found`)
    return n
  }
}

function seedCore (s: SandboxStore): void {
  const created = new Date(s.now() - 30 * 86_400_000).toISOString()
  const add = (n: Omit<SandboxNumber, 'createdAt' | 'updatedAt' | 'instanceName' | 'paid' | 'piiMode'> & Partial<SandboxNumber>) => {
    s.numbers.set(n.id, { instanceName: `inst_${n.id}`, paid: true, piiMode: 'STORE_INDEFINITE', createdAt: created, updatedAt: created, ...n })
  }
  add({ id: SANDBOX_NUMBERS.demo, number: '5511999990001', name: 'Demo Store', provider: 'PILOT_STATUS', kind: 'EVO_GO', state: 'OPEN', isFullyConnected: true, metaPhoneId: null })
  add({ id: SANDBOX_NUMBERS.meta, number: '5511999990002', name: 'Demo Meta', provider: 'META', kind: 'META', state: 'OPEN', isFullyConnected: true, metaPhoneId: '100200300400500' })
  add({ id: SANDBOX_NUMBERS.offline, number: '5511999990003', name: 'Support', provider: 'PILOT_STATUS', kind: 'EVO_V2', state: 'CLOSE', isFullyConnected: false, metaPhoneId: null, paid: false })
  const key = (k: Omit<SandboxKey, 'tenantId' | 'createdAt'>) => s.keys.set(k.key, { ...k, tenantId: SANDBOX_TENANT, createdAt: created })
  key({ id: SANDBOX_KEY_IDS.number, key: SANDBOX_KEYS.number, name: 'Default', scope: 'number', numberId: SANDBOX_NUMBERS.demo })
  key({ id: SANDBOX_KEY_IDS.meta, key: SANDBOX_KEYS.meta, name: 'Default', scope: 'number', numberId: SANDBOX_NUMBERS.meta })
  key({ id: SANDBOX_KEY_IDS.offline, key: SANDBOX_KEYS.offline, name: 'Default', scope: 'number', numberId: SANDBOX_NUMBERS.offline })
  const tpl = (t: Pick<SandboxTemplate, 'id' | 'numberId' | 'name' | 'category' | 'source' | 'metaStatus'> & { text: string, examples?: Record<string, string> }) => {
    const variables = [...new Set([...t.text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1]))]
    s.templates.set(t.id, {
      id: t.id,
      numberId: t.numberId,
      name: t.name,
      category: t.category,
      language: 'pt_BR',
      structure: { body: { text: t.text } },
      variables,
      examples: t.examples ?? {},
      source: t.source,
      metaStatus: t.metaStatus,
      metaLanguage: t.source === 'META' ? 'pt_BR' : null,
      createdAt: created,
      updatedAt: created
    })
  }
  tpl({ id: 'tpl_order_update', numberId: SANDBOX_NUMBERS.demo, name: 'order_update', category: 'UTILITY', source: 'PILOT_STATUS', metaStatus: null, text: 'Hi {{name}}, your order {{order}} has shipped.', examples: { name: 'Maria', order: '#1042' } })
  tpl({ id: 'tpl_welcome', numberId: SANDBOX_NUMBERS.demo, name: 'welcome', category: 'MARKETING', source: 'PILOT_STATUS', metaStatus: null, text: 'Welcome to Demo Store! Reply STOP to stop receiving offers.' })
  tpl({ id: 'tpl_appointment', numberId: SANDBOX_NUMBERS.meta, name: 'appointment_reminder', category: 'UTILITY', source: 'META', metaStatus: 'APPROVED', text: 'Hello {{name}}, see you on {{date}}. Reply to reschedule.', examples: { name: 'João', date: '12/07' } })
  tpl({ id: 'tpl_promo_pending', numberId: SANDBOX_NUMBERS.meta, name: 'promo_pending', category: 'MARKETING', source: 'META', metaStatus: 'PENDING', text: 'Our winter sale starts now. Reply STOP to opt out.' })

  key({ id: SANDBOX_KEY_IDS.tenant, key: SANDBOX_KEYS.tenant, name: 'Tenant', scope: 'tenant', numberId: null })
}

/** Resolves the caller from the request's credentials, or throws 401. */
export function resolveCaller (store: SandboxStore, req: FastifyRequest): Caller {
  const h = req.headers
  const auth = typeof h.authorization === 'string' ? h.authorization : undefined
  if (auth !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(auth)
    const caller = m && store.bearerResolver ? store.bearerResolver(m[1].trim()) : undefined
    if (!caller) throw new SandboxError(401, 'INVALID_TOKEN', 'Invalid or expired access token')
    return caller
  }
  const rawKey = typeof h['x-api-key'] === 'string' ? h['x-api-key'] : undefined
  const keyId = typeof h['x-api-key-id'] === 'string' ? h['x-api-key-id'] : undefined
  let rec: SandboxKey | undefined
  let via: Caller['via'] = 'apiKey'
  if (rawKey !== undefined) {
    rec = store.keys.get(rawKey)
    if (rec && keyId !== undefined && rec.id !== keyId) rec = undefined
  } else if (keyId !== undefined) {
    via = 'apiKeyId'
    for (const k of store.keys.values()) if (k.id === keyId) rec = k
  } else {
    throw new SandboxError(401, 'UNAUTHORIZED', 'Missing x-api-key or x-api-key-id header')
  }
  if (!rec) throw new SandboxError(401, 'UNAUTHORIZED', 'Invalid API key')
  return { tenantId: rec.tenantId, scope: rec.scope, boundNumberId: rec.numberId, via, keyId: rec.id }
}

export function caller (req: FastifyRequest): Caller {
  if (!req.sandboxCaller) throw new SandboxError(401, 'UNAUTHORIZED', 'Missing x-api-key or x-api-key-id header')
  return req.sandboxCaller
}

/**
 * The number a number-scoped endpoint acts on. A number key acts on its own number (any
 * `x-whatsapp-number-id` is ignored). A tenant key or OAuth token must pick one with the
 * `x-whatsapp-number-id` header; a tenant key without it gets TENANT_SCOPE_NOT_ALLOWED.
 */
export function numberScope (store: SandboxStore, req: FastifyRequest): SandboxNumber {
  const c = caller(req)
  if (c.scope === 'number' && c.boundNumberId) return store.numberOrThrow(c.boundNumberId, c.tenantId)
  const header = req.headers['x-whatsapp-number-id']
  let picked = typeof header === 'string' && header !== '' ? header : undefined
  // A grant for exactly one number needs no header: there is nothing to choose.
  if (!picked && c.grantNumbers?.length === 1) picked = c.grantNumbers[0]
  if (!picked) {
    if (c.via === 'bearer') throw new SandboxError(400, 'NUMBER_REQUIRED', 'This endpoint acts on one number: send the x-whatsapp-number-id header')
    throw new SandboxError(403, 'TENANT_SCOPE_NOT_ALLOWED', 'A tenant-scoped key cannot call a per-number endpoint without selecting a number')
  }
  const n = store.numberOrThrow(picked, c.tenantId)
  if (c.grantNumbers && !c.grantNumbers.includes(n.id)) throw new SandboxError(403, 'NUMBER_NOT_GRANTED', `The OAuth grant does not include number ${n.id}`)
  return n
}

/** Tenant-only endpoints: a number key gets NUMBER_SCOPE_NOT_ALLOWED; a per-number OAuth grant gets 403. */
export function tenantScope (req: FastifyRequest): Caller {
  const c = caller(req)
  if (c.scope === 'number') throw new SandboxError(403, 'NUMBER_SCOPE_NOT_ALLOWED', 'A number-scoped key cannot call a tenant endpoint; use the tenant key')
  if (c.grantNumbers) throw new SandboxError(403, 'NUMBER_SCOPE_NOT_ALLOWED', 'This needs an OAuth grant for the whole tenant')
  return c
}

/** Numbers a caller may see: a number key its own, a per-number grant its numbers, else all. */
export function visibleNumbers (store: SandboxStore, c: Caller): SandboxNumber[] {
  const all = [...store.numbers.values()]
  if (c.scope === 'number' && c.boundNumberId) return all.filter((n) => n.id === c.boundNumberId)
  if (c.grantNumbers) return all.filter((n) => c.grantNumbers!.includes(n.id))
  return all
}

/** The page/pageSize envelope; validates the query as the API does. */
export function paginate<T> (items: T[], query: { page?: unknown, pageSize?: unknown }): { items: T[], total: number, page: number, pageSize: number, totalPages: number } {
  const page = query.page === undefined ? 1 : Number(query.page)
  const pageSize = query.pageSize === undefined ? 30 : Number(query.pageSize)
  if (!Number.isInteger(page) || page < 1) throw new SandboxError(400, 'VALIDATION_ERROR', 'page must be an integer ≥ 1')
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw new SandboxError(400, 'VALIDATION_ERROR', 'pageSize must be an integer from 1 to 100')
  const total = items.length
  return { items: items.slice((page - 1) * pageSize, page * pageSize), total, page, pageSize, totalPages: Math.ceil(total / pageSize) }
}

/** Parses optional startDate/endDate; INVALID_DATE_RANGE when unparsable or start > end. */
export function dateRange (query: { startDate?: unknown, endDate?: unknown }): { start: number, end: number } {
  const parse = (v: unknown, name: string, dflt: number) => {
    if (v === undefined || v === '') return dflt
    const t = Date.parse(String(v))
    if (Number.isNaN(t)) throw new SandboxError(400, 'INVALID_DATE_RANGE', `${name} is not an ISO 8601 date`)
    return t
  }
  const start = parse(query.startDate, 'startDate', -Infinity)
  const end = parse(query.endDate, 'endDate', Infinity)
  if (start > end) throw new SandboxError(400, 'INVALID_DATE_RANGE', 'startDate must not be after endDate')
  return { start, end }
}

/** E.164 check used by the sandbox's validation: optional '+', 10-15 digits. */
export function isE164 (v: string): boolean {
  return /^\+?[1-9]\d{9,14}$/.test(v)
}

export function sendError (reply: FastifyReply, err: SandboxError): FastifyReply {
  return reply.code(err.status).send({ error: err.message, code: err.code, ...err.extra })
}
