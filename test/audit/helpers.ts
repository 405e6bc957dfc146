// Shared by the audit tests: the audit lines among everything the product logged, and one
// tools/call over the product's HTTP route.
import { rawPost, type RunningProduct } from '../helper.js'

export interface Line {
  v: number
  time: string
  tool: string
  credential: string
  credentialKind: string
  whatsappNumberId?: string
  target?: string
  outcome: string
  reason?: string
  errorCode?: string
  httpStatus?: number
  createdId?: string
  traceId?: string
}

/** The `audit` payload of every audit line in `logs` (JSON strings), in order. */
export function auditLines (logs: readonly string[]): Line[] {
  return logs.map((l) => JSON.parse(l) as { msg?: string, audit?: Line }).filter((l) => l.msg === 'audit').map((l) => {
    if (!l.audit) throw new Error('an audit line without its audit key')
    return l.audit
  })
}

export interface Called {
  isError: boolean
  text: string
  structured: Record<string, any> | undefined
}

/** tools/call over HTTP (a 2025-era request: the fast path) with these headers. */
export async function callTool (p: RunningProduct, headers: Record<string, string>, name: string, args: Record<string, unknown>): Promise<Called> {
  const res = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }, headers)
  if (res.status !== 200 || !res.json?.result) throw new Error(`tools/call ${name}: HTTP ${res.status} ${res.text}`)
  const r = res.json.result as { isError?: boolean, content: Array<{ text?: string }>, structuredContent?: Record<string, any> }
  return { isError: r.isError === true, text: r.content.map((c) => c.text ?? '').join('\n'), structured: r.structuredContent }
}

/** Runs `fn` and returns the audit lines the product wrote meanwhile. */
export async function newLines (p: RunningProduct, fn: () => Promise<unknown>): Promise<Line[]> {
  const before = p.logs.length
  await fn()
  return auditLines(p.logs.slice(before))
}
