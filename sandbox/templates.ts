// Sandbox routes for /v1/templates: list, get (id or name), create, replace and delete, with the
// documented structure rules (pilot-status-api.md §2.3), TEMPLATE_EXAMPLES_REQUIRED, per-number
// unique names, and Meta numbers' submission (PENDING; a body containing REJECTME fails).
import type { FastifyRequest } from 'fastify'
import type { SandboxDomain } from './index.js'
import {
  SandboxError, findTemplate, isE164, numberScope, templateSendable,
  type SandboxNumber, type SandboxStore, type SandboxTemplate, type TemplateCategory
} from './core.js'

const CATEGORIES: readonly TemplateCategory[] = ['MARKETING', 'UTILITY', 'OTP']
const VARIABLE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g
const HEADER_TYPES = ['NONE', 'TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT'] as const
const HEADER_MIME: Record<string, RegExp> = { IMAGE: /^image\/(jpeg|jpg|png)$/, VIDEO: /^video\/mp4$/, DOCUMENT: /^application\/pdf$/ }
const HEADER_EXT: Record<string, string> = { IMAGE: 'png', VIDEO: 'mp4', DOCUMENT: 'pdf' }
const BUTTON_LIMITS: Record<string, number> = { QUICK_REPLY: 10, URL: 2, PHONE_NUMBER: 1, COPY_CODE: 1 }
/** The word that makes the simulated Meta review refuse a submission, to exercise META_TEMPLATE_SUBMIT_FAILED. */
const META_REJECT_WORD = /\bREJECTME\b/

type Structure = SandboxTemplate['structure']

interface TemplateBody {
  name?: unknown
  category?: unknown
  language?: unknown
  body?: unknown
  examples?: unknown
}

const invalid = (message: string) => new SandboxError(400, 'VALIDATION_ERROR', message)

/** The API's view of a template; `body` is the normalised structure. */
export function templateView (t: SandboxTemplate) {
  return {
    id: t.id,
    name: t.name,
    category: t.category,
    language: t.language,
    body: t.structure,
    variables: t.variables,
    examples: t.examples,
    source: t.source,
    metaStatus: t.metaStatus,
    metaLanguage: t.metaLanguage,
    sendable: templateSendable(t),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt
  }
}

function variablesIn (text: string): string[] {
  return [...text.matchAll(VARIABLE)].map((m) => m[1])
}

/** `name`: letters and numbers; any run of separators becomes one `_`. */
function normaliseName (raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw invalid('name is required')
  const name = raw.trim().replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '')
  if (name === '') throw invalid('name must contain letters or numbers')
  if (name.length > 512) throw invalid('name must be at most 512 characters')
  return name
}

/** Accepts the structure object, the same as a JSON string, or plain text (→ `{ body: { text } }`). */
function parseStructure (raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') throw invalid('body is required')
  if (typeof raw === 'string') {
    const s = raw.trim()
    if (s.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(s)
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>
      } catch { /* not JSON: plain text */ }
    }
    return { body: { text: raw } }
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid('body must be an object, a JSON string or plain text')
  return raw as Record<string, unknown>
}

const asObject = (v: unknown, field: string): Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${field} must be an object`)
  return v as Record<string, unknown>
}

const asText = (v: unknown, field: string, max: number): string => {
  if (typeof v !== 'string' || v.trim() === '') throw invalid(`${field} is required and must be a non-empty string`)
  if (v.length > max) throw invalid(`${field} must be at most ${max} characters (got ${v.length})`)
  return v
}

const httpUrl = (v: unknown, field: string): string => {
  if (typeof v !== 'string') throw invalid(`${field} is required`)
  let u: URL
  try { u = new URL(v.replace(VARIABLE, 'x')) } catch { throw invalid(`${field} must be an http(s) URL`) }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`${field} must be an http(s) URL`)
  return v
}

/**
 * Validates and normalises a template structure. Returns it with the variables in order of first
 * appearance (header, body, dynamic URL buttons).
 */
function validateStructure (raw: unknown, store: SandboxStore): { structure: Structure, variables: string[] } {
  const src = parseStructure(raw)
  const vars: string[] = []
  const structure: Structure = { body: { text: '' } }

  if (src.header !== undefined && src.header !== null) {
    const h = asObject(src.header, 'body.header')
    const type = h.type === undefined ? (h.text !== undefined ? 'TEXT' : 'NONE') : h.type
    if (type === 'LOCATION') throw invalid('body.header.type LOCATION is not supported')
    if (!HEADER_TYPES.includes(type as typeof HEADER_TYPES[number])) throw invalid(`body.header.type must be one of ${HEADER_TYPES.join(', ')}`)
    if (type === 'TEXT') {
      const text = asText(h.text, 'body.header.text', 60)
      if (/[\r\n]/.test(text)) throw invalid('body.header.text must be one line')
      if (/\p{Extended_Pictographic}/u.test(text)) throw invalid('body.header.text must not contain emoji')
      const hv = variablesIn(text)
      if (hv.length > 1) throw invalid('body.header.text may contain at most one variable')
      vars.push(...hv)
      structure.header = { type, text }
    } else if (type !== 'NONE') {
      const hasUrl = h.url !== undefined && h.url !== null && h.url !== ''
      const hasB64 = h.base64 !== undefined && h.base64 !== null && h.base64 !== ''
      if (hasUrl === hasB64) throw invalid(`body.header needs exactly one of url or base64 for a ${String(type)} header`)
      if (hasUrl) {
        structure.header = { type, url: httpUrl(h.url, 'body.header.url') }
      } else {
        const m = /^data:([\w.+-]+\/[\w.+-]+);base64,[A-Za-z0-9+/=\s]+$/.exec(String(h.base64))
        if (!m) throw invalid('body.header.base64 must be a data URI (data:<mime>;base64,...)')
        if (!HEADER_MIME[type as string].test(m[1])) throw invalid(`body.header.base64 has type ${m[1]}, not allowed for a ${String(type)} header`)
        // The API re-hosts base64 media and keeps only the URL.
        structure.header = { type, url: `https://media.pilotstatus.com.br/sandbox/${store.id('hdr')}.${HEADER_EXT[type as string]}` }
      }
    }
  }

  const body = asObject(src.body, 'body.body')
  const text = asText(body.text, 'body.body.text', 1024)
  const trimmed = text.trim()
  if (/^\{\{\s*[A-Za-z0-9_]+\s*\}\}/.test(trimmed) || /\{\{\s*[A-Za-z0-9_]+\s*\}\}$/.test(trimmed)) {
    throw invalid('body.body.text must not begin or end with a variable')
  }
  vars.push(...variablesIn(text))
  structure.body = { text }

  if (src.footer !== undefined && src.footer !== null) {
    const f = asObject(src.footer, 'body.footer')
    const ftext = asText(f.text, 'body.footer.text', 60)
    if (/\{\{.*?\}\}/.test(ftext)) throw invalid('body.footer.text must not contain variables')
    structure.footer = { text: ftext }
  }

  if (src.buttons !== undefined && src.buttons !== null) {
    if (!Array.isArray(src.buttons)) throw invalid('body.buttons must be an array')
    if (src.buttons.length > 10) throw invalid('body.buttons: at most 10 buttons')
    const counts: Record<string, number> = {}
    structure.buttons = src.buttons.map((raw, i) => {
      const field = `body.buttons[${i}]`
      const b = asObject(raw, field)
      const type = String(b.type)
      if (!(type in BUTTON_LIMITS)) throw invalid(`${field}.type must be one of ${Object.keys(BUTTON_LIMITS).join(', ')}`)
      counts[type] = (counts[type] ?? 0) + 1
      if (counts[type] > BUTTON_LIMITS[type]) throw invalid(`body.buttons: at most ${BUTTON_LIMITS[type]} ${type} button(s)`)
      if (type === 'COPY_CODE') {
        const ex = Array.isArray(b.example) ? b.example[0] : b.example
        if (typeof ex !== 'string' || !/^[A-Za-z0-9]{1,15}$/.test(ex)) throw invalid(`${field}.example must be an alphanumeric code of at most 15 characters, e.g. ["PROMO10"]`)
        return { type, example: [ex] }
      }
      const btext = asText(b.text, `${field}.text`, 25)
      if (type === 'QUICK_REPLY') return { type, text: btext }
      if (type === 'PHONE_NUMBER') {
        if (typeof b.phone_number !== 'string' || !isE164(b.phone_number)) throw invalid(`${field}.phone_number must be an E.164 phone number`)
        return { type, text: btext, phone_number: b.phone_number }
      }
      const url = httpUrl(b.url, `${field}.url`)
      const uv = variablesIn(url)
      if (uv.length > 1 || (uv.length === 1 && !/\{\{\s*[A-Za-z0-9_]+\s*\}\}$/.test(url))) {
        throw invalid(`${field}.url: a dynamic URL ends with exactly one variable, e.g. https://shop.example/promo/{{link}}`)
      }
      vars.push(...uv)
      return { type, text: btext, url }
    })
  }
  return { structure, variables: [...new Set(vars)] }
}

function validateExamples (raw: unknown, variables: string[]): Record<string, string> {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw invalid('examples must be an object mapping each variable to a sample value')
  const given = (raw ?? {}) as Record<string, unknown>
  const missing = variables.filter((v) => typeof given[v] !== 'string' || (given[v] as string).trim() === '')
  if (missing.length > 0) {
    throw new SandboxError(400, 'TEMPLATE_EXAMPLES_REQUIRED', `examples are required for every variable; missing: ${missing.join(', ')}`, { details: { missing } })
  }
  return Object.fromEntries(variables.map((v) => [v, given[v] as string]))
}

function validateCategory (raw: unknown, dflt: TemplateCategory): TemplateCategory {
  if (raw === undefined || raw === null) return dflt
  if (!CATEGORIES.includes(raw as TemplateCategory)) throw invalid(`category must be one of ${CATEGORIES.join(', ')}`)
  return raw as TemplateCategory
}

function validateLanguage (raw: unknown, dflt: string): string {
  if (raw === undefined || raw === null) return dflt
  if (typeof raw !== 'string' || !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(raw)) throw invalid('language must be a locale such as pt_BR or en_US')
  return raw
}

/** Meta review of a submission: the sandbox refuses bodies containing REJECTME, else it stays PENDING. */
function submitToMeta (n: SandboxNumber, structure: Structure): void {
  if (n.provider !== 'META') return
  const texts = [structure.header?.text, structure.body.text, structure.footer?.text].filter((x) => typeof x === 'string') as string[]
  if (texts.some((x) => META_REJECT_WORD.test(x))) {
    throw new SandboxError(400, 'META_TEMPLATE_SUBMIT_FAILED', 'Meta rejected the template submission: (#192) content violates WhatsApp policy (sandbox: the text contains REJECTME)')
  }
}

function templateOr404 (store: SandboxStore, n: SandboxNumber, id: string): SandboxTemplate {
  const t = findTemplate(store, n.id, id)
  if (!t) throw new SandboxError(404, 'TEMPLATE_NOT_FOUND', `Template ${id} not found`)
  return t
}

const register: SandboxDomain = (app, store) => {
  app.get('/v1/templates', async (req) => {
    const n = numberScope(store, req)
    return [...store.templates.values()].filter((t) => t.numberId === n.id).map(templateView)
  })

  app.get('/v1/templates/:id', async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const n = numberScope(store, req)
    return templateView(templateOr404(store, n, req.params.id))
  })

  app.post('/v1/templates', async (req: FastifyRequest<{ Body: TemplateBody | undefined }>, reply) => {
    const n = numberScope(store, req)
    const b = asObject(req.body ?? {}, 'request body') as TemplateBody
    const name = normaliseName(b.name)
    if ([...store.templates.values()].some((t) => t.numberId === n.id && t.name === name)) {
      throw new SandboxError(409, 'TEMPLATE_NAME_EXISTS', `A template named ${name} already exists on this number`)
    }
    const category = validateCategory(b.category, 'UTILITY')
    const language = validateLanguage(b.language, 'pt_BR')
    const { structure, variables } = validateStructure(b.body, store)
    const examples = validateExamples(b.examples, variables)
    submitToMeta(n, structure)
    const meta = n.provider === 'META'
    const now = store.iso()
    const t: SandboxTemplate = {
      id: store.id('tpl'),
      numberId: n.id,
      name,
      category,
      language,
      structure,
      variables,
      examples,
      source: meta ? 'META' : 'PILOT_STATUS',
      metaStatus: meta ? 'PENDING' : null,
      metaLanguage: meta ? language : null,
      createdAt: now,
      updatedAt: now
    }
    store.templates.set(t.id, t)
    reply.code(201)
    return templateView(t)
  })

  app.put('/v1/templates/:id', async (req: FastifyRequest<{ Params: { id: string }, Body: TemplateBody | undefined }>) => {
    const n = numberScope(store, req)
    const t = templateOr404(store, n, req.params.id)
    const b = asObject(req.body ?? {}, 'request body') as TemplateBody
    const category = validateCategory(b.category, t.category)
    if (category !== t.category) throw invalid(`category is fixed at creation (${t.category}); create a new template to change it`)
    const language = validateLanguage(b.language, t.language)
    const { structure, variables } = validateStructure(b.body, store)
    const examples = validateExamples(b.examples, variables)
    submitToMeta(n, structure)
    Object.assign(t, {
      language,
      structure,
      variables,
      examples,
      // Meta re-reviews every edit.
      metaStatus: t.source === 'META' ? 'PENDING' : t.metaStatus,
      metaLanguage: t.source === 'META' ? language : t.metaLanguage,
      updatedAt: store.iso()
    })
    return templateView(t)
  })

  app.delete('/v1/templates/:id', async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const n = numberScope(store, req)
    const t = templateOr404(store, n, req.params.id)
    store.templates.delete(t.id)
    return { deleted: true, id: t.id }
  })
}

export default register
