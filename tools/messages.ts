// The messages toolset: send (template / text / media to a phone, group or channel), status
// lookup, cancel of scheduled sends, and the number's stored message history.
import { Type } from '@sinclair/typebox'
import { apiPath } from '../src/api/client.js'
import { defineTool, hints, type AnyTool } from './define.js'
import { DATE_TIME_PROBLEM, Id, Nullable, datedPaging, isDateTime, pageLine, pageQuery, paged } from './common.js'

const Send = Type.Object({
  destinationNumber: Type.Optional(Type.String({ description: 'E.164 phone (+5511999999999) or BSUID (BR.1349...).' })),
  groupId: Type.Optional(Type.String({ description: 'Group JID (...@g.us).' })),
  newsletterId: Type.Optional(Type.String({ description: 'Channel JID (...@newsletter).' })),
  templateId: Type.Optional(Type.String({ description: 'Template id or name (templates_list).' })),
  variables: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Template variables, e.g. {"name":"Maria"}.' })),
  text: Type.Optional(Type.String({ description: 'Free text. Meta numbers: only within 24 h of the contact\'s last message.' })),
  media: Type.Optional(Type.String({ description: 'http(s) URL or base64 data: URI. Paid plan only.' })),
  mediaType: Type.Optional(Type.Union([Type.Literal('image'), Type.Literal('video'), Type.Literal('document'), Type.Literal('audio')], { description: 'audio goes as a voice note.' })),
  caption: Type.Optional(Type.String({ description: 'Caption for image/video/document.' })),
  // The API documents up to 3 buttons on free-form messages but not their shape: passed through as given.
  buttons: Type.Optional(Type.Array(Type.Object({}), { maxItems: 3, description: 'Up to 3 buttons (text mode), in the API\'s shape.' })),
  deliverAt: Type.Optional(Type.String({ description: 'Future ISO 8601 send time, e.g. 2026-07-01T12:00:00Z.' }))
})

const PHONE_OR_BSUID = /^(\+?\d+|[A-Z]{2}\.[A-Za-z0-9]+)$/

/** Cross-field rules of POST /v1/messages/send, checked before anything is sent. */
function checkSend (a: typeof Send.static): string[] {
  const problems: string[] = []
  for (const [k, v] of Object.entries(a)) if (v === '') problems.push(`${k} must not be empty (omit it instead)`)
  const dests = (['destinationNumber', 'groupId', 'newsletterId'] as const).filter((k) => a[k] !== undefined)
  if (dests.length !== 1) problems.push(`give exactly one destination: destinationNumber, groupId or newsletterId (got ${dests.length ? dests.join(', ') : 'none'})`)
  const modes = [a.templateId !== undefined && 'templateId', a.text !== undefined && 'text', a.media !== undefined && a.templateId === undefined && 'media'].filter(Boolean)
  if (modes.length !== 1) problems.push(`give exactly one mode: templateId, text, or media + mediaType (got ${modes.length ? modes.join(', ') : 'none'})`)
  if (a.text !== undefined && a.media !== undefined) problems.push('text and media cannot be combined: put the text in caption')
  if (a.media !== undefined && a.templateId === undefined && a.mediaType === undefined) problems.push('mediaType is required with media (image, video, document or audio)')
  if (a.mediaType !== undefined && a.media === undefined) problems.push('mediaType only goes with media')
  if (a.variables !== undefined && a.templateId === undefined) problems.push('variables only go with templateId')
  if (a.caption !== undefined && (a.media === undefined || a.templateId !== undefined)) problems.push('caption only goes with direct media (media + mediaType)')
  if (a.buttons !== undefined && a.text === undefined) problems.push('buttons only go with text')
  if (a.destinationNumber !== undefined && !PHONE_OR_BSUID.test(a.destinationNumber)) {
    problems.push(/@(g\.us|newsletter)$/.test(a.destinationNumber)
      ? 'destinationNumber: a JID goes in groupId (@g.us) or newsletterId (@newsletter)'
      : 'destinationNumber: E.164 digits only, e.g. +5511999999999, or a BSUID such as BR.13491208655302741918')
  }
  if (a.groupId !== undefined && !a.groupId.endsWith('@g.us')) problems.push('groupId must be a group JID ending in @g.us (from groups_list)')
  if (a.newsletterId !== undefined && !a.newsletterId.endsWith('@newsletter')) problems.push('newsletterId must be a channel JID ending in @newsletter')
  if (a.media !== undefined && !/^(https?:\/\/\S+|data:[\w.+-]+\/[\w.+-]+;base64,)/.test(a.media)) problems.push('media must be an http(s) URL or a data: URI (data:<mime>;base64,...)')
  if (a.deliverAt !== undefined) {
    // A date-time with a zone, so "future" does not depend on the server's zone.
    if (!isDateTime(a.deliverAt)) problems.push(`deliverAt ${DATE_TIME_PROBLEM}`)
    else if (Date.parse(a.deliverAt) <= Date.now()) problems.push('deliverAt must be in the future (omit it to send now)')
  }
  return problems
}

const MessageStatus = Type.String()

export const tools: AnyTool[] = [
  defineTool({
    name: 'messages_send',
    title: 'Send WhatsApp message',
    description: 'Sends a real WhatsApp message. Exactly one mode: templateId (+variables) | text (+buttons) | media+mediaType (+caption); exactly one destination: destinationNumber | groupId | newsletterId. deliverAt schedules it. Returns id, status QUEUED. Never retry blindly: check message_get/messages_history first.',
    toolset: 'messages',
    scope: 'number',
    annotations: hints('O'),
    input: Send,
    output: Type.Object({
      id: Type.String(),
      correlationId: Type.String(),
      status: MessageStatus,
      createdAt: Type.String(),
      deliverAt: Type.Optional(Nullable(Type.String()))
    }),
    check: checkSend,
    handler: async (args, ctx) => ctx.api.post('/v1/messages/send', args),
    summary: (d, a) => {
      const to = a.destinationNumber ?? a.groupId ?? a.newsletterId
      return `Message ${d.id} (${d.status}) to ${to}${d.deliverAt ? `, scheduled for ${d.deliverAt}` : ''}. Follow it with message_get.`
    }
  }),

  defineTool({
    name: 'message_get',
    title: 'Get message status',
    description: 'Status of one message (QUEUED → SENT → DELIVERED → READ, FAILED with errorMessage, CANCELED) and timestamps. messageId: id or correlationId from messages_send, or wamid from messages_history.',
    toolset: 'messages',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({ messageId: Id('Message id, correlationId or wamid.') }),
    output: Type.Object({
      id: Type.String(),
      status: MessageStatus,
      errorMessage: Type.Optional(Nullable(Type.String()))
    }),
    handler: async (args, ctx) => ctx.api.get(apiPath`/v1/messages/${args.messageId}`),
    summary: (d) => `Message ${d.id}: ${d.status}${d.errorMessage ? ` (${d.errorMessage})` : ''}`
  }),

  defineTool({
    name: 'messages_cancel',
    title: 'Cancel scheduled messages',
    description: 'Cancels scheduled sends still waiting for their deliverAt (they become CANCELED, never sent). Ids from messages_send. Messages already sent cannot be cancelled: they come back in failed with a reason.',
    toolset: 'messages',
    scope: 'number',
    annotations: hints('DI'),
    input: Type.Object({
      messageIds: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 100, description: '1-100 message ids.' })
    }),
    // The docs disagree: the reference page answers { cancelled: [ids], failed: [{ id, reason }] },
    // the playground { cancelled: <count>, notFound: <count> }. The sandbox follows the reference
    // page; the schema accepts both so a real answer of either shape passes.
    output: Type.Object({
      cancelled: Type.Union([Type.Array(Type.String()), Type.Integer()]),
      failed: Type.Optional(Type.Array(Type.Object({ id: Type.String(), reason: Type.String() }))),
      notFound: Type.Optional(Type.Integer())
    }),
    handler: async (args, ctx) => ctx.api.delete('/v1/messages/cancel', { messageIds: args.messageIds }),
    summary: (d) => {
      const n = Array.isArray(d.cancelled) ? d.cancelled.length : d.cancelled
      const failed = d.failed?.length ?? d.notFound ?? 0
      return `Cancelled ${n} message(s); ${failed} not cancelled.`
    }
  }),

  defineTool({
    name: 'messages_history',
    title: 'Message history',
    description: 'Stored messages of the number (direct and group, both directions, ~1 month), newest first: status, text, participant, media (media.id → media_get). Use it to see whether a send went out before retrying.',
    toolset: 'messages',
    scope: 'number',
    annotations: hints('RI'),
    untrusted: true,
    input: Type.Object(datedPaging),
    output: paged({ messages: Type.Array(Type.Object({ id: Type.String(), conversationId: Type.String() })) }),
    handler: async (args, ctx) => ctx.api.get('/v1/messages/history', pageQuery(args)),
    summary: (d) => pageLine(d.messages.length, 'messages', d)
  })
]
