// What newsletters_list itself does (the simulator's channels are in test/sandbox/groups.ts):
// its inferred path written once, the fence around others' text, the summary, the number header,
// error hints and local argument checks.
import type { Test } from 'tap'
import { readFileSync } from 'node:fs'
import { SANDBOX_KEYS, SANDBOX_NUMBERS, errorText, invoke, okResult, registry, sandbox } from './harness.js'
import { UNTRUSTED_NOTICE } from '../../src/mcp/call.js'
import { hints } from '../../tools/define.js'
import { repoPath } from '../paths.js'

const TENANT = { key: SANDBOX_KEYS.tenant }

export default async function suite (t: Test): Promise<void> {
  t.test('catalogue: toolset, scope, hints, untrusted, compact; the inferred path lives in one place', async (t) => {
    const tool = registry.all.get('newsletters_list')!
    t.same([...registry.all.values()].filter((x) => x.def.toolset === 'channels').map((x) => x.def.name), ['newsletters_list'])
    t.equal(tool.def.scope, 'number')
    t.same(tool.def.annotations, hints('RI'))
    t.equal(tool.def.untrusted, true, 'channel names and descriptions are written by others')
    t.same(Object.keys(tool.entry.inputSchema.properties ?? {}), ['whatsappNumberId'], 'no other arguments')
    t.ok(JSON.stringify(tool.entry).length < 900, 'tools/list entry is compact')
    t.match(tool.def.description, /messages_send newsletterId/)
    const source = readFileSync(repoPath('tools/channels.ts'), 'utf8')
    t.equal(source.split("'/v1/newsletters'").length - 1, 1, 'the path is written once')
    t.match(source, /INFERRED endpoint/)
  })

  t.test('newsletters_list', async (t) => {
    const sb = await sandbox(t)

    t.test('the summary, then channel names inside the untrusted fence; the number header for a tenant key', async (t) => {
      const r = await invoke(sb, 'newsletters_list', {})
      t.equal(okResult(t, 'newsletters_list', r).newsletters.length, 2)
      const text = r.content[0].type === 'text' ? r.content[0].text : ''
      t.match(text, /^2 channel\(s\)\n/)
      t.ok(text.includes(UNTRUSTED_NOTICE))
      t.ok(text.indexOf('Demo Store News') > text.indexOf('<untrusted-data>'), 'channel names are inside the fence')
      t.ok(text.trimEnd().endsWith('</untrusted-data>'))
      okResult(t, 'newsletters_list', await invoke(sb, 'newsletters_list', { whatsappNumberId: SANDBOX_NUMBERS.demo }, TENANT))
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
      t.same(sb.requests[0].query, {})
    })

    t.test('API refusals carry the hint that helps', async (t) => {
      t.match(errorText(t, await invoke(sb, 'newsletters_list', {}, TENANT)), 'pass whatsappNumberId (get one from numbers_list)')
      const meta = errorText(t, await invoke(sb, 'newsletters_list', {}, { key: SANDBOX_KEYS.meta }))
      t.match(meta, 'HTTP 400 NOT_SUPPORTED_FOR_META')
      t.match(meta, 'Hint: Not available on Meta Cloud API numbers; use a Pilot Status (QR) number.')
      const off = errorText(t, await invoke(sb, 'newsletters_list', {}, { key: SANDBOX_KEYS.offline }))
      t.match(off, 'HTTP 409 WHATSAPP_INSTANCE_NOT_CONNECTED')
      t.match(off, 'numbers_connect')
    })

    t.test('invalid arguments are refused before any request', async (t) => {
      t.match(errorText(t, await invoke(sb, 'newsletters_list', { role: 'OWNER' })), 'role: unknown argument')
      t.equal(sb.requests.length, 0)
      t.match(errorText(t, await invoke(sb, 'newsletters_list', { whatsappNumberId: '' }, TENANT)), 'whatsappNumberId')
      t.equal(sb.requests.length, 0)
      t.match(errorText(t, await invoke(sb, 'newsletters_list', 'not json')), 'arguments must be a JSON object')
      t.equal(sb.requests.length, 0)
    })
  })
}
