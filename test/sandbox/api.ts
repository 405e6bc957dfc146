// Drives the sandbox's HTTP API directly, the way any API client would (no tool, no ApiClient):
// the simulator's own tests use this, so they hold whatever a tool does with the answers.
import type { Test } from 'tap'
import { startSandbox, type RunningSandbox, type StartSandboxOptions } from '../../sandbox/server.js'
import { SANDBOX_KEYS, SANDBOX_NUMBERS, type SandboxMessage } from '../../sandbox/core.js'

export { SANDBOX_KEYS, SANDBOX_KEY_IDS, SANDBOX_NUMBERS } from '../../sandbox/core.js'

/** A sandbox on 127.0.0.1 (not recording), closed when the test ends. */
export async function sandbox (t: Test, opts: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const sb = await startSandbox(opts)
  t.teardown(() => sb.close())
  return sb
}

/** A sandbox whose clock the test moves by hand. */
export async function clocked (t: Test, start: number, opts: StartSandboxOptions = {}): Promise<{ sb: RunningSandbox, tick: (ms: number) => void, now: () => number }> {
  let clock = start
  const sb = await sandbox(t, { now: () => clock, ...opts })
  return { sb, tick: (ms) => { clock += ms }, now: () => clock }
}

export interface CallOptions {
  /** A demo key by name, or a raw key (default: the demo number's key); null sends no credential. */
  key?: keyof typeof SANDBOX_KEYS | (string & {}) | null
  /** The x-whatsapp-number-id header. */
  number?: string
  query?: Record<string, string | number | boolean>
  body?: unknown
  headers?: Record<string, string>
}

export interface Answer {
  status: number
  body: any
  headers: Headers
}

/** One HTTP request to the sandbox; the body parsed as JSON when it is JSON. */
export async function api (sb: RunningSandbox, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers }
  const key = opts.key === undefined ? 'number' : opts.key
  if (key !== null) headers['x-api-key'] = key in SANDBOX_KEYS ? SANDBOX_KEYS[key as keyof typeof SANDBOX_KEYS] : key
  if (opts.number !== undefined) headers['x-whatsapp-number-id'] = opts.number
  let body: string | undefined
  if (opts.body !== undefined) {
    headers['content-type'] ??= 'application/json'
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
  }
  const qs = opts.query ? '?' + new URLSearchParams(Object.entries(opts.query).map(([k, v]) => [k, String(v)])).toString() : ''
  const res = await fetch(sb.url + path + qs, { method, headers, body })
  const text = await res.text()
  let parsed: unknown = text
  if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text)
  return { status: res.status, body: parsed, headers: res.headers }
}

/** Asserts a 2xx answer and returns its body. */
export async function ok (t: Test, sb: RunningSandbox, method: string, path: string, opts: CallOptions = {}): Promise<any> {
  const r = await api(sb, method, path, opts)
  t.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status}${r.status >= 300 ? ' ' + JSON.stringify(r.body) : ''}`)
  return r.body
}

/** Asserts the API's error shape `{ error, code }` with this status and code; returns the message. */
export async function fails (t: Test, sb: RunningSandbox, method: string, path: string, status: number, code: string, opts: CallOptions = {}): Promise<string> {
  const r = await api(sb, method, path, opts)
  t.equal(r.status, status, `${method} ${path} → ${status}`)
  t.equal(r.body?.code, code, `${method} ${path} → ${code}`)
  t.type(r.body?.error, 'string', 'an error message')
  return r.body?.error
}

/** An inbound message stored as the sandbox stores received ones. */
export function inbound (sb: RunningSandbox, m: Partial<SandboxMessage> & Pick<SandboxMessage, 'id' | 'conversationId' | 'text' | 'createdAt'>): void {
  sb.store.messages.push({
    correlationId: `corr_${m.id}`,
    numberId: SANDBOX_NUMBERS.demo,
    direction: 'INBOUND',
    type: 'text',
    participantPhone: null,
    participantName: null,
    templateId: null,
    templateName: null,
    media: null,
    externalMessageId: `wamid.${m.id}`,
    origin: 'WHATSAPP',
    deliverAt: null,
    fixedStatus: null,
    errorMessage: null,
    read: false,
    ...m
  })
}
