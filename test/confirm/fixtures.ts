// Shared by the confirmation tests: the tools that ask, valid arguments for each, a loopback
// upstream that answers them, and SDK clients that answer (or cannot answer) confirmation requests.
import type { Test } from 'tap'
import { Client, StreamableHTTPClientTransport, type ClientCapabilities } from '@modelcontextprotocol/client'
import { fakeUpstream, type FakeUpstream, type Seen } from '../faults/fake-upstream.js'

/** The tools the issue lists: every destructive or open-world tool of today's catalogue. */
export const ASKING_TOOLS = [
  'messages_send', 'messages_cancel', 'templates_delete', 'numbers_delete', 'numbers_remote_pairing', 'groups_create',
  'group_participants_add', 'group_participants_remove', 'webhooks_delete', 'call_initiate', 'call_accept', 'call_reject',
  'call_terminate', 'call_permission_request', 'api_keys_regenerate_number', 'subscription_extra_numbers_add',
  'subscription_extra_numbers_remove', 'billing_checkout'
].sort()

const PHONE = '+5511999999999'
/** Valid arguments for every asking tool. */
export const VALID_ARGS: Record<string, Record<string, unknown>> = {
  messages_send: { destinationNumber: PHONE, text: 'Seu pedido chegou' },
  messages_cancel: { messageIds: ['msg_1'] },
  templates_delete: { id: 'tpl_1' },
  numbers_delete: { id: 'num_1' },
  numbers_remote_pairing: { name: 'Maria Souza', number: PHONE },
  groups_create: { subject: 'Vendas' },
  group_participants_add: { groupId: 'g1@g.us', participants: [PHONE] },
  group_participants_remove: { groupId: 'g1@g.us', participants: [PHONE] },
  webhooks_delete: { webhookId: 'wh_1' },
  call_initiate: { to: PHONE },
  call_accept: { callId: 'call_1' },
  call_reject: { callId: 'call_1' },
  call_terminate: { callId: 'call_1' },
  call_permission_request: { to: PHONE },
  api_keys_regenerate_number: { whatsappNumberId: 'num_1' },
  subscription_extra_numbers_add: { quantity: 1 },
  subscription_extra_numbers_remove: { quantity: 1 },
  billing_checkout: { purpose: 'wallet_topup', amount: 50 }
}

export const SEND = { name: 'messages_send', arguments: VALID_ARGS.messages_send }
export const CHECKOUT_URL = 'https://checkout.stripe.com/c/pay/cs_test_1'

/** Answers reads with plausible data and writes with a successful answer; `writes()` are the non-GET requests. */
export async function upstream (t: Test): Promise<FakeUpstream & { writes(): Seen[] }> {
  const up = await fakeUpstream(t, (req) => {
    if (req.method === 'GET') {
      if (req.path === '/v1/numbers') return { status: 200, body: JSON.stringify([{ id: 'num_1', number: '5541988887777', name: 'Loja Centro' }]) }
      return { status: 200, body: '{}' }
    }
    if (req.path === '/v1/messages/send') return { status: 200, body: JSON.stringify({ id: 'msg_1', correlationId: 'c_1', status: 'QUEUED', createdAt: '2026-01-01T00:00:00Z' }) }
    if (req.path === '/v1/billing/checkout') return { status: 200, body: JSON.stringify({ url: CHECKOUT_URL, orderId: 'ord_1' }) }
    if (req.path === '/v1/subscription/extra-numbers') return { status: 200, body: JSON.stringify({ success: true, charged: false, checkoutUrl: CHECKOUT_URL }) }
    return { status: 200, body: '{}' }
  })
  return Object.assign(up, { writes: () => up.requests.filter((r) => r.method !== 'GET') })
}

export type Answer = { action: 'accept' | 'decline' | 'cancel', content?: Record<string, unknown> }
export interface Asked { mode?: string, message: string, url?: string, requestedSchema?: unknown }

export interface ClientOpts {
  /** The elicitation capability to declare; false: none. Default form + url. */
  elicitation?: false | ClientCapabilities['elicitation']
  /** What the "person" answers (default accept). */
  answer?: (q: Asked) => Answer
  headers?: Record<string, string>
}

/** A 2026-07-28 client (the 2.x SDK, auto negotiation); `asked` records every question it was put. */
export async function modernClient (t: Test, url: string, opts: ClientOpts = {}): Promise<{ client: Client, asked: Asked[] }> {
  const asked: Asked[] = []
  const elicitation = opts.elicitation === undefined ? { form: {}, url: {} } : opts.elicitation
  const client = new Client({ name: 'confirm-test', version: '1.0.0' }, {
    versionNegotiation: { mode: 'auto' },
    capabilities: elicitation ? { elicitation } : {}
  })
  if (elicitation) {
    client.setRequestHandler('elicitation/create', async (req) => {
      const q = req.params as unknown as Asked
      asked.push(q)
      return (opts.answer ?? (() => ({ action: 'accept', content: {} })))(q) as never
    })
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: opts.headers ?? {} } }))
  t.teardown(() => client.close())
  t.equal(client.getNegotiatedProtocolVersion(), '2026-07-28', 'the client speaks the 2026-07-28 revision')
  return { client, asked }
}

export function textOf (r: object): string {
  return (((r as { content?: unknown }).content ?? []) as Array<{ type: string, text?: string }>).map((c) => c.text ?? '').join('\n')
}
