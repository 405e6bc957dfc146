// The conversations toolset: the number's chats, its unread inbound messages and group messages.
// Every result carries text written by other people, so all three are fenced as untrusted.
import { Type } from '@sinclair/typebox'
import { defineTool, hints, type AnyTool } from './define.js'
import { datedPaging, pageLine, pageQuery, paged, paging } from './common.js'

export const tools: AnyTool[] = [
  defineTool({
    name: 'conversations_list',
    title: 'List conversations',
    description: 'The number\'s chats (DIRECT, GROUP, NEWSLETTER), latest first, with unreadCount and last message. A contact\'s from (E.164) or userId (BSUID) is a messages_send destinationNumber. Dates filter lastMessageAt.',
    toolset: 'conversations',
    scope: 'number',
    annotations: hints('RI'),
    untrusted: true,
    input: Type.Object(datedPaging),
    output: paged({ conversations: Type.Array(Type.Object({ id: Type.String(), unreadCount: Type.Integer() })) }),
    handler: async (args, ctx) => ctx.api.get('/v1/conversations', pageQuery(args)),
    summary: (d) => {
      const unread = d.conversations.reduce((n, c) => n + c.unreadCount, 0)
      return `${pageLine(d.conversations.length, 'conversations', d)}; ${unread} unread message(s) on this page`
    }
  }),

  defineTool({
    name: 'messages_unread',
    title: 'Unread messages',
    description: 'Unread inbound messages, newest first: sender (from, fromName), content, media, conversationId. total is the sum of the conversations\' unreadCount.',
    toolset: 'conversations',
    scope: 'number',
    annotations: hints('RI'),
    untrusted: true,
    input: Type.Object(paging),
    output: paged({ messages: Type.Array(Type.Object({ id: Type.String(), conversationId: Type.String() })) }),
    handler: async (args, ctx) => ctx.api.get('/v1/messages/unread', pageQuery(args)),
    summary: (d) => pageLine(d.messages.length, 'unread messages', d)
  }),

  defineTool({
    name: 'messages_group',
    title: 'Group messages',
    description: 'Messages of the number\'s WhatsApp groups (both directions), newest first: sender, content, groupId (JID, for messages_send) and groupName. Dates filter createdAt. Meta numbers need groups enabled.',
    toolset: 'conversations',
    scope: 'number',
    annotations: hints('RI'),
    untrusted: true,
    input: Type.Object(datedPaging),
    output: paged({ messages: Type.Array(Type.Object({ id: Type.String(), conversationId: Type.String() })) }),
    handler: async (args, ctx) => ctx.api.get('/v1/messages/group', pageQuery(args)),
    summary: (d) => pageLine(d.messages.length, 'group messages', d)
  })
]
