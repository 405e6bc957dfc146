// The account toolset: API keys, subscription and billing, connect-page branding (tenant key), and
// the per-number analytics dashboard and Meta media download (pilot-status-api.md §2.8–2.13).
import { Type, type Static } from '@sinclair/typebox'
import { apiPath } from '../src/api/client.js'
import { defineTool, fromApi, hints, type AnyTool, type MediaBlock } from './define.js'
import { HttpUrl, Id, Nullable, itemsOf } from './common.js'

const Quantity = Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Extra numbers (default 1).' }))
// Property-level unions: null clears the field (PUT /v1/branding).
// Every branding field may be null, which clears it; the description sits on the union so clients show it.
const HttpsUrl = (description: string) => Type.Optional(Nullable(Type.String({ pattern: '^https://' }), { description }))
const Colour = (description: string) => Type.Optional(Nullable(Type.String({ pattern: '^#[0-9A-Fa-f]{6}$' }), { description }))

const ApiKeyRow = Type.Object({
  numberId: Type.String(),
  keyId: Nullable(Type.String()),
  key: Nullable(Type.String()),
  keyLast4: Type.Optional(Nullable(Type.String()))
})

const Preview = Type.Object({
  requiresConversion: Type.Boolean(),
  monthlyTotalBRL: Type.Number(),
  unitPriceBRL: Type.Optional(Type.Number()),
  explanation: Type.Optional(Type.Object({ en: Type.Optional(Type.String()) }))
})

const BrandingFields = {
  logoUrl: HttpsUrl('Logo.'),
  primaryColor: Colour('Accent.'),
  backgroundColor: Colour('Background.'),
  companyName: Type.Optional(Nullable(Type.String({ maxLength: 60 }), { description: 'Title.' })),
  subtitle: Type.Optional(Nullable(Type.String({ maxLength: 120 }), { description: 'Under the title.' })),
  supportUrl: HttpsUrl('Help link.'),
  defaultRedirectUrl: HttpsUrl('After connecting.'),
  hidePilotStatusBranding: Type.Optional(Nullable(Type.Boolean(), { description: 'Hide the Pilot Status logo.' }))
}

const Media = Type.Object({
  mediaId: Type.String(),
  mimeType: Type.String(),
  base64: Type.String(),
  fileName: Type.Optional(Nullable(Type.String()))
})
type MediaData = Static<typeof Media>

/** The downloaded file as MCP content: images and audio natively, anything else as an embedded resource. */
function mediaBlocks (d: MediaData): MediaBlock[] {
  const uri = /^data:([^;,]*)[^,]*,/.exec(d.base64)
  const data = uri ? d.base64.slice(uri[0].length) : d.base64
  const mimeType = d.mimeType || uri?.[1] || 'application/octet-stream'
  const kind = mimeType.split('/')[0].trim().toLowerCase()
  if (kind === 'image' || kind === 'audio') return [{ type: kind, data, mimeType }]
  return [{ type: 'resource', uri: `pilot-status://media/${encodeURIComponent(d.mediaId)}`, mimeType, blob: data }]
}

export const tools: AnyTool[] = [
  defineTool({
    name: 'api_keys_list',
    title: 'List API keys',
    description: 'Each number\'s default API key (keyId, keyLast4, raw key when revealable). Legacy keys (revealable false) need api_keys_regenerate_number.',
    toolset: 'account',
    scope: 'tenant',
    annotations: hints('RI'),
    input: Type.Object({}),
    output: Type.Object({ keys: Type.Array(ApiKeyRow) }),
    handler: async (_args, ctx) => fromApi({ keys: itemsOf(await ctx.api.get('/v1/api-keys'), 'keys') }),
    summary: (d) => `${d.keys.length} number key(s): ${d.keys.map((k) => `${k.numberId} ${k.keyLast4 ? '…' + k.keyLast4 : '(no key)'}`).join(', ')}`
  }),

  defineTool({
    name: 'api_keys_regenerate_number',
    title: 'Regenerate a number\'s API key',
    description: 'Replace a number\'s API key. The OLD key stops working at once: apps using it break until updated. Only with the user\'s explicit consent. The new key is shown only once.',
    toolset: 'account',
    scope: 'tenant',
    annotations: hints('D'),
    input: Type.Object({ whatsappNumberId: Id('Number whose key to replace (numbers_list).') }),
    output: Type.Object({ key: Type.String() }),
    handler: async (args, ctx) => ctx.api.post('/v1/api-keys', args),
    summary: (d, a) => `New API key for ${a.whatsappNumberId} (…${d.key.slice(-4)}), shown only this once; the previous key no longer works.`
  }),

  defineTool({
    name: 'subscription_extra_numbers_get',
    title: 'Price extra numbers',
    description: 'Price preview, no charge: unit price and monthly total (BRL), Free→On Demand conversion, explanation for the user. Use before subscription_extra_numbers_add.',
    toolset: 'account',
    scope: 'tenant',
    annotations: hints('RI'),
    input: Type.Object({ quantity: Quantity }),
    output: Preview,
    handler: async (args, ctx) => ctx.api.get('/v1/subscription/extra-numbers', args),
    summary: (d) => {
      const en = d.explanation?.en
      return en ?? `Monthly total R$ ${d.monthlyTotalBRL} (R$ ${d.unitPriceBRL} per number)${d.requiresConversion ? '; converts Free → On Demand' : ''}.`
    }
  }),

  defineTool({
    name: 'subscription_extra_numbers_add',
    title: 'Buy extra numbers',
    description: 'Buy extra number slots: CHARGES MONEY monthly. Only after the user explicitly accepts the price from subscription_extra_numbers_get; leaving Free needs confirm: true. No saved card: returns a checkoutUrl to pay.',
    toolset: 'account',
    scope: 'tenant',
    annotations: hints('O'),
    input: Type.Object({
      quantity: Quantity,
      confirm: Type.Optional(Type.Boolean({ description: 'true = the user approved the charge.' }))
    }),
    output: Type.Object({
      success: Type.Boolean(),
      charged: Type.Boolean(),
      checkoutUrl: Type.Optional(Type.String()),
      plan: Type.Optional(Type.String()),
      paidExtraNumbers: Type.Optional(Type.Integer()),
      monthlyTotalBRL: Type.Optional(Type.Number())
    }),
    handler: async (args, ctx) => ctx.api.post('/v1/subscription/extra-numbers', args),
    summary: (d) => d.charged
      ? `Charged: plan ${d.plan ?? '?'}, ${d.paidExtraNumbers ?? '?'} paid extra number(s), R$ ${d.monthlyTotalBRL ?? '?'}/month.`
      : d.checkoutUrl ? `Not charged yet: the user must pay at ${d.checkoutUrl}` : 'Not charged.'
  }),

  defineTool({
    name: 'subscription_extra_numbers_remove',
    title: 'Remove extra numbers',
    description: 'Release paid extra-number slots (no refund for the current cycle). NUMBER_LIMIT_EXCEEDED if the numbers in use would no longer fit: delete numbers first.',
    toolset: 'account',
    scope: 'tenant',
    annotations: hints('D'),
    input: Type.Object({ quantity: Quantity }),
    output: Type.Object({ success: Type.Boolean(), paidExtraNumbers: Type.Optional(Type.Integer()), maxNumbers: Type.Optional(Type.Integer()) }),
    handler: async (args, ctx) => ctx.api.delete('/v1/subscription/extra-numbers', args),
    summary: (d) => `Removed; ${d.paidExtraNumbers ?? '?'} paid extra number(s) left, room for ${d.maxNumbers ?? '?'} number(s).`
  }),

  defineTool({
    name: 'billing_checkout',
    title: 'Create a checkout link',
    description: 'Stripe checkout link for the user: wallet_topup (credit; amount required) or add_card. CHARGES MONEY when paid: only when the user explicitly asks.',
    toolset: 'account',
    scope: 'tenant',
    annotations: hints('O'),
    input: Type.Object({
      purpose: Type.Union([Type.Literal('wallet_topup'), Type.Literal('add_card')], { description: 'What to pay for.' }),
      amount: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'BRL; wallet_topup only.' })),
      successUrl: Type.Optional(HttpUrl('Return URL after paying.')),
      cancelUrl: Type.Optional(HttpUrl('Return URL if cancelled.'))
    }),
    output: Type.Object({ url: Type.String(), orderId: Type.Optional(Type.String()) }),
    check: (a) => (a.purpose === 'wallet_topup' && a.amount === undefined ? ['amount: required (> 0, in BRL) when purpose is wallet_topup'] : []),
    handler: async (args, ctx) => ctx.api.post('/v1/billing/checkout', args),
    summary: (d, a) => `Checkout ${d.orderId ?? ''} for ${a.purpose}${a.amount !== undefined ? ` (R$ ${a.amount})` : ''}: give the user this link to complete it: ${d.url}`
  }),

  defineTool({
    name: 'branding_get',
    title: 'Get connect-page branding',
    description: 'Read the white-label branding of the hosted connect page (numbers_remote_pairing links).',
    toolset: 'account',
    scope: 'tenant',
    annotations: hints('RI'),
    input: Type.Object({}),
    output: Type.Object({ branding: Type.Object({}) }),
    handler: async (_args, ctx) => ctx.api.get('/v1/branding')
  }),

  defineTool({
    name: 'branding_upsert',
    title: 'Set connect-page branding',
    description: 'Change the connect-page branding. Only given fields change; null clears one. URLs https, colours #RRGGBB. Returns the full branding.',
    toolset: 'account',
    scope: 'tenant',
    annotations: hints('I'),
    input: Type.Object(BrandingFields),
    output: Type.Object({ branding: Type.Object({}) }),
    check: (a) => (Object.values(a).every((v) => v === undefined) ? [`pass at least one of ${Object.keys(BrandingFields).join(', ')}`] : []),
    handler: async (args, ctx) => ctx.api.put('/v1/branding', args),
    summary: (_d, a) => `Branding updated (${Object.entries(a).filter(([, v]) => v !== undefined).map(([k]) => k).join(', ')}).`
  }),

  defineTool({
    name: 'analytics_dashboard',
    title: 'Messaging analytics',
    description: 'Outbound KPIs of a number over 7d/30d/90d: sent, failed, failure rate and change vs the previous period (%), messages per day, status counts.',
    toolset: 'account',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({
      period: Type.Optional(Type.String({ pattern: '^(7|30|90)d$', description: '7d, 30d (default) or 90d.' })),
      tz: Type.Optional(Type.String({ description: 'IANA zone for days, e.g. America/Sao_Paulo (default UTC).' }))
    }),
    output: Type.Object({ totalSent: Type.Number(), totalFailed: Type.Number(), failureRate: Type.Number() }),
    handler: async (args, ctx) => ctx.api.get('/v1/analytics/dashboard', args),
    summary: (d, a) => `Last ${a.period ?? '30d'}: ${d.totalSent} sent, ${d.totalFailed} failed (failure rate ${d.failureRate}%).`
  }),

  defineTool({
    name: 'media_get',
    title: 'Download received media',
    description: 'Download a file received on a Meta Cloud API number: images/audio as image/audio content, others as a resource. Ids expire soon. QR numbers: use the message\'s media.url.',
    toolset: 'account',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({
      mediaId: Id('media.id of a received message, or a webhook\'s mediaId.'),
      phoneNumberId: Id('metaPhoneId from numbers_get (webhook phoneNumberId).')
    }),
    output: Media,
    handler: async (args, ctx) => ctx.api.get(apiPath`/v1/media/${args.mediaId}`, { phoneNumberId: args.phoneNumberId }),
    summary: (d) => `Downloaded ${d.mimeType}${d.fileName ? ` "${d.fileName}"` : ''} (media ${d.mediaId}).`,
    media: mediaBlocks,
    textOmit: ['base64']
  })
]
