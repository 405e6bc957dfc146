// The numbers toolset: the account's WhatsApp numbers (list, detail, create and connect by QR,
// status, delete, hosted remote pairing) and the WhatsApp existence check (pilot-status-api.md §2.4).
// QR codes come back as MCP image content, not as base64 in the text.
import { Type } from '@sinclair/typebox'
import { apiPath } from '../src/api/client.js'
import { defineTool, fromApi, hints, type AnyTool, type MediaBlock } from './define.js'
import { Id, Nullable, Phone, itemsOf } from './common.js'

const NumberId = Id('Number id, from numbers_list.')

// Output schemas list only what chaining needs; the full data reaches the model in the text block.
const NumberSummary = Type.Object({ id: Type.String(), name: Type.Optional(Nullable(Type.String())), state: Type.Optional(Type.String()) })

const Qr = {
  qrcodeBase64: Type.Optional(Nullable(Type.String())),
  pairingCode: Type.Optional(Nullable(Type.String()))
}

/** The QR data URI as an MCP image block; the text block only says it is attached. */
function qrImage (d: { qrcodeBase64?: string | null }): MediaBlock[] {
  const m = /^data:([\w.+-]+\/[\w.+-]+);base64,(.+)$/s.exec(d.qrcodeBase64 ?? '')
  if (m) return [{ type: 'image', data: m[2], mimeType: m[1] }]
  return d.qrcodeBase64 ? [{ type: 'image', data: d.qrcodeBase64, mimeType: 'image/png' }] : []
}

function qrLine (d: { qrcodeBase64?: string | null, pairingCode?: string | null }): string {
  const qr = d.qrcodeBase64 ? 'QR code attached as an image (WhatsApp → Linked devices → Link a device)' : 'No QR code returned'
  const code = d.pairingCode ? `; or link with phone number using pairing code ${d.pairingCode}` : ''
  return `${qr}${code}. Then poll numbers_status until OPEN.`
}

const LinkToApiKey = Type.Optional(Type.Boolean({ description: 'Default true: a number key used here moves to the new number.' }))

export const tools: AnyTool[] = [
  defineTool({
    name: 'numbers_list',
    title: 'List numbers',
    description: 'List the account\'s WhatsApp numbers (a number key sees only its own): id, name, number, provider, state (OPEN|CONNECTING|CLOSE). The id is other tools\' whatsappNumberId.',
    toolset: 'numbers',
    scope: 'any',
    annotations: hints('RI'),
    input: Type.Object({}),
    output: Type.Object({ numbers: Type.Array(NumberSummary) }),
    handler: async (_args, ctx) => {
      const data = await ctx.api.get('/v1/numbers')
      return fromApi({ numbers: itemsOf(data, 'numbers') })
    },
    summary: (d) => `${d.numbers.length} number(s): ${d.numbers.map((n) => `${n.name ?? n.id} (${n.id}) ${n.state ?? ''}`.trim()).join(', ')}.`
  }),

  defineTool({
    name: 'numbers_get',
    title: 'Get number',
    description: 'One number in detail: state, isFullyConnected, health (qualityRating, messagingLimitTier, metaStatus, sendable) and meta (Meta phone/profile/WABA; null for QR numbers).',
    toolset: 'numbers',
    scope: 'any',
    annotations: hints('RI'),
    input: Type.Object({
      id: NumberId,
      refresh: Type.Optional(Type.Boolean({ description: 'Fetch live data from Meta first.' }))
    }),
    output: Type.Object({
      ...NumberSummary.properties,
      health: Type.Optional(Nullable(Type.Object({ sendable: Type.Optional(Type.Boolean()) })))
    }),
    handler: async (args, ctx) => ctx.api.get(apiPath`/v1/numbers/${args.id}`, args.refresh ? { refresh: 1 } : undefined),
    summary: (n) => `Number ${n.name ?? n.id} (${n.id}): ${n.state ?? 'state unknown'}${n.health?.sendable === false ? ', not sendable' : ''}.`
  }),

  defineTool({
    name: 'numbers_create',
    title: 'Create number',
    description: 'Add a Pilot Status (QR) WhatsApp number. Returns the instance (CONNECTING), a QR code image to scan in WhatsApp and a pairing code; then poll numbers_status until OPEN.',
    toolset: 'numbers',
    scope: 'any',
    annotations: hints(''),
    input: Type.Object({
      name: Type.String({ minLength: 1, description: 'Display name.' }),
      number: Phone('E.164, e.g. +5511988887777.'),
      linkToApiKey: LinkToApiKey
    }),
    output: Type.Object({ instance: NumberSummary, ...Qr, linkedApiKeyId: Type.Optional(Nullable(Type.String())) }),
    handler: async (args, ctx) => ctx.api.post('/v1/numbers', args),
    media: qrImage,
    textOmit: ['qrcodeBase64'],
    summary: (d) => {
      // With a number key and linkToApiKey (default), that key now acts on the new number: say so.
      const moved = d.linkedApiKeyId ? ` The API key in use (${d.linkedApiKeyId}) now acts on this number.` : ''
      return `Created number ${d.instance.id} (${d.instance.state ?? 'CONNECTING'}).${moved} ${qrLine(d)}`
    }
  }),

  defineTool({
    name: 'numbers_status',
    title: 'Number status',
    description: 'Live connection state of a number: OPEN, CONNECTING (QR not scanned yet) or CLOSE (reconnect with numbers_connect), plus isFullyConnected.',
    toolset: 'numbers',
    scope: 'any',
    annotations: hints('RI'),
    input: Type.Object({ id: NumberId }),
    output: Type.Object({ state: Type.String(), isFullyConnected: Type.Optional(Type.Boolean()) }),
    handler: async (args, ctx) => ctx.api.get(apiPath`/v1/numbers/${args.id}/status`),
    summary: (d, args) => `Number ${args.id} is ${d.state}${d.isFullyConnected ? ' (fully connected)' : ''}.`
  }),

  defineTool({
    name: 'numbers_connect',
    title: 'Reconnect number',
    description: 'New QR code (image) and pairing code to reconnect a Pilot Status number; it is CONNECTING until scanned. Not for Meta numbers; 409 if already OPEN.',
    toolset: 'numbers',
    scope: 'any',
    annotations: hints(''),
    input: Type.Object({ id: NumberId }),
    output: Type.Object({ qrcodeBase64: Nullable(Type.String()), pairingCode: Qr.pairingCode, state: Type.Optional(Type.String()) }),
    handler: async (args, ctx) => ctx.api.get(apiPath`/v1/numbers/${args.id}/connect`),
    media: qrImage,
    textOmit: ['qrcodeBase64'],
    summary: (d, args) => `Number ${args.id} is ${d.state ?? 'CONNECTING'}. ${qrLine(d)}`
  }),

  defineTool({
    name: 'numbers_delete',
    title: 'Delete number',
    description: 'Permanently delete a number: its WhatsApp session and provider resources are removed, an extra-number slot is freed. Irreversible; confirm with the user first.',
    toolset: 'numbers',
    scope: 'any',
    annotations: hints('DI'),
    input: Type.Object({ id: NumberId }),
    output: Type.Object({ ok: Type.Boolean() }),
    handler: async (args, ctx) => ctx.api.delete(apiPath`/v1/numbers/${args.id}`),
    summary: (d, args) => d.ok ? `Deleted number ${args.id}.` : `Number ${args.id} was not deleted.`
  }),

  defineTool({
    name: 'numbers_remote_pairing',
    title: 'Remote pairing link',
    description: 'Create a hosted link for an end customer to connect their own WhatsApp: PILOT_STATUS (default; QR; needs name and number; starts CLOSE) or META (signup flow). Returns remotePairingUrl.',
    toolset: 'numbers',
    scope: 'any',
    annotations: hints('O'),
    input: Type.Object({
      provider: Type.Optional(Type.Union([Type.Literal('PILOT_STATUS'), Type.Literal('META')], { description: 'Default PILOT_STATUS.' })),
      name: Type.Optional(Type.String({ minLength: 1, description: 'Display name (PILOT_STATUS).' })),
      number: Type.Optional(Phone('Customer\'s number, E.164 (PILOT_STATUS).')),
      linkToApiKey: LinkToApiKey,
      sendViaWhatsApp: Type.Optional(Type.Boolean({ description: 'Also send it by WhatsApp (OTP template pilot_status_remote_pairing).' })),
      branding: Type.Optional(Type.Object({}, { description: 'Connect-page branding override.' })),
      metaFlow: Type.Optional(Type.Union([Type.Literal('embedded'), Type.Literal('credentials')], { description: 'META only.' })),
      redirectUrl: Type.Optional(Type.String({ description: 'META only: URL to return to.' })),
      externalRef: Type.Optional(Type.String({ description: 'META only: your reference.' }))
    }),
    // Two documented response shapes (reference page: instance; playground: numberId): accept both.
    output: Type.Object({
      remotePairingUrl: Type.String(),
      remotePairingToken: Type.Optional(Type.String()),
      instance: Type.Optional(Nullable(Type.Object({ id: Type.String() }))),
      numberId: Type.Optional(Nullable(Type.String())),
      messageSent: Type.Optional(Type.Boolean()),
      messageError: Type.Optional(Nullable(Type.String()))
    }),
    check: (args) => (args.provider ?? 'PILOT_STATUS') === 'PILOT_STATUS' && (args.name === undefined || args.number === undefined)
      ? ['name and number are required when provider is PILOT_STATUS (the default).']
      : [],
    handler: async (args, ctx) => ctx.api.post('/v1/numbers/remote-pairing', args),
    summary: (d) => {
      const id = d.instance?.id ?? d.numberId
      const sent = d.messageSent ? ' The link was sent by WhatsApp.' : d.messageError ? ` Not sent by WhatsApp: ${d.messageError}` : ''
      return `Pairing link ${d.remotePairingUrl}${id ? ` for number ${id}` : ''}.${sent}`
    }
  }),

  defineTool({
    name: 'numbers_check',
    title: 'Check WhatsApp numbers',
    description: 'Check whether phones are on WhatsApp: exactly one of `numbers` (1-20) or `number`, any format. BR mobiles are tried with and without the 9th digit. Connected Pilot Status numbers only.',
    toolset: 'numbers',
    scope: 'number',
    annotations: hints('RI'),
    untrusted: true,
    input: Type.Object({
      numbers: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 20, description: 'Phones to check.' })),
      number: Type.Optional(Type.String({ minLength: 1, description: 'One phone to check.' }))
    }),
    output: Type.Object({
      results: Type.Array(Type.Object({ input: Type.String(), exists: Type.Boolean(), number: Type.Optional(Nullable(Type.String())) }))
    }),
    check: (args) => (args.numbers === undefined) === (args.number === undefined)
      ? ['Give exactly one of numbers (array) or number (string).']
      : [],
    handler: async (args, ctx) => ctx.api.post('/v1/numbers/check', args.numbers ? { numbers: args.numbers } : { number: args.number }),
    summary: (d) => `${d.results.filter((r) => r.exists).length} of ${d.results.length} on WhatsApp.`
  })
]
