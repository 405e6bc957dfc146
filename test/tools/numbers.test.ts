// The numbers toolset against the sandbox: the exact upstream request of every tool, results
// against the output schemas, QR codes as MCP image content, the create → scan → OPEN → delete
// lifecycle on a controlled clock, remote pairing links, the WhatsApp check and each error code.
import t, { type Test } from 'tap'
import { sandbox, invoke, okResult, errorText, registry, SANDBOX_KEYS, SANDBOX_KEY_IDS, SANDBOX_NUMBERS } from '../helper.js'
import { hints } from '../../tools/define.js'
import { UNTRUSTED_NOTICE, type ToolResult } from '../../src/mcp/call.js'
import type { RunningSandbox } from '../../sandbox/server.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const STEP = 1000
const SEEDED = new Date(NOW - 30 * 86_400_000).toISOString()
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

/** Nothing reached the API and the error names the field. */
function refused (t: Test, sb: RunningSandbox, r: ToolResult, field: RegExp) {
  const msg = errorText(t, r)
  t.match(msg, /^Invalid arguments for numbers_\w+:/)
  t.match(msg, field)
  t.match(msg, /The tool was not run\.$/)
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
  t.match(tx, /"qrcodeBase64": "\(attached as separate content\)"/)
  t.ok(tx.length < 1500, `the text block stays small (${tx.length} chars)`)
  return img.data
}

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

t.test('numbers_list', async (t) => {
  t.test('tenant key: every number of the account', async (t) => {
    const sb = await sandbox(t, { now: () => NOW })
    const r = await invoke(sb, 'numbers_list', {}, tenant)
    const d = okResult(t, 'numbers_list', r)
    const req = sent(t, sb, 'GET', '/v1/numbers')
    t.equal(req.headers['x-api-key'], SANDBOX_KEYS.tenant)
    t.equal(req.headers['x-whatsapp-number-id'], undefined)
    t.same(d.numbers.map((n: { id: string, state: string }) => [n.id, n.state]), [['num_demo', 'OPEN'], ['num_meta', 'OPEN'], ['num_offline', 'CLOSE']])
    t.strictSame(d.numbers[1], {
      id: 'num_meta',
      instanceName: 'inst_num_meta',
      number: '5511999990002',
      name: 'Demo Meta',
      provider: 'META',
      apiKeys: [{ name: 'Default', keyPrefix: 'ps_sandb', keyLast4: 'mber' }],
      state: 'OPEN',
      isFullyConnected: true,
      createdAt: SEEDED,
      updatedAt: SEEDED
    })
    t.notOk(text(r).includes(SANDBOX_KEYS.meta), 'no raw key in the result')
    t.equal(text(r).split('\n')[0], '3 number(s): Demo Store (num_demo) OPEN, Demo Meta (num_meta) OPEN, Support (num_offline) CLOSE.')
  })

  t.test('number key: only its own number', async (t) => {
    const sb = await sandbox(t, { now: () => NOW })
    const d = okResult(t, 'numbers_list', await invoke(sb, 'numbers_list', {}, { key: SANDBOX_KEYS.offline }))
    sent(t, sb, 'GET', '/v1/numbers')
    t.same(d.numbers.map((n: { id: string }) => n.id), ['num_offline'])
  })

  t.test('an unknown argument is refused before any request', async (t) => {
    const sb = await sandbox(t)
    refused(t, sb, await invoke(sb, 'numbers_list', { whatsappNumberId: 'num_demo' }, tenant), /- whatsappNumberId: unknown argument/)
  })
})

t.test('numbers_get', async (t) => {
  t.test('a Meta number: health and the Meta block; refresh fetches it again', async (t) => {
    const { sb, tick } = await clocked(t)
    const r = await invoke(sb, 'numbers_get', { id: SANDBOX_NUMBERS.meta }, tenant)
    const d = okResult(t, 'numbers_get', r)
    sent(t, sb, 'GET', '/v1/numbers/num_meta')
    t.match(d, { id: 'num_meta', provider: 'META', state: 'OPEN', isFullyConnected: true })
    t.strictSame(d.health, { qualityRating: 'GREEN', messagingLimitTier: 'TIER_1K', metaStatus: 'CONNECTED', sendable: true })
    t.match(d.meta, { phone: { id: '100200300400500', displayPhoneNumber: '+5511999990002', qualityRating: 'GREEN' }, waba: { id: '200300400500600' } })
    t.equal(d.meta.fetchedAt, new Date(NOW - 3_600_000).toISOString())
    t.equal(text(r).split('\n')[0], 'Number Demo Meta (num_meta): OPEN.')

    tick(60_000)
    const again = okResult(t, 'numbers_get', await invoke(sb, 'numbers_get', { id: SANDBOX_NUMBERS.meta, refresh: false }, tenant))
    sent(t, sb, 'GET', '/v1/numbers/num_meta')
    t.equal(again.meta.fetchedAt, new Date(NOW - 3_600_000).toISOString(), 'refresh: false sends no refresh')
    const fresh = okResult(t, 'numbers_get', await invoke(sb, 'numbers_get', { id: SANDBOX_NUMBERS.meta, refresh: true }, tenant))
    sent(t, sb, 'GET', '/v1/numbers/num_meta', undefined, { refresh: '1' })
    t.equal(fresh.meta.fetchedAt, new Date(NOW + 60_000).toISOString(), 'fetched live now')
  })

  t.test('QR numbers: meta is null; a closed one is not sendable', async (t) => {
    const sb = await sandbox(t, { now: () => NOW })
    const d = okResult(t, 'numbers_get', await invoke(sb, 'numbers_get', { id: 'num_demo' }, tenant))
    t.strictSame(d.health, { qualityRating: null, messagingLimitTier: null, metaStatus: null, sendable: true })
    t.equal(d.meta, null)
    const r = await invoke(sb, 'numbers_get', { id: 'num_offline' }, tenant)
    const off = okResult(t, 'numbers_get', r)
    t.equal(off.health.sendable, false)
    t.equal(text(r).split('\n')[0], 'Number Support (num_offline): CLOSE, not sendable.')
  })

  t.test('a number key sees only its own number: others are NUMBER_NOT_FOUND', async (t) => {
    const sb = await sandbox(t)
    okResult(t, 'numbers_get', await invoke(sb, 'numbers_get', { id: 'num_demo' }))
    const msg = errorText(t, await invoke(sb, 'numbers_get', { id: 'num_meta' }))
    sent(t, sb, 'GET', '/v1/numbers/num_meta')
    t.match(msg, /^numbers_get failed: Pilot Status API answered HTTP 404 NUMBER_NOT_FOUND: Number num_meta not found\nHint: .*numbers_list/)
  })

  t.test('hostile ids stay one encoded path segment', async (t) => {
    const sb = await sandbox(t)
    let msg = errorText(t, await invoke(sb, 'numbers_get', { id: '../numbers' }, tenant))
    sent(t, sb, 'GET', '/v1/numbers/%2E%2E%2Fnumbers')
    t.match(msg, /HTTP 404 NUMBER_NOT_FOUND: Number \.\.\/numbers not found/)
    msg = errorText(t, await invoke(sb, 'numbers_get', { id: 'num_demo/status?x=1#y' }, tenant))
    sent(t, sb, 'GET', '/v1/numbers/num_demo%2Fstatus%3Fx%3D1%23y')
    t.match(msg, /HTTP 404 NUMBER_NOT_FOUND/)
  })

  t.test('a lone "." or ".." id is refused: URL parsing would resolve it even as %2E%2E', async (t) => {
    const sb = await sandbox(t)
    for (const id of ['..', '.']) {
      for (const tool of ['numbers_get', 'numbers_status', 'numbers_connect', 'numbers_delete']) {
        const text = errorText(t, await invoke(sb, tool, { id }, tenant))
        t.match(text, /not a valid id.*The tool was not run/, `${tool} ${id}`)
      }
    }
    t.equal(sb.requests.length, 0, 'nothing was sent')
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t)
    refused(t, sb, await invoke(sb, 'numbers_get', {}, tenant), /- id: /)
    refused(t, sb, await invoke(sb, 'numbers_get', { id: '' }, tenant), /- id: /)
    refused(t, sb, await invoke(sb, 'numbers_get', { id: 'num_demo', refresh: 'soon' }, tenant), /- refresh: /)
  })
})

t.test('numbers_create → numbers_status → (scan) OPEN → numbers_delete → 404', async (t) => {
  const { sb, tick } = await clocked(t)
  const r = await invoke(sb, 'numbers_create', { name: 'Loja Centro', number: '+5511955554444' }, tenant)
  const d = okResult(t, 'numbers_create', r)
  const req = sent(t, sb, 'POST', '/v1/numbers', { name: 'Loja Centro', number: '+5511955554444' })
  t.equal(req.headers['content-type'], 'application/json')
  const id = d.instance.id
  t.match(id, /^num_sbx/)
  t.strictSame(d.instance, { id, instanceName: `inst_${id}`, number: '5511955554444', name: 'Loja Centro', state: 'CONNECTING' })
  t.match(d.pairingCode, /^[A-Z]{4}-\d{4}$/)
  t.equal(d.linkedApiKeyId, null, 'a tenant key is never linked')
  t.match(d.qrcodeBase64, /^data:image\/png;base64,/)
  qrImage(t, r, d.qrcodeBase64)
  t.equal(text(r).split('\n')[0], `Created number ${id} (CONNECTING). ${QR_LINE}; or link with phone number using pairing code ${d.pairingCode}. Then poll numbers_status until OPEN.`)

  const list = okResult(t, 'numbers_list', await invoke(sb, 'numbers_list', {}, tenant))
  t.same(list.numbers.map((n: { id: string, state: string }) => [n.id, n.state]).at(-1), [id, 'CONNECTING'])
  t.equal(list.numbers.length, 4)

  // Not scanned yet, one step before the simulated scan.
  tick(3 * STEP - 1)
  let s = await invoke(sb, 'numbers_status', { id }, tenant)
  t.strictSame(okResult(t, 'numbers_status', s), { id, state: 'CONNECTING', isFullyConnected: false })
  sent(t, sb, 'GET', `/v1/numbers/${id}/status`)
  t.equal(text(s).split('\n')[0], `Number ${id} is CONNECTING.`)
  tick(1)
  s = await invoke(sb, 'numbers_status', { id }, tenant)
  t.strictSame(okResult(t, 'numbers_status', s), { id, state: 'OPEN', isFullyConnected: true })
  t.equal(text(s).split('\n')[0], `Number ${id} is OPEN (fully connected).`)
  const g = okResult(t, 'numbers_get', await invoke(sb, 'numbers_get', { id }, tenant))
  t.match(g, { state: 'OPEN', provider: 'PILOT_STATUS', createdAt: new Date(NOW).toISOString(), updatedAt: new Date(NOW + 3 * STEP).toISOString(), health: { sendable: true } })

  const del = await invoke(sb, 'numbers_delete', { id }, tenant)
  t.strictSame(okResult(t, 'numbers_delete', del), { ok: true })
  sent(t, sb, 'DELETE', `/v1/numbers/${id}`)
  t.equal(text(del).split('\n')[0], `Deleted number ${id}.`)

  t.match(errorText(t, await invoke(sb, 'numbers_get', { id }, tenant)), /HTTP 404 NUMBER_NOT_FOUND/)
  t.match(errorText(t, await invoke(sb, 'numbers_status', { id }, tenant)), /HTTP 404 NUMBER_NOT_FOUND/)
  t.match(errorText(t, await invoke(sb, 'numbers_delete', { id }, tenant)), /HTTP 404 NUMBER_NOT_FOUND/, 'deleting twice')
  const after = okResult(t, 'numbers_list', await invoke(sb, 'numbers_list', {}, tenant))
  t.same(after.numbers.map((n: { id: string }) => n.id), ['num_demo', 'num_meta', 'num_offline'])
})

t.test('numbers_create', async (t) => {
  t.test('with a number key the key moves to the new number (linkToApiKey default true)', async (t) => {
    const sb = await sandbox(t)
    const r = await invoke(sb, 'numbers_create', { name: 'Filial', number: '5521955553333' })
    const d = okResult(t, 'numbers_create', r)
    sent(t, sb, 'POST', '/v1/numbers', { name: 'Filial', number: '5521955553333' })
    t.equal(d.linkedApiKeyId, SANDBOX_KEY_IDS.number)
    t.match(text(r).split('\n')[0], new RegExp(`^Created number ${d.instance.id} \\(CONNECTING\\)\\. The API key in use \\(key_demo_number\\) now acts on this number\\. QR code attached`))
    t.equal(sb.store.keys.get(SANDBOX_KEYS.number)!.numberId, d.instance.id)
    const list = okResult(t, 'numbers_list', await invoke(sb, 'numbers_list', {}))
    t.same(list.numbers.map((n: { id: string }) => n.id), [d.instance.id], 'the key now sees the new number only')
  })

  t.test('linkToApiKey false keeps the key where it is', async (t) => {
    const sb = await sandbox(t)
    const r = await invoke(sb, 'numbers_create', { name: 'Filial', number: '+5521955553333', linkToApiKey: false })
    const d = okResult(t, 'numbers_create', r)
    sent(t, sb, 'POST', '/v1/numbers', { name: 'Filial', number: '+5521955553333', linkToApiKey: false })
    t.equal(d.linkedApiKeyId, null)
    t.notOk(text(r).includes('now acts on this number'))
    t.equal(sb.store.keys.get(SANDBOX_KEYS.number)!.numberId, 'num_demo')
  })

  t.test('a number already in the account → 409 NUMBER_ALREADY_EXISTS', async (t) => {
    const sb = await sandbox(t)
    const msg = errorText(t, await invoke(sb, 'numbers_create', { name: 'Again', number: '+5511999990001' }, tenant))
    t.equal(sb.requests.length, 1)
    t.match(msg, /HTTP 409 NUMBER_ALREADY_EXISTS: \+5511999990001 is already registered in this account as num_demo/)
    t.equal(sb.store.numbers.size, 3)
  })

  t.test('the API\'s own validation (name too long) → 400 VALIDATION_ERROR', async (t) => {
    const sb = await sandbox(t)
    const msg = errorText(t, await invoke(sb, 'numbers_create', { name: 'x'.repeat(101), number: '+5511955554444' }, tenant))
    t.match(msg, /HTTP 400 VALIDATION_ERROR: name must be at most 100 characters/)
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t)
    refused(t, sb, await invoke(sb, 'numbers_create', { name: 'Loja' }, tenant), /- number: /)
    refused(t, sb, await invoke(sb, 'numbers_create', { number: '+5511955554444' }, tenant), /- name: /)
    refused(t, sb, await invoke(sb, 'numbers_create', { name: '', number: '+5511955554444' }, tenant), /- name: /)
    refused(t, sb, await invoke(sb, 'numbers_create', { name: 'Loja', number: '+55 11 95555-4444' }, tenant), /- number: /)
    refused(t, sb, await invoke(sb, 'numbers_create', { name: 'Loja', number: '+551195555' }, tenant), /- number: /)
    refused(t, sb, await invoke(sb, 'numbers_create', { name: 'Loja', number: '+5511955554444', linkToApiKey: 'maybe' }, tenant), /- linkToApiKey: /)
  })
})

t.test('numbers_connect', async (t) => {
  t.test('a closed number gets a new QR each time, then is scanned and refuses another', async (t) => {
    const { sb, tick } = await clocked(t)
    const r = await invoke(sb, 'numbers_connect', { id: SANDBOX_NUMBERS.offline }, tenant)
    const d = okResult(t, 'numbers_connect', r)
    sent(t, sb, 'GET', '/v1/numbers/num_offline/connect')
    t.equal(d.id, 'num_offline')
    t.equal(d.state, 'CONNECTING')
    t.match(d.pairingCode, /^[A-Z]{4}-\d{4}$/)
    const first = qrImage(t, r, d.qrcodeBase64)
    t.equal(text(r).split('\n')[0], `Number num_offline is CONNECTING. ${QR_LINE}; or link with phone number using pairing code ${d.pairingCode}. Then poll numbers_status until OPEN.`)

    tick(STEP)
    const r2 = await invoke(sb, 'numbers_connect', { id: SANDBOX_NUMBERS.offline }, { key: SANDBOX_KEYS.offline })
    const d2 = okResult(t, 'numbers_connect', r2)
    sent(t, sb, 'GET', '/v1/numbers/num_offline/connect')
    t.not(qrImage(t, r2, d2.qrcodeBase64), first, 'a new QR code')
    t.not(d2.pairingCode, d.pairingCode, 'a new pairing code')

    // The scan counts from the latest QR.
    tick(3 * STEP - 1)
    t.equal(okResult(t, 'numbers_status', await invoke(sb, 'numbers_status', { id: 'num_offline' }, tenant)).state, 'CONNECTING')
    tick(1)
    t.equal(okResult(t, 'numbers_status', await invoke(sb, 'numbers_status', { id: 'num_offline' }, tenant)).state, 'OPEN')
    const msg = errorText(t, await invoke(sb, 'numbers_connect', { id: SANDBOX_NUMBERS.offline }, tenant))
    t.match(msg, /^numbers_connect failed: Pilot Status API answered HTTP 409 ALREADY_CONNECTED: Number num_offline is already connected\nHint: .*already connected/)
  })

  t.test('documented refusals: OPEN → 409, Meta → NOT_SUPPORTED_FOR_META, unknown → 404', async (t) => {
    const sb = await sandbox(t)
    t.match(errorText(t, await invoke(sb, 'numbers_connect', { id: 'num_demo' }, tenant)), /HTTP 409 ALREADY_CONNECTED/)
    sent(t, sb, 'GET', '/v1/numbers/num_demo/connect')
    const meta = errorText(t, await invoke(sb, 'numbers_connect', { id: 'num_meta' }, tenant))
    t.match(meta, /HTTP 400 NOT_SUPPORTED_FOR_META: Meta Cloud API numbers do not pair by QR code/)
    t.match(meta, /Hint: Not available on Meta Cloud API numbers/)
    t.match(errorText(t, await invoke(sb, 'numbers_connect', { id: 'num_offline' })), /HTTP 404 NUMBER_NOT_FOUND/, 'another number than the key\'s')
    t.equal(sb.store.numbers.get('num_offline')!.state, 'CLOSE', 'untouched')
  })

  t.test('hostile id and missing id', async (t) => {
    const sb = await sandbox(t)
    t.match(errorText(t, await invoke(sb, 'numbers_connect', { id: '../numbers' }, tenant)), /HTTP 404 NUMBER_NOT_FOUND/)
    sent(t, sb, 'GET', '/v1/numbers/%2E%2E%2Fnumbers/connect')
    refused(t, sb, await invoke(sb, 'numbers_connect', {}, tenant), /- id: /)
  })
})

t.test('numbers_status and numbers_delete: scope, hostile ids, missing ids', async (t) => {
  const sb = await sandbox(t)
  const s = okResult(t, 'numbers_status', await invoke(sb, 'numbers_status', { id: 'num_demo' }))
  t.strictSame(s, { id: 'num_demo', state: 'OPEN', isFullyConnected: true })
  t.match(errorText(t, await invoke(sb, 'numbers_status', { id: 'num_meta' })), /HTTP 404 NUMBER_NOT_FOUND/, 'number key: another number')
  t.match(errorText(t, await invoke(sb, 'numbers_status', { id: '../numbers' }, tenant)), /HTTP 404 NUMBER_NOT_FOUND/)
  sent(t, sb, 'GET', '/v1/numbers/%2E%2E%2Fnumbers/status')
  refused(t, sb, await invoke(sb, 'numbers_status', {}, tenant), /- id: /)

  t.match(errorText(t, await invoke(sb, 'numbers_delete', { id: '../numbers' }, tenant)), /HTTP 404 NUMBER_NOT_FOUND/)
  sent(t, sb, 'DELETE', '/v1/numbers/%2E%2E%2Fnumbers')
  t.match(errorText(t, await invoke(sb, 'numbers_delete', { id: 'num_meta' })), /HTTP 404 NUMBER_NOT_FOUND/, 'a number key cannot delete another number')
  t.equal(sb.store.numbers.size, 3)
  refused(t, sb, await invoke(sb, 'numbers_delete', { id: '' }, tenant), /- id: /)
})

t.test('numbers_delete of the key\'s own number removes its templates and the key itself', async (t) => {
  const sb = await sandbox(t)
  t.strictSame(okResult(t, 'numbers_delete', await invoke(sb, 'numbers_delete', { id: 'num_demo' })), { ok: true })
  sent(t, sb, 'DELETE', '/v1/numbers/num_demo')
  t.same([...sb.store.templates.values()].filter((x) => x.numberId === 'num_demo'), [])
  t.match(errorText(t, await invoke(sb, 'numbers_list', {})), /HTTP 401 UNAUTHORIZED: Invalid API key/)
  const list = okResult(t, 'numbers_list', await invoke(sb, 'numbers_list', {}, tenant))
  t.same(list.numbers.map((n: { id: string }) => n.id), ['num_meta', 'num_offline'])
})

t.test('numbers_remote_pairing', async (t) => {
  t.test('PILOT_STATUS: a CLOSE number and a live hosted link the customer completes', async (t) => {
    const { sb, tick } = await clocked(t)
    const r = await invoke(sb, 'numbers_remote_pairing', { name: 'Cliente Acme', number: '+5511944443333' }, tenant)
    const d = okResult(t, 'numbers_remote_pairing', r)
    sent(t, sb, 'POST', '/v1/numbers/remote-pairing', { name: 'Cliente Acme', number: '+5511944443333' })
    const id = d.instance.id
    const token = d.remotePairingToken
    t.match(token, /^rp_sbx/)
    t.strictSame(d, {
      instance: { id, instanceName: `inst_${id}`, number: '5511944443333', name: 'Cliente Acme', state: 'CLOSE' },
      remotePairingToken: token,
      remotePairingUrl: `https://pilotstatus.com.br/connect/${token}`,
      maskedNumber: '+551194****3333',
      messageSent: false
    })
    t.equal(r.content.length, 1, 'no QR: the customer gets it on the link')
    t.equal(text(r).split('\n')[0], `Pairing link https://pilotstatus.com.br/connect/${token} for number ${id}.`)
    t.equal(okResult(t, 'numbers_status', await invoke(sb, 'numbers_status', { id }, tenant)).state, 'CLOSE')

    // The customer's side: the public token routes behind the hosted page (no API key).
    const page = await fetch(`${sb.url}/v1/remote-pairing/${token}`)
    t.equal(page.status, 200)
    t.strictSame(await page.json(), { valid: true, provider: 'PILOT_STATUS', name: 'Cliente Acme', number: '5511944443333', state: 'CLOSE', branding: null })
    const qr = await fetch(`${sb.url}/v1/remote-pairing/${token}/connect`, { method: 'POST' })
    t.match(await qr.json(), { qrcodeBase64: /^data:image\/png;base64,/, pairingCode: /^[A-Z]{4}-\d{4}$/ })
    t.equal(okResult(t, 'numbers_status', await invoke(sb, 'numbers_status', { id }, tenant)).state, 'CONNECTING')
    tick(3 * STEP)
    t.strictSame(okResult(t, 'numbers_status', await invoke(sb, 'numbers_status', { id }, tenant)), { id, state: 'OPEN', isFullyConnected: true })
    t.strictSame(await (await fetch(`${sb.url}/v1/remote-pairing/${token}/status`)).json(), { state: 'OPEN', isFullyConnected: true })
    t.equal((await fetch(`${sb.url}/v1/remote-pairing/${token}`)).status, 404, 'single use: the token is gone once connected')
  })

  t.test('META: a signup link, no number created', async (t) => {
    const sb = await sandbox(t)
    const args = { provider: 'META', metaFlow: 'credentials', redirectUrl: 'https://crm.example/whatsapp/done', externalRef: 'crm-42', branding: { companyName: 'Acme' } }
    const r = await invoke(sb, 'numbers_remote_pairing', args, tenant)
    const d = okResult(t, 'numbers_remote_pairing', r)
    sent(t, sb, 'POST', '/v1/numbers/remote-pairing', args)
    t.equal(d.instance, null)
    t.equal(d.maskedNumber, null)
    t.equal(d.remotePairingUrl, `https://pilotstatus.com.br/connect/${d.remotePairingToken}`)
    t.equal(text(r).split('\n')[0], `Pairing link ${d.remotePairingUrl}.`)
    t.equal(sb.store.numbers.size, 3)
    t.strictSame(await (await fetch(`${sb.url}/v1/remote-pairing/${d.remotePairingToken}`)).json(),
      { valid: true, provider: 'META', name: null, number: null, state: 'CLOSE', branding: { companyName: 'Acme' } })
  })

  t.test('sendViaWhatsApp needs a sendable OTP template named pilot_status_remote_pairing', async (t) => {
    const sb = await sandbox(t)
    let r = await invoke(sb, 'numbers_remote_pairing', { name: 'Cliente', number: '+5511944443333', sendViaWhatsApp: true }, tenant)
    let d = okResult(t, 'numbers_remote_pairing', r)
    sent(t, sb, 'POST', '/v1/numbers/remote-pairing', { name: 'Cliente', number: '+5511944443333', sendViaWhatsApp: true })
    t.equal(d.messageSent, false)
    t.equal(d.messageError, 'No connected number has a sendable OTP template named pilot_status_remote_pairing')
    t.match(text(r).split('\n')[0], / Not sent by WhatsApp: No connected number has a sendable OTP template named pilot_status_remote_pairing$/)

    const base = sb.store.templates.get('tpl_welcome')!
    sb.store.templates.set('tpl_rp', { ...base, id: 'tpl_rp', name: 'pilot_status_remote_pairing', category: 'OTP', variables: [], examples: {} })
    r = await invoke(sb, 'numbers_remote_pairing', { name: 'Outro Cliente', number: '+5511944442222', sendViaWhatsApp: true }, tenant)
    d = okResult(t, 'numbers_remote_pairing', r)
    t.equal(d.messageSent, true)
    t.equal(d.messageError, undefined)
    t.match(text(r).split('\n')[0], / The link was sent by WhatsApp\.$/)
  })

  t.test('a number key moves to the new number unless linkToApiKey is false', async (t) => {
    const sb = await sandbox(t)
    const kept = okResult(t, 'numbers_remote_pairing', await invoke(sb, 'numbers_remote_pairing', { name: 'A', number: '+5511944441111', linkToApiKey: false }))
    sent(t, sb, 'POST', '/v1/numbers/remote-pairing', { name: 'A', number: '+5511944441111', linkToApiKey: false })
    t.equal(sb.store.keys.get(SANDBOX_KEYS.number)!.numberId, 'num_demo')
    const moved = okResult(t, 'numbers_remote_pairing', await invoke(sb, 'numbers_remote_pairing', { name: 'B', number: '+5511944440001' }))
    t.equal(sb.store.keys.get(SANDBOX_KEYS.number)!.numberId, moved.instance.id)
    t.not(moved.instance.id, kept.instance.id)
  })

  t.test('errors: existing number → 409, bad redirectUrl → 400 VALIDATION_ERROR', async (t) => {
    const sb = await sandbox(t)
    t.match(errorText(t, await invoke(sb, 'numbers_remote_pairing', { name: 'X', number: '5511999990003' }, tenant)), /HTTP 409 NUMBER_ALREADY_EXISTS/)
    t.match(errorText(t, await invoke(sb, 'numbers_remote_pairing', { provider: 'META', redirectUrl: 'javascript:alert(1)' }, tenant)), /HTTP 400 VALIDATION_ERROR: redirectUrl must be an http\(s\) URL/)
    t.equal(sb.store.numbers.size, 3)
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t)
    const both = /- name and number are required when provider is PILOT_STATUS \(the default\)\./
    refused(t, sb, await invoke(sb, 'numbers_remote_pairing', {}, tenant), both)
    refused(t, sb, await invoke(sb, 'numbers_remote_pairing', { provider: 'PILOT_STATUS', name: 'Only name' }, tenant), both)
    refused(t, sb, await invoke(sb, 'numbers_remote_pairing', { number: '+5511944443333' }, tenant), both)
    refused(t, sb, await invoke(sb, 'numbers_remote_pairing', { provider: 'WABA' }, tenant), /- provider: /)
    refused(t, sb, await invoke(sb, 'numbers_remote_pairing', { provider: 'META', metaFlow: 'popup' }, tenant), /- metaFlow: /)
    refused(t, sb, await invoke(sb, 'numbers_remote_pairing', { provider: 'META', branding: 'blue' }, tenant), /- branding: /)
    refused(t, sb, await invoke(sb, 'numbers_remote_pairing', { name: 'A', number: '123' }, tenant), /- number: /)
  })
})

t.test('numbers_check', async (t) => {
  t.test('a list in any format: contacts by name, BR 9th digit, unknown and impossible numbers', async (t) => {
    const sb = await sandbox(t)
    const numbers = ['+55 11 98765-4321', '551187654321', '(11) 99999-0002 ', '+1 555 000 0000', '+55 11 97654-3210', '+5511912345678', 'abc']
    const r = await invoke(sb, 'numbers_check', { numbers })
    const d = okResult(t, 'numbers_check', r)
    const req = sent(t, sb, 'POST', '/v1/numbers/check', { numbers })
    t.equal(req.headers['x-whatsapp-number-id'], undefined)
    t.strictSame(d.results, [
      { input: '+55 11 98765-4321', exists: true, number: '5511987654321', name: 'Maria Silva' },
      { input: '551187654321', exists: true, number: '5511987654321', name: 'Maria Silva' },
      // Without the country code it is a 11-digit number that is nobody the sandbox knows.
      { input: '(11) 99999-0002 ', exists: true, number: '11999990002', name: null },
      { input: '+1 555 000 0000', exists: false, number: null, name: null },
      // Júlia is the Meta number's contact, not this number's: no name leaks across numbers.
      { input: '+55 11 97654-3210', exists: true, number: '5511976543210', name: null },
      { input: '+5511912345678', exists: true, number: '5511912345678', name: null },
      { input: 'abc', exists: false, number: null, name: null }
    ])
    const tx = text(r)
    t.equal(tx.split('\n')[0], '5 of 7 on WhatsApp.')
    t.equal(tx.split('\n')[1], UNTRUSTED_NOTICE)
    t.match(tx, /<untrusted-data>\n[^]*"Maria Silva"[^]*\n<\/untrusted-data>$/)
  })

  t.test('one number; the account\'s own numbers are known by name', async (t) => {
    const sb = await sandbox(t)
    const d = okResult(t, 'numbers_check', await invoke(sb, 'numbers_check', { number: '+5511999990002' }))
    sent(t, sb, 'POST', '/v1/numbers/check', { number: '+5511999990002' })
    t.strictSame(d.results, [{ input: '+5511999990002', exists: true, number: '5511999990002', name: 'Demo Meta' }])
  })

  t.test('tenant key: TENANT_SCOPE_NOT_ALLOWED without a number, works with whatsappNumberId', async (t) => {
    const sb = await sandbox(t)
    const msg = errorText(t, await invoke(sb, 'numbers_check', { number: '+5511987654321' }, tenant))
    const req = sent(t, sb, 'POST', '/v1/numbers/check', { number: '+5511987654321' })
    t.equal(req.headers['x-whatsapp-number-id'], undefined)
    t.match(msg, /HTTP 403 TENANT_SCOPE_NOT_ALLOWED/)
    t.match(msg, /pass whatsappNumberId/)

    const d = okResult(t, 'numbers_check', await invoke(sb, 'numbers_check', { number: '+5511987654321', whatsappNumberId: 'num_demo' }, tenant))
    const ok = sent(t, sb, 'POST', '/v1/numbers/check', { number: '+5511987654321' })
    t.equal(ok.headers['x-whatsapp-number-id'], 'num_demo')
    t.equal(d.results[0].name, 'Maria Silva')

    t.match(errorText(t, await invoke(sb, 'numbers_check', { number: '+5511987654321', whatsappNumberId: 'num_nope' }, tenant)), /HTTP 404 NUMBER_NOT_FOUND/)
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_nope')
  })

  t.test('a number key ignores whatsappNumberId (the header is sent, its own number is used)', async (t) => {
    const sb = await sandbox(t)
    const d = okResult(t, 'numbers_check', await invoke(sb, 'numbers_check', { number: '+5511987654321', whatsappNumberId: 'num_meta' }))
    t.equal(sb.requests[0].headers['x-whatsapp-number-id'], 'num_meta')
    t.equal(d.results[0].name, 'Maria Silva', 'checked by num_demo, not refused as Meta')
  })

  t.test('documented errors: Meta → NOT_SUPPORTED_FOR_META, disconnected → WHATSAPP_INSTANCE_NOT_CONNECTED', async (t) => {
    const sb = await sandbox(t)
    const meta = errorText(t, await invoke(sb, 'numbers_check', { number: '+5511987654321' }, { key: SANDBOX_KEYS.meta }))
    t.match(meta, /HTTP 400 NOT_SUPPORTED_FOR_META: Number checks are available only on Pilot Status \(QR\) numbers/)
    const off = errorText(t, await invoke(sb, 'numbers_check', { number: '+5511987654321', whatsappNumberId: 'num_offline' }, tenant))
    t.match(off, /HTTP 409 WHATSAPP_INSTANCE_NOT_CONNECTED: Number num_offline is not connected to WhatsApp \(state CLOSE\)/)
    t.match(off, /Hint: .*numbers_connect/)
  })

  t.test('invalid arguments are refused before any request', async (t) => {
    const sb = await sandbox(t)
    const exactlyOne = /- Give exactly one of numbers \(array\) or number \(string\)\./
    refused(t, sb, await invoke(sb, 'numbers_check', {}), exactlyOne)
    refused(t, sb, await invoke(sb, 'numbers_check', { numbers: ['+5511987654321'], number: '+5511987654321' }), exactlyOne)
    refused(t, sb, await invoke(sb, 'numbers_check', { numbers: [] }), /- numbers: /)
    refused(t, sb, await invoke(sb, 'numbers_check', { numbers: Array.from({ length: 21 }, (_, i) => `+55119000000${String(i).padStart(2, '0')}`) }), /- numbers: /)
    refused(t, sb, await invoke(sb, 'numbers_check', { numbers: ['+5511987654321', ''] }), /- numbers\.1: /)
    refused(t, sb, await invoke(sb, 'numbers_check', { number: '' }), /- number: /)
    refused(t, sb, await invoke(sb, 'numbers_check', { number: '+5511987654321', whatsappNumberId: '' }, tenant), /- whatsappNumberId: /)
  })
})
