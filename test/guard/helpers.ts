// Shared pieces of the send-guard tests: a loopback fake Pilot Status API that answers sends with
// a fresh id each time (so a replay is told apart from a second send), and tools/call over the
// product's real HTTP route with a credential of the test's own.
import type { Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { rawPost, type RunningProduct } from '../helper.js'
import { fakeUpstream, type FakeUpstream, type Script, type Seen } from '../faults/fake-upstream.js'

/** What a tools/call answered. */
export interface Answer {
  isError: boolean
  text: string
  structured: Record<string, any> | undefined
}

export const isSend = (r: Seen) => r.method === 'POST' && r.path === '/v1/messages/send'

/** The fake API's normal answers; `override` may script a given request instead. */
export async function upstream (t: Test, override?: (req: Seen, n: number) => Script | undefined): Promise<FakeUpstream> {
  let sends = 0
  return await fakeUpstream(t, (req, n) => {
    const o = override?.(req, n)
    if (o) return o
    if (isSend(req)) {
      sends++
      return { status: 202, body: JSON.stringify({ id: `msg_${sends}`, correlationId: `c_${sends}`, status: 'QUEUED', createdAt: '2026-06-20T10:00:00.000Z' }) }
    }
    if (req.method === 'POST' && req.path === '/v1/calls') return { status: 200, body: JSON.stringify({ id: `call_${n}`, status: 'RINGING' }) }
    if (req.method === 'POST' && req.path === '/v1/groups') return { status: 200, body: JSON.stringify({ id: `${n}@g.us` }) }
    if (req.method === 'GET' && req.path.startsWith('/v1/messages/')) return { status: 200, body: JSON.stringify({ id: req.path.split('/').pop(), status: 'SENT' }) }
    return { status: 200, body: '{}' }
  })
}

/** A fresh credential, so tests sharing one Redis never share idempotency keys or limits. */
export function newKey (): string {
  return `ps_guard_${randomBytes(8).toString('hex')}`
}

export async function call (p: RunningProduct, apiKey: string, name: string, args: Record<string, unknown>): Promise<Answer> {
  const res = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }, { 'x-api-key': apiKey })
  if (res.status !== 200 || !res.json?.result) throw new Error(`not a tool result: ${res.status} ${res.text.slice(0, 300)}`)
  const r = res.json.result
  return { isError: r.isError === true, text: r.content.map((c: { text?: string }) => c.text ?? '').join('\n'), structured: r.structuredContent }
}

/** structuredContent without the replay marker: what a replay must equal. */
export function withoutMarker (s: Record<string, any> | undefined): Record<string, any> | undefined {
  if (!s) return s
  const { idempotency: _marker, ...rest } = s
  return rest
}

export const TO = '+5511988887777'
