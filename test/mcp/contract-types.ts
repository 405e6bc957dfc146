// Compile-time guarantees of the tool contract. Each @ts-expect-error below must stay an error:
// `tsc -p tsconfig.check.json` fails the day one of these mistakes compiles again. The mistakes
// sit in functions that never run; the run-time part checks the correct twin of each.
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { defineTool, fromApi, hints, type AnyTool } from '../../tools/define.js'

const input = Type.Object({ id: Type.String() })
const output = Type.Object({ id: Type.String(), status: Type.Optional(Type.String()) })
const meta = { name: 'example_get', title: 'Example', description: 'An example tool.', toolset: 'messages', scope: 'number' } as const

export function mistakes (): AnyTool[] {
  return [
    // A typo in the hint letters is no longer "all false".
    // @ts-expect-error 'ROI' is not a combination of the legend's letters in order
    defineTool({ ...meta, annotations: hints('ROI'), input, output, handler: async (a, ctx) => ctx.api.get(`/x/${a.id}`) }),
    // @ts-expect-error read-only and destructive together
    defineTool({ ...meta, annotations: hints('RD'), input, output, handler: async (a, ctx) => ctx.api.get(`/x/${a.id}`) }),
    defineTool({
      ...meta,
      annotations: hints('RI'),
      input,
      output,
      // @ts-expect-error a built result must match the output schema (idd is not id)
      handler: async (a) => ({ idd: a.id })
    }),
    defineTool({
      ...meta,
      annotations: hints('RI'),
      input,
      output,
      // @ts-expect-error the API's answer has no type to claim: reading a field of it does not compile
      handler: async (a, ctx) => ({ id: (await ctx.api.get(`/x/${a.id}`)).id })
    }),
    defineTool({
      ...meta,
      annotations: hints('RI'),
      input,
      output,
      // @ts-expect-error ToolApi methods take no type argument (no `get<T>` claim)
      handler: async (a, ctx) => ctx.api.get<{ id: string }>(`/x/${a.id}`)
    }),
    defineTool({
      ...meta,
      annotations: hints('RI'),
      input,
      output,
      handler: async (a, ctx) => ctx.api.get(`/x/${a.id}`),
      // @ts-expect-error a summary reads only what the output schema declares
      summary: (d) => `${d.id} ${d.colour}`
    }),
    defineTool({
      ...meta,
      annotations: hints('RI'),
      input,
      output,
      // @ts-expect-error a cross-field rule reads only declared arguments
      check: (a) => (a.colour === undefined ? [] : ['x']),
      handler: async (a, ctx) => ctx.api.get(`/x/${a.id}`)
    })
  ]
}

t.test('the correct twins compile and run', async (t) => {
  const tool = defineTool({
    ...meta,
    annotations: hints('RI'),
    input,
    output,
    handler: async (a) => fromApi({ id: a.id, extra: true }),
    summary: (d) => `${d.id} ${d.status ?? 'no status'}`
  })
  t.same(tool.annotations, { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false })
  t.equal(typeof mistakes, 'function', 'the mistakes are type-checked, never run')
})
