// The webhooks toolset: list, read, create, change and delete the webhooks of a number, and read
// their delivery logs (GET/POST/PATCH/DELETE /v1/webhooks, pilot-status-api.md §2.10).
import { Type } from '@sinclair/typebox'
import { apiPath } from '../src/api/client.js'
import { defineTool, fromApi, hints, type AnyTool } from './define.js'
import { DEFAULT_PAGE_SIZE, HttpUrl, Id, Nullable, fieldsOf, itemsOf } from './common.js'

const WebhookId = Id('From webhooks_list.')
const Url = HttpUrl('http(s) receiver URL.')
const Name = Type.String({ maxLength: 100, description: 'Label.' })
const Events = Type.Array(Type.String(), { description: 'e.g. message.received, message.read, number.disconnected; ["*"] = all.' })

// Only what a model needs to chain calls; the full object (apiKeys, instance ids...) is in the text block.
const Webhook = Type.Object({
  id: Type.String(),
  name: Type.Optional(Nullable(Type.String())),
  url: Type.String(),
  active: Type.Boolean(),
  events: Type.Array(Type.String()),
  whatsappNumberIds: Type.Optional(Type.Array(Type.String()))
})

const line = (w: typeof Webhook.static) => `${w.id}${w.name ? ` "${w.name}"` : ''} on ${w.whatsappNumberIds?.join(', ') ?? '?'} → ${w.url} (${w.active ? 'active' : 'paused'}; events: ${w.events.length > 0 ? w.events.join(', ') : 'none'})`

const DeliveryLog = Type.Object({ event: Type.String(), status: Type.String(), createdAt: Type.String() })

export const tools: AnyTool[] = [
  defineTool({
    name: 'webhooks_list',
    title: 'List webhooks',
    description: 'List webhooks (id, name, url, active, events, number). Number key: its number\'s; tenant key: all, or one number\'s via whatsappNumberId.',
    toolset: 'webhooks',
    scope: 'any',
    selectsNumber: true,
    annotations: hints('RI'),
    input: Type.Object({}),
    output: Type.Object({ webhooks: Type.Array(Webhook) }),
    handler: async (_args, ctx) => {
      return fromApi({ webhooks: itemsOf(await ctx.api.get('/v1/webhooks'), 'webhooks') })
    },
    summary: (d) => d.webhooks.length === 0
      ? 'No webhooks.'
      : `${d.webhooks.length} webhook(s):\n${d.webhooks.map((w) => `- ${line(w)}`).join('\n')}`
  }),

  defineTool({
    name: 'webhook_get',
    title: 'Get a webhook',
    description: 'Get a webhook: url, events, active, number, lastTriggered. The signing secret is never returned.',
    toolset: 'webhooks',
    scope: 'any',
    selectsNumber: true,
    annotations: hints('RI'),
    input: Type.Object({ webhookId: WebhookId }),
    output: Webhook,
    handler: async (args, ctx) => ctx.api.get(apiPath`/v1/webhooks/${args.webhookId}`),
    summary: (d) => `Webhook ${line(d)}`
  }),

  defineTool({
    name: 'webhooks_create',
    title: 'Create a webhook',
    description: 'Create a webhook POSTing one number\'s events to url (tenant key: whatsappNumberId required; fixed for life). No events = nothing delivered; events the provider can\'t emit are dropped.',
    toolset: 'webhooks',
    scope: 'any',
    selectsNumber: true,
    annotations: hints(''),
    input: Type.Object({
      url: Url,
      name: Type.Optional(Name),
      events: Type.Optional(Events)
    }),
    output: Webhook,
    handler: async (args, ctx) => {
      // The body is the API's documented way to bind the number; the header (sent too) agrees with it.
      return ctx.api.post('/v1/webhooks', { ...args, whatsappNumberId: ctx.whatsappNumberId })
    },
    summary: (d) => `Created webhook ${line(d)}`
  }),

  defineTool({
    name: 'webhooks_update',
    title: 'Update a webhook',
    description: 'Change a webhook\'s name, url, events or active. events REPLACES the list (no merge): include every event to keep. Pass at least one field.',
    toolset: 'webhooks',
    scope: 'any',
    selectsNumber: true,
    annotations: hints('I'),
    input: Type.Object({
      webhookId: WebhookId,
      name: Type.Optional(Name),
      url: Type.Optional(Url),
      active: Type.Optional(Type.Boolean({ description: 'false pauses, true resumes.' })),
      events: Type.Optional(Events)
    }),
    output: Webhook,
    check: (a) => (a.name === undefined && a.url === undefined && a.active === undefined && a.events === undefined
      ? ['pass at least one of name, url, active, events']
      : []),
    handler: async (args, ctx) => {
      const { webhookId, ...body } = args
      return ctx.api.patch(apiPath`/v1/webhooks/${webhookId}`, body)
    },
    summary: (d) => `Updated webhook ${line(d)}`
  }),

  defineTool({
    name: 'webhooks_delete',
    title: 'Delete a webhook',
    description: 'Permanently delete a webhook. To pause it instead, use webhooks_update with active: false.',
    toolset: 'webhooks',
    scope: 'any',
    selectsNumber: true,
    annotations: hints('DI'),
    input: Type.Object({ webhookId: WebhookId }),
    output: Type.Object({ success: Type.Boolean() }),
    handler: async (args, ctx) => {
      const r = await ctx.api.delete(apiPath`/v1/webhooks/${args.webhookId}`)
      // The API does not document a delete body; a 2xx is the success.
      return fromApi({ success: true, id: args.webhookId, ...fieldsOf(r) })
    },
    summary: (_d, a) => `Deleted webhook ${a.webhookId}.`
  }),

  defineTool({
    name: 'webhook_events',
    title: 'Webhook delivery log',
    description: 'Recent delivery attempts of a webhook, newest first (event, SUCCESS|FAILED, statusCode, durationMs, payload, response).',
    toolset: 'webhooks',
    scope: 'any',
    selectsNumber: true,
    untrusted: true,
    annotations: hints('RI'),
    input: Type.Object({
      webhookId: WebhookId,
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: `Default ${DEFAULT_PAGE_SIZE}, to keep answers short (each attempt carries its payload and response); up to 50.` })),
      event: Type.Optional(Type.String({ description: 'Only this event, e.g. message.received.' }))
    }),
    output: Type.Object({ logs: Type.Array(DeliveryLog) }),
    handler: async (args, ctx) => {
      const r = await ctx.api.get(apiPath`/v1/webhooks/${args.webhookId}/logs`, { limit: args.limit ?? DEFAULT_PAGE_SIZE, event: args.event })
      // The reference says "items"; accept a bare array (what it lists elsewhere) or a wrapper.
      return fromApi({ logs: itemsOf(r, 'logs', 'items') })
    },
    summary: (d, a) => {
      const failed = d.logs.filter((l) => l.status === 'FAILED').length
      return `${d.logs.length} delivery attempt(s) for ${a.webhookId}${failed > 0 ? `, ${failed} FAILED` : ''}.`
    }
  })
]
