// The confirmation building blocks on their own: which tools ask, the signed request state, the
// single-use ledger, and the sentences a person reads.
import t from 'tap'
import { registry } from '../helper.js'
import { asksByDefault, needsConfirmation } from '../../src/confirm/policy.js'
import { argumentsDigest, createApprovalCodec, MemoryConsumeOnce, type ApprovalState } from '../../src/confirm/state.js'
import { fingerprint } from '../../src/api/credentials.js'
import { describeCall, DESCRIBED_TOOLS, formatPhone, type Reader } from '../../src/confirm/describe.js'
import { ASKING_TOOLS, VALID_ARGS } from './fixtures.js'

t.test('the asking tools are derived from the hints and are exactly the listed ones', async (t) => {
  const derived = [...registry.all.values()].filter((x) => asksByDefault(x.def.annotations)).map((x) => x.def.name).sort()
  t.same(derived, ASKING_TOOLS)
  for (const x of registry.all.values()) {
    if (x.def.annotations.readOnlyHint) t.notOk(asksByDefault(x.def.annotations), `${x.def.name} is read-only and never asks`)
  }
  t.same([...DESCRIBED_TOOLS].sort(), ASKING_TOOLS, 'every asking tool has its own description builder')
})

t.test('the policy: off never asks; a tool list replaces the derived one', async (t) => {
  const send = registry.all.get('messages_send')!.def
  const list = registry.all.get('templates_list')!.def
  t.ok(needsConfirmation({ mode: 'auto' }, send.name, send.annotations))
  t.notOk(needsConfirmation({ mode: 'off' }, send.name, send.annotations))
  t.notOk(needsConfirmation({ mode: 'auto' }, list.name, list.annotations))
  const only = { mode: 'required' as const, tools: new Set(['templates_list']) }
  t.ok(needsConfirmation(only, list.name, list.annotations))
  t.notOk(needsConfirmation(only, send.name, send.annotations))
})

const SECRET = 'a'.repeat(32)
const state: ApprovalState = { t: 'messages_send', d: argumentsDigest({ b: 1, a: 'x' }), f: 'ffff', n: 'id-1', s: 'ask' }

t.test('request states: verified with the same key, refused when tampered or signed by another key', async (t) => {
  const codec = createApprovalCodec(SECRET)
  const wire = await codec.mint(state)
  t.same(await codec.verify(wire), state, 'the same key verifies')
  t.same(await createApprovalCodec(SECRET).verify(wire), state, 'another instance with the same secret verifies (replicas)')
  await t.rejects(createApprovalCodec('b'.repeat(32)).verify(wire), 'another key is refused')
  await t.rejects(createApprovalCodec(undefined).verify(wire), 'a random key is refused')
  const [v, body, mac] = wire.split('.')
  const decoded = JSON.parse(Buffer.from(body, 'base64url').toString())
  decoded.p.d = argumentsDigest({ other: true })
  const forged = `${v}.${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${mac}`
  await t.rejects(codec.verify(forged), 'a changed payload is refused')
  await t.rejects(codec.verify('not a state'), 'garbage is refused')
  t.throws(() => createApprovalCodec('short'), /at least 32/)
})

t.test('request states expire after ten minutes', async (t) => {
  const codec = createApprovalCodec(SECRET)
  const wire = await codec.mint(state)
  const realNow = Date.now
  t.teardown(() => { Date.now = realNow })
  Date.now = () => realNow() + 601_000
  await t.rejects(codec.verify(wire), 'expired')
})

t.test('digests ignore key order; fingerprints never contain the secret', async (t) => {
  t.equal(argumentsDigest({ a: 1, b: { c: 2, d: [1, 2] } }), argumentsDigest({ b: { d: [1, 2], c: 2 }, a: 1 }))
  t.not(argumentsDigest({ a: 1 }), argumentsDigest({ a: 2 }))
  const fp = fingerprint({ kind: 'apiKey', key: 'ps_secret_value', source: 'header' })
  t.match(fp, /^[0-9a-f]{16}$/)
  t.not(fp, fingerprint({ kind: 'apiKey', key: 'ps_other_value', source: 'header' }))
})

t.test('an approval id is consumed once', async (t) => {
  const once = new MemoryConsumeOnce()
  t.equal(await once.consumeOnce('x', 60_000), true)
  t.equal(await once.consumeOnce('x', 60_000), false)
  t.equal(await once.consumeOnce('y', 60_000), true)
})

const reads = (answers: Record<string, unknown>): Reader & { seen: string[] } => {
  const seen: string[] = []
  const r = (async (path: string) => { seen.push(path); return answers[path] }) as Reader & { seen: string[] }
  r.seen = seen
  return r
}

t.test('what a person reads: the concrete effect, with names read from the API', async (t) => {
  t.equal(formatPhone('+5511999999999'), '+55 11 99999-9999')
  t.equal(formatPhone('554133334444'), '+55 41 3333-4444')
  t.equal(formatPhone('+14155550100'), '+14155550100')

  const numbers = { '/v1/numbers': [{ id: 'num_1', number: '5541988887777', name: 'Loja Centro' }] }
  t.equal(
    await describeCall('messages_send', 'Send', { destinationNumber: '+5511999999999', text: 'Olá Maria, seu pedido chegou.' }, reads(numbers)),
    'Send this WhatsApp message to +55 11 99999-9999 from +55 41 98888-7777 (Loja Centro): «Olá Maria, seu pedido chegou.»'
  )
  t.match(
    await describeCall('messages_send', 'Send', { groupId: 'g1@g.us', templateId: 'order_update', variables: { order: '123' }, deliverAt: '2030-01-01T00:00:00Z' }, reads({})),
    /^Send this WhatsApp message to the WhatsApp group g1@g.us, scheduled for 2030-01-01T00:00:00Z: template `order_update` with order = «123»$/
  )
  t.equal(
    await describeCall('templates_delete', 'Delete', { id: 'tpl_1' }, reads({ '/v1/templates/tpl_1': { name: 'order_update', language: 'pt_BR', status: 'APPROVED' }, ...numbers })),
    'Delete template `order_update` (pt_BR, APPROVED). Messages using it can no longer be sent; on Meta numbers it is also removed from the WhatsApp Business Account. This cannot be undone.'
  )
  t.equal(
    await describeCall('api_keys_regenerate_number', 'Regenerate', { whatsappNumberId: 'num_1' }, reads(numbers)),
    'Regenerate the API key of number +55 41 98888-7777 (Loja Centro): integrations using the old key stop working at once, until they are given the new one.'
  )
  t.equal(
    await describeCall('api_keys_regenerate_number', 'Regenerate', { whatsappNumberId: 'num_9' }, reads({})),
    'Regenerate the API key of number num_9: integrations using the old key stop working at once, until they are given the new one.',
    'a failed read leaves the name out, never invents one'
  )
  t.equal(
    await describeCall('subscription_extra_numbers_add', 'Buy', { quantity: 2 }, reads({ '/v1/subscription/extra-numbers': { monthlyTotalBRL: 98, unitPriceBRL: 49, requiresConversion: true } })),
    'Buy 2 extra WhatsApp number slot(s): R$ 98.00 per month (R$ 49.00 each), charged every month; the account moves from the Free plan to On Demand.'
  )
  t.equal(
    await describeCall('call_terminate', 'Hang up', { callId: 'call_1' }, reads({ '/v1/calls/call_1': { peerNumber: '+5511999999999', status: 'ACCEPTED' } })),
    'Hang up the WhatsApp call with +55 11 99999-9999 [call_1, ACCEPTED] for both sides.'
  )
  const long = 'x'.repeat(1000)
  const text = await describeCall('messages_send', 'Send', { destinationNumber: '+5511999999999', text: long }, reads({}))
  t.ok(text.length < 400, 'long texts are shortened')
  t.equal(await describeCall('templates_list', 'List templates', { page: 2 }, reads({})), 'List templates (templates_list) with page = 2.', 'a tool without a builder shows its title and arguments')
})

t.test('the settings: PILOT_STATUS_CONFIRM, _TOOLS and _SECRET are read and checked', async (t) => {
  const { loadConfig } = await import('../../src/config.js')
  const known = new Set(registry.all.keys())
  const d = loadConfig({}, {}, known)
  t.same([d.confirm, d.confirmTools, d.confirmSecret], ['auto', undefined, undefined])
  const c = loadConfig({ PILOT_STATUS_CONFIRM: 'Required', PILOT_STATUS_CONFIRM_TOOLS: 'messages_send, templates_delete', PILOT_STATUS_CONFIRM_SECRET: SECRET }, {}, known)
  t.same([c.confirm, c.confirmTools, c.confirmSecret], ['required', ['messages_send', 'templates_delete'], SECRET])
  t.throws(() => loadConfig({ PILOT_STATUS_CONFIRM: 'maybe' }, {}, known), /PILOT_STATUS_CONFIRM must be auto, required or off/)
  t.throws(() => loadConfig({ PILOT_STATUS_CONFIRM_TOOLS: 'nope' }, {}, known), /PILOT_STATUS_CONFIRM_TOOLS has unknown tools nope/)
  const err = (() => { try { loadConfig({ PILOT_STATUS_CONFIRM_SECRET: 'too-short-secret' }, {}, known) } catch (e) { return (e as Error).message } })()
  t.match(err, /PILOT_STATUS_CONFIRM_SECRET must be at least 32 characters/)
  t.notMatch(err, /too-short-secret/, 'the secret is not echoed')
})

t.test('a builder that fails on an unexpected answer falls back to the title and arguments', async (t) => {
  const throwing = (async () => { throw new Error('boom') }) as Reader
  t.equal(await describeCall('numbers_delete', 'Delete number', { id: 'num_1' }, throwing), 'Delete number (numbers_delete) with id = «num_1».', 'a reader that throws gives the generic sentence')
  const odd = (async () => [{ id: 'num_1', number: 12345 }]) as Reader
  t.match(await describeCall('numbers_delete', 'Delete number', { id: 'num_1' }, odd), /num_1/)
  t.equal(await describeCall('group_participants_add', 'Add group participants', { groupId: 'g@g.us' }, reads({})), 'Add group participants (group_participants_add) with groupId = «g@g.us».', 'a builder that trips over missing arguments gives the generic sentence')
})

t.test('every builder makes at most one read and names the concrete effect', async (t) => {
  for (const name of ASKING_TOOLS) {
    const r = reads({})
    const text = await describeCall(name, registry.all.get(name)!.def.title, VALID_ARGS[name], r)
    t.ok(r.seen.length <= 1, `${name}: ${r.seen.length} read(s)`)
    t.notMatch(text, new RegExp(`\\(${name}\\)`), `${name} has its own sentence: ${text}`)
  }
})
