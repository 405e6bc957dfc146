// Sandbox routes for /v1/numbers (list, detail, create with QR, status, connect, delete, remote
// pairing, WhatsApp existence check) and the public /v1/remote-pairing/{token} routes. A number
// shown a QR "gets scanned" 3 status steps later (by the sandbox clock) and becomes OPEN.
import QRCode from 'qrcode'
import type { FastifyRequest } from 'fastify'
import type { SandboxDomain } from './index.js'
import {
  SandboxError, caller, isE164, numberScope, templateSendable, visibleNumbers,
  type Caller, type Provider, type SandboxNumber, type SandboxStore
} from './core.js'

/** Steps of the sandbox clock between showing a QR and the simulated scan. */
const SCAN_STEPS = 3
const CONNECT_PAGE = 'https://pilotstatus.com.br/connect/'
const REMOTE_PAIRING_TEMPLATE = 'pilot_status_remote_pairing'
const WABA_ID = '200300400500600'

interface Pairing {
  token: string
  provider: Provider
  /** The number created for a PILOT_STATUS link; null for META (onboarded through Meta's flow). */
  numberId: string | null
  metaFlow: 'embedded' | 'credentials' | null
  redirectUrl: string | null
  externalRef: string | null
  branding: Record<string, unknown> | null
  createdAt: string
}

interface NumbersState {
  /** Number id → epoch ms when its QR was shown; the simulated scan happens SCAN_STEPS later. */
  pending: Map<string, number>
  /** How many QRs each number has been shown (each QR and pairing code differs). */
  attempts: Map<string, number>
  pairings: Map<string, Pairing>
  /** When each Meta number's Graph data was last fetched (refresh=1 fetches it again). */
  metaFetchedAt: Map<string, string>
}

const invalid = (message: string) => new SandboxError(400, 'VALIDATION_ERROR', message)

function fnv1a (s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** A deterministic 8-character code in WhatsApp's "link with phone number" style, e.g. `KQZD-4821`. */
function pairingCode (seed: string): string {
  let h = fnv1a(seed)
  let letters = ''
  for (let i = 0; i < 4; i++) {
    letters += String.fromCharCode(65 + (h % 26))
    h = Math.floor(h / 26)
  }
  return `${letters}-${String(fnv1a(seed + '#') % 10000).padStart(4, '0')}`
}

/** '+551199****0001': enough to recognise the number, not to read it. */
function maskNumber (digits: string): string {
  return `+${digits.slice(0, 6)}****${digits.slice(-4)}`
}

function body (req: FastifyRequest): Record<string, unknown> {
  const b = req.body ?? {}
  if (typeof b !== 'object' || Array.isArray(b)) throw invalid('The request body must be a JSON object')
  return b as Record<string, unknown>
}

function optionalBool (b: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = b[key]
  if (v === undefined || v === null) return dflt
  if (typeof v !== 'boolean') throw invalid(`${key} must be a boolean`)
  return v
}

function requiredName (v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw invalid('name is required')
  if (v.length > 100) throw invalid('name must be at most 100 characters')
  return v.trim()
}

function requiredPhone (v: unknown): string {
  if (typeof v !== 'string' || !isE164(v)) throw invalid('number is required: E.164 with country code, at least 10 digits, e.g. +5511988887777')
  return v.replace(/^\+/, '')
}

const register: SandboxDomain = (app, store) => {
  const state = store.slice<NumbersState>('numbers', () => ({
    pending: new Map(),
    attempts: new Map(),
    pairings: new Map(),
    metaFetchedAt: new Map([...store.numbers.values()].filter((n) => n.provider === 'META').map((n) => [n.id, store.iso(-3_600_000)]))
  }))

  /** Applies simulated QR scans that are due, before any route (of any domain) reads a number. */
  const settle = () => {
    if (state.pending.size === 0) return
    const due = store.now() - SCAN_STEPS * store.statusStepMs
    for (const [id, shownAt] of state.pending) {
      const n = store.numbers.get(id)
      if (!n) { state.pending.delete(id); continue }
      if (shownAt > due) continue
      n.state = 'OPEN'
      n.isFullyConnected = true
      n.updatedAt = new Date(shownAt + SCAN_STEPS * store.statusStepMs).toISOString()
      state.pending.delete(id)
    }
  }
  app.addHook('onRequest', async () => { settle() })

  const visible = (req: FastifyRequest, id: string): SandboxNumber => {
    const n = visibleNumbers(store, caller(req)).find((x) => x.id === id)
    if (!n) throw new SandboxError(404, 'NUMBER_NOT_FOUND', `Number ${id} not found`)
    return n
  }

  const apiKeysOf = (n: SandboxNumber) => [...store.keys.values()]
    .filter((k) => k.numberId === n.id)
    .map((k) => ({ name: k.name, keyPrefix: k.key.slice(0, 8), keyLast4: k.key.slice(-4) }))

  const summary = (n: SandboxNumber) => ({
    id: n.id,
    instanceName: n.instanceName,
    number: n.number,
    name: n.name,
    provider: n.provider,
    apiKeys: apiKeysOf(n),
    state: n.state,
    isFullyConnected: n.isFullyConnected,
    createdAt: n.createdAt,
    updatedAt: n.updatedAt
  })

  const metaBlock = (n: SandboxNumber) => ({
    phone: {
      id: n.metaPhoneId,
      displayPhoneNumber: `+${n.number}`,
      verifiedName: n.name,
      nameStatus: 'APPROVED',
      codeVerificationStatus: 'VERIFIED',
      qualityRating: 'GREEN',
      messagingLimitTier: 'TIER_1K',
      platformType: 'CLOUD_API',
      throughput: { level: 'STANDARD' }
    },
    profile: { about: 'Atendimento Demo Store', description: 'Sandbox Meta Cloud API number', email: 'contato@demo.example', vertical: 'RETAIL', websites: ['https://demo.example'] },
    waba: { id: WABA_ID, name: 'Demo Store WABA', currency: 'BRL', timezoneId: '1', accountReviewStatus: 'APPROVED' },
    fetchedAt: state.metaFetchedAt.get(n.id) ?? null
  })

  const detail = (n: SandboxNumber) => {
    const meta = n.provider === 'META'
    return {
      ...summary(n),
      health: {
        qualityRating: meta ? 'GREEN' : null,
        messagingLimitTier: meta ? 'TIER_1K' : null,
        metaStatus: meta ? 'CONNECTED' : null,
        sendable: n.state === 'OPEN'
      },
      meta: meta ? metaBlock(n) : null
    }
  }

  /** Shows a new QR: the number goes CONNECTING and is "scanned" SCAN_STEPS later. */
  const showQr = async (n: SandboxNumber): Promise<{ qrcodeBase64: string, pairingCode: string }> => {
    const attempt = (state.attempts.get(n.id) ?? 0) + 1
    state.attempts.set(n.id, attempt)
    n.state = 'CONNECTING'
    n.isFullyConnected = false
    n.updatedAt = store.iso()
    state.pending.set(n.id, store.now())
    const seed = `${n.id}:${attempt}`
    const qrcodeBase64 = await QRCode.toDataURL(`2@sandbox${fnv1a(seed).toString(36)},${n.number},${n.instanceName},${attempt}`)
    return { qrcodeBase64, pairingCode: pairingCode(seed) }
  }

  const assertNewNumber = (digits: string) => {
    for (const n of store.numbers.values()) {
      if (n.number === digits) throw new SandboxError(409, 'NUMBER_ALREADY_EXISTS', `+${digits} is already registered in this account as ${n.id}`)
    }
  }

  const createNumber = (name: string, digits: string, initial: SandboxNumber['state']): SandboxNumber => {
    const id = store.id('num')
    const now = store.iso()
    const n: SandboxNumber = {
      id,
      instanceName: `inst_${id}`,
      number: digits,
      name,
      provider: 'PILOT_STATUS',
      kind: 'EVO_GO',
      state: initial,
      isFullyConnected: false,
      metaPhoneId: null,
      paid: false,
      piiMode: 'STORE_INDEFINITE',
      createdAt: now,
      updatedAt: now
    }
    store.numbers.set(id, n)
    return n
  }

  /** A number-scoped key is re-pointed to the new number; a tenant key (or OAuth token) never is. */
  const linkKey = (c: Caller, n: SandboxNumber, link: boolean): string | null => {
    if (!link || c.scope !== 'number' || !c.keyId) return null
    for (const k of store.keys.values()) {
      if (k.id === c.keyId) {
        k.numberId = n.id
        return k.id
      }
    }
    return null
  }

  const instance = (n: SandboxNumber) => ({ id: n.id, instanceName: n.instanceName, number: n.number, name: n.name, state: n.state })

  app.get('/v1/numbers', async (req) => visibleNumbers(store, caller(req)).map(summary))

  app.post('/v1/numbers', async (req, reply) => {
    const c = caller(req)
    const b = body(req)
    const name = requiredName(b.name)
    const digits = requiredPhone(b.number)
    const link = optionalBool(b, 'linkToApiKey', true)
    assertNewNumber(digits)
    const n = createNumber(name, digits, 'CONNECTING')
    const linkedApiKeyId = linkKey(c, n, link)
    const qr = await showQr(n)
    reply.code(201)
    return { instance: instance(n), ...qr, linkedApiKeyId }
  })

  app.get('/v1/numbers/:id', async (req: FastifyRequest<{ Params: { id: string }, Querystring: { refresh?: string } }>) => {
    const n = visible(req, req.params.id)
    const refresh = req.query.refresh
    if (refresh !== undefined && refresh !== '0' && refresh !== 'false' && n.provider === 'META') state.metaFetchedAt.set(n.id, store.iso())
    return detail(n)
  })

  app.get('/v1/numbers/:id/status', async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const n = visible(req, req.params.id)
    return { id: n.id, state: n.state, isFullyConnected: n.isFullyConnected }
  })

  app.get('/v1/numbers/:id/connect', async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const n = visible(req, req.params.id)
    if (n.provider === 'META') throw new SandboxError(400, 'NOT_SUPPORTED_FOR_META', 'Meta Cloud API numbers do not pair by QR code')
    if (n.state === 'OPEN') throw new SandboxError(409, 'ALREADY_CONNECTED', `Number ${n.id} is already connected`)
    const qr = await showQr(n)
    return { id: n.id, state: n.state, ...qr }
  })

  app.delete('/v1/numbers/:id', async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const n = visible(req, req.params.id)
    store.numbers.delete(n.id)
    // Removing a number removes what hangs off it: its templates, its keys, pending pairings.
    for (const [id, t] of store.templates) if (t.numberId === n.id) store.templates.delete(id)
    for (const [raw, k] of store.keys) if (k.numberId === n.id) store.keys.delete(raw)
    for (const [token, p] of state.pairings) if (p.numberId === n.id) state.pairings.delete(token)
    state.pending.delete(n.id)
    state.attempts.delete(n.id)
    return { ok: true }
  })

  app.post('/v1/numbers/remote-pairing', async (req, reply) => {
    const c = caller(req)
    const b = body(req)
    const provider = (b.provider ?? 'PILOT_STATUS') as Provider
    if (provider !== 'PILOT_STATUS' && provider !== 'META') throw invalid('provider must be PILOT_STATUS or META')
    const link = optionalBool(b, 'linkToApiKey', true)
    const send = optionalBool(b, 'sendViaWhatsApp', false)
    if (b.branding !== undefined && b.branding !== null && (typeof b.branding !== 'object' || Array.isArray(b.branding))) throw invalid('branding must be an object')
    if (b.metaFlow !== undefined && b.metaFlow !== 'embedded' && b.metaFlow !== 'credentials') throw invalid('metaFlow must be embedded or credentials')
    if (b.redirectUrl !== undefined && (typeof b.redirectUrl !== 'string' || !/^https?:\/\/\S+$/.test(b.redirectUrl))) throw invalid('redirectUrl must be an http(s) URL')
    if (b.externalRef !== undefined && (typeof b.externalRef !== 'string' || b.externalRef.length > 200)) throw invalid('externalRef must be a string of at most 200 characters')

    let n: SandboxNumber | null = null
    if (provider === 'PILOT_STATUS') {
      const name = requiredName(b.name)
      const digits = requiredPhone(b.number)
      assertNewNumber(digits)
      n = createNumber(name, digits, 'CLOSE')
      linkKey(c, n, link)
    }
    const token = store.id('rp')
    state.pairings.set(token, {
      token,
      provider,
      numberId: n?.id ?? null,
      metaFlow: provider === 'META' ? (b.metaFlow as Pairing['metaFlow']) ?? 'embedded' : null,
      redirectUrl: provider === 'META' ? (b.redirectUrl as string | undefined) ?? null : null,
      externalRef: provider === 'META' ? (b.externalRef as string | undefined) ?? null : null,
      branding: (b.branding as Record<string, unknown> | undefined) ?? null,
      createdAt: store.iso()
    })

    let messageError: string | undefined
    if (send) {
      // The link goes out as the OTP template from one of the caller's connected numbers.
      const sender = n && visibleNumbers(store, c).find((x) => x.state === 'OPEN' && [...store.templates.values()].some((t) =>
        t.numberId === x.id && t.name === REMOTE_PAIRING_TEMPLATE && t.category === 'OTP' && templateSendable(t)))
      if (!n) messageError = 'sendViaWhatsApp needs a PILOT_STATUS number to message; META links are not sent'
      else if (!sender) messageError = `No connected number has a sendable OTP template named ${REMOTE_PAIRING_TEMPLATE}`
    }
    reply.code(201)
    return {
      instance: n ? instance(n) : null,
      remotePairingToken: token,
      remotePairingUrl: CONNECT_PAGE + token,
      maskedNumber: n ? maskNumber(n.number) : null,
      messageSent: send && messageError === undefined,
      ...(messageError ? { messageError } : {})
    }
  })

  app.post('/v1/numbers/check', async (req) => {
    const n = numberScope(store, req)
    if (n.provider === 'META') throw new SandboxError(400, 'NOT_SUPPORTED_FOR_META', 'Number checks are available only on Pilot Status (QR) numbers')
    if (n.state !== 'OPEN') throw new SandboxError(409, 'WHATSAPP_INSTANCE_NOT_CONNECTED', `Number ${n.id} is not connected to WhatsApp (state ${n.state})`)
    const b = body(req)
    const hasList = b.numbers !== undefined
    const hasOne = b.number !== undefined
    if (hasList === hasOne) throw invalid('Send exactly one of numbers (array) or number (string)')
    const inputs = hasList ? b.numbers : [b.number]
    if (!Array.isArray(inputs) || inputs.length < 1 || inputs.length > 20) throw invalid('numbers must be an array of 1 to 20 phone numbers')
    if (inputs.some((x) => typeof x !== 'string' || x.trim() === '')) throw invalid('every number must be a non-empty string')
    return { results: (inputs as string[]).map((input) => checkOne(store, n, input)) }
  })

  // Public routes behind the hosted /connect/<token> page: no API key (see index.ts PUBLIC_PREFIXES).
  const pairingOr = (token: string, status: number): { p: Pairing, n: SandboxNumber | null } => {
    const p = state.pairings.get(token)
    const n = p?.numberId ? store.numbers.get(p.numberId) ?? null : null
    if (!p || (p.numberId && !n)) throw new SandboxError(status, 'INVALID_PAIRING_TOKEN', 'This pairing link is invalid, expired or already used')
    return { p, n }
  }

  app.get('/v1/remote-pairing/:token', async (req: FastifyRequest<{ Params: { token: string } }>) => {
    const { p, n } = pairingOr(req.params.token, 404)
    return { valid: true, provider: p.provider, name: n?.name ?? null, number: n?.number ?? null, state: n?.state ?? 'CLOSE', branding: p.branding }
  })

  app.post('/v1/remote-pairing/:token/connect', async (req: FastifyRequest<{ Params: { token: string } }>) => {
    const { n } = pairingOr(req.params.token, 400)
    if (!n) throw new SandboxError(400, 'NOT_SUPPORTED_FOR_META', 'Meta links are completed through Meta\'s signup flow, not a QR code')
    if (n.state === 'OPEN') throw new SandboxError(409, 'ALREADY_CONNECTED', 'This number is already connected')
    return showQr(n)
  })

  app.get('/v1/remote-pairing/:token/status', async (req: FastifyRequest<{ Params: { token: string } }>) => {
    const { n } = pairingOr(req.params.token, 400)
    const s = n?.state ?? 'CLOSE'
    // Single use: once connected the token is cleared.
    if (s === 'OPEN') state.pairings.delete(req.params.token)
    return { state: s, isFullyConnected: n?.isFullyConnected ?? false }
  })
}

/**
 * Deterministic WhatsApp existence: the account's own numbers and the checking number's contacts
 * (its direct conversations; another number's chats are not its business) exist with their
 * names; numbers ending in 0000 do not; other plausible numbers exist without a name. Brazilian
 * mobiles are tried with and without the 9th digit.
 */
function checkOne (store: SandboxStore, self: SandboxNumber, input: string): { input: string, exists: boolean, number: string | null, name: string | null } {
  const digits = input.replace(/\D/g, '')
  const none = { input, exists: false, number: null, name: null }
  if (digits.length < 10 || digits.length > 15) return none
  const candidates = [digits]
  if (digits.startsWith('55') && digits.length === 12 && /[6-9]/.test(digits[4])) candidates.unshift(`${digits.slice(0, 4)}9${digits.slice(4)}`)
  if (digits.startsWith('55') && digits.length === 13 && digits[4] === '9') candidates.push(digits.slice(0, 4) + digits.slice(5))
  const known = new Map<string, string | null>()
  for (const n of store.numbers.values()) known.set(n.number, n.name)
  for (const conv of store.conversations.values()) {
    if (conv.numberId === self.id && conv.type === 'DIRECT' && conv.from) known.set(conv.from.replace(/\D/g, ''), conv.fromName)
  }
  for (const c of candidates) if (known.has(c)) return { input, exists: true, number: c, name: known.get(c) ?? null }
  if (digits.endsWith('0000')) return none
  return { input, exists: true, number: candidates[0], name: null }
}

export default register
