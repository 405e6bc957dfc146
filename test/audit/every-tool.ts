// The audit line of every audited tool, run for real against the sandbox: exactly the tools that
// ask for confirmation by default are audited, each writes one line per call with its target
// (from the arguments) and the API's id of what it created (from the result), and no other tool
// writes one.
import t from 'tap'
import { product } from '../helper.js'
import { sandbox, SANDBOX_KEYS, SANDBOX_NUMBERS } from '../tools/harness.js'
import { SANDBOX_CALL_CONTACTS } from '../../sandbox/calls.js'
import { AUDITED, AUDIT_VERSION } from '../../src/audit.js'
import { asksByDefault } from '../../src/confirm/policy.js'
import { fingerprint } from '../../src/api/credentials.js'
import { ALL_TOOLS } from '../../tools/index.js'
import { ASKING_TOOLS } from '../confirm/fixtures.js'
import { callTool, newLines, type Called, type Line } from './helpers.js'

const NUMBER = { 'x-api-key': SANDBOX_KEYS.number }
const META = { 'x-api-key': SANDBOX_KEYS.meta }
const TENANT = { 'x-api-key': SANDBOX_KEYS.tenant }
const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\n'
const ANSWER = OFFER.replace('o=- 1 2', 'o=- 3 4')
const TEAM = '120363000000000001@g.us'

t.test('the audited tools are exactly those that ask by default, each with its row', async (t) => {
  const asking = ALL_TOOLS.filter((d) => asksByDefault(d.annotations)).map((d) => d.name).sort()
  t.same(asking, ASKING_TOOLS, 'the 18 tools the confirmation issue lists')
  t.same(Object.keys(AUDITED).sort(), asking, 'one row per audited tool, no other')
})

interface Step {
  tool: string
  headers: Record<string, string>
  args: Record<string, unknown> | (() => Record<string, unknown>)
  target?: string | (() => string)
  /** The id of what was created, read from the result by the test's own reading of each tool's output. */
  created?: (sc: Record<string, any>) => unknown
  whatsappNumberId?: string
}

t.test('one line per call of every audited tool, with its target and created id', async (t) => {
  const sb = await sandbox(t)
  const p = await product(t, sb.url, { confirm: 'off' })
  const keyOf = (h: Record<string, string>) => ({ kind: 'apiKey' as const, key: h['x-api-key'], source: 'header' as const })
  // Things some steps act on, created on the way by tools that are not audited.
  const made: Record<string, string> = {}
  const prepare = async (name: string, headers: Record<string, string>, args: Record<string, unknown>): Promise<Called> => {
    const lines = await newLines(p, async () => { made.last = JSON.stringify((await callTool(p, headers, name, args)).structured) })
    t.same(lines, [], `${name} (not audited) writes no audit line`)
    return JSON.parse(made.last)
  }
  const tpl = await prepare('templates_create', NUMBER, { name: 'Audit Me', body: 'Hello.' }) as unknown as { name: string }
  const num = await prepare('numbers_create', TENANT, { name: 'Audit', number: '+5511955550001' }) as unknown as { instance: { id: string } }
  const wh = await prepare('webhooks_create', NUMBER, { url: 'https://example.com/audit' }) as unknown as { id: string }
  const calls = await prepare('calls_list', NUMBER, {}) as unknown as { calls: Array<{ id: string, status: string }> }
  const metaCalls = await prepare('calls_list', META, {}) as unknown as { calls: Array<{ id: string, status: string }> }
  const ringing = calls.calls.find((c) => c.status === 'RINGING')!.id
  const metaRinging = metaCalls.calls.find((c) => c.status === 'RINGING')!.id
  let started = ''

  const steps: Step[] = [
    { tool: 'messages_send', headers: NUMBER, args: { destinationNumber: '+5511912345678', text: 'Seu pedido chegou' }, target: '+5511912345678', created: (sc) => sc.id },
    { tool: 'messages_cancel', headers: NUMBER, args: { messageIds: ['msg_seed0001', 'msg_nope'] }, target: 'msg_seed0001,msg_nope' },
    { tool: 'templates_delete', headers: NUMBER, args: { id: tpl.name }, target: tpl.name },
    { tool: 'numbers_delete', headers: TENANT, args: { id: num.instance.id }, target: num.instance.id },
    { tool: 'numbers_remote_pairing', headers: TENANT, args: { name: 'Cliente Acme', number: '+5511944443333' }, target: '+5511944443333', created: (sc) => sc.instance?.id ?? sc.numberId },
    { tool: 'groups_create', headers: NUMBER, args: { subject: 'Audit crew' }, created: (sc) => sc.id },
    { tool: 'group_participants_add', headers: NUMBER, args: { groupId: TEAM, participants: ['+5511970000009'] }, target: TEAM },
    { tool: 'group_participants_remove', headers: NUMBER, args: { groupId: TEAM, participants: ['+5511970000009'] }, target: TEAM },
    { tool: 'webhooks_delete', headers: NUMBER, args: { webhookId: wh.id }, target: wh.id },
    { tool: 'call_initiate', headers: NUMBER, args: { to: '+5511970000001' }, target: '+5511970000001', created: (sc) => { started = sc.id; return sc.id } },
    { tool: 'call_terminate', headers: NUMBER, args: () => ({ callId: started }), target: () => started },
    { tool: 'call_reject', headers: TENANT, args: { callId: ringing, whatsappNumberId: SANDBOX_NUMBERS.demo }, target: ringing, whatsappNumberId: SANDBOX_NUMBERS.demo },
    { tool: 'call_accept', headers: META, args: { callId: metaRinging, sdp: ANSWER }, target: metaRinging },
    { tool: 'call_permission_request', headers: META, args: { to: SANDBOX_CALL_CONTACTS.none }, target: SANDBOX_CALL_CONTACTS.none, created: (sc) => sc.messageId },
    // Without a saved card the first purchase is a checkout link; the second is charged, and leaves room to remove one.
    { tool: 'subscription_extra_numbers_add', headers: TENANT, args: { quantity: 1, confirm: true } },
    { tool: 'subscription_extra_numbers_add', headers: TENANT, args: { quantity: 2 } },
    { tool: 'subscription_extra_numbers_remove', headers: TENANT, args: {} },
    { tool: 'billing_checkout', headers: TENANT, args: { purpose: 'wallet_topup', amount: 100 }, created: (sc) => sc.orderId },
    // Last: it replaces the demo number's key the steps above use.
    { tool: 'api_keys_regenerate_number', headers: TENANT, args: { whatsappNumberId: SANDBOX_NUMBERS.demo }, target: SANDBOX_NUMBERS.demo, whatsappNumberId: SANDBOX_NUMBERS.demo }
  ]
  t.same([...new Set(steps.map((s) => s.tool))].sort(), ASKING_TOOLS, 'a step for every audited tool')

  for (const s of steps) {
    const args = typeof s.args === 'function' ? s.args() : s.args
    let r: Called | undefined
    const lines = await newLines(p, async () => { r = await callTool(p, s.headers, s.tool, args) })
    t.equal(r!.isError, false, `${s.tool} ran: ${r!.text.slice(0, 200)}`)
    t.equal(lines.length, 1, `${s.tool}: one audit line`)
    const line = lines[0] as Line & Record<string, unknown>
    const createdId = s.created?.(r!.structured!)
    if (s.created) t.ok(typeof createdId === 'string' && createdId !== '', `${s.tool}: the sandbox returned an id (${String(createdId)})`)
    const target = typeof s.target === 'function' ? s.target() : s.target
    const expected: Record<string, unknown> = {
      v: AUDIT_VERSION,
      tool: s.tool,
      credential: fingerprint(keyOf(s.headers)),
      credentialKind: 'api_key',
      outcome: 'ok',
      ...(s.whatsappNumberId ? { whatsappNumberId: s.whatsappNumberId } : {}),
      ...(target ? { target } : {}),
      ...(createdId ? { createdId } : {})
    }
    const { time, ...rest } = line
    t.same(rest, expected, `${s.tool}: the whole line`)
    t.ok(Math.abs(Date.parse(time) - Date.now()) < 60_000 && new Date(time).toISOString() === time, `${s.tool}: time is ISO 8601 (${time})`)
  }

  // Reads and reversible writes stay out of the trail.
  const quiet = await newLines(p, async () => {
    await callTool(p, TENANT, 'numbers_list', {})
    await callTool(p, NUMBER, 'message_get', { messageId: 'msg_seed0001' }).catch(() => undefined)
  })
  t.same(quiet, [], 'no audit line for tools that do not ask')
})
