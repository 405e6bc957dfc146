// The calls toolset: WhatsApp Business Calling on Meta Cloud API and Pilot Status (web) numbers —
// start, list, answer, end calls, calling settings and Meta call permissions (pilot-status-api.md §2.14).
import { Type, type Static } from '@sinclair/typebox'
import { apiPath } from '../src/api/client.js'
import { defineTool, fromApi, hints, type AnyTool } from './define.js'
import { DEFAULT_PAGE_SIZE, DateTime, Id, Phone, fieldsOf, itemsOf } from './common.js'

const CallId = Id('call_... from calls_list.')
const Sdp = (kind: string) => Type.Optional(Type.String({ minLength: 1, description: `WebRTC SDP ${kind}: required on Meta, omit on web numbers.` }))

const CallSummary = Type.Object({ id: Type.String(), status: Type.String() })
const callLine = (d: Static<typeof CallSummary>) => `Call ${d.id}: ${d.status}`

const CallsPage = Type.Object({
  calls: Type.Array(CallSummary),
  nextBefore: Type.Optional(Type.String())
})

const OnOff = (description: string) => Type.Optional(Type.Union([Type.Literal('ENABLED'), Type.Literal('DISABLED')], { description }))

const SETTINGS = ['status', 'call_icon_visibility', 'callback_permission_status', 'call_hours', 'voicemail'] as const

export const tools: AnyTool[] = [
  defineTool({
    name: 'call_initiate',
    title: 'Start a WhatsApp call',
    description: 'Voice-call a real person\'s WhatsApp from this number. Meta: needs sdp and the user\'s permission (call_permission_request); Meta bills answered business-initiated calls. Web numbers: no sdp. Returns the call id.',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('O'),
    input: Type.Object({
      to: Phone('E.164 phone, e.g. +5511999999999.'),
      sdp: Sdp('offer'),
      bizOpaqueCallbackData: Type.Optional(Type.String({ maxLength: 512, description: 'Tracking data echoed in call webhooks.' }))
    }),
    output: CallSummary,
    handler: async (args, ctx) => ctx.api.post('/v1/calls', args),
    summary: (d, a) => `Call ${d.id} to ${a.to}: ${d.status}`
  }),

  defineTool({
    name: 'calls_list',
    title: 'List calls',
    description: 'List this number\'s calls, newest first (id, status, direction, peerNumber, times). For older ones pass before = nextBefore of the last result.',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: `Default ${DEFAULT_PAGE_SIZE}, to keep answers short; up to 100.` })),
      before: Type.Optional(DateTime('Only calls created before this ISO time (nextBefore).'))
    }),
    output: CallsPage,
    handler: async (args, ctx) => {
      const limit = args.limit ?? DEFAULT_PAGE_SIZE
      const data = await ctx.api.get('/v1/calls', { limit, before: args.before })
      const calls = itemsOf(data, 'calls')
      const last = fieldsOf(calls.at(-1)).createdAt
      // A full page may have more behind it; the API gives no cursor, the last createdAt is one.
      const full = calls.length === limit
      return full && typeof last === 'string' ? fromApi({ ...fieldsOf(data), nextBefore: last }) : data
    },
    summary: (d) => `${d.calls.length} call(s)${d.nextBefore ? `; older: before=${d.nextBefore}` : ''}`
  }),

  defineTool({
    name: 'call_get',
    title: 'Get a call',
    description: 'One call: status, direction, peerNumber, durationSeconds, times. callId (call_... or provider id) from calls_list or call_initiate; includeSdp adds SDPs on Meta.',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({
      callId: CallId,
      includeSdp: Type.Optional(Type.Boolean({ description: 'Add SDP offer/answer (Meta).' }))
    }),
    output: CallSummary,
    handler: async (args, ctx) => ctx.api.get(apiPath`/v1/calls/${args.callId}`, { includeSdp: args.includeSdp ? 1 : undefined }),
    summary: callLine
  }),

  defineTool({
    name: 'call_accept',
    title: 'Answer a call',
    description: 'Answer a RINGING inbound call (callId from calls_list), connecting a real caller. Meta: pass sdp (WebRTC answer); web numbers: omit it.',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('O'),
    input: Type.Object({ callId: CallId, sdp: Sdp('answer') }),
    output: CallSummary,
    handler: async (args, ctx) => ctx.api.post(apiPath`/v1/calls/${args.callId}/accept`, { sdp: args.sdp }),
    summary: callLine
  }),

  defineTool({
    name: 'call_reject',
    title: 'Decline a call',
    description: 'Decline a RINGING inbound call (callId from calls_list); it ends REJECTED. End a connected call with call_terminate instead.',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('D'),
    input: Type.Object({ callId: CallId }),
    // The reject response shape is undocumented (pilot-status-api.md §2.14): require nothing.
    output: Type.Object({ id: Type.Optional(Type.String()), status: Type.Optional(Type.String()) }),
    handler: async (args, ctx) => ctx.api.post(apiPath`/v1/calls/${args.callId}/reject`),
    summary: (d, a) => `Call ${d.id ?? a.callId}: ${d.status ?? 'rejected'}`
  }),

  defineTool({
    name: 'call_terminate',
    title: 'Hang up a call',
    description: 'Hang up a call not yet ended (INITIATED, RINGING, ACCEPTED) for both sides; it ends COMPLETED. callId from calls_list or call_initiate.',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('D'),
    input: Type.Object({ callId: CallId }),
    output: CallSummary,
    handler: async (args, ctx) => ctx.api.post(apiPath`/v1/calls/${args.callId}/terminate`),
    summary: callLine
  }),

  defineTool({
    name: 'call_settings_get',
    title: 'Get calling settings',
    description: 'Read a Meta number\'s calling settings (Meta\'s snake_case object: status, call_hours, ...).',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({}),
    output: Type.Object({ calling: Type.Object({ status: Type.Optional(Type.String()) }) }),
    handler: async (_args, ctx) => ctx.api.get('/v1/calls/settings'),
    summary: (d) => `Calling ${d.calling.status ?? 'status unknown'}`
  }),

  defineTool({
    name: 'call_settings_update',
    title: 'Update calling settings',
    description: 'Change a Meta number\'s calling settings; only fields given change, call_hours as a whole. SIP not settable.',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('I'),
    input: Type.Object({
      status: OnOff('Calling on/off.'),
      call_icon_visibility: Type.Optional(Type.Union([Type.Literal('DEFAULT'), Type.Literal('DISABLE_ALL')], { description: 'Call button.' })),
      callback_permission_status: OnOff('Ask callers for callback consent.'),
      call_hours: Type.Optional(Type.Object({}, { description: 'Meta call_hours: status, timezone_id, weekly_operating_hours.' })),
      voicemail: Type.Optional(Type.Object({}, { description: '{status: ENABLED|DISABLED}' }))
    }),
    output: Type.Object({ success: Type.Boolean() }),
    check: (args) => SETTINGS.some((k) => args[k] !== undefined) ? [] : [`give at least one of ${SETTINGS.join(', ')}`],
    handler: async (args, ctx) => ctx.api.put('/v1/calls/settings', args),
    summary: (_d, a) => `Updated calling settings: ${SETTINGS.filter((k) => a[k] !== undefined).join(', ')}`
  }),

  defineTool({
    name: 'call_permission_get',
    title: 'Check call permission',
    description: 'Whether this Meta number may call a user (no_permission, temporary, permanent) and the daily limits for calls and requests.',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({ to: Phone('E.164 phone.') }),
    output: Type.Object({ permission: Type.Object({ status: Type.String() }) }),
    handler: async (args, ctx) => ctx.api.get('/v1/calls/permissions', { to: args.to }),
    summary: (d, a) => `Call permission for ${a.to}: ${d.permission.status}`
  }),

  defineTool({
    name: 'call_permission_request',
    title: 'Ask permission to call',
    description: 'Send a real person a WhatsApp request to allow calls from this Meta number (within 24 h of their last message; few per day).',
    toolset: 'calls',
    scope: 'number',
    annotations: hints('O'),
    input: Type.Object({
      to: Phone('E.164 phone.'),
      text: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Reason shown to the user.' }))
    }),
    output: Type.Object({ messageId: Type.String() }),
    handler: async (args, ctx) => ctx.api.post('/v1/calls/permissions/request', args),
    summary: (d, a) => `Asked ${a.to} for call permission (message ${d.messageId})`
  })
]
