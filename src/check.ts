// `pilot-status-mcp check`: is this key good, and what is it? Cheap reads against the API: the
// tenant-only GET /v1/branding tells a tenant key (200) from a number key (403
// NUMBER_SCOPE_NOT_ALLOWED) from a bad one (401); a number key's number comes from GET /v1/numbers.
import { ApiClient } from './api/client.js'
import { ApiError } from './api/errors.js'
import type { Credentials } from './api/credentials.js'

export interface CheckNumber { id: string, number?: string, name?: string }

export type CheckResult =
  | { ok: true, scope: 'tenant' }
  | { ok: true, scope: 'number', number: CheckNumber | undefined }
  /** `status`/`code` are the API's when it answered; `message` never carries the key. */
  | { ok: false, status?: number, code?: string, message: string }

export interface CheckOptions {
  apiUrl: string
  credentials: Credentials
  timeoutMs?: number
}

interface NumberSummary { id?: unknown, number?: unknown, name?: unknown, apiKeys?: Array<{ keyPrefix?: unknown, keyLast4?: unknown }> }

/** The number a number key is bound to, among those GET /v1/numbers lists. */
function ownNumber (list: NumberSummary[], credentials: Credentials): CheckNumber | undefined {
  const summary = (n: NumberSummary): CheckNumber => ({
    id: String(n.id),
    number: typeof n.number === 'string' ? n.number : undefined,
    name: typeof n.name === 'string' ? n.name : undefined
  })
  if (list.length === 1) return summary(list[0])
  // Should the API list the tenant's other numbers too, the key's own is the one naming it.
  if (credentials.kind !== 'apiKey') return undefined
  const key = credentials.key
  const own = list.find((n) => n.apiKeys?.some((k) => typeof k.keyPrefix === 'string' && typeof k.keyLast4 === 'string' && key.startsWith(k.keyPrefix) && key.endsWith(k.keyLast4)))
  return own ? summary(own) : undefined
}

export async function checkKey (opts: CheckOptions): Promise<CheckResult> {
  const api = new ApiClient({ baseUrl: opts.apiUrl, timeoutMs: opts.timeoutMs ?? 15_000 })
  const secret = opts.credentials.kind === 'apiKey' ? opts.credentials.key : opts.credentials.kind === 'bearer' ? opts.credentials.token : undefined
  const clean = (text: string) => (secret ? text.split(secret).join('[key]') : text)
  const refused = (err: unknown): CheckResult => {
    if (err instanceof ApiError) return { ok: false, status: err.status, code: err.code, message: clean(err.message) }
    return { ok: false, message: clean(err instanceof Error ? err.message : String(err)) }
  }
  try {
    try {
      await api.call({ method: 'GET', path: '/v1/branding' }, { credentials: opts.credentials })
      return { ok: true, scope: 'tenant' }
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 403 && err.code === 'NUMBER_SCOPE_NOT_ALLOWED')) return refused(err)
    }
    try {
      const res = await api.call<NumberSummary[]>({ method: 'GET', path: '/v1/numbers' }, { credentials: opts.credentials })
      return { ok: true, scope: 'number', number: Array.isArray(res.data) ? ownNumber(res.data, opts.credentials) : undefined }
    } catch (err) {
      return refused(err)
    }
  } finally {
    await api.close()
  }
}

/** The lines `check` prints: what the key is (stdout), or why it was refused (stderr). */
export function describeCheck (r: CheckResult, apiUrl: string): string {
  if (r.ok && r.scope === 'tenant') return `OK: a tenant key (account tools: numbers, webhooks, API keys, billing) for ${apiUrl}\n`
  if (r.ok) {
    const n = r.number
    const which = n ? `${n.number ? `+${n.number.replace(/^\+/, '')}` : n.id}${n.name ? ` "${n.name}"` : ''} (whatsappNumberId ${n.id})` : 'its number (not listed)'
    return `OK: a number key for ${which} (messaging tools) at ${apiUrl}\n`
  }
  if (r.status === undefined) return `FAILED: could not check the key against ${apiUrl}: ${r.message}\n`
  const hint = r.status === 401 ? ' — the key is wrong, revoked or regenerated: copy it again from the dashboard (API keys)' : ''
  return `FAILED: ${apiUrl} refused the key: ${r.status}${r.code ? ` ${r.code}` : ''} (${r.message})${hint}\n`
}
