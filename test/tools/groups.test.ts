// The groups toolset against the sandbox: the upstream request of every tool (JIDs encoded in
// paths), results against output schemas, participant changes that stick, and the provider errors.
import t from 'tap'
import type { Test } from 'tap'
import { SANDBOX_KEYS, SANDBOX_NUMBERS, errorText, invoke, okResult, registry, sandbox } from '../helper.js'
import { SANDBOX_GROUPS } from '../../sandbox/core.js'

const NOW = Date.parse('2026-06-20T10:00:00.000Z')
const clock = { now: () => NOW }
const TEAM = SANDBOX_GROUPS.team.jid
const VIP = SANDBOX_GROUPS.vip.jid
const TEAM_PATH = '/v1/groups/120363000000000001%40g%2Eus'
const OWN = '5511999990001'

t.test('groups_list: lists the seeded groups, fenced as untrusted', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'groups_list', {})
  const data = okResult(t, 'groups_list', r)
  t.equal(sb.requests.length, 1)
  t.match(sb.requests[0], { method: 'GET', path: '/v1/groups', query: {}, body: undefined })
  t.equal(sb.requests[0].headers['x-api-key'], SANDBOX_KEYS.number)
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined)
  t.same(data, { groups: [{ id: TEAM, name: 'Demo Team' }, { id: VIP, name: 'VIP Customers' }] })
  const text = r.content[0].type === 'text' ? r.content[0].text : ''
  t.match(text, /^2 group\(s\)\n/)
  t.match(text, '<untrusted-data>')
})

t.test('groups_list with a tenant key sends the chosen number', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'groups_list', { whatsappNumberId: SANDBOX_NUMBERS.demo }, { key: SANDBOX_KEYS.tenant })
  const data = okResult(t, 'groups_list', r)
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
  t.equal(sb.requests[0].headers['x-api-key'], SANDBOX_KEYS.tenant)
  t.equal(data.groups.length, 2)
})

const GROUP_TOOLS: Array<[string, Record<string, unknown>]> = [
  ['groups_list', {}],
  ['groups_create', { subject: 'New' }],
  ['group_info', { groupId: TEAM }],
  ['group_participants_add', { groupId: TEAM, participants: ['+5511970000001'] }],
  ['group_participants_remove', { groupId: TEAM, participants: ['5511988880002'] }],
  ['group_participants_promote', { groupId: TEAM, participants: ['5511988880002'] }],
  ['group_participants_demote', { groupId: TEAM, participants: ['5511988880001'] }],
  ['group_invite', { groupId: TEAM }],
  ['group_pin', { groupId: TEAM, messageId: 'wamid.X' }]
]

t.test('every group tool: provider and scope errors', async (t) => {
  const sb = await sandbox(t, clock)
  for (const [name, args] of GROUP_TOOLS) {
    let text = errorText(t, await invoke(sb, name, args, { key: SANDBOX_KEYS.meta }))
    t.match(text, 'HTTP 400 META_GROUPS_NOT_ELIGIBLE', `${name} on Meta`)
    t.match(text, 'Official Business Account', `${name}: the hint`)
    text = errorText(t, await invoke(sb, name, args, { key: SANDBOX_KEYS.offline }))
    t.match(text, 'HTTP 409 WHATSAPP_INSTANCE_NOT_CONNECTED', `${name} on a disconnected number`)
    text = errorText(t, await invoke(sb, name, args, { key: SANDBOX_KEYS.tenant }))
    t.match(text, 'HTTP 403 TENANT_SCOPE_NOT_ALLOWED', `${name} with a tenant key and no number`)
    // Nothing changed on the demo number through the failed calls.
    t.equal(sb.store.slice<{ groups: Map<string, unknown> }>('groups', () => ({ groups: new Map() })).groups.size, 2)
  }
})

t.test('every group tool on an unknown or hostile group id: encoded path, GROUP_NOT_FOUND', async (t) => {
  const sb = await sandbox(t, clock)
  for (const [name, args] of GROUP_TOOLS) {
    if (!('groupId' in args)) continue
    for (const [groupId, path] of [['999@g.us', '/v1/groups/999%40g%2Eus'], ['../x', '/v1/groups/%2E%2E%2Fx'], ['a/b?c#d', '/v1/groups/a%2Fb%3Fc%23d']]) {
      const text = errorText(t, await invoke(sb, name, { ...args, groupId }))
      t.match(text, 'HTTP 404 GROUP_NOT_FOUND', `${name} ${groupId}`)
      t.equal(sb.requests.length, 1)
      t.ok(sb.requests[0].path.startsWith(path), `${name}: ${sb.requests[0].path} starts with ${path}`)
    }
  }
})

t.test('groups_create: creates a group that group_info and groups_list then show', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'groups_create', { subject: 'Launch crew', participants: ['+5511970000001', '5511970000002'] })
  const data = okResult(t, 'groups_create', r)
  t.match(sb.requests[0], { method: 'POST', path: '/v1/groups', query: {} })
  t.same(sb.requests[0].body, { subject: 'Launch crew', participants: ['5511970000001', '5511970000002'] })
  t.same(data, { id: '120363000000000101@g.us', subject: 'Launch crew', participants: ['5511970000001', '5511970000002'] })
  t.match(r.content[0], { type: 'text', text: /^Created group 120363000000000101@g\.us \(Launch crew\)/ })

  const info = okResult(t, 'group_info', await invoke(sb, 'group_info', { groupId: data.id }))
  t.equal(sb.requests[0].path, '/v1/groups/120363000000000101%40g%2Eus')
  t.same(info.participants, [
    { id: OWN, name: 'Demo Store', role: 'superadmin' },
    { id: '5511970000001', name: null, role: 'member' },
    { id: '5511970000002', name: null, role: 'member' }
  ])
  t.equal(info.subject, 'Launch crew')
  t.equal(info.createdAt, new Date(NOW).toISOString())

  const list = okResult(t, 'groups_list', await invoke(sb, 'groups_list', {}))
  t.same(list.groups.map((g: { id: string }) => g.id), [TEAM, VIP, data.id])
})

t.test('groups_create without participants sends only the subject', async (t) => {
  const sb = await sandbox(t, clock)
  const data = okResult(t, 'groups_create', await invoke(sb, 'groups_create', { subject: 'Solo' }))
  t.same(sb.requests[0].body, { subject: 'Solo' })
  t.same(data.participants, [])
})

t.test('groups_create: invalid arguments never reach the API', async (t) => {
  const sb = await sandbox(t, clock)
  const cases: Array<[Record<string, unknown>, string]> = [
    [{}, 'subject'],
    [{ subject: '' }, 'subject'],
    [{ subject: 'x'.repeat(101) }, 'subject'],
    [{ subject: 'ok', participants: ['123'] }, 'participants.0'],
    [{ subject: 'ok', participants: ['+5511970000001', '+5511970000001'] }, 'participants'],
    [{ subject: 'ok', color: 'red' }, 'color: unknown argument']
  ]
  for (const [args, field] of cases) {
    const text = errorText(t, await invoke(sb, 'groups_create', args))
    t.match(text, `- ${field}`, JSON.stringify(args))
    t.match(text, 'The tool was not run.')
    t.equal(sb.requests.length, 0)
  }
})

t.test('groups_create: a blank subject is refused by the API', async (t) => {
  const sb = await sandbox(t, clock)
  const text = errorText(t, await invoke(sb, 'groups_create', { subject: '   ' }))
  t.match(text, 'HTTP 400 VALIDATION_ERROR: subject is required')
  t.equal(sb.requests.length, 1)
})

t.test('group_info: subject, description and participants with roles, untrusted', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'group_info', { groupId: TEAM, whatsappNumberId: SANDBOX_NUMBERS.demo }, { key: SANDBOX_KEYS.tenant })
  const data = okResult(t, 'group_info', r)
  t.match(sb.requests[0], { method: 'GET', path: TEAM_PATH, query: {}, body: undefined })
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
  t.same(data, {
    id: TEAM,
    subject: 'Demo Team',
    description: 'Internal coordination for the Demo Store team.',
    owner: OWN,
    createdAt: new Date(NOW - 20 * 86_400_000).toISOString(),
    size: 4,
    participants: [
      { id: OWN, name: 'Demo Store', role: 'superadmin' },
      { id: '5511988880001', name: 'Ana Souza', role: 'admin' },
      { id: '5511988880002', name: 'Bruno Lima', role: 'member' },
      { id: '5511988880003', name: 'Carla Dias', role: 'member' }
    ]
  })
  const text = r.content[0].type === 'text' ? r.content[0].text : ''
  t.match(text, /^Group 120363000000000001@g\.us: 4 participant\(s\)\n/)
  t.match(text, '<untrusted-data>')
  t.ok(registry.all.get('group_info')!.def.untrusted)
})

t.test('group_info: a missing groupId is named and not sent', async (t) => {
  const sb = await sandbox(t, clock)
  t.match(errorText(t, await invoke(sb, 'group_info', {})), '- groupId')
  t.match(errorText(t, await invoke(sb, 'group_info', { groupId: '' })), '- groupId')
  t.equal(sb.requests.length, 0)
})

const roles = async (sb: Awaited<ReturnType<typeof sandbox>>, t: Test) => {
  const info = okResult(t, 'group_info', await invoke(sb, 'group_info', { groupId: TEAM }))
  return Object.fromEntries(info.participants.map((p: { id: string, role: string }) => [p.id, p.role]))
}

t.test('group_participants_add: adds new people, reports existing ones', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'group_participants_add', { groupId: TEAM, participants: ['+5511970000009', '5511988880002'] })
  const data = okResult(t, 'group_participants_add', r)
  t.match(sb.requests[0], { method: 'POST', path: `${TEAM_PATH}/participants`, query: {} })
  t.same(sb.requests[0].body, { participants: ['5511970000009', '5511988880002'] })
  t.same(data, { success: true, groupId: TEAM, participants: [{ id: '5511970000009', status: 'ADDED' }, { id: '5511988880002', status: 'ALREADY_MEMBER' }] })
  t.match(r.content[0], { type: 'text', text: /^120363000000000001@g\.us: 5511970000009 ADDED, 5511988880002 ALREADY_MEMBER\n/ })
  t.equal((await roles(sb, t))['5511970000009'], 'member')
  // Idempotent: the same call again changes nothing.
  const again = okResult(t, 'group_participants_add', await invoke(sb, 'group_participants_add', { groupId: TEAM, participants: ['+5511970000009'] }))
  t.same(again.participants, [{ id: '5511970000009', status: 'ALREADY_MEMBER' }])
})

t.test('group_participants_*: participants must be a non-empty list of E.164 phones', async (t) => {
  const sb = await sandbox(t, clock)
  for (const name of ['group_participants_add', 'group_participants_remove', 'group_participants_promote', 'group_participants_demote']) {
    t.match(errorText(t, await invoke(sb, name, { groupId: TEAM, participants: [] })), '- participants', name)
    t.match(errorText(t, await invoke(sb, name, { groupId: TEAM, participants: ['not-a-phone'] })), '- participants.0', name)
    t.match(errorText(t, await invoke(sb, name, { groupId: TEAM })), '- participants', name)
    t.match(errorText(t, await invoke(sb, name, { participants: ['5511970000001'] })), '- groupId', name)
    t.equal(sb.requests.length, 0)
  }
})

t.test('group_participants_remove: DELETE with a body; the creator stays', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'group_participants_remove', { groupId: TEAM, participants: ['5511988880003', '+5511970000009', `+${OWN}`] })
  const data = okResult(t, 'group_participants_remove', r)
  t.match(sb.requests[0], { method: 'DELETE', path: `${TEAM_PATH}/participants`, query: {} })
  t.same(sb.requests[0].body, { participants: ['5511988880003', '5511970000009', OWN] })
  t.same(data.participants, [
    { id: '5511988880003', status: 'REMOVED' },
    { id: '5511970000009', status: 'NOT_MEMBER' },
    { id: OWN, status: 'NOT_ALLOWED' }
  ])
  const now = await roles(sb, t)
  t.equal(now['5511988880003'], undefined, 'removed')
  t.equal(now[OWN], 'superadmin', 'the creator stays')
})

t.test('group_participants_promote and _demote change roles', async (t) => {
  const sb = await sandbox(t, clock)
  let data = okResult(t, 'group_participants_promote', await invoke(sb, 'group_participants_promote', { groupId: TEAM, participants: ['5511988880002', '5511988880001', '5511970000009'] }))
  t.match(sb.requests[0], { method: 'POST', path: `${TEAM_PATH}/participants/promote`, query: {} })
  t.same(sb.requests[0].body, { participants: ['5511988880002', '5511988880001', '5511970000009'] })
  t.same(data.participants, [
    { id: '5511988880002', status: 'PROMOTED' },
    { id: '5511988880001', status: 'ALREADY_ADMIN' },
    { id: '5511970000009', status: 'NOT_MEMBER' }
  ])
  t.equal((await roles(sb, t))['5511988880002'], 'admin')

  const demote = { groupId: TEAM, participants: ['+5511988880001', OWN, '5511988880003'], whatsappNumberId: SANDBOX_NUMBERS.demo }
  data = okResult(t, 'group_participants_demote', await invoke(sb, 'group_participants_demote', demote, { key: SANDBOX_KEYS.tenant }))
  t.match(sb.requests[0], { method: 'POST', path: `${TEAM_PATH}/participants/demote`, query: {} })
  t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
  t.same(sb.requests[0].body, { participants: ['5511988880001', OWN, '5511988880003'] })
  t.same(data.participants, [
    { id: '5511988880001', status: 'DEMOTED' },
    { id: OWN, status: 'NOT_ALLOWED' },
    { id: '5511988880003', status: 'NOT_ADMIN' }
  ])
  const now = await roles(sb, t)
  t.equal(now['5511988880001'], 'member')
  t.equal(now[OWN], 'superadmin')
})

t.test('group_invite: a stable code and its chat.whatsapp.com link', async (t) => {
  const sb = await sandbox(t, clock)
  const r = await invoke(sb, 'group_invite', { groupId: VIP })
  const data = okResult(t, 'group_invite', r)
  t.match(sb.requests[0], { method: 'GET', path: '/v1/groups/120363000000000002%40g%2Eus/invite', query: {}, body: undefined })
  t.match(data.inviteCode, /^[A-Za-z0-9]{22}$/)
  t.equal(data.inviteUrl, `https://chat.whatsapp.com/${data.inviteCode}`)
  t.match(r.content[0], { type: 'text', text: `Invite link: https://chat.whatsapp.com/${data.inviteCode}\n` })
  const again = okResult(t, 'group_invite', await invoke(sb, 'group_invite', { groupId: VIP }))
  t.equal(again.inviteCode, data.inviteCode, 'same code on every call')
  const team = okResult(t, 'group_invite', await invoke(sb, 'group_invite', { groupId: TEAM }))
  t.not(team.inviteCode, data.inviteCode, 'each group has its own')
})

t.test('group_pin: pins for the given duration, 7 days by default', async (t) => {
  const sb = await sandbox(t, clock)
  let r = await invoke(sb, 'group_pin', { groupId: TEAM, messageId: 'wamid.PIN1', durationSeconds: 86400 })
  let data = okResult(t, 'group_pin', r)
  t.match(sb.requests[0], { method: 'POST', path: `${TEAM_PATH}/pin`, query: {} })
  t.same(sb.requests[0].body, { messageId: 'wamid.PIN1', durationSeconds: 86400 })
  t.same(data, { success: true, groupId: TEAM, messageId: 'wamid.PIN1', pinnedUntil: '2026-06-21T10:00:00.000Z' })
  t.match(r.content[0], { type: 'text', text: /^Pinned wamid\.PIN1 in 120363000000000001@g\.us until 2026-06-21T10:00:00\.000Z\n/ })

  r = await invoke(sb, 'group_pin', { groupId: TEAM, messageId: 'wamid.PIN2' })
  data = okResult(t, 'group_pin', r)
  t.same(sb.requests[0].body, { messageId: 'wamid.PIN2' })
  t.equal(data.pinnedUntil, '2026-06-27T10:00:00.000Z')
})

t.test('group_pin: invalid arguments never reach the API', async (t) => {
  const sb = await sandbox(t, clock)
  t.match(errorText(t, await invoke(sb, 'group_pin', { groupId: TEAM, messageId: 'm', durationSeconds: 3600 })), '- durationSeconds')
  t.match(errorText(t, await invoke(sb, 'group_pin', { groupId: TEAM })), '- messageId')
  t.equal(sb.requests.length, 0)
})

t.test('group_pin: a stored message of another chat cannot be pinned in this group', async (t) => {
  const sb = await sandbox(t, clock)
  sb.store.conversations.set('conv_test_direct', { id: 'conv_test_direct', numberId: SANDBOX_NUMBERS.demo, type: 'DIRECT', from: '+5511970000001', fromName: null, userId: null, username: null, jid: null, createdAt: new Date(NOW).toISOString() })
  sb.store.messages.push({
    id: 'msg_test_direct', correlationId: 'c', numberId: SANDBOX_NUMBERS.demo, conversationId: 'conv_test_direct', direction: 'INBOUND', type: 'text', text: 'hi', participantPhone: '+5511970000001', participantName: null, templateId: null, templateName: null, media: null, externalMessageId: 'wamid.DIRECT', origin: 'API', createdAt: new Date(NOW).toISOString(), deliverAt: null, fixedStatus: null, errorMessage: null, read: false
  })
  const text = errorText(t, await invoke(sb, 'group_pin', { groupId: TEAM, messageId: 'wamid.DIRECT' }))
  t.match(text, 'HTTP 400 VALIDATION_ERROR: Message wamid.DIRECT does not belong to group 120363000000000001@g.us')
})

t.test('group tools: names, scope and hints as the catalogue says', async (t) => {
  const expect: Record<string, string> = {
    groups_list: 'RI',
    groups_create: 'O',
    group_info: 'RI',
    group_participants_add: 'OI',
    group_participants_remove: 'DOI',
    group_participants_promote: 'I',
    group_participants_demote: 'I',
    group_invite: 'RI',
    group_pin: 'I'
  }
  for (const [name, letters] of Object.entries(expect)) {
    const tool = registry.all.get(name)!
    t.equal(tool.def.toolset, 'groups', name)
    t.equal(tool.def.scope, 'number', name)
    t.same(tool.def.annotations, {
      readOnlyHint: letters.includes('R'),
      destructiveHint: letters.includes('D'),
      idempotentHint: letters.includes('I'),
      openWorldHint: letters.includes('O')
    }, name)
    t.ok(JSON.stringify(tool.entry).length < 1000, `${name} tools/list entry is compact`)
  }
})
