// Raw HTTP for the fuzz tests: any header set node:http accepts, a keep-alive agent, and a
// checker for what the MCP endpoint may answer — a JSON-RPC response (or batch), 202 with no
// body, or a 4xx whose body is a JSON-RPC error. Anything else (5xx, HTML, a hang) is a defect.
import http from 'node:http'

export const agent = new http.Agent({ keepAlive: true, maxSockets: 4 })

export interface Answer { status: number, contentType: string, text: string }

export function post (url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent, timeout: 90_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 90 s')))
    req.on('error', reject)
    req.end(body)
  })
}

function isId (v: unknown): boolean {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))
}

/** Why `m` is not a JSON-RPC 2.0 response, or undefined when it is one. */
export function notAResponse (m: unknown): string | undefined {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'not an object'
  const o = m as Record<string, unknown>
  if (o.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"'
  if (!('id' in o) || !isId(o.id)) return 'no valid id'
  if (('result' in o) === ('error' in o)) return 'needs exactly one of result and error'
  if ('error' in o) {
    const e = o.error as Record<string, unknown> | null
    if (e === null || typeof e !== 'object' || !Number.isInteger(e.code) || typeof e.message !== 'string') return 'malformed error object'
  } else if (o.result === null || typeof o.result !== 'object') return 'result is not an object'
  return undefined
}

/** The JSON-RPC messages in a body: JSON (one or a batch) or SSE `data:` lines. */
function messagesOf (a: Answer): unknown[] {
  if (/^text\/event-stream/i.test(a.contentType)) {
    return a.text.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5)))
  }
  const v = JSON.parse(a.text)
  return Array.isArray(v) ? v : [v]
}

/** The ids a body's requests carry, when they can be read (what every error answer must echo). */
function readableIds (body: string): { single?: unknown, all: Set<unknown> } {
  let v: unknown
  try { v = JSON.parse(body) } catch { return { all: new Set() } }
  const idOf = (m: unknown) => {
    if (m === null || typeof m !== 'object' || Array.isArray(m) || !Object.hasOwn(m, 'id')) return undefined
    const id = (m as { id: unknown }).id
    return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined
  }
  if (Array.isArray(v)) return { all: new Set(v.map(idOf).filter((x) => x !== undefined)) }
  const id = idOf(v)
  return { single: id, all: new Set(id === undefined ? [] : [id]) }
}

/**
 * Throws, describing the problem, unless `a` is an answer the endpoint may give. With `body`
 * (the request sent), also: no answer is the request deadline's -32001 (with a healthy upstream
 * nothing waits on it; the product runs with a long deadline), and every answer carries the
 * id of the request it answers whenever that id could be read.
 */
export function assertProperAnswer (a: Answer, context: string, body?: string): void {
  const fail = (why: string) => { throw new Error(`${why}\n  answer: ${a.status} ${a.contentType} ${a.text.slice(0, 400)}\n  request: ${context.slice(0, 600)}`) }
  if (a.status >= 500 || a.status < 200) fail(`status ${a.status}`)
  if (a.status === 202) {
    if (a.text !== '') fail('202 with a body')
    return
  }
  let messages: unknown[]
  try { messages = messagesOf(a) } catch { return fail('body is not JSON') }
  if (messages.length === 0) fail('no message in the body')
  for (const m of messages) {
    const why = notAResponse(m)
    if (why) fail(`not a JSON-RPC response: ${why}`)
  }
  if (a.status >= 300 && !(a.status >= 400 && a.status < 500 && messages.length === 1 && 'error' in (messages[0] as object))) {
    fail(`status ${a.status} without a JSON-RPC error body`)
  }
  if (body === undefined) return
  const ids = readableIds(body)
  for (const m of messages as Array<{ id: unknown, error?: { code: number } }>) {
    if (m.error?.code === -32001 && a.status !== 401 && a.status !== 403) fail('answered with the request deadline error: the request waited instead of being answered at once')
    if (ids.single !== undefined && m.id !== ids.single) fail(`the answer's id is ${JSON.stringify(m.id)}, not the request's ${JSON.stringify(ids.single)}`)
    if (ids.single === undefined && m.id !== null && !ids.all.has(m.id)) fail(`the answer's id ${JSON.stringify(m.id)} is no request's`)
  }
}
