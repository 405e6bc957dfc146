// The tool registry: built once at start-up from the tool definitions. Holds each tool's
// compiled validator and its tools/list entry; views (toolset / allow-list / read-only) are
// subsets with their own precomputed tools/list payload, cached.
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { Tool } from '@modelcontextprotocol/server'
import type { AnyTool, Toolset } from '../../tools/define.js'

export const NUMBER_ID_PARAM = 'whatsappNumberId'
const NumberIdSchema = Type.Optional(Type.String({
  minLength: 1,
  description: 'WhatsApp number to act on, from numbers_list. Needed with a tenant key or OAuth login; ignored with a number key.'
}))

/** A tools/list entry, as the SDK types it. */
export type McpToolEntry = Tool

export class RegisteredTool {
  readonly def: AnyTool
  readonly input: TObject
  readonly takesNumberId: boolean
  readonly entry: McpToolEntry
  private inputCheck?: TypeCheck<TObject>
  private outputCheck?: TypeCheck<TSchema>

  constructor (def: AnyTool) {
    this.def = def
    this.takesNumberId = def.scope === 'number' || def.selectsNumber === true
    this.input = this.takesNumberId
      ? Type.Object({ ...def.input.properties, [NUMBER_ID_PARAM]: NumberIdSchema }, { additionalProperties: false })
      : Type.Object(def.input.properties, { additionalProperties: false })
    this.entry = {
      name: def.name,
      title: def.title,
      description: def.description,
      inputSchema: plainSchema(this.input) as Tool['inputSchema'],
      outputSchema: plainSchema(def.output) as Tool['outputSchema'],
      annotations: { ...def.annotations }
    }
  }

  /** Compiled on first use, so a process that lists tools but calls few compiles little. */
  get checkInput (): TypeCheck<TObject> {
    this.inputCheck ??= TypeCompiler.Compile(this.input)
    return this.inputCheck
  }

  get checkOutput (): TypeCheck<TSchema> {
    this.outputCheck ??= TypeCompiler.Compile(this.def.output)
    return this.outputCheck
  }
}

/** A subset of the registry that one server configuration (or one narrowed request) exposes. */
export interface ToolView {
  readonly tools: ReadonlyMap<string, RegisteredTool>
  /** The tools/list result, built once per view. */
  readonly listResult: { tools: McpToolEntry[] }
  /** Why a tool outside the view is unavailable (for a clear error when it is called by name). */
  refusal (name: string): string | undefined
}

export interface ViewFilter {
  toolsets?: readonly Toolset[]
  tools?: readonly string[]
  readOnly?: boolean
}

export class ToolRegistry {
  readonly all: ReadonlyMap<string, RegisteredTool>
  private readonly views = new Map<string, ToolView>()

  constructor (defs: readonly AnyTool[]) {
    const all = new Map<string, RegisteredTool>()
    for (const def of defs) {
      if (all.has(def.name)) throw new Error(`duplicate tool name: ${def.name}`)
      all.set(def.name, new RegisteredTool(def))
    }
    this.all = all
  }

  /** The view for a filter; cached, since a handful of distinct filters serve every request. */
  view (filter: ViewFilter = {}): ToolView {
    const key = viewKey(filter)
    let v = this.views.get(key)
    if (!v) {
      v = this.buildView(filter)
      if (this.views.size > 256) this.views.clear()
      this.views.set(key, v)
    }
    return v
  }

  private buildView (filter: ViewFilter): ToolView {
    const toolsets = filter.toolsets ? new Set<string>(filter.toolsets) : undefined
    const allow = filter.tools ? new Set(filter.tools) : undefined
    const tools = new Map<string, RegisteredTool>()
    for (const [name, t] of this.all) {
      if (toolsets && !toolsets.has(t.def.toolset)) continue
      if (allow && !allow.has(name)) continue
      if (filter.readOnly && !t.def.annotations.readOnlyHint) continue
      tools.set(name, t)
    }
    const listResult = { tools: [...tools.values()].map((t) => t.entry) }
    const all = this.all
    return {
      tools,
      listResult,
      refusal (name: string) {
        const t = all.get(name)
        if (!t) return undefined
        if (tools.has(name)) return undefined
        if (filter.readOnly && !t.def.annotations.readOnlyHint) return `Tool ${name} changes data and this server runs in read-only mode.`
        return `Tool ${name} is not enabled on this server (toolsets or tool allow-list).`
      }
    }
  }
}

function viewKey (f: ViewFilter): string {
  return `${f.toolsets ? [...f.toolsets].sort().join(',') : '*'}|${f.tools ? [...f.tools].sort().join(',') : '*'}|${f.readOnly ? 'ro' : 'rw'}`
}

/** TypeBox schemas carry symbol keys; JSON round-trip leaves the plain JSON Schema a client sees. */
function plainSchema (s: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(s))
}
