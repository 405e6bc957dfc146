// The templates toolset: list, read, create, replace and delete the number's message templates
// (GET/POST /v1/templates, GET/PUT/DELETE /v1/templates/{id}; pilot-status-api.md §2.3).
import { Type, type Static } from '@sinclair/typebox'
import { apiPath } from '../src/api/client.js'
import { defineTool, fromApi, hints, type AnyTool } from './define.js'
import { Id, Nullable, fieldsOf, itemsOf } from './common.js'

const TemplateRef = Id('Template id or name, from templates_list.')

const Category = Type.Optional(Type.Union([Type.Literal('MARKETING'), Type.Literal('UTILITY'), Type.Literal('OTP')], { description: 'Fixed once created (default UTILITY).' }))

// The description carries the structure in far fewer bytes than a nested schema would (tools/list
// budget); the API validates it and names the bad field.
const Body = Type.Union([Type.Object({}), Type.String({ minLength: 1 })], {
  description: 'Plain text, or {header?:{type:TEXT|IMAGE|VIDEO|DOCUMENT,text|url},body:{text},footer?:{text},' +
    'buttons?:[{type:QUICK_REPLY|URL|PHONE_NUMBER|COPY_CODE,text,url|phone_number|example}]}. Variables {{name}}.'
})

const Examples = Type.Optional(Type.Record(Type.String(), Type.String(), {
  description: 'A sample per variable, e.g. {"name":"Maria"}. Required if any variable.'
}))

const Language = Type.Optional(Type.String({ description: 'e.g. pt_BR (default), en_US.' }))

// Only what chaining needs; the full template reaches the model in the text block.
const Template = Type.Object({
  id: Type.String(),
  name: Type.String(),
  sendable: Type.Optional(Type.Boolean()),
  metaStatus: Type.Optional(Nullable(Type.String()))
})

/** Header media must be a URL here: base64 uploads are REST-only (the hosted MCP says so too). */
function checkBody (body: unknown): string[] {
  if (typeof body === 'string') {
    // The call pipeline already parsed valid JSON strings; one still starting with '{' is broken JSON.
    return /^\s*\{\s*["}]/.test(body) ? ['body: looks like JSON but does not parse; pass an object or plain text.'] : []
  }
  const header = fieldsOf(fieldsOf(body).header)
  if ('base64' in header) {
    return ['body.header.base64: header media by base64 is not accepted through MCP; pass body.header.url (http/https) instead.']
  }
  return []
}

function state (t: Static<typeof Template>): string {
  if (t.sendable === true) return 'sendable'
  return t.metaStatus ? `not sendable: Meta status ${t.metaStatus}` : 'not sendable'
}

export const tools: AnyTool[] = [
  defineTool({
    name: 'templates_list',
    title: 'List templates',
    description: 'List the number\'s message templates: id, name, category, variables, source, metaStatus, sendable. Only sendable ones can be sent (messages_send templateId).',
    toolset: 'templates',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({}),
    output: Type.Object({ templates: Type.Array(Template) }),
    handler: async (_args, ctx) => {
      const data = await ctx.api.get('/v1/templates')
      return fromApi({ templates: itemsOf(data, 'templates') })
    },
    summary: (d) => `${d.templates.length} template(s), ${d.templates.filter((t) => t.sendable).length} sendable.`
  }),

  defineTool({
    name: 'templates_get',
    title: 'Get template',
    description: 'Get one template by id or name: structure (header, body, footer, buttons), variables, examples, category, metaStatus, sendable.',
    toolset: 'templates',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({ id: TemplateRef }),
    output: Template,
    handler: async (args, ctx) => ctx.api.get(apiPath`/v1/templates/${args.id}`),
    summary: (t) => `Template ${t.name} (${t.id}): ${state(t)}.`
  }),

  defineTool({
    name: 'templates_create',
    title: 'Create template',
    description: 'Create a message template. `examples` needs a sample for every {{variable}} (dynamic URL buttons too). Header media by URL only. Meta numbers: submitted for review (PENDING; sendable once APPROVED). Pilot Status numbers: usable at once.',
    toolset: 'templates',
    scope: 'number',
    annotations: hints(''),
    input: Type.Object({
      name: Type.String({ minLength: 1, description: 'Unique per number; letters/numbers, separators become _.' }),
      category: Category,
      language: Language,
      body: Body,
      examples: Examples
    }),
    output: Template,
    check: (args) => checkBody(args.body),
    handler: async (args, ctx) => ctx.api.post('/v1/templates', args),
    summary: (t) => `Created template ${t.name} (${t.id}): ${state(t)}.`
  }),

  defineTool({
    name: 'templates_update',
    title: 'Update template',
    description: 'Replace a template\'s content (the category is fixed at creation); same rules as templates_create, `examples` included. Meta templates go back to review (PENDING).',
    toolset: 'templates',
    scope: 'number',
    annotations: hints('I'),
    input: Type.Object({
      id: TemplateRef,
      language: Language,
      body: Body,
      examples: Examples
    }),
    output: Template,
    check: (args) => checkBody(args.body),
    handler: async (args, ctx) => {
      const { id, ...body } = args
      return ctx.api.put(apiPath`/v1/templates/${id}`, body)
    },
    summary: (t) => `Updated template ${t.name} (${t.id}): ${state(t)}.`
  }),

  defineTool({
    name: 'templates_delete',
    title: 'Delete template',
    description: 'Delete a template by id or name. Irreversible; on Meta numbers also removed from the WhatsApp Business Account.',
    toolset: 'templates',
    scope: 'number',
    annotations: hints('DI'),
    input: Type.Object({ id: TemplateRef }),
    output: Type.Object({ deleted: Type.Boolean(), id: Type.String() }),
    handler: async (args, ctx) => ctx.api.delete(apiPath`/v1/templates/${args.id}`),
    summary: (d) => `Deleted template ${d.id}.`
  })
]
