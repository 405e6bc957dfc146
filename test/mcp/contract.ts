// The tool contract as the registry enforces it: every argument problem in one answer (issue 12),
// date-times checked without TypeBox's global FormatRegistry, hint letters refused unless exact,
// summaries and media only on results the output schema accepts, and warm-up of the checks.
import t from 'tap'
import { FormatRegistry } from '@sinclair/typebox'
import { ApiClient, type ApiRequest, type ApiResponse } from '../../src/api/client.js'
import { callTool, type ToolResult } from '../../src/mcp/call.js'
import { ToolRegistry, type RegisteredTool } from '../../src/mcp/registry.js'
import { ALL_TOOLS } from '../../tools/index.js'
import { hints } from '../../tools/define.js'

/** An API client that answers every request with `answer` and records what was asked. */
class FakeApi extends ApiClient {
  readonly requests: ApiRequest[] = []
  constructor (private readonly answer: unknown) {
    super({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 1000 })
  }

  override async call<T = unknown> (req: ApiRequest): Promise<ApiResponse<T>> {
    this.requests.push(req)
    return { status: 200, data: this.answer as T, headers: {} }
  }
}

const registry = new ToolRegistry(ALL_TOOLS)
const tool = (name: string): RegisteredTool => {
  const found = registry.all.get(name)
  if (!found) throw new Error(`no tool ${name}`)
  return found
}
const warnings: string[] = []
async function run (name: string, args: unknown, answer: unknown = {}): Promise<{ result: ToolResult, api: FakeApi, text: string }> {
  const api = new FakeApi(answer)
  const result = await callTool(tool(name), args, {
    api,
    credentials: { kind: 'apiKey', key: 'ps_contract', source: 'header' },
    signal: new AbortController().signal,
    log: { debug () {}, info () {}, warn (_o, msg) { warnings.push(msg ?? '') }, error () {} }
  })
  const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n')
  return { result, api, text }
}

/** The problem lines of a refusal, without the heading and the closing line. */
const lines = (text: string) => text.split('\n').filter((l) => l.startsWith('- '))

t.test('every argument problem in one answer, each naming its field, and nothing sent', async (t) => {
  const send = await run('messages_send', { destinationNumber: 12345, text: 'x', deliverAt: 'tomorrow', bogus: 1 })
  t.equal(send.result.isError, true)
  t.match(send.text, /^Invalid arguments for messages_send:\n/)
  t.match(send.text, /\nThe tool was not run\.$/)
  t.same(lines(send.text), [
    `- bogus: unknown argument (valid: ${Object.keys(tool('messages_send').input.properties).join(', ')})`,
    '- deliverAt must be an ISO 8601 date-time with a zone, e.g. 2026-07-01T12:00:00Z'
  ], 'the unknown argument and the cross-field rule together')
  t.equal(send.api.requests.length, 0)

  const many = await run('messages_send', { destinationNumber: '+5511988887777', text: 'hi', mediaType: 'gif', buttons: 'nope', colour: 'red', deliverAt: '2020-01-01T00:00:00Z' })
  t.same(lines(many.text), [
    `- colour: unknown argument (valid: ${Object.keys(tool('messages_send').input.properties).join(', ')})`,
    '- mediaType: Expected union value',
    '- buttons: Expected array',
    '- deliverAt must be in the future (omit it to send now)'
  ], 'a rule about a field already refused (mediaType only goes with media) does not repeat it')

  const templ = await run('templates_create', { name: '', category: 'PROMO', body: true, examples: { a: 1 }, extra: true })
  t.same(lines(templ.text).map((l) => l.slice(2, l.indexOf(':'))).sort(), ['body', 'category', 'extra', 'name'], 'one line per bad field; examples {a: 1} is converted exactly')

  const calls = await run('calls_list', { limit: 0, before: 'yesterday', cursor: 'x' })
  t.same(lines(calls.text).map((l) => l.slice(2, l.indexOf(':'))).sort(), ['before', 'cursor', 'limit'])
  t.match(calls.text, /- before: must be an ISO 8601 date-time with a zone/)

  const nested = await run('messages_send', { destinationNumber: '+5511988887777', templateId: 'welcome', variables: { name: {}, order: 7 }, 'a/b': 1, constructor: 2 })
  t.same(lines(nested.text), [
    `- a/b: unknown argument (valid: ${Object.keys(tool('messages_send').input.properties).join(', ')})`,
    `- constructor: unknown argument (valid: ${Object.keys(tool('messages_send').input.properties).join(', ')})`,
    '- variables.name: Expected string'
  ], 'nested fields by their dotted path, names with / as written; order: 7 becomes "7"')

  const checkout = await run('billing_checkout', { purpose: 'wallet_topup', successUrl: 'ftp://x' })
  t.same(lines(checkout.text), [
    '- successUrl: Expected string to match \'^https?://\'',
    '- amount: required (> 0, in BRL) when purpose is wallet_topup'
  ], 'schema problem and cross-field rule together')
  t.equal(checkout.api.requests.length, 0)
})

t.test('cross-field rules wait while a required argument is missing or wrong (they may rely on it)', async (t) => {
  // templates_create's rule reads body; with body absent it is not run (and does not crash).
  const missing = await run('templates_create', { examples: {} })
  t.same(lines(missing.text).map((l) => l.slice(2, l.indexOf(':'))).sort(), ['body', 'name'])
  t.notMatch(missing.text, /internal error/)
  const wrong = await run('billing_checkout', { purpose: 'gift' })
  t.same(lines(wrong.text).map((l) => l.slice(2, l.indexOf(':'))), ['purpose'])
})

t.test('valid arguments pass untouched; whatsappNumberId travels as the header, not to the tool', async (t) => {
  const ok = await run('messages_send', { destinationNumber: '+5511988887777', text: 'hi', whatsappNumberId: 'num_1' }, { id: 'm1', correlationId: 'c1', status: 'QUEUED', createdAt: '2026-06-01T00:00:00Z' })
  t.equal(ok.result.isError, undefined)
  t.same(ok.api.requests.map((r) => [r.method, r.path, r.body]), [['POST', '/v1/messages/send', { destinationNumber: '+5511988887777', text: 'hi' }]])
})

t.test('date-times: a zone and a real instant, without touching TypeBox\'s global FormatRegistry', async (t) => {
  t.equal(FormatRegistry.Has('date-time'), false, 'importing the tools and building a registry registers no format')
  const list = tool('conversations_list')
  t.equal(list.entry.inputSchema.properties?.startDate && (list.entry.inputSchema.properties.startDate as { format?: string }).format, 'date-time', 'still listed as format: date-time')
  for (const good of ['2026-06-01T00:00:00Z', '2026-06-01T00:00Z', '2026-06-01T00:00:00.123+03:00', '2026-06-01T00:00:00-0300', '2026-06-01t00:00:00z']) {
    t.ok(list.acceptsInput({ startDate: good }), `${good} accepted`)
  }
  for (const bad of ['tomorrow', '2026-06-01', '2026-06-01T00:00:00', '2026-13-01T00:00:00Z', '2026-06-01 00:00:00Z', '']) {
    t.notOk(list.acceptsInput({ startDate: bad }), `${JSON.stringify(bad)} refused`)
    const r = await run('conversations_list', { startDate: '2026-06-01T00:00:00Z', endDate: bad })
    t.same(lines(r.text), ['- endDate: must be an ISO 8601 date-time with a zone, e.g. 2026-07-01T12:00:00Z'], `${JSON.stringify(bad)} named`)
    t.equal(r.api.requests.length, 0)
  }
  await import('../../src/app.js')
  t.equal(FormatRegistry.Has('date-time'), false, 'compiling, validating and loading the product registered none either')
})

t.test('hint letters: exactly the catalogue legend, or a loud error', async (t) => {
  t.same(hints(''), { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false })
  t.same(hints('RI'), { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false })
  t.same(hints('DIO'), { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true })
  // A string only known at run time is checked there (literals are checked by the compiler).
  for (const bad of ['RIO ', 'IR', 'RD', 'X', 'rio', 'OI']) {
    const letters: string = bad
    t.throws(() => hints(letters), { message: /use R, D, I, O in that order/ }, `${JSON.stringify(bad)} refused`)
  }
})

t.test('summary and media only on a result the output schema accepts; otherwise the whole JSON', async (t) => {
  const qr = 'data:image/png;base64,iVBORw0KGgo='
  const ok = await run('numbers_connect', { id: 'num_1' }, { qrcodeBase64: qr, pairingCode: 'ABCD', state: 'CONNECTING' })
  t.match(ok.text, /^Number num_1 is CONNECTING\. QR code attached/)
  t.notMatch(ok.text, /iVBORw0KGgo/, 'the base64 is not repeated in the text')
  t.same(ok.result.content.slice(1), [{ type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' }])

  warnings.length = 0
  const broken = await run('numbers_connect', { id: 'num_1' }, { qrcodeBase64: 'data:image/png;base64,@@not base64@@', pairingCode: 'ABCD' })
  t.equal(broken.result.content.length, 1, 'media that is not base64 is not attached...')
  t.match(broken.text, /"qrcodeBase64":"data:image\/png;base64,@@not base64@@"/, '...so the text keeps it')
  t.same(warnings, ['the API\'s media is not valid base64 with a MIME type; left out of the result'])

  warnings.length = 0
  const drift = await run('numbers_connect', { id: 'num_1' }, { qrcodeBase64: qr, pairingCode: 1234 })
  t.equal(drift.result.isError, undefined, 'a call that worked never fails on its answer')
  t.equal(drift.result.content.length, 1, 'no media built from an unchecked answer')
  t.same(JSON.parse(drift.text), { qrcodeBase64: qr, pairingCode: 1234 }, 'the text is the whole answer, base64 included: nothing is lost')
  t.same(drift.result.structuredContent, { qrcodeBase64: qr, pairingCode: 1234 })
  t.same(warnings, ['result does not match the output schema'])
})

t.test('warm-up: a server compiles every check at start; stdio stays lazy', async (t) => {
  const compiled = (r: ToolRegistry) => [...r.all.values()].filter((x) => Reflect.get(x, 'inputCheck') !== undefined && Reflect.get(x, 'outputCheck') !== undefined).length
  const lazy = new ToolRegistry(ALL_TOOLS)
  t.equal(compiled(lazy), 0, 'nothing compiled by default')
  t.equal(lazy.warm(), lazy)
  t.equal(compiled(lazy), ALL_TOOLS.length, 'warm() compiles every tool')
  const input = lazy.all.get('messages_send')!.checkInput
  lazy.warm()
  t.equal(lazy.all.get('messages_send')!.checkInput, input, 'compiled once')
  t.equal(compiled(new ToolRegistry(ALL_TOOLS, { eager: true })), ALL_TOOLS.length, '{ eager: true } warms in the constructor')
})
