// Sandbox routes for the account endpoints: API keys (§2.11), branding (§2.12), subscription and
// billing (§2.13), the analytics dashboard (§2.8) and Meta media download (§2.9).
import { randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { SandboxDomain } from './index.js'
import { SANDBOX_MEDIA, SANDBOX_NUMBERS, SandboxError, numberScope, tenantScope, type SandboxStore } from './core.js'

/** Price of one extra number on On Demand (the docs' example value). */
export const UNIT_PRICE_BRL = 49.9
/**
 * Numbers the sandbox tenant may hold without paid extras. Not documented; 3 so the seeded
 * tenant (3 numbers, Free plan) is within its allowance. Allowance = this + paidExtraNumbers.
 */
export const INCLUDED_NUMBERS = 3

/** How many numbers the tenant may hold now (numbers.ts may use it to refuse creating more). */
export function numberAllowance (store: SandboxStore): number {
  return INCLUDED_NUMBERS + store.tenant.paidExtraNumbers
}

// Real, tiny files for SANDBOX_MEDIA: a 16×16 PNG, a half-second silent Ogg/Opus voice note, a one-page PDF.
const MEDIA_BYTES: Record<string, string> = {
  [SANDBOX_MEDIA.image.id]: 'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAQUlEQVR42mNQvZxGEmIY1UATDf/BgKA6uBoGOB+PNmQpBjQJTG1oIgxYzYMrwtTPQIy7idKAy0sMJKnG6Qc87gQA93B4AEipY2cAAAAASUVORK5CYII=',
  [SANDBOX_MEDIA.audio.id]: 'T2dnUwACAAAAAAAAAABCRFNQAAAAAKPkGhoBE09wdXNIZWFkAQE4AYC7AAAAAABPZ2dTAAAAAAAAAAAAAEJEU1ABAAAAPtt3dQE4T3B1c1RhZ3MUAAAAcGlsb3Qtc3RhdHVzIHNhbmRib3gBAAAAEAAAAFRJVExFPVZvaWNlIG5vdGVPZ2dTAAT4XgAAAAAAAEJEU1ACAAAA3gFeFxkDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMD+P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/++P/+',
  [SANDBOX_MEDIA.document.id]: 'JVBERi0xLjQKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4KZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAgMCA2MTIgNzkyXSAvUmVzb3VyY2VzIDw8IC9Gb250IDw8IC9GMSA1IDAgUiA+PiA+PiAvQ29udGVudHMgNCAwIFIgPj4KZW5kb2JqCjQgMCBvYmoKPDwgL0xlbmd0aCAxNzUgPj4Kc3RyZWFtCkJUIC9GMSAxOCBUZiA3MiA3MjAgVGQgKERlbW8gU3RvcmUgLSBJbnZvaWNlICMxMDQyKSBUaiAwIC0yOCBUZCAvRjEgMTIgVGYgKDF4IFdpcmVsZXNzIGVhcmJ1ZHMgLi4uLi4uLi4gUiQgMTQ5LDkwKSBUaiAwIC0xOCBUZCAoVG90YWwgLi4uLi4uLi4uLi4uLi4uLi4uLi4uLi4uIFIkIDE0OSw5MCkgVGogRVQKZW5kc3RyZWFtCmVuZG9iago1IDAgb2JqCjw8IC9UeXBlIC9Gb250IC9TdWJ0eXBlIC9UeXBlMSAvQmFzZUZvbnQgL0hlbHZldGljYSA+PgplbmRvYmoKeHJlZgowIDYKMDAwMDAwMDAwMCA2NTUzNSBmIAowMDAwMDAwMDA5IDAwMDAwIG4gCjAwMDAwMDAwNTggMDAwMDAgbiAKMDAwMDAwMDExNSAwMDAwMCBuIAowMDAwMDAwMjQxIDAwMDAwIG4gCjAwMDAwMDA0NjcgMDAwMDAgbiAKdHJhaWxlcgo8PCAvU2l6ZSA2IC9Sb290IDEgMCBSID4+CnN0YXJ0eHJlZgo1MzcKJSVFT0YK'
}

interface Branding {
  logoUrl: string | null
  primaryColor: string | null
  backgroundColor: string | null
  companyName: string | null
  subtitle: string | null
  supportUrl: string | null
  defaultRedirectUrl: string | null
  hidePilotStatusBranding: boolean
}

type FieldRule = (v: unknown, field: string) => unknown
const isHttpsUrl = (v: string) => {
  try { return new URL(v).protocol === 'https:' } catch { return false }
}
const httpsUrl: FieldRule = (v, f) => {
  if (typeof v !== 'string' || !isHttpsUrl(v)) throw new SandboxError(400, 'VALIDATION_ERROR', `${f} must be an https URL`)
  return v
}
const colour: FieldRule = (v, f) => {
  if (typeof v !== 'string' || !/^#[0-9A-Fa-f]{6}$/.test(v)) throw new SandboxError(400, 'VALIDATION_ERROR', `${f} must be a #RRGGBB colour`)
  return v
}
const text = (max: number): FieldRule => (v, f) => {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) throw new SandboxError(400, 'VALIDATION_ERROR', `${f} must be a non-empty string of at most ${max} characters`)
  return v
}
const BRANDING_RULES: Record<keyof Branding, FieldRule> = {
  logoUrl: httpsUrl,
  primaryColor: colour,
  backgroundColor: colour,
  companyName: text(60),
  subtitle: text(120),
  supportUrl: httpsUrl,
  defaultRedirectUrl: httpsUrl,
  hidePilotStatusBranding: (v, f) => {
    if (typeof v !== 'boolean') throw new SandboxError(400, 'VALIDATION_ERROR', `${f} must be a boolean`)
    return v
  }
}

function bodyOf (req: FastifyRequest): Record<string, unknown> {
  const b = req.body
  if (b === undefined || b === null) return {}
  if (typeof b !== 'object' || Array.isArray(b)) throw new SandboxError(400, 'VALIDATION_ERROR', 'Body must be a JSON object')
  return b as Record<string, unknown>
}

function quantityOf (v: unknown): number {
  if (v === undefined || v === '') return 1
  const q = typeof v === 'string' ? Number(v) : v
  if (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > 100) throw new SandboxError(400, 'VALIDATION_ERROR', 'quantity must be an integer from 1 to 100')
  return q
}

const money = (n: number) => Math.round(n * 100) / 100
const brl = (n: number) => `R$ ${n.toFixed(2).replace('.', ',')}`

function preview (store: SandboxStore, quantity: number) {
  const t = store.tenant
  const converting = t.plan === 'FREE'
  const billed = t.paidExtraNumbers + quantity
  const total = money(billed * UNIT_PRICE_BRL)
  const currentNumbers = store.numbers.size
  return {
    requiresConversion: converting,
    fromPlan: t.plan,
    toPlan: 'ON_DEMAND',
    currentNumbers,
    requested: quantity,
    billedQuantity: billed,
    unitPriceBRL: UNIT_PRICE_BRL,
    monthlyTotalBRL: total,
    messagesBecomeUnlimited: converting,
    hasSavedCard: t.hasSavedCard,
    explanation: converting
      ? {
          en: `Adding ${quantity} number(s) moves the account from Free to On Demand: ${billed} paid number(s) at ${brl(UNIT_PRICE_BRL)}/month each, ${brl(total)}/month in total, and messages become unlimited (Free allows 200 per number).`,
          pt: `Adicionar ${quantity} número(s) muda a conta do plano Free para On Demand: ${billed} número(s) pago(s) a ${brl(UNIT_PRICE_BRL)}/mês cada, ${brl(total)}/mês no total, e as mensagens passam a ser ilimitadas (o Free permite 200 por número).`
        }
      : {
          en: `Adding ${quantity} number(s) brings the subscription to ${billed} paid number(s) at ${brl(UNIT_PRICE_BRL)}/month each, ${brl(total)}/month in total.`,
          pt: `Adicionar ${quantity} número(s) leva a assinatura a ${billed} número(s) pago(s) a ${brl(UNIT_PRICE_BRL)}/mês cada, ${brl(total)}/mês no total.`
        }
  }
}

function checkoutUrl (store: SandboxStore): string {
  return `https://checkout.stripe.com/c/pay/cs_test_${store.id('cs').slice(3)}`
}

const PERIOD_DAYS: Record<string, number> = { '7d': 7, '30d': 30, '90d': 90 }

function dayFormatter (tz: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' })
  } catch {
    throw new SandboxError(400, 'VALIDATION_ERROR', `Unknown time zone ${tz}; use an IANA name such as America/Sao_Paulo`)
  }
}

/** Calendar days (YYYY-MM-DD) ending today in the time zone, oldest first. */
function lastDays (today: string, count: number, skip = 0): string[] {
  const base = Date.parse(`${today}T00:00:00Z`)
  const out: string[] = []
  for (let i = skip + count - 1; i >= skip; i--) out.push(new Date(base - i * 86_400_000).toISOString().slice(0, 10))
  return out
}

/** Change from the previous period, in percent with one decimal; 100 when growing from zero. */
function percentChange (current: number, previous: number): number {
  if (previous === 0) return current > 0 ? 100 : 0
  return Math.round(((current - previous) / previous) * 1000) / 10
}

const register: SandboxDomain = (app, store) => {
  const branding = store.slice<Branding>('branding', () => ({
    logoUrl: null,
    primaryColor: '#25D366',
    backgroundColor: null,
    companyName: 'Demo Store',
    subtitle: null,
    supportUrl: 'https://demo-store.example/help',
    defaultRedirectUrl: null,
    hidePilotStatusBranding: false
  }))

  // ---- API keys ----
  app.get('/v1/api-keys', async (req) => {
    tenantScope(req)
    return [...store.numbers.values()].map((n) => {
      const k = [...store.keys.values()].find((x) => x.scope === 'number' && x.numberId === n.id)
      return {
        numberId: n.id,
        number: n.number,
        displayName: n.name,
        keyId: k?.id ?? null,
        keyLast4: k ? k.key.slice(-4) : null,
        key: k?.key ?? null,
        // Every sandbox key is stored recoverably; legacy hashed keys would be false.
        revealable: k !== undefined
      }
    })
  })

  app.post('/v1/api-keys', async (req, reply) => {
    const c = tenantScope(req)
    const { whatsappNumberId } = bodyOf(req)
    if (typeof whatsappNumberId !== 'string' || whatsappNumberId === '') throw new SandboxError(400, 'VALIDATION_ERROR', 'whatsappNumberId is required')
    const n = store.numberOrThrow(whatsappNumberId, c.tenantId)
    let name = 'Default'
    for (const [raw, k] of store.keys) {
      if (k.scope === 'number' && k.numberId === n.id) {
        name = k.name
        store.keys.delete(raw) // the old key stops working now
      }
    }
    const key = `ps_sandbox_${randomBytes(16).toString('hex')}`
    const rec = { id: store.id('key'), key, name, scope: 'number' as const, numberId: n.id, tenantId: c.tenantId, createdAt: store.iso() }
    store.keys.set(key, rec)
    reply.code(201)
    return { id: rec.id, name, key, keyPrefix: key.slice(0, 11), keyLast4: key.slice(-4), scope: 'number', whatsappNumberId: n.id, createdAt: rec.createdAt }
  })

  // ---- Branding ----
  app.get('/v1/branding', async (req) => {
    tenantScope(req)
    return { branding: { ...branding } }
  })

  app.put('/v1/branding', async (req) => {
    tenantScope(req)
    const body = bodyOf(req)
    const unknown = Object.keys(body).filter((k) => !(k in BRANDING_RULES))
    if (unknown.length > 0) throw new SandboxError(400, 'VALIDATION_ERROR', `Unknown branding field(s): ${unknown.join(', ')}`)
    const next: Record<string, unknown> = {}
    for (const [field, value] of Object.entries(body)) {
      if (value === undefined) continue
      if (value === null) next[field] = field === 'hidePilotStatusBranding' ? false : null
      else next[field] = BRANDING_RULES[field as keyof Branding](value, field)
    }
    Object.assign(branding, next)
    return { branding: { ...branding } }
  })

  // ---- Subscription and billing ----
  app.get<{ Querystring: { quantity?: string } }>('/v1/subscription/extra-numbers', async (req) => {
    tenantScope(req)
    return preview(store, quantityOf(req.query.quantity))
  })

  app.post('/v1/subscription/extra-numbers', async (req) => {
    tenantScope(req)
    const body = bodyOf(req)
    const quantity = quantityOf(body.quantity)
    if (body.confirm !== undefined && typeof body.confirm !== 'boolean') throw new SandboxError(400, 'VALIDATION_ERROR', 'confirm must be a boolean')
    const t = store.tenant
    if (t.plan === 'FREE' && body.confirm !== true) {
      throw new SandboxError(409, 'CONFIRMATION_REQUIRED', 'This converts the account from Free to On Demand and starts a monthly charge; call again with confirm: true after the user agrees', { preview: preview(store, quantity) })
    }
    t.plan = 'ON_DEMAND'
    t.paidExtraNumbers += quantity
    if (!t.hasSavedCard) {
      // No card to charge: the API hands back a Stripe checkout. The sandbox has no one to pay it,
      // so it counts the checkout as completed (the slots are added and the card is saved).
      t.hasSavedCard = true
      return { success: true, charged: false, checkoutUrl: checkoutUrl(store) }
    }
    return { success: true, charged: true, plan: t.plan, paidExtraNumbers: t.paidExtraNumbers, monthlyTotalBRL: money(t.paidExtraNumbers * UNIT_PRICE_BRL) }
  })

  app.delete('/v1/subscription/extra-numbers', async (req) => {
    tenantScope(req)
    const quantity = quantityOf(bodyOf(req).quantity)
    const t = store.tenant
    if (quantity > t.paidExtraNumbers) {
      throw new SandboxError(400, 'VALIDATION_ERROR', `quantity ${quantity} exceeds the ${t.paidExtraNumbers} paid extra number(s) on the subscription`)
    }
    const inUse = store.numbers.size
    const remaining = INCLUDED_NUMBERS + t.paidExtraNumbers - quantity
    if (remaining < inUse) {
      throw new SandboxError(409, 'NUMBER_LIMIT_EXCEEDED', `Removing ${quantity} would leave room for ${remaining} number(s) but ${inUse} are in use; delete numbers first`)
    }
    t.paidExtraNumbers -= quantity
    // No refund for the current cycle: nothing is charged or credited now.
    return { success: true, charged: false, plan: t.plan, paidExtraNumbers: t.paidExtraNumbers, maxNumbers: remaining, proratedTotal: 0 }
  })

  app.post('/v1/billing/checkout', async (req) => {
    tenantScope(req)
    const body = bodyOf(req)
    const { purpose, amount, successUrl, cancelUrl } = body
    if (purpose !== 'wallet_topup' && purpose !== 'add_card') throw new SandboxError(400, 'VALIDATION_ERROR', 'purpose must be wallet_topup or add_card')
    if (purpose === 'wallet_topup' && (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0)) {
      throw new SandboxError(400, 'VALIDATION_ERROR', 'amount (BRL, > 0) is required for wallet_topup')
    }
    for (const [f, v] of [['successUrl', successUrl], ['cancelUrl', cancelUrl]] as const) {
      if (v !== undefined && (typeof v !== 'string' || !/^https?:\/\//.test(v))) throw new SandboxError(400, 'VALIDATION_ERROR', `${f} must be an http(s) URL`)
    }
    // Simulated as completed at once: an add_card checkout leaves a saved card.
    if (purpose === 'add_card') store.tenant.hasSavedCard = true
    return {
      url: checkoutUrl(store),
      purpose,
      orderId: store.id('cto'),
      amount: purpose === 'wallet_topup' ? money(amount as number) : null,
      currency: 'BRL'
    }
  })

  // ---- Analytics ----
  app.get<{ Querystring: { period?: string, tz?: string, timezone?: string } }>('/v1/analytics/dashboard', async (req) => {
    const n = numberScope(store, req)
    const period = req.query.period ?? '30d'
    const days = PERIOD_DAYS[period]
    if (days === undefined) throw new SandboxError(400, 'VALIDATION_ERROR', 'period must be 7d, 30d or 90d')
    const tz = req.query.tz || req.query.timezone || 'UTC'
    const fmt = dayFormatter(tz)
    const dayOf = (iso: string) => fmt.format(new Date(iso))
    const current = lastDays(dayOf(store.iso()), days)
    const previous = new Set(lastDays(current[current.length - 1], days, days))
    const inCurrent = new Set(current)
    const daily = new Map(current.map((d) => [d, 0]))
    const dist = { queued: 0, sent: 0, failed: 0, read: 0 }
    let prevSent = 0
    let prevFailed = 0
    for (const m of store.messages) {
      if (m.numberId !== n.id || m.direction !== 'OUTBOUND') continue
      const status = store.messageStatus(m)
      if (status === 'CANCELED') continue
      const day = dayOf(m.createdAt)
      if (inCurrent.has(day)) {
        daily.set(day, daily.get(day)! + 1)
        if (status === 'QUEUED') dist.queued++
        else if (status === 'FAILED') dist.failed++
        else if (status === 'READ') dist.read++
        else dist.sent++
      } else if (previous.has(day)) {
        if (status === 'FAILED') prevFailed++
        else if (status !== 'QUEUED') prevSent++
      }
    }
    // "Sent" counts every message that left the number (SENT, DELIVERED or READ).
    const totalSent = dist.sent + dist.read
    const totalFailed = dist.failed
    const attempted = totalSent + totalFailed
    return {
      totalSent,
      totalFailed,
      sentPercentChange: percentChange(totalSent, prevSent),
      failedPercentChange: percentChange(totalFailed, prevFailed),
      failureRate: attempted === 0 ? 0 : Math.round((totalFailed / attempted) * 1000) / 10,
      dailyMessages: current.map((date) => ({ date, count: daily.get(date)! })),
      statusDistribution: dist
    }
  })

  // ---- Media ----
  app.get<{ Params: { mediaId: string }, Querystring: { phoneNumberId?: string } }>('/v1/media/:mediaId', async (req) => {
    const n = numberScope(store, req)
    const { phoneNumberId } = req.query
    if (!phoneNumberId) throw new SandboxError(400, 'VALIDATION_ERROR', 'phoneNumberId is required (the Meta phone number id of the number, see numbers_get)')
    if (n.provider !== 'META') {
      throw new SandboxError(400, 'NOT_SUPPORTED_FOR_PROVIDER', 'Media download by id is for Meta Cloud API numbers; Pilot Status (QR) numbers expose media.url on the message instead')
    }
    if (phoneNumberId !== n.metaPhoneId) throw new SandboxError(400, 'VALIDATION_ERROR', `phoneNumberId ${phoneNumberId} is not this number's Meta phone number id`)
    const media = Object.values(SANDBOX_MEDIA).find((m) => m.id === req.params.mediaId)
    if (!media || n.id !== SANDBOX_NUMBERS.meta) throw new SandboxError(404, 'MEDIA_NOT_FOUND', `Media ${req.params.mediaId} not found (Meta media ids expire shortly after the webhook)`)
    return {
      base64: `data:${media.mimeType};base64,${MEDIA_BYTES[media.id]}`,
      mimeType: media.mimeType,
      fileName: media.fileName,
      mediaId: media.id
    }
  })
}

export default register
