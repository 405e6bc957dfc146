// What the account tools themselves do (the simulator's account API is in
// test/sandbox/account.ts): media as MCP image/audio/resource blocks, summary lines, the
// number in the body (not the header), secrets kept out of errors, hints and local argument checks.
import type { Test } from 'tap'
import { sandbox, invoke, okResult, errorText, registry, SANDBOX_KEYS, SANDBOX_NUMBERS } from './harness.js'
import { hints } from '../../tools/define.js'

const NOW = Date.parse('2026-06-20T12:00:00.000Z')
const tenant = { key: SANDBOX_KEYS.tenant }
const meta = { key: SANDBOX_KEYS.meta }
const META_PHONE_ID = '100200300400500'

const textOf = (r: { content: Array<{ type: string, text?: string }> }) => r.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n')

export default async function suite (t: Test): Promise<void> {
  t.test('catalogue: scope, hints and descriptions', async (t) => {
    const expected: Record<string, [string, string]> = {
      api_keys_list: ['tenant', 'RI'],
      api_keys_regenerate_number: ['tenant', 'D'],
      subscription_extra_numbers_get: ['tenant', 'RI'],
      subscription_extra_numbers_add: ['tenant', 'O'],
      subscription_extra_numbers_remove: ['tenant', 'D'],
      billing_checkout: ['tenant', 'O'],
      branding_get: ['tenant', 'RI'],
      branding_upsert: ['tenant', 'I'],
      analytics_dashboard: ['number', 'RI'],
      media_get: ['number', 'RI']
    }
    for (const [name, [scope, letters]] of Object.entries(expected)) {
      const tool = registry.all.get(name)!
      t.ok(tool, name)
      t.equal(tool.def.toolset, 'account', `${name} toolset`)
      t.equal(tool.def.scope, scope, `${name} scope`)
      t.same(tool.def.annotations, hints(letters), `${name} hints`)
      t.equal('whatsappNumberId' in (tool.entry.inputSchema.properties ?? {}), scope === 'number' || name === 'api_keys_regenerate_number', `${name} whatsappNumberId argument`)
      t.ok(JSON.stringify(tool.entry).length < 1450, `${name} tools/list entry is compact`)
    }
    t.match(registry.all.get('api_keys_regenerate_number')!.def.description, /OLD key stops working/)
    for (const name of ['subscription_extra_numbers_add', 'billing_checkout']) {
      t.match(registry.all.get(name)!.def.description, /CHARGES MONEY/, `${name} says it charges money`)
      t.match(registry.all.get(name)!.def.description, /explicitly/, `${name} asks for explicit consent`)
    }
  })

  t.test('account tools', async (t) => {
    const sb = await sandbox(t, { now: () => NOW })

    t.test('a number key on a tenant tool: the API refuses once, with the hint', async (t) => {
      const calls: Array<[string, Record<string, unknown>]> = [
        ['api_keys_list', {}],
        ['api_keys_regenerate_number', { whatsappNumberId: SANDBOX_NUMBERS.demo }],
        ['subscription_extra_numbers_get', {}],
        ['subscription_extra_numbers_add', { quantity: 1, confirm: true }],
        ['subscription_extra_numbers_remove', { quantity: 1 }],
        ['billing_checkout', { purpose: 'add_card' }],
        ['branding_get', {}],
        ['branding_upsert', { companyName: 'X' }]
      ]
      for (const [name, args] of calls) {
        t.match(errorText(t, await invoke(sb, name, args)), /HTTP 403 NUMBER_SCOPE_NOT_ALLOWED/, name)
        t.equal(sb.requests.length, 1, `${name} reached the API once`)
      }
    })

    t.test('summary lines', async (t) => {
      t.match(textOf(await invoke(sb, 'api_keys_list', {}, tenant)), /^3 number key\(s\): num_demo …mber, num_meta …mber, num_offline …mber/)
      const pre = await invoke(sb, 'subscription_extra_numbers_get', { quantity: 2 }, tenant)
      t.equal(textOf(pre).split('\n')[0], okResult(t, 'subscription_extra_numbers_get', pre).explanation.en, 'the API\'s own explanation')
      t.same(sb.requests[0].query, { quantity: '2' })
      okResult(t, 'subscription_extra_numbers_get', await invoke(sb, 'subscription_extra_numbers_get', {}, tenant))
      t.same(sb.requests[0].query, {}, 'no quantity unless given')
      const co = await invoke(sb, 'billing_checkout', { purpose: 'wallet_topup', amount: 100 }, tenant)
      okResult(t, 'billing_checkout', co)
      t.match(textOf(co), /for wallet_topup \(R\$ 100\): give the user this link/)
      const b = await invoke(sb, 'branding_upsert', { companyName: 'Loja Azul', primaryColor: '#0a84ff', subtitle: null }, tenant)
      okResult(t, 'branding_upsert', b)
      t.match(textOf(b), /^Branding updated \(companyName, primaryColor, subtitle\)\./)
      const a = await invoke(sb, 'analytics_dashboard', { period: '7d' })
      const ad = okResult(t, 'analytics_dashboard', a)
      t.match(textOf(a), new RegExp(`^Last 7d: ${ad.totalSent} sent, ${ad.totalFailed} failed \\(failure rate `))
    })

    t.test('subscription_extra_numbers_add: the preview and hint in the refusal; a checkout link when not charged', async (t) => {
      const refused = errorText(t, await invoke(sb, 'subscription_extra_numbers_add', { quantity: 1 }, tenant))
      t.same(sb.requests[0].body, { quantity: 1 })
      t.match(refused, /HTTP 409 CONFIRMATION_REQUIRED/)
      t.match(refused, /Preview: \{"requiresConversion":true,"fromPlan":"FREE","toPlan":"ON_DEMAND".*"monthlyTotalBRL":49\.9/)
      t.match(refused, /Hint: This moves the account from the Free plan/)
      const first = await invoke(sb, 'subscription_extra_numbers_add', { quantity: 1, confirm: true }, tenant)
      t.equal(okResult(t, 'subscription_extra_numbers_add', first).charged, false)
      t.match(textOf(first), /the user must pay at https:\/\/checkout\.stripe\.com/)
      const second = await invoke(sb, 'subscription_extra_numbers_add', { quantity: 2 }, tenant)
      t.equal(okResult(t, 'subscription_extra_numbers_add', second).charged, true)
      t.same(sb.requests[0].body, { quantity: 2 }, 'confirm only when given')
      t.match(textOf(second), /^Charged: plan ON_DEMAND, 3 paid extra number\(s\)/)
      okResult(t, 'subscription_extra_numbers_remove', await invoke(sb, 'subscription_extra_numbers_remove', {}, tenant))
      t.same(sb.requests[0].body, {}, 'no quantity unless given')
      const demo = sb.store.numbers.get(SANDBOX_NUMBERS.demo)!
      sb.store.numbers.set('num_fourth', { ...demo, id: 'num_fourth', number: '5511999990004' })
      sb.store.numbers.set('num_fifth', { ...demo, id: 'num_fifth', number: '5511999990005' })
      const limit = errorText(t, await invoke(sb, 'subscription_extra_numbers_remove', { quantity: 2 }, tenant))
      t.match(limit, /HTTP 409 NUMBER_LIMIT_EXCEEDED/)
      t.match(limit, /Hint: More numbers are in use than the plan would allow/)
      sb.store.numbers.delete('num_fourth')
      sb.store.numbers.delete('num_fifth')
    })

    t.test('media_get: image and audio as MCP content, a PDF as an embedded resource; no base64 in the text', async (t) => {
      const r = await invoke(sb, 'media_get', { mediaId: 'mid_demo_image', phoneNumberId: META_PHONE_ID }, meta)
      const d = okResult(t, 'media_get', r)
      t.equal(r.content.length, 2)
      const img = r.content[1]
      t.equal(img.type, 'image')
      if (img.type === 'image') {
        t.equal(img.mimeType, 'image/png')
        t.equal(`data:image/png;base64,${img.data}`, d.base64)
        t.same([...Buffer.from(img.data, 'base64').subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature')
      }
      const text = textOf(r)
      t.match(text, /^Downloaded image\/png \(media mid_demo_image\)\./)
      t.match(text, /"base64":"\(attached as separate content\)"/)
      t.notOk(text.includes('iVBORw0KGgo'), 'no base64 in the text block')

      const a = await invoke(sb, 'media_get', { mediaId: 'mid_demo_audio', phoneNumberId: META_PHONE_ID }, meta)
      okResult(t, 'media_get', a)
      t.match(a.content[1], { type: 'audio', mimeType: 'audio/ogg' })

      const p = await invoke(sb, 'media_get', { mediaId: 'mid_demo_pdf', phoneNumberId: META_PHONE_ID, whatsappNumberId: SANDBOX_NUMBERS.meta }, tenant)
      okResult(t, 'media_get', p)
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.meta)
      t.match(textOf(p), /^Downloaded application\/pdf "invoice-1042\.pdf"/)
      const res = p.content[1]
      t.equal(res.type, 'resource')
      if (res.type === 'resource') {
        t.equal(res.resource.uri, 'pilot-status://media/mid_demo_pdf')
        t.equal(res.resource.mimeType, 'application/pdf')
        t.match(Buffer.from(String((res.resource as { blob: string }).blob), 'base64').toString('latin1'), /^%PDF-1\.4\n/)
      }
      await invoke(sb, 'media_get', { mediaId: 'a/../b', phoneNumberId: META_PHONE_ID }, meta)
      t.equal(sb.requests[0].path, '/v1/media/a%2F%2E%2E%2Fb')
    })

    t.test('analytics_dashboard: the number header for a tenant key; API errors named', async (t) => {
      okResult(t, 'analytics_dashboard', await invoke(sb, 'analytics_dashboard', { tz: 'America/Sao_Paulo', whatsappNumberId: SANDBOX_NUMBERS.demo }, tenant))
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], SANDBOX_NUMBERS.demo)
      t.same(sb.requests[0].query, { tz: 'America/Sao_Paulo' })
      t.match(errorText(t, await invoke(sb, 'analytics_dashboard', { tz: 'Mars/Olympus_Mons' })), /HTTP 400 VALIDATION_ERROR: Unknown time zone Mars\/Olympus_Mons/)
    })

    t.test('invalid arguments are refused before any request', async (t) => {
      const cases: Array<[string, Record<string, unknown>, RegExp]> = [
        ['api_keys_regenerate_number', {}, /whatsappNumberId/],
        ['subscription_extra_numbers_get', { quantity: 0 }, /quantity/],
        ['subscription_extra_numbers_add', { quantity: 1.5 }, /quantity/],
        ['subscription_extra_numbers_remove', { quantity: -1 }, /quantity/],
        ['billing_checkout', { purpose: 'wallet_topup' }, /amount: required/],
        ['billing_checkout', { purpose: 'wallet_topup', amount: 0 }, /amount/],
        ['billing_checkout', { purpose: 'refund' }, /purpose/],
        ['billing_checkout', { purpose: 'add_card', successUrl: 'app://x' }, /successUrl/],
        ['branding_upsert', { logoUrl: 'http://cdn.example/logo.png' }, /logoUrl/],
        ['branding_upsert', { primaryColor: 'blue' }, /primaryColor/],
        ['branding_upsert', { backgroundColor: '#12345' }, /backgroundColor/],
        ['branding_upsert', { companyName: 'x'.repeat(61) }, /companyName/],
        ['branding_upsert', { subtitle: 'x'.repeat(121) }, /subtitle/],
        ['branding_upsert', { hidePilotStatusBranding: 'maybe' }, /hidePilotStatusBranding/],
        ['branding_upsert', { colour: '#FFFFFF' }, /colour: unknown argument/],
        ['branding_upsert', {}, /pass at least one of logoUrl, primaryColor/],
        ['analytics_dashboard', { period: '1y' }, /period/],
        ['media_get', { mediaId: 'mid_demo_image' }, /phoneNumberId/]
      ]
      for (const [name, args, re] of cases) {
        const msg = errorText(t, await invoke(sb, name, args, tenant))
        t.match(msg, name)
        t.match(msg, re, JSON.stringify(args).slice(0, 60))
        t.equal(sb.requests.length, 0, 'nothing sent')
      }
    })

    // Last: it replaces the demo number's key.
    t.test('api_keys_regenerate_number: the number in the body only; the old key never appears in an error', async (t) => {
      const r = await invoke(sb, 'api_keys_regenerate_number', { whatsappNumberId: SANDBOX_NUMBERS.demo }, tenant)
      const d = okResult(t, 'api_keys_regenerate_number', r)
      t.same(sb.requests[0].body, { whatsappNumberId: SANDBOX_NUMBERS.demo })
      t.equal(sb.requests[0].headers['x-whatsapp-number-id'], undefined, 'the number goes in the body only')
      t.equal(textOf(r).split('\n')[0], `New API key for num_demo (…${d.key.slice(-4)}), shown only this once; the previous key no longer works.`)
      const old = errorText(t, await invoke(sb, 'analytics_dashboard', {}, { key: SANDBOX_KEYS.number }))
      t.match(old, /HTTP 401/)
      t.notOk(old.includes(SANDBOX_KEYS.number), 'the key never appears in an error')
      okResult(t, 'analytics_dashboard', await invoke(sb, 'analytics_dashboard', {}, { key: d.key }))
      t.equal(sb.requests[0].headers['x-api-key'], d.key)
    })
  })
}
