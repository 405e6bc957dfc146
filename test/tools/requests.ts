// Every tool, once, with representative arguments: the exact upstream request(s) it sends (method,
// path, query, credential and number headers, body) against test/snapshots/tool-requests.json
// (UPDATE_SNAPSHOTS=1 regenerates it; review the diff), and its result against its output schema.
import type { Test } from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { sandbox, invoke, okResult, SANDBOX_KEYS, SANDBOX_NUMBERS } from './harness.js'
import { ALL_TOOLS } from '../../tools/index.js'
import { SANDBOX_GROUPS } from '../../sandbox/core.js'
import { SANDBOX_CALL_CONTACTS, callState } from '../../sandbox/calls.js'
import type { RunningSandbox, RecordedRequest } from '../../sandbox/server.js'
import { repoPath } from '../paths.js'

const SNAPSHOT = repoPath('test/snapshots/tool-requests.json')
/** The headers a tool decides (credentials and the chosen number); transport headers are the client's business. */
const HEADERS = ['x-api-key', 'x-api-key-id', 'authorization', 'x-whatsapp-number-id', 'content-type'] as const

const TEAM = SANDBOX_GROUPS.team.jid
const SDP_ANSWER = 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\n'

type Key = keyof typeof SANDBOX_KEYS
interface Case {
  tool: string
  /** Arguments, or a function of the sandbox for ids only known once it runs (seeded calls). */
  args: Record<string, unknown> | ((sb: RunningSandbox) => Record<string, unknown>)
  /** Which demo key calls (default: the demo number's key). */
  key?: Key
}

/** The seeded inbound RINGING and ACCEPTED calls of a number (seeded on the first calls request). */
function seededCall (sb: RunningSandbox, numberId: string, status: 'RINGING' | 'ACCEPTED'): string {
  const c = callState(sb.store).calls.find((c) => c.numberId === numberId && c.status === status)
  if (!c) throw new Error(`no ${status} call on ${numberId}`)
  return c.id
}

// In run order: the destructive ones last, so earlier cases see the seeded state.
const CASES: Case[] = [
  // messages
  { tool: 'messages_send', args: { destinationNumber: '+5511912345678', text: 'Olá! Seu pedido chegou.', deliverAt: '2099-07-01T12:00:00.000Z' } },
  { tool: 'message_get', args: { messageId: 'msg_seed0001', whatsappNumberId: SANDBOX_NUMBERS.demo }, key: 'tenant' },
  { tool: 'messages_cancel', args: { messageIds: ['msg_seed0001', 'msg_nope'] } },
  { tool: 'messages_history', args: { startDate: '2026-01-01T00:00:00Z', endDate: '2099-01-01T00:00:00Z', page: 1, pageSize: 5 } },
  // conversations
  { tool: 'conversations_list', args: { page: 1, pageSize: 3 } },
  { tool: 'messages_unread', args: { pageSize: 2 } },
  { tool: 'messages_group', args: { startDate: '2026-01-01T00:00:00Z', pageSize: 2 } },
  // templates
  { tool: 'templates_list', args: { whatsappNumberId: SANDBOX_NUMBERS.meta }, key: 'tenant' },
  { tool: 'templates_get', args: { id: 'order_update' } },
  { tool: 'templates_create', args: { name: 'pickup_ready', category: 'UTILITY', body: 'Hi {{name}}, your order is ready for pickup.', examples: { name: 'Maria' } } },
  { tool: 'templates_update', args: { id: 'welcome', language: 'en_US', body: { body: { text: 'Welcome {{name}}!' } }, examples: { name: 'Maria' } } },
  // numbers
  { tool: 'numbers_list', args: {}, key: 'tenant' },
  { tool: 'numbers_get', args: { id: SANDBOX_NUMBERS.meta, refresh: true }, key: 'tenant' },
  { tool: 'numbers_create', args: { name: 'Loja Centro', number: '+5511955554444' }, key: 'tenant' },
  { tool: 'numbers_status', args: { id: SANDBOX_NUMBERS.offline }, key: 'tenant' },
  { tool: 'numbers_connect', args: { id: SANDBOX_NUMBERS.offline }, key: 'tenant' },
  { tool: 'numbers_remote_pairing', args: { name: 'Cliente Acme', number: '+5511944443333' }, key: 'tenant' },
  { tool: 'numbers_check', args: { numbers: ['+5511999990002', '5511911112222'] } },
  // groups
  { tool: 'groups_list', args: {} },
  { tool: 'groups_create', args: { subject: 'Equipe Centro', participants: ['+5511970000001', '5511970000002'] } },
  { tool: 'group_info', args: { groupId: TEAM } },
  { tool: 'group_participants_add', args: { groupId: TEAM, participants: ['+5511970000009'] } },
  { tool: 'group_participants_promote', args: { groupId: TEAM, participants: ['+5511970000009'] } },
  { tool: 'group_participants_demote', args: { groupId: TEAM, participants: ['5511970000009'], whatsappNumberId: SANDBOX_NUMBERS.demo }, key: 'tenant' },
  { tool: 'group_participants_remove', args: { groupId: TEAM, participants: ['+5511970000009'] } },
  { tool: 'group_invite', args: { groupId: SANDBOX_GROUPS.vip.jid } },
  { tool: 'group_pin', args: { groupId: TEAM, messageId: 'wamid.PIN1', durationSeconds: 86400 } },
  // channels
  { tool: 'newsletters_list', args: {} },
  // webhooks
  { tool: 'webhooks_list', args: {} },
  { tool: 'webhook_get', args: { webhookId: 'wh_demo_orders' } },
  { tool: 'webhooks_create', args: { name: 'CRM', url: 'https://crm.example/hooks/pilot', events: ['message.received', 'message.failed'] } },
  { tool: 'webhooks_update', args: { webhookId: 'wh_demo_orders', events: ['message.failed'], active: false } },
  { tool: 'webhook_events', args: { webhookId: 'wh_demo_orders', limit: 2, event: 'message.received' } },
  // calls
  { tool: 'calls_list', args: { limit: 3 } },
  { tool: 'call_get', args: (sb) => ({ callId: seededCall(sb, SANDBOX_NUMBERS.meta, 'ACCEPTED'), includeSdp: true }), key: 'meta' },
  { tool: 'call_initiate', args: { to: '+5511970000002' } },
  { tool: 'call_accept', args: (sb) => ({ callId: seededCall(sb, SANDBOX_NUMBERS.meta, 'RINGING'), sdp: SDP_ANSWER, whatsappNumberId: SANDBOX_NUMBERS.meta }), key: 'tenant' },
  { tool: 'call_reject', args: (sb) => ({ callId: seededCall(sb, SANDBOX_NUMBERS.demo, 'RINGING') }) },
  { tool: 'call_terminate', args: (sb) => ({ callId: seededCall(sb, SANDBOX_NUMBERS.demo, 'ACCEPTED') }) },
  { tool: 'call_settings_get', args: {}, key: 'meta' },
  { tool: 'call_settings_update', args: { status: 'DISABLED', voicemail: { status: 'ENABLED' } }, key: 'meta' },
  { tool: 'call_permission_get', args: { to: SANDBOX_CALL_CONTACTS.permanent }, key: 'meta' },
  { tool: 'call_permission_request', args: { to: SANDBOX_CALL_CONTACTS.none, text: 'May we call you about your order?' }, key: 'meta' },
  // account
  { tool: 'api_keys_list', args: {}, key: 'tenant' },
  { tool: 'subscription_extra_numbers_get', args: { quantity: 2 }, key: 'tenant' },
  { tool: 'subscription_extra_numbers_add', args: { quantity: 3, confirm: true }, key: 'tenant' },
  { tool: 'subscription_extra_numbers_remove', args: { quantity: 1 }, key: 'tenant' },
  { tool: 'billing_checkout', args: { purpose: 'wallet_topup', amount: 100, successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/cancel' }, key: 'tenant' },
  { tool: 'branding_get', args: {}, key: 'tenant' },
  { tool: 'branding_upsert', args: { companyName: 'Loja Azul', primaryColor: '#0a84ff', subtitle: null }, key: 'tenant' },
  { tool: 'analytics_dashboard', args: { period: '7d', tz: 'America/Sao_Paulo' } },
  { tool: 'media_get', args: { mediaId: 'mid_demo_image', phoneNumberId: '100200300400500' }, key: 'meta' },
  // destructive, last
  { tool: 'templates_delete', args: { id: 'tpl_promo_pending', whatsappNumberId: SANDBOX_NUMBERS.meta }, key: 'tenant' },
  { tool: 'webhooks_delete', args: { webhookId: 'wh_demo_orders' } },
  { tool: 'numbers_delete', args: { id: SANDBOX_NUMBERS.offline }, key: 'tenant' },
  { tool: 'api_keys_regenerate_number', args: { whatsappNumberId: SANDBOX_NUMBERS.meta }, key: 'tenant' }
]

function wire (r: RecordedRequest): Record<string, unknown> {
  const headers: Record<string, unknown> = {}
  for (const h of HEADERS) if (r.headers[h] !== undefined) headers[h] = r.headers[h]
  return { method: r.method, path: r.path, query: r.query, headers, ...(r.body !== undefined ? { body: r.body } : {}) }
}

export default async function suite (t: Test): Promise<void> {
  t.test('the table covers every tool exactly once', async (t) => {
    const names = CASES.map((c) => c.tool)
    t.same([...names].sort(), ALL_TOOLS.map((d) => d.name).sort(), 'one case per tool in ALL_TOOLS')
    t.equal(new Set(names).size, names.length, 'no tool twice')
  })

  t.test('each tool: its upstream request equals the snapshot and its result matches its output schema', async (t) => {
    // One fixed clock: ids, timestamps and the order of the cases make every run send the same requests.
    const sb = await sandbox(t, { now: () => Date.parse('2026-06-20T12:00:00.000Z') })
    const got: Record<string, unknown[]> = {}
    for (const c of CASES) {
      const args = typeof c.args === 'function' ? c.args(sb) : c.args
      const r = await invoke(sb, c.tool, args, { key: SANDBOX_KEYS[c.key ?? 'number'] })
      okResult(t, c.tool, r)
      got[c.tool] = sb.requests.map(wire)
      t.ok(got[c.tool].length > 0, `${c.tool} reached the API`)
    }
    if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(SNAPSHOT, JSON.stringify(got, null, 2) + '\n')
    const expected = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, unknown[]>
    t.same(Object.keys(expected).sort(), Object.keys(got).sort(), 'the snapshot names the same tools')
    for (const c of CASES) t.strictSame(got[c.tool], expected[c.tool], `${c.tool}: the request(s) in test/snapshots/tool-requests.json`)
  })
}
