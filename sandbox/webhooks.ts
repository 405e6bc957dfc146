// Sandbox routes for /v1/webhooks (pilot-status-api.md §2.10): webhooks bound to one number, the
// scope rules for number vs tenant keys, event-name validation and a seeded delivery log.
import type { FastifyRequest } from 'fastify'
import type { SandboxDomain } from './index.js'
import { SANDBOX_NUMBERS, SANDBOX_TENANT, SandboxError, caller, type Caller, type SandboxNumber, type SandboxStore } from './core.js'

/** Event names documented in §3 (Webhooks); `*` subscribes to all. */
export const WEBHOOK_EVENTS = [
  'message.sent', 'message.delivered', 'message.read', 'message.failed',
  'message.received', 'message.reply', 'message.group', 'message.newsletter',
  'number.created', 'number.connected', 'number.disconnected', 'number.removed', 'number.recovered',
  'number.health_blocked', 'number.health_degraded', 'number.health_shadowban',
  'call.ringing', 'call.connected', 'call.ended', 'call.missed', 'call.permission_updated', 'calls'
] as const
const KNOWN_EVENTS = new Set<string>(['*', ...WEBHOOK_EVENTS])

export interface WebhookLog {
  event: string
  status: 'SUCCESS' | 'FAILED'
  statusCode: number | null
  payload: Record<string, unknown>
  response: string | null
  durationMs: number
  createdAt: string
}

interface Webhook {
  id: string
  tenantId: string
  name: string
  url: string
  active: boolean
  events: string[]
  numberId: string
  /** Kept to look real; never serialised (the API never returns the signing secret). */
  secret: string
  createdAt: string
  updatedAt: string
  /** Newest first. */
  logs: WebhookLog[]
}

interface WebhookState { byId: Map<string, Webhook> }

const state = (store: SandboxStore) => store.slice<WebhookState>('webhooks', () => ({ byId: new Map() }))

/** Events a number's provider cannot emit; they are dropped silently as the API does. */
function supported (n: SandboxNumber, event: string): boolean {
  if (event === 'calls') return n.kind === 'META' // the raw Meta calling envelope
  if (event.startsWith('call.')) return n.kind === 'META' || n.kind === 'EVO_GO'
  if (event === 'message.newsletter') return n.kind !== 'META' // channels are not on the Cloud API
  return true
}

function parseEvents (raw: unknown, n: SandboxNumber): string[] {
  if (!Array.isArray(raw) || raw.some((e) => typeof e !== 'string')) {
    throw new SandboxError(400, 'VALIDATION_ERROR', 'events must be an array of event names')
  }
  const unknown = raw.filter((e) => !KNOWN_EVENTS.has(e))
  if (unknown.length > 0) {
    throw new SandboxError(400, 'VALIDATION_ERROR', `Unknown webhook event(s): ${unknown.join(', ')}. Valid: "*", ${WEBHOOK_EVENTS.join(', ')}`)
  }
  return [...new Set(raw as string[])].filter((e) => supported(n, e))
}

function parseUrl (raw: unknown): string {
  let ok = false
  if (typeof raw === 'string') {
    try {
      const u = new URL(raw)
      ok = u.protocol === 'https:' || u.protocol === 'http:'
    } catch { /* reported below */ }
  }
  if (!ok) throw new SandboxError(400, 'VALIDATION_ERROR', 'url must be an absolute http(s) URL')
  return raw as string
}

function parseName (raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '' || raw.length > 100) throw new SandboxError(400, 'VALIDATION_ERROR', 'name must be a non-empty string of at most 100 characters')
  return raw.trim()
}

function bodyOf (req: FastifyRequest): Record<string, unknown> {
  const b = req.body
  if (b === undefined || b === null) return {}
  if (typeof b !== 'object' || Array.isArray(b)) throw new SandboxError(400, 'VALIDATION_ERROR', 'Body must be a JSON object')
  return b as Record<string, unknown>
}

function headerNumber (req: FastifyRequest): string | undefined {
  const h = req.headers['x-whatsapp-number-id']
  return typeof h === 'string' && h !== '' ? h : undefined
}

function checkGrant (c: Caller, numberId: string): void {
  if (c.grantNumbers && !c.grantNumbers.includes(numberId)) throw new SandboxError(403, 'NUMBER_NOT_GRANTED', `The OAuth grant does not include number ${numberId}`)
}

/**
 * The number a request is limited to: a number key's own number; for a tenant key the body's
 * `whatsappNumberId` or the header; undefined when a tenant key names none.
 */
function scopedNumber (store: SandboxStore, req: FastifyRequest, c: Caller, bodyNumber?: unknown): SandboxNumber | undefined {
  if (bodyNumber !== undefined && (typeof bodyNumber !== 'string' || bodyNumber === '')) {
    throw new SandboxError(400, 'VALIDATION_ERROR', 'whatsappNumberId must be a non-empty string')
  }
  if (c.scope === 'number' && c.boundNumberId) {
    if (bodyNumber !== undefined && bodyNumber !== c.boundNumberId) {
      throw new SandboxError(400, 'NUMBER_MISMATCH', `whatsappNumberId ${String(bodyNumber)} is not the number this key is bound to (${c.boundNumberId})`)
    }
    return store.numberOrThrow(c.boundNumberId, c.tenantId)
  }
  const header = headerNumber(req)
  if (bodyNumber !== undefined && header !== undefined && bodyNumber !== header) {
    throw new SandboxError(400, 'NUMBER_MISMATCH', 'whatsappNumberId in the body differs from the x-whatsapp-number-id header')
  }
  const picked = (bodyNumber as string | undefined) ?? header
  if (picked === undefined) return undefined
  const n = store.numberOrThrow(picked, c.tenantId)
  checkGrant(c, n.id)
  return n
}

/** A webhook within the caller's scope, or 404 WEBHOOK_NOT_FOUND (others' webhooks are not revealed). */
function webhookInScope (store: SandboxStore, req: FastifyRequest, id: string): { hook: Webhook, number: SandboxNumber } {
  const c = caller(req)
  const hook = state(store).byId.get(id)
  const number = hook ? store.numbers.get(hook.numberId) : undefined
  const scoped = scopedNumber(store, req, c)
  const visible = hook !== undefined && number !== undefined && hook.tenantId === c.tenantId &&
    (scoped === undefined || scoped.id === hook.numberId) &&
    (!c.grantNumbers || c.grantNumbers.includes(hook.numberId))
  if (!visible) throw new SandboxError(404, 'WEBHOOK_NOT_FOUND', `Webhook ${id} not found`)
  return { hook: hook!, number: number! }
}

function serialise (store: SandboxStore, h: Webhook, n: SandboxNumber) {
  const apiKeys = [...store.keys.values()]
    .filter((k) => k.scope === 'number' && k.numberId === h.numberId)
    .map((k) => ({ id: k.id, name: k.name }))
  return {
    id: h.id,
    tenantId: h.tenantId,
    name: h.name,
    url: h.url,
    environment: 'LIVE',
    active: h.active,
    events: [...h.events],
    apiKeys,
    lastTriggered: h.logs[0]?.createdAt ?? null,
    whatsappNumberIds: [h.numberId],
    whatsappInstanceIds: [n.instanceName],
    createdAt: h.createdAt,
    updatedAt: h.updatedAt
  }
}

function seed (store: SandboxStore): void {
  const s = state(store)
  const hour = 3_600_000
  const created = store.iso(-20 * 24 * hour)
  const demoPhone = '+5511999990001'
  const inbound = (id: string, from: string, name: string, text: string, at: string) => ({
    event: 'message.received',
    data: { id, messageId: `3EB0${id.slice(-6).toUpperCase()}A1B2C3`, numberId: SANDBOX_NUMBERS.demo, from, to: demoPhone, type: 'text', fromMe: false, content: text, participantName: name, createdAt: at }
  })
  const outbound = (event: string, id: string, to: string, status: string, at: string) => ({
    event,
    data: { id: `3EB0${id.slice(-6).toUpperCase()}D4E5F6`, messageId: `3EB0${id.slice(-6).toUpperCase()}D4E5F6`, internalMessageId: id, numberId: SANDBOX_NUMBERS.demo, to, status, createdAt: at }
  })
  // [minutes ago, payload builder, delivery outcome]; the two failures are one event retried.
  const history: Array<[number, (at: string) => Record<string, unknown>, 'ok' | 'fail']> = [
    [5, (at) => outbound('message.read', 'msg_whk000101', '+5511987650001', 'READ', at), 'ok'],
    [7, (at) => outbound('message.delivered', 'msg_whk000101', '+5511987650001', 'DELIVERED', at), 'ok'],
    [8, (at) => outbound('message.sent', 'msg_whk000101', '+5511987650001', 'SENT', at), 'ok'],
    [12, (at) => inbound('msg_whk000100', '+5511987650001', 'Maria Silva', 'Olá! Meu pedido #1042 já foi enviado?', at), 'ok'],
    [95, (at) => inbound('msg_whk000099', '+5521976540002', 'João Pereira', 'Vocês entregam em Niterói?', at), 'fail'],
    [96, (at) => inbound('msg_whk000099', '+5521976540002', 'João Pereira', 'Vocês entregam em Niterói?', at), 'fail'],
    [180, (at) => outbound('message.failed', 'msg_whk000098', '+5531965430003', 'FAILED', at), 'ok'],
    [181, (at) => outbound('message.sent', 'msg_whk000097', '+5511987650001', 'SENT', at), 'ok'],
    [26 * 60, (at) => inbound('msg_whk000096', '+5511987650001', 'Maria Silva', 'Obrigada, recebi!', at), 'ok'],
    [27 * 60, (at) => outbound('message.delivered', 'msg_whk000095', '+5511987650001', 'DELIVERED', at), 'ok']
  ]
  const logs: WebhookLog[] = history.map(([minutes, build, outcome], i) => {
    const at = store.iso(-minutes * 60_000)
    const payload = build(at)
    return {
      event: payload.event as string,
      status: outcome === 'ok' ? 'SUCCESS' : 'FAILED',
      statusCode: outcome === 'ok' ? 200 : 500,
      payload,
      response: outcome === 'ok' ? '{"received":true}' : '{"error":"Internal Server Error"}',
      durationMs: outcome === 'ok' ? 80 + ((i * 37) % 140) : 1200 + i * 13,
      createdAt: at
    }
  })
  s.byId.set('wh_demo_orders', {
    id: 'wh_demo_orders',
    tenantId: SANDBOX_TENANT,
    name: 'Order bot',
    url: 'https://hooks.demo-store.example/whatsapp',
    active: true,
    events: ['message.received', 'message.sent', 'message.delivered', 'message.read', 'message.failed'],
    numberId: SANDBOX_NUMBERS.demo,
    secret: 'whsec_sandbox_demo_orders',
    createdAt: created,
    updatedAt: created,
    logs
  })
  s.byId.set('wh_meta_all', {
    id: 'wh_meta_all',
    tenantId: SANDBOX_TENANT,
    name: 'CRM sync (paused)',
    url: 'https://crm.demo-store.example/hooks/pilot-status',
    active: false,
    events: ['*'],
    numberId: SANDBOX_NUMBERS.meta,
    secret: 'whsec_sandbox_meta_all',
    createdAt: created,
    updatedAt: store.iso(-2 * 24 * hour),
    logs: []
  })
}

const register: SandboxDomain = (app, store) => {
  seed(store)
  const hooks = state(store).byId

  app.get('/v1/webhooks', async (req) => {
    const c = caller(req)
    const scoped = scopedNumber(store, req, c)
    const out = []
    for (const h of hooks.values()) {
      const n = store.numbers.get(h.numberId)
      if (!n || h.tenantId !== c.tenantId) continue
      if (scoped && scoped.id !== h.numberId) continue
      if (c.grantNumbers && !c.grantNumbers.includes(h.numberId)) continue
      out.push(serialise(store, h, n))
    }
    return out
  })

  app.post('/v1/webhooks', async (req, reply) => {
    const c = caller(req)
    const body = bodyOf(req)
    const url = parseUrl(body.url)
    const n = scopedNumber(store, req, c, body.whatsappNumberId)
    if (!n) throw new SandboxError(400, 'NUMBER_REQUIRED', 'A tenant key must say which number the webhook is for: whatsappNumberId in the body or the x-whatsapp-number-id header')
    const events = body.events === undefined ? [] : parseEvents(body.events, n)
    const name = body.name === undefined ? new URL(url).host : parseName(body.name)
    const now = store.iso()
    const id = store.id('wh')
    const hook: Webhook = { id, tenantId: c.tenantId, name, url, active: true, events, numberId: n.id, secret: `whsec_${id}`, createdAt: now, updatedAt: now, logs: [] }
    hooks.set(id, hook)
    reply.code(201)
    return serialise(store, hook, n)
  })

  app.get<{ Params: { id: string } }>('/v1/webhooks/:id', async (req) => {
    const { hook, number } = webhookInScope(store, req, req.params.id)
    return serialise(store, hook, number)
  })

  app.patch<{ Params: { id: string } }>('/v1/webhooks/:id', async (req) => {
    const { hook, number } = webhookInScope(store, req, req.params.id)
    const body = bodyOf(req)
    const allowed = new Set(['name', 'url', 'active', 'events', 'whatsappNumberId'])
    const extra = Object.keys(body).filter((k) => !allowed.has(k))
    if (extra.length > 0) throw new SandboxError(400, 'VALIDATION_ERROR', `Unknown field(s): ${extra.join(', ')}`)
    if (body.whatsappNumberId !== undefined && body.whatsappNumberId !== hook.numberId) {
      throw new SandboxError(400, 'VALIDATION_ERROR', 'A webhook\'s number cannot change; delete it and create one on the other number')
    }
    if (body.active !== undefined && typeof body.active !== 'boolean') throw new SandboxError(400, 'VALIDATION_ERROR', 'active must be a boolean')
    // Validate everything before changing anything.
    const next = {
      name: body.name === undefined ? hook.name : parseName(body.name),
      url: body.url === undefined ? hook.url : parseUrl(body.url),
      active: body.active === undefined ? hook.active : body.active as boolean,
      events: body.events === undefined ? hook.events : parseEvents(body.events, number)
    }
    Object.assign(hook, next, { updatedAt: store.iso() })
    return serialise(store, hook, number)
  })

  app.delete<{ Params: { id: string } }>('/v1/webhooks/:id', async (req) => {
    const { hook } = webhookInScope(store, req, req.params.id)
    hooks.delete(hook.id)
    return { success: true, id: hook.id }
  })

  app.get<{ Params: { id: string }, Querystring: { limit?: string, event?: string } }>('/v1/webhooks/:id/logs', async (req) => {
    const { hook } = webhookInScope(store, req, req.params.id)
    const limit = req.query.limit === undefined ? 50 : Number(req.query.limit)
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new SandboxError(400, 'VALIDATION_ERROR', 'limit must be an integer from 1 to 50')
    const event = req.query.event
    return hook.logs.filter((l) => event === undefined || event === '' || l.event === event).slice(0, limit)
  })
}

export default register
