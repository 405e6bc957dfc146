// Lenient argument parsing: some clients send object/array arguments as JSON strings, numbers and
// booleans as strings, or the whole arguments object as a string. Such input is parsed before
// validation, losslessly; anything that cannot be read exactly is refused by field name.
import t from 'tap'
import { SANDBOX_GROUPS } from '../../sandbox/core.js'
import { errorText, invoke, okResult, sandbox } from '../helper.js'

const TEAM = SANDBOX_GROUPS.team.jid

t.test('objects and arrays sent as JSON strings are parsed before validation', async (t) => {
  const sb = await sandbox(t)
  okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: '+5511988887777', templateId: 'tpl_order_update', variables: '{"name":"Maria","order":"#1042"}' }))
  t.same(sb.requests[0].body, { destinationNumber: '+5511988887777', templateId: 'tpl_order_update', variables: { name: 'Maria', order: '#1042' } }, 'the object went upstream, not the string')

  sb.requests.length = 0
  okResult(t, 'group_participants_add', await invoke(sb, 'group_participants_add', { groupId: TEAM, participants: ' ["+5511970000009"] ' }))
  t.same((sb.requests[0].body as { participants: string[] }).participants, ['5511970000009'])
})

t.test('the whole arguments object as a JSON string', async (t) => {
  const sb = await sandbox(t)
  okResult(t, 'templates_get', await invoke(sb, 'templates_get', '{"id":"tpl_order_update"}' as never))
  t.equal(sb.requests[0].path, '/v1/templates/tpl_order_update')
  for (const bad of ['[1,2]', 'not json']) {
    t.match(errorText(t, await invoke(sb, 'templates_get', bad as never)), /arguments must be a JSON object/)
    t.equal(sb.requests.length, 0, `${bad}: nothing sent`)
  }
})

t.test('primitives: exact conversions only', async (t) => {
  const sb = await sandbox(t)
  okResult(t, 'messages_history', await invoke(sb, 'messages_history', { page: '2', pageSize: ' 5 ' }))
  t.same(sb.requests[0].query, { page: '2', pageSize: '5' })
  t.equal(sb.requests.length, 1)

  sb.requests.length = 0
  okResult(t, 'messages_send', await invoke(sb, 'messages_send', { destinationNumber: 5511988887777, text: 'hi' }))
  t.equal((sb.requests[0].body as { destinationNumber: string }).destinationNumber, '5511988887777', 'a phone sent as a number becomes its digits')

  sb.requests.length = 0
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['messages_history', { page: '1.5' }, /- page:/],
    ['messages_history', { page: 1.5 }, /- page:/],
    ['messages_history', { pageSize: 'ten' }, /- pageSize:/],
    ['messages_history', { page: true }, /- page:/],
    ['messages_send', { destinationNumber: '+5511988887777', templateId: 'tpl_order_update', variables: '{"name": Maria}' }, /- variables:/],
    ['group_participants_add', { groupId: TEAM, participants: '[oops' }, /- participants:/]
  ]
  for (const [tool, args, field] of cases) {
    t.match(errorText(t, await invoke(sb, tool, args)), field, `${tool} ${JSON.stringify(args)} is refused by field name`)
    t.equal(sb.requests.length, 0, 'nothing inexact was sent')
  }
})

t.test('booleans as strings', async (t) => {
  const sb = await sandbox(t)
  okResult(t, 'numbers_get', await invoke(sb, 'numbers_get', { id: 'num_demo', refresh: 'true' }, { key: 'ps_sandbox_demo_tenant' }))
  t.equal(sb.requests[0].query.refresh, '1')
  t.match(errorText(t, await invoke(sb, 'numbers_get', { id: 'num_demo', refresh: 'yes please' }, { key: 'ps_sandbox_demo_tenant' })), /- refresh:/)
})
