// What the numbers tools themselves do (the simulator's numbers are in test/sandbox/numbers.ts):
// QR codes as MCP image content, summary lines, refresh and linkToApiKey as sent, ids encoded (and
// lone dots refused), the fenced WhatsApp check, error hints and local argument checks.
import type { Test } from 'tap'
import { sandbox, invoke, okResult, errorText, registry, SANDBOX_KEYS, SANDBOX_NUMBERS } from './harness.js'
import { hints } from '../../tools/define.js'
import { UNTRUSTED_NOTICE, type ToolResult } from '../../src/mcp/call.js'
import type { RunningSandbox } from '../../sandbox/server.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const STEP = 1000
const tenant = { key: SANDBOX_KEYS.tenant }
const QR_LINE = 'QR code attached as an image (WhatsApp → Linked devices → Link a device)'

/** A sandbox on a clock the test moves by hand (a QR is "scanned" 3 status steps after it is shown). */
async function clocked (t: Test): Promise<{ sb: RunningSandbox, tick: (ms: number) => void }> {
  let clock = NOW
  const sb = await sandbox(t, { now: () => clock, statusStepMs: STEP })
  return { sb, tick: (ms) => { clock += ms } }
}

function text (r: ToolResult): string {
  return r.content[0].type === 'text' ? r.content[0].text : ''
}

function sent (t: Test, sb: RunningSandbox, method: string, path: string, body?: unknown, query: Record<string, string> = {}) {
  t.equal(sb.requests.length, 1, 'one upstream request')
  const r = sb.requests[0]
  t.equal(r.method, method)
  t.equal(r.path, path)
  t.strictSame(r.query, query)
  t.strictSame(r.body, body)
  return r
}

/** Nothing reached the API and the error names the tool and the field. */
function refused (t: Test, sb: RunningSandbox, name: string, r: ToolResult, field: RegExp) {
  const msg = errorText(t, r)
  t.match(msg, name)
  t.match(msg, field)
  t.equal(sb.requests.length, 0, 'no upstream request')
}

/** The QR code is an image block holding a real PNG, and only a placeholder is left in the text. */
function qrImage (t: Test, r: ToolResult, dataUri: string): string {
  t.equal(r.content.length, 2, 'a text block and an image block')
  const img = r.content[1]
  t.equal(img.type, 'image')
  if (img.type !== 'image') return ''
  t.equal(img.mimeType, 'image/png')
  t.equal(`data:image/png;base64,${img.data}`, dataUri, 'the image is the API\'s QR without the data: prefix')
  t.match(img.data, /^[A-Za-z0-9+/]+={0,2}$/)
  const png = Buffer.from(img.data, 'base64')
  t.equal(png.toString('base64'), img.data, 'the base64 round-trips')
  t.strictSame([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature')
  t.equal(png.subarray(12, 16).toString('latin1'), 'IHDR')
  const width = png.readUInt32BE(16)
  t.equal(png.readUInt32BE(20), width, 'square')
  t.ok(width >= 100, `large enough to scan (${width}px)`)
  t.equal(png.subarray(-8, -4).toString('latin1'), 'IEND', 'complete PNG')
  const tx = text(r)
  t.notOk(tx.includes(img.data.slice(0, 40)), 'the text block does not carry the base64')
  t.notOk(tx.includes('base64,'))
  t.match(tx, /"qrcodeBase64":"\(attached as separate content\)"/)
  t.ok(tx.length < 1500, `the text block stays small (${tx.length} chars)`)
  return img.data
}

export default async function suite (t: Test): Promise<void> {
  t.test('catalogue: toolset, scope, hints and size', async (t) => {
    const expected: Record<string, [string, string]> = {
      numbers_list: ['any', 'RI'],
      numbers_get: ['any', 'RI'],
      numbers_create: ['any', ''],
      numbers_status: ['any', 'RI'],
      numbers_connect: ['any', ''],
      numbers_delete: ['any', 'DI'],
      numbers_remote_pairing: ['any', 'O'],
      numbers_check: ['number', 'RI']
    }
    t.same([...registry.all.values()].filter((x) => x.def.toolset === 'numbers').map((x) => x.def.name).sort(), Object.keys(expected).sort())
    for (const [name, [scope, letters]] of Object.entries(expected)) {
      const tool = registry.all.get(name)!
      t.equal(tool.def.scope, scope, `${name} scope`)
      t.same(tool.def.annotations, hints(letters), `${name} hints`)
      t.equal('whatsappNumberId' in (tool.entry.inputSchema.properties ?? {}), name === 'numbers_check', `${name} whatsappNumberId only when number-scoped`)
      t.ok(tool.def.description.length <= 300, `${name} description is short`)
      t.ok(JSON.stringify(tool.entry).length < 1800, `${name} tools/list entry is compact`)
      t.notOk('anyOf' in tool.entry.inputSchema || 'oneOf' in tool.entry.inputSchema, `${name} no top-level union`)
    }
    t.equal(registry.all.get('numbers_check')!.def.untrusted, true, 'contact names from WhatsApp are fenced')
  })

  t.test('number tools', async (t) => {
    const { sb, tick } = await clocked(t)

    t.test('numbers_list and numbers_get: summary lines; refresh only when true', async (t) => {
      const r = await invoke(sb, 'numbers_list', {}, tenant)
      okResult(t, 'numbers_list', r)
      t.equal(text(r).split('\n')[0], '3 number(s): Demo Store (num_demo) OPEN, Demo Meta (num_meta) OPEN, Support (num_offline) CLOSE.')
      t.notOk(text(r).includes(SANDBOX_KEYS.meta), 'no raw key in the result')
      const g = await invoke(sb, 'numbers_get', { id: SANDBOX_NUMBERS.meta }, tenant)
      okResult(t, 'numbers_get', g)
      t.equal(text(g).split('\n')[0], 'Number Demo Meta (num_meta): OPEN.')
      const off = await invoke(sb, 'numbers_get', { id: 'num_offline' }, tenant)
      okResult(t, 'numbers_get', off)
      t.equal(text(off).split('\n')[0], 'Number Support (num_offline): CLOSE, not sendable.')
      okResult(t, 'numbers_get', await invoke(sb, 'numbers_get', { id: SANDBOX_NUMBERS.meta, refresh: false }, tenant))
      sent(t, sb, 'GET', '/v1/numbers/num_meta')
      okResult(t, 'numbers_get', await invoke(sb, 'numbers_get', { id: SANDBOX_NUMBERS.meta, refresh: true }, tenant))
      sent(t, sb, 'GET', '/v1/numbers/num_meta', undefined, { refresh: '1' })
      t.match(errorText(t, await invoke(sb, 'numbers_get', { id: 'num_meta' })), /^numbers_get failed: Pilot Status API answered HTTP 404 NUMBER_NOT_FOUND: Number num_meta not found\nHint: .*numbers_list/)
    })

    t.test('numbers_create → numbers_status → numbers_delete: the QR as an image, summaries at each step', async (t) => {
      const r = await invoke(sb, 'numbers_create', { name: 'Loja Centro', number: '+5511955554444' }, tenant)
      const d = okResult(t, 'numbers_create', r)
      const id = d.instance.id
      qrImage(t, r, d.qrcodeBase64)
      t.equal(text(r).split('\n')[0], `Created number ${id} (CONNECTING). ${QR_LINE}; or link with phone number using pairing code ${d.pairingCode}. Then poll numbers_status until OPEN.`)
      let s = await invoke(sb, 'numbers_status', { id }, tenant)
      t.equal(okResult(t, 'numbers_status', s).state, 'CONNECTING')
      t.equal(text(s).split('\n')[0], `Number ${id} is CONNECTING.`)
      tick(3 * STEP)
      s = await invoke(sb, 'numbers_status', { id }, tenant)
      t.equal(okResult(t, 'numbers_status', s).state, 'OPEN')
      t.equal(text(s).split('\n')[0], `Number ${id} is OPEN (fully connected).`)
      const del = await invoke(sb, 'numbers_delete', { id }, tenant)
      t.strictSame(okResult(t, 'numbers_delete', del), { ok: true })
      t.equal(text(del).split('\n')[0], `Deleted number ${id}.`)
      const twice = errorText(t, await invoke(sb, 'numbers_delete', { id }, tenant))
      t.match(twice, /HTTP 404 NUMBER_NOT_FOUND/)
    })

    t.test('numbers_connect: the QR as an image each time; refusals with their hint', async (t) => {
      const r = await invoke(sb, 'numbers_connect', { id: SANDBOX_NUMBERS.offline }, tenant)
      const d = okResult(t, 'numbers_connect', r)
      const first = qrImage(t, r, d.qrcodeBase64)
      t.equal(text(r).split('\n')[0], `Number num_offline is CONNECTING. ${QR_LINE}; or link with phone number using pairing code ${d.pairingCode}. Then poll numbers_status until OPEN.`)
      const r2 = await invoke(sb, 'numbers_connect', { id: SANDBOX_NUMBERS.offline }, { key: SANDBOX_KEYS.offline })
      t.not(qrImage(t, r2, okResult(t, 'numbers_connect', r2).qrcodeBase64), first, 'a new QR code')
      t.match(errorText(t, await invoke(sb, 'numbers_connect', { id: 'num_demo' }, tenant)), /^numbers_connect failed: Pilot Status API answered HTTP 409 ALREADY_CONNECTED: Number num_demo is already connected\nHint: .*already connected/)
      const meta = errorText(t, await invoke(sb, 'numbers_connect', { id: 'num_meta' }, tenant))
      t.match(meta, /HTTP 400 NOT_SUPPORTED_FOR_META/)
      t.match(meta, /Hint: Not available on Meta Cloud API numbers/)
    })

    t.test('numbers_remote_pairing: no image (the customer gets the QR on the link); summaries', async (t) => {
      const r = await invoke(sb, 'numbers_remote_pairing', { name: 'Cliente Acme', number: '+5511944443333' }, tenant)
      const d = okResult(t, 'numbers_remote_pairing', r)
      t.equal(r.content.length, 1, 'no QR block')
      t.equal(text(r).split('\n')[0], `Pairing link ${d.remotePairingUrl} for number ${d.instance.id}.`)
      const m = await invoke(sb, 'numbers_remote_pairing', { provider: 'META', metaFlow: 'credentials', branding: { companyName: 'Acme' } }, tenant)
      t.equal(text(m).split('\n')[0], `Pairing link ${okResult(t, 'numbers_remote_pairing', m).remotePairingUrl}.`)
      const wa = await invoke(sb, 'numbers_remote_pairing', { name: 'Cliente', number: '+5511944440002', sendViaWhatsApp: true }, tenant)
      okResult(t, 'numbers_remote_pairing', wa)
      t.match(text(wa).split('\n')[0], / Not sent by WhatsApp: No connected number has a sendable OTP template named pilot_status_remote_pairing$/)
      const base = sb.store.templates.get('tpl_welcome')!
      sb.store.templates.set('tpl_rp', { ...base, id: 'tpl_rp', name: 'pilot_status_remote_pairing', category: 'OTP', variables: [], examples: {} })
      const sentWa = await invoke(sb, 'numbers_remote_pairing', { name: 'Outro', number: '+5511944440003', sendViaWhatsApp: true }, tenant)
      okResult(t, 'numbers_remote_pairing', sentWa)
      t.match(text(sentWa).split('\n')[0], / The link was sent by WhatsApp\.$/)
      t.match(errorText(t, await invoke(sb, 'numbers_remote_pairing', { provider: 'META', redirectUrl: 'javascript:alert(1)' }, tenant)), /HTTP 400 VALIDATION_ERROR: redirectUrl must be an http\(s\) URL/)
    })

    t.test('numbers_check: others\' names fenced; a number key still sends whatsappNumberId as the header', async (t) => {
      const numbers = ['+55 11 98765-4321', '+1 555 000 0000', 'abc']
      const r = await invoke(sb, 'numbers_check', { numbers })
      okResult(t, 'numbers_check', r)
      sent(t, sb, 'POST', '/v1/numbers/check', { numbers })
      const tx = text(r)
      t.equal(tx.split('\n')[0], '1 of 3 on WhatsApp.')
      t.equal(tx.split('\n')[1], UNTRUSTED_NOTICE)
      t.match(tx, /<untrusted-data>\n[^]*"Maria Silva"[^]*\n<\/untrusted-data>$/)
      okResult(t, 'numbers_check', await invoke(sb, 'numbers_check', { number: '+5511987654321', whatsappNumberId: 'num_meta' }))
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_meta')
      t.same(sb.requests[0].body, { number: '+5511987654321' })
      const msg = errorText(t, await invoke(sb, 'numbers_check', { number: '+5511987654321' }, tenant))
      t.match(msg, /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
      t.match(msg, /pass whatsappNumberId/)
      const off = errorText(t, await invoke(sb, 'numbers_check', { number: '+5511987654321', whatsappNumberId: 'num_offline' }, tenant))
      t.match(off, /HTTP 409 WHATSAPP_INSTANCE_NOT_CONNECTED/)
      t.match(off, /Hint: .*numbers_connect/)
    })

    t.test('ids: one encoded path segment; a lone "." or ".." is refused (URL parsing would resolve it even as %2E%2E)', async (t) => {
      for (const [tool, suffix, method] of [['numbers_get', '', 'GET'], ['numbers_status', '/status', 'GET'], ['numbers_connect', '/connect', 'GET'], ['numbers_delete', '', 'DELETE']] as const) {
        t.match(errorText(t, await invoke(sb, tool, { id: '../numbers' }, tenant)), /HTTP 404 NUMBER_NOT_FOUND/)
        sent(t, sb, method, `/v1/numbers/%2E%2E%2Fnumbers${suffix}`)
        for (const id of ['..', '.']) {
          t.match(errorText(t, await invoke(sb, tool, { id }, tenant)), /not a valid id/, `${tool} ${id}`)
          t.equal(sb.requests.length, 0, 'nothing was sent')
        }
      }
      await invoke(sb, 'numbers_get', { id: 'num_demo/status?x=1#y' }, tenant)
      sent(t, sb, 'GET', '/v1/numbers/num_demo%2Fstatus%3Fx%3D1%23y')
    })

    t.test('invalid arguments are refused before any request', async (t) => {
      const both = /name and number are required when provider is PILOT_STATUS \(the default\)\./
      const exactlyOne = /Give exactly one of numbers \(array\) or number \(string\)\./
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['numbers_list', { whatsappNumberId: 'num_demo' }, /whatsappNumberId: unknown argument/],
        ['numbers_get', {}, /id/],
        ['numbers_get', { id: '' }, /id/],
        ['numbers_get', { id: 'num_demo', refresh: 'soon' }, /refresh/],
        ['numbers_status', {}, /id/],
        ['numbers_connect', {}, /id/],
        ['numbers_delete', { id: '' }, /id/],
        ['numbers_create', { name: 'Loja' }, /number/],
        ['numbers_create', { number: '+5511955554444' }, /name/],
        ['numbers_create', { name: '', number: '+5511955554444' }, /name/],
        ['numbers_create', { name: 'Loja', number: '+55 11 95555-4444' }, /number/],
        ['numbers_create', { name: 'Loja', number: '+551195555' }, /number/],
        ['numbers_create', { name: 'Loja', number: '+5511955554444', linkToApiKey: 'maybe' }, /linkToApiKey/],
        ['numbers_remote_pairing', {}, both],
        ['numbers_remote_pairing', { provider: 'PILOT_STATUS', name: 'Only name' }, both],
        ['numbers_remote_pairing', { number: '+5511944443333' }, both],
        ['numbers_remote_pairing', { provider: 'WABA' }, /provider/],
        ['numbers_remote_pairing', { provider: 'META', metaFlow: 'popup' }, /metaFlow/],
        ['numbers_remote_pairing', { provider: 'META', branding: 'blue' }, /branding/],
        ['numbers_remote_pairing', { name: 'A', number: '123' }, /number/],
        ['numbers_check', {}, exactlyOne],
        ['numbers_check', { numbers: ['+5511987654321'], number: '+5511987654321' }, exactlyOne],
        ['numbers_check', { numbers: [] }, /numbers/],
        ['numbers_check', { numbers: Array.from({ length: 21 }, (_, i) => `+55119000000${String(i).padStart(2, '0')}`) }, /numbers/],
        ['numbers_check', { numbers: ['+5511987654321', ''] }, /numbers\.1/],
        ['numbers_check', { number: '' }, /number/],
        ['numbers_check', { number: '+5511987654321', whatsappNumberId: '' }, /whatsappNumberId/]
      ]
      for (const [name, args, field] of cases) refused(t, sb, name, await invoke(sb, name, args, tenant), field)
    })

    // Last: a number key that creates a number moves to it.
    t.test('numbers_create with a number key: the summary says the key now acts on the new number; linkToApiKey false keeps it', async (t) => {
      const kept = await invoke(sb, 'numbers_create', { name: 'Filial', number: '+5521955553333', linkToApiKey: false })
      okResult(t, 'numbers_create', kept)
      sent(t, sb, 'POST', '/v1/numbers', { name: 'Filial', number: '+5521955553333', linkToApiKey: false })
      t.notOk(text(kept).includes('now acts on this number'))
      const r = await invoke(sb, 'numbers_create', { name: 'Filial 2', number: '5521955552222' })
      const d = okResult(t, 'numbers_create', r)
      sent(t, sb, 'POST', '/v1/numbers', { name: 'Filial 2', number: '5521955552222' })
      t.match(text(r).split('\n')[0], new RegExp(`^Created number ${d.instance.id} \\(CONNECTING\\)\\. The API key in use \\(key_demo_number\\) now acts on this number\\. QR code attached`))
    })
  })
}
