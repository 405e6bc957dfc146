// The tool registry: built once at start-up from the tool definitions. Holds each tool's
// compiled validator and its tools/list entry; views (toolset / allow-list / read-only) are
// subsets with their own precomputed tools/list payload, cached.
import { FormatRegistry, Type, type TObject, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { Tool } from '@modelcontextprotocol/server'
import type { AnyTool, Toolset } from '../../tools/define.js'
import { guardInput } from '../guard/params.js'

// TypeBox knows no formats until told; an unknown format fails every value. ISO 8601 with a zone,
// so a bound means the same instant whatever the server's time zone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)))

export const NUMBER_ID_PARAM = 'whatsappNumberId'
const NumberIdSchema = Type.Optional(Type.String({
  minLength: 1,
  description: 'From numbers_list; for tenant keys/OAuth.'
}))

/** A tools/list entry, as the SDK types it. */
export type McpToolEntry = Tool

export class RegisteredTool {
  readonly def: AnyTool
  readonly input: TObject
  readonly takesNumberId: boolean
  /** The tools/list entry with the output schema. */
  readonly entry: McpToolEntry
  /** The same without it: what tools/list shows by default (context economy, see ViewFilter). */
  readonly leanEntry: McpToolEntry
  private inputCheck?: TypeCheck<TObject>
  private outputCheck?: TypeCheck<TSchema>

  constructor (def: AnyTool) {
    this.def = def
    this.takesNumberId = def.scope === 'number' || def.selectsNumber === true
    // Send guards (src/guard): idempotencyKey / allowDuplicate on the writes they apply to.
    const guards = guardInput(def)
    this.input = this.takesNumberId
      ? Type.Object({ ...def.input.properties, ...guards, [NUMBER_ID_PARAM]: NumberIdSchema }, { additionalProperties: false })
      : Type.Object({ ...def.input.properties, ...guards }, { additionalProperties: false })
    // additionalProperties is enforced (unknown arguments are refused by name) but not listed:
    // it costs context in every entry and tells a model nothing the refusal does not.
    const { additionalProperties: _strict, ...listed } = plainSchema(this.input)
    this.leanEntry = {
      name: def.name,
      title: def.title,
      description: def.description,
      inputSchema: listed as Tool['inputSchema'],
      annotations: { ...def.annotations }
    }
    this.entry = { ...this.leanEntry, outputSchema: plainSchema(def.output) as Tool['outputSchema'] }
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
  /** `listResult` serialised, built on first use and reused for every tools/list answer. */
  readonly listJson: string
  /** Why a tool outside the view is unavailable (for a clear error when it is called by name). */
  refusal (name: string): string | undefined
}

export interface ViewFilter {
  toolsets?: readonly Toolset[]
  tools?: readonly string[]
  readOnly?: boolean
  /**
   * List output schemas too. Off by default: they are a quarter of the payload and models do not
   * need them (every result also carries its JSON as text); clients that validate or render
   * structured results turn them on. Results carry structuredContent either way.
   */
  outputSchemas?: boolean
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
    const listResult = { tools: [...tools.values()].map((t) => filter.outputSchemas ? t.entry : t.leanEntry) }
    const all = this.all
    let listJson: string | undefined
    return {
      tools,
      listResult,
      get listJson () {
        listJson ??= JSON.stringify(listResult)
        return listJson
      },
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
  return `${f.toolsets ? [...f.toolsets].sort().join(',') : '*'}|${f.tools ? [...f.tools].sort().join(',') : '*'}|${f.readOnly ? 'ro' : 'rw'}|${f.outputSchemas ? 'out' : ''}`
}

/** TypeBox schemas carry symbol keys; JSON round-trip leaves the plain JSON Schema a client sees. */
function plainSchema (s: TSchema): Record<string, unknown> {
  return compact(JSON.parse(JSON.stringify(s))) as Record<string, unknown>
}

/**
 * The listed schema in fewer bytes: a union of literals (TypeBox's anyOf of consts) becomes one
 * `enum`, an open object's empty `properties` goes, and so does `minLength: 1`. Validation uses
 * the original schema.
 */
export function compact (node: unknown): unknown {
  if (Array.isArray(node)) return node.map(compact)
  if (node === null || typeof node !== 'object') return node
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) out[k] = compact(v)
  const alts = out.anyOf
  if (Array.isArray(alts) && alts.length > 0 && alts.every((a) => a && typeof a === 'object' && 'const' in a && Object.keys(a).every((k) => k === 'const' || k === 'type'))) {
    const types = new Set(alts.map((a) => (a as { type?: string }).type))
    if (types.size === 1) {
      delete out.anyOf
      const [type] = types
      if (type !== undefined) out.type = type
      out.enum = alts.map((a) => (a as { const: unknown }).const)
    }
  }
  // "Not empty" is enforced, and refused by field name, without costing 14 bytes per id in every list.
  if (out.minLength === 1 && out.type === 'string') delete out.minLength
  if (out.type === 'object' && out.properties && typeof out.properties === 'object' && Object.keys(out.properties).length === 0) delete out.properties
  return out
}
