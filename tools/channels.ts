// The channels toolset: the WhatsApp channels (newsletters) a number owns or follows
// (pilot-status-api.md §2.7). Sending to a channel is messages_send with newsletterId.
import { Type } from '@sinclair/typebox'
import { defineTool, hints, type AnyTool } from './define.js'

/**
 * INFERRED endpoint: the API lists newsletters among number-scoped capabilities but its page was
 * not found (pilot-status-api.md §2.7). Correct the path here and nowhere else.
 */
const INFERRED = { newsletters: '/v1/newsletters' } as const

export const tools: AnyTool[] = [
  defineTool({
    name: 'newsletters_list',
    title: 'List WhatsApp channels',
    description: 'List WhatsApp channels this number owns or follows: id (…@newsletter), name, role. Post with messages_send newsletterId. Not on Meta numbers.',
    toolset: 'channels',
    scope: 'number',
    annotations: hints('RI'),
    untrusted: true,
    input: Type.Object({}),
    output: Type.Object({
      newsletters: Type.Array(Type.Object({ id: Type.String() }))
    }),
    handler: async (_args, ctx) => ctx.api.get(INFERRED.newsletters),
    summary: (d) => `${d.newsletters.length} channel(s)`
  })
]
