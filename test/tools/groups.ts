// What the group tools themselves do (the simulator's groups are in test/sandbox/groups.ts):
// phones sent as digits, JIDs encoded as one path segment, summary lines, the untrusted fence,
// error hints, the number header and local argument checks.
import type { Test } from 'tap'
import { SANDBOX_KEYS, SANDBOX_NUMBERS, errorText, invoke, okResult, registry, sandbox } from './harness.js'
import { SANDBOX_GROUPS } from '../../sandbox/core.js'
import type { ToolResult } from '../../src/mcp/call.js'

const TEAM = SANDBOX_GROUPS.team.jid
const VIP = SANDBOX_GROUPS.vip.jid
const TEAM_PATH = '/v1/groups/120363000000000001%40g%2Eus'
const text = (r: ToolResult) => (r.content[0].type === 'text' ? r.content[0].text : '')

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

export default async function suite (t: Test): Promise<void> {
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
    t.ok(registry.all.get('group_info')!.def.untrusted, 'group_info is fenced')
  })

  t.test('group tools', async (t) => {
    const sb = await sandbox(t, { now: () => Date.parse('2026-06-20T10:00:00.000Z') })

    t.test('summary lines; others\' text fenced', async (t) => {
      const list = await invoke(sb, 'groups_list', {})
      okResult(t, 'groups_list', list)
      t.match(text(list), /^2 group\(s\)\n/)
      t.match(text(list), '<untrusted-data>')
      const info = await invoke(sb, 'group_info', { groupId: TEAM })
      okResult(t, 'group_info', info)
      t.match(text(info), /^Group 120363000000000001@g\.us: 4 participant\(s\)\n/)
      t.match(text(info), '<untrusted-data>')
      const created = await invoke(sb, 'groups_create', { subject: 'Launch crew', participants: ['+5511970000001', '5511970000002'] })
      const c = okResult(t, 'groups_create', created)
      t.match(text(created), new RegExp(`^Created group ${c.id.replace(/\./g, '\\.')} \\(Launch crew\\)`))
      t.same(sb.requests[0].body, { subject: 'Launch crew', participants: ['5511970000001', '5511970000002'] }, 'phones sent as digits')
      okResult(t, 'groups_create', await invoke(sb, 'groups_create', { subject: 'Solo' }))
      t.same(sb.requests[0].body, { subject: 'Solo' }, 'no participants: only the subject')

      const add = await invoke(sb, 'group_participants_add', { groupId: TEAM, participants: ['+5511970000009', '5511988880002'] })
      okResult(t, 'group_participants_add', add)
      t.same(sb.requests[0].body, { participants: ['5511970000009', '5511988880002'] })
      t.match(text(add), /^120363000000000001@g\.us: 5511970000009 ADDED, 5511988880002 ALREADY_MEMBER\n/)
      const inv = await invoke(sb, 'group_invite', { groupId: VIP })
      const d = okResult(t, 'group_invite', inv)
      t.match(text(inv), `Invite link: https://chat.whatsapp.com/${d.inviteCode}\n`)
      const pin = await invoke(sb, 'group_pin', { groupId: TEAM, messageId: 'wamid.PIN2' })
      okResult(t, 'group_pin', pin)
      t.same(sb.requests[0].body, { messageId: 'wamid.PIN2' }, 'no duration: the API default')
      t.match(text(pin), /^Pinned wamid\.PIN2 in 120363000000000001@g\.us until 2026-06-27T10:00:00\.000Z\n/)
    })

    t.test('participant changes: each path and method; the tenant key\'s number as a header', async (t) => {
      const routes: Array<[string, string, string]> = [
        ['group_participants_remove', 'DELETE', `${TEAM_PATH}/participants`],
        ['group_participants_promote', 'POST', `${TEAM_PATH}/participants/promote`],
        ['group_participants_demote', 'POST', `${TEAM_PATH}/participants/demote`]
      ]
      for (const [name, method, path] of routes) {
        okResult(t, name, await invoke(sb, name, { groupId: TEAM, participants: ['+5511970000009'], whatsappNumberId: SANDBOX_NUMBERS.demo }, { key: SANDBOX_KEYS.tenant }))
        t.match(sb.requests[0], { method, path, query: {}, body: { participants: ['5511970000009'] } }, name)
        t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
      }
    })

    t.test('every group tool: hostile group ids stay one path segment', async (t) => {
      for (const [name, args] of GROUP_TOOLS) {
        if (!('groupId' in args)) continue
        for (const [groupId, path] of [['999@g.us', '/v1/groups/999%40g%2Eus'], ['../x', '/v1/groups/%2E%2E%2Fx'], ['a/b?c#d', '/v1/groups/a%2Fb%3Fc%23d']]) {
          t.match(errorText(t, await invoke(sb, name, { ...args, groupId })), 'HTTP 404 GROUP_NOT_FOUND', `${name} ${groupId}`)
          t.equal(sb.requests.length, 1)
          t.ok(sb.requests[0].path.startsWith(path), `${name}: ${sb.requests[0].path} starts with ${path}`)
        }
      }
    })

    t.test('every group tool: provider and scope refusals read with their hint', async (t) => {
      for (const [name, args] of GROUP_TOOLS) {
        const meta = errorText(t, await invoke(sb, name, args, { key: SANDBOX_KEYS.meta }))
        t.match(meta, 'HTTP 400 META_GROUPS_NOT_ELIGIBLE', `${name} on Meta`)
        t.match(meta, 'Official Business Account', `${name}: the hint`)
        t.match(errorText(t, await invoke(sb, name, args, { key: SANDBOX_KEYS.tenant })), 'pass whatsappNumberId', `${name}: a tenant key needs a number`)
      }
      t.match(errorText(t, await invoke(sb, 'groups_create', { subject: '   ' })), 'HTTP 400 VALIDATION_ERROR: subject is required')
    })

    t.test('invalid arguments never reach the API', async (t) => {
      const cases: Array<[string, Record<string, unknown>, string]> = [
        ['groups_create', {}, 'subject'],
        ['groups_create', { subject: '' }, 'subject'],
        ['groups_create', { subject: 'x'.repeat(101) }, 'subject'],
        ['groups_create', { subject: 'ok', participants: ['123'] }, 'participants.0'],
        ['groups_create', { subject: 'ok', participants: ['+5511970000001', '+5511970000001'] }, 'participants'],
        ['groups_create', { subject: 'ok', color: 'red' }, 'color: unknown argument'],
        ['group_info', {}, 'groupId'],
        ['group_info', { groupId: '' }, 'groupId'],
        ['group_pin', { groupId: TEAM, messageId: 'm', durationSeconds: 3600 }, 'durationSeconds'],
        ['group_pin', { groupId: TEAM }, 'messageId']
      ]
      for (const name of ['group_participants_add', 'group_participants_remove', 'group_participants_promote', 'group_participants_demote']) {
        cases.push([name, { groupId: TEAM, participants: [] }, 'participants'], [name, { groupId: TEAM, participants: ['not-a-phone'] }, 'participants.0'],
          [name, { groupId: TEAM }, 'participants'], [name, { participants: ['5511970000001'] }, 'groupId'])
      }
      for (const [name, args, field] of cases) {
        const msg = errorText(t, await invoke(sb, name, args))
        t.match(msg, name)
        t.match(msg, field, JSON.stringify(args))
        t.equal(sb.requests.length, 0, 'nothing sent')
      }
    })
  })
}
