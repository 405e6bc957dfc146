// The simulator's groups and channels API (/v1/groups, /v1/newsletters): seeds, create, info,
// participant changes with per-phone outcomes, invite codes, pins, provider/session/scope errors
// and the body rules, driven over HTTP.
import type { Test } from 'tap'
import { sandbox, ok, fails, inbound, SANDBOX_NUMBERS } from './api.js'
import { SANDBOX_CHANNEL, SANDBOX_GROUPS } from '../../sandbox/core.js'

const NOW = Date.parse('2026-06-20T10:00:00.000Z')
const now = () => NOW
const daysAgo = (d: number) => new Date(NOW - d * 86_400_000).toISOString()
const TEAM = SANDBOX_GROUPS.team.jid
const VIP = SANDBOX_GROUPS.vip.jid
const TEAM_PATH = '/v1/groups/120363000000000001%40g.us'
const OWN = '5511999990001'

export default async function suite (t: Test): Promise<void> {
  t.test('seeded groups and channels; the number header picks the number for a tenant key', async (t) => {
    const sb = await sandbox(t, { now })
    t.same(await ok(t, sb, 'GET', '/v1/groups'), { groups: [{ id: TEAM, name: 'Demo Team' }, { id: VIP, name: 'VIP Customers' }] })
    t.equal((await ok(t, sb, 'GET', '/v1/groups', { key: 'tenant', number: SANDBOX_NUMBERS.demo })).groups.length, 2)
    t.same(await ok(t, sb, 'GET', '/v1/newsletters'), {
      newsletters: [
        { id: SANDBOX_CHANNEL.jid, name: 'Demo Store News', description: 'Launches and weekly offers from Demo Store.', role: 'OWNER', subscribers: 1284, createdAt: daysAgo(60) },
        { id: '120363000000000098@newsletter', name: 'Pilot Status Updates', description: 'Product news from Pilot Status.', role: 'SUBSCRIBER', subscribers: 5310, createdAt: daysAgo(200) }
      ]
    })
    t.same(await ok(t, sb, 'GET', '/v1/newsletters', { key: 'tenant', number: SANDBOX_NUMBERS.demo }), await ok(t, sb, 'GET', '/v1/newsletters'))
    sb.store.numbers.get(SANDBOX_NUMBERS.offline)!.state = 'OPEN'
    t.same(await ok(t, sb, 'GET', '/v1/newsletters', { key: 'offline' }), { newsletters: [] }, 'a connected number without channels')
    t.same(await ok(t, sb, 'GET', '/v1/groups', { key: 'offline' }), { groups: [] })

    t.match(await ok(t, sb, 'GET', TEAM_PATH, { key: 'tenant', number: SANDBOX_NUMBERS.demo }), {
      id: TEAM,
      subject: 'Demo Team',
      description: 'Internal coordination for the Demo Store team.',
      owner: OWN,
      createdAt: daysAgo(20),
      size: 4,
      participants: [
        { id: OWN, name: 'Demo Store', role: 'superadmin' },
        { id: '5511988880001', name: 'Ana Souza', role: 'admin' },
        { id: '5511988880002', name: 'Bruno Lima', role: 'member' },
        { id: '5511988880003', name: 'Carla Dias', role: 'member' }
      ]
    })
  })

  t.test('every group route: Meta not eligible, a closed session, a tenant key without a number, unknown groups', async (t) => {
    const sb = await sandbox(t, { now })
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/groups'],
      ['POST', '/v1/groups', { subject: 'New' }],
      ['GET', TEAM_PATH],
      ['POST', `${TEAM_PATH}/participants`, { participants: ['5511970000001'] }],
      ['DELETE', `${TEAM_PATH}/participants`, { participants: ['5511988880002'] }],
      ['POST', `${TEAM_PATH}/participants/promote`, { participants: ['5511988880002'] }],
      ['POST', `${TEAM_PATH}/participants/demote`, { participants: ['5511988880001'] }],
      ['GET', `${TEAM_PATH}/invite`],
      ['POST', `${TEAM_PATH}/pin`, { messageId: 'wamid.X' }]
    ]
    for (const [method, path, body] of routes) {
      t.match(await fails(t, sb, method, path, 400, 'META_GROUPS_NOT_ELIGIBLE', { key: 'meta', body }), /Official Business Account/)
      await fails(t, sb, method, path, 409, 'WHATSAPP_INSTANCE_NOT_CONNECTED', { key: 'offline', body })
      await fails(t, sb, method, path, 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant', body })
      if (path.startsWith(TEAM_PATH)) {
        for (const jid of ['999@g.us', '../x']) {
          await fails(t, sb, method, path.replace(TEAM_PATH, `/v1/groups/${encodeURIComponent(jid)}`), 404, 'GROUP_NOT_FOUND', { body })
        }
      }
    }
    t.equal((await ok(t, sb, 'GET', '/v1/groups')).groups.length, 2, 'nothing changed')
    t.equal(await fails(t, sb, 'GET', '/v1/newsletters', 400, 'NOT_SUPPORTED_FOR_META', { key: 'meta' }), 'WhatsApp channels are not available on Meta Cloud API numbers')
    t.equal(await fails(t, sb, 'GET', '/v1/newsletters', 409, 'WHATSAPP_INSTANCE_NOT_CONNECTED', { key: 'offline' }), 'Channels need a connected WhatsApp session; number num_offline is CLOSE')
    t.equal(await fails(t, sb, 'GET', '/v1/newsletters', 404, 'NUMBER_NOT_FOUND', { key: 'tenant', number: 'num_nope' }), 'Number num_nope not found')
    await fails(t, sb, 'GET', '/v1/newsletters', 403, 'TENANT_SCOPE_NOT_ALLOWED', { key: 'tenant' })
  })

  t.test('create: the number joins as superadmin; listed and readable; subject and participant rules', async (t) => {
    const sb = await sandbox(t, { now })
    const r = await ok(t, sb, 'POST', '/v1/groups', { body: { subject: ' Launch crew ', participants: ['5511970000001', '5511970000002', OWN] } })
    t.same(r, { id: '120363000000000101@g.us', subject: 'Launch crew', participants: ['5511970000001', '5511970000002'] })
    const info = await ok(t, sb, 'GET', `/v1/groups/${encodeURIComponent(r.id)}`)
    t.same(info.participants, [
      { id: OWN, name: 'Demo Store', role: 'superadmin' },
      { id: '5511970000001', name: null, role: 'member' },
      { id: '5511970000002', name: null, role: 'member' }
    ])
    t.match(info, { subject: 'Launch crew', createdAt: new Date(NOW).toISOString(), size: 3 })
    t.same((await ok(t, sb, 'GET', '/v1/groups')).groups.map((g: any) => g.id), [TEAM, VIP, r.id])
    t.same((await ok(t, sb, 'POST', '/v1/groups', { body: { subject: 'Solo' } })).participants, [])

    t.match(await fails(t, sb, 'POST', '/v1/groups', 400, 'VALIDATION_ERROR', { body: { subject: '   ' } }), /^subject is required/)
    await fails(t, sb, 'POST', '/v1/groups', 400, 'VALIDATION_ERROR', { body: { subject: 'x'.repeat(101) } })
    await fails(t, sb, 'POST', '/v1/groups', 400, 'VALIDATION_ERROR', { body: { subject: 'ok', participants: ['123'] } })
    await fails(t, sb, 'POST', '/v1/groups', 400, 'VALIDATION_ERROR', { body: { subject: 'ok', participants: 'x' } })
  })

  t.test('participants: add, remove, promote, demote report each phone; the creator stays superadmin', async (t) => {
    const sb = await sandbox(t, { now })
    const roles = async () => Object.fromEntries((await ok(t, sb, 'GET', TEAM_PATH)).participants.map((p: any) => [p.id, p.role]))
    t.same(await ok(t, sb, 'POST', `${TEAM_PATH}/participants`, { body: { participants: ['5511970000009', '+5511988880002'] } }),
      { success: true, groupId: TEAM, participants: [{ id: '5511970000009', status: 'ADDED' }, { id: '5511988880002', status: 'ALREADY_MEMBER' }] })
    t.equal((await roles())['5511970000009'], 'member')
    t.same((await ok(t, sb, 'POST', `${TEAM_PATH}/participants`, { body: { participants: ['5511970000009'] } })).participants, [{ id: '5511970000009', status: 'ALREADY_MEMBER' }], 'again changes nothing')

    t.same((await ok(t, sb, 'POST', `${TEAM_PATH}/participants/promote`, { body: { participants: ['5511988880002', '5511988880001', '5511970000008'] } })).participants, [
      { id: '5511988880002', status: 'PROMOTED' },
      { id: '5511988880001', status: 'ALREADY_ADMIN' },
      { id: '5511970000008', status: 'NOT_MEMBER' }
    ])
    t.same((await ok(t, sb, 'POST', `${TEAM_PATH}/participants/demote`, { body: { participants: ['5511988880001', OWN, '5511988880003'] } })).participants, [
      { id: '5511988880001', status: 'DEMOTED' },
      { id: OWN, status: 'NOT_ALLOWED' },
      { id: '5511988880003', status: 'NOT_ADMIN' }
    ])
    t.same((await ok(t, sb, 'DELETE', `${TEAM_PATH}/participants`, { body: { participants: ['5511988880003', '5511970000008', OWN] } })).participants, [
      { id: '5511988880003', status: 'REMOVED' },
      { id: '5511970000008', status: 'NOT_MEMBER' },
      { id: OWN, status: 'NOT_ALLOWED' }
    ])
    const after = await roles()
    t.match(after, { 5511988880002: 'admin', 5511988880001: 'member', [OWN]: 'superadmin' })
    t.equal(after['5511988880003'], undefined, 'removed')
    for (const participants of [[], ['not-a-phone'], undefined]) {
      await fails(t, sb, 'POST', `${TEAM_PATH}/participants`, 400, 'VALIDATION_ERROR', { body: { participants } })
    }
  })

  t.test('invite codes are stable per group; pins last 24 h, 7 days (default) or 30 days; only this group\'s messages', async (t) => {
    const sb = await sandbox(t, { now })
    const vip = await ok(t, sb, 'GET', `/v1/groups/${encodeURIComponent(VIP)}/invite`)
    t.match(vip.inviteCode, /^[A-Za-z0-9]{22}$/)
    t.equal(vip.inviteUrl, `https://chat.whatsapp.com/${vip.inviteCode}`)
    t.same(await ok(t, sb, 'GET', `/v1/groups/${encodeURIComponent(VIP)}/invite`), vip, 'same code on every call')
    t.not((await ok(t, sb, 'GET', `${TEAM_PATH}/invite`)).inviteCode, vip.inviteCode, 'each group has its own')

    t.same(await ok(t, sb, 'POST', `${TEAM_PATH}/pin`, { body: { messageId: 'wamid.PIN1', durationSeconds: 86400 } }), { success: true, groupId: TEAM, messageId: 'wamid.PIN1', pinnedUntil: '2026-06-21T10:00:00.000Z' })
    t.equal((await ok(t, sb, 'POST', `${TEAM_PATH}/pin`, { body: { messageId: 'wamid.PIN2' } })).pinnedUntil, '2026-06-27T10:00:00.000Z')
    t.equal((await ok(t, sb, 'POST', `${TEAM_PATH}/pin`, { body: { messageId: 'wamid.PIN3', durationSeconds: 2_592_000 } })).pinnedUntil, '2026-07-20T10:00:00.000Z')
    t.match(await fails(t, sb, 'POST', `${TEAM_PATH}/pin`, 400, 'VALIDATION_ERROR', { body: { messageId: 'm', durationSeconds: 3600 } }), /durationSeconds must be one of/)
    t.equal(await fails(t, sb, 'POST', `${TEAM_PATH}/pin`, 400, 'VALIDATION_ERROR', { body: {} }), 'messageId is required')

    sb.store.conversations.set('conv_test_direct', { id: 'conv_test_direct', numberId: SANDBOX_NUMBERS.demo, type: 'DIRECT', from: '+5511970000001', fromName: null, userId: null, username: null, jid: null, createdAt: new Date(NOW).toISOString() })
    inbound(sb, { id: 'msg_test_direct', conversationId: 'conv_test_direct', text: 'hi', createdAt: new Date(NOW).toISOString(), externalMessageId: 'wamid.DIRECT' })
    t.equal(await fails(t, sb, 'POST', `${TEAM_PATH}/pin`, 400, 'VALIDATION_ERROR', { body: { messageId: 'wamid.DIRECT' } }), 'Message wamid.DIRECT does not belong to group 120363000000000001@g.us')
  })
}
