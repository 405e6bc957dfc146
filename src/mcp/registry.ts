// The tool registry: built once at start-up from the tool definitions. Holds each tool's
// compiled validator and its tools/list entry; views (toolset / allow-list / read-only) are
// subsets with their own precomputed tools/list payload, cached.
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import type { Tool } from '@modelcontextprotocol/server'
import type { AnyTool, Toolset, Validated } from '../../tools/define.js'
import { DATE_TIME_PATTERN, isDateTime } from '../../tools/common.js'
import { guardInput } from '../guard/params.js'

export const NUMBER_ID_PARAM = 'whatsappNumberId'
const NumberIdSchema = Type.Optional(Type.String({
  minLength: 1,
  description: 'From numbers_list; for tenant keys/OAuth.'
}))

/** A tools/list entry, as the SDK types it. */
export type McpToolEntry = Tool

/**
 * Compiled checks by definition: a definition's input schema (with the registry's additions) and
 * output schema are fixed, so every registry of a process (one per embedded product, per test)
 * shares one compilation.
 */
const COMPILED = new WeakMap<AnyTool, { input?: TypeCheck<TObject>, output?: TypeCheck<TSchema> }>()
function compiledFor (def: AnyTool): { input?: TypeCheck<TObject>, output?: TypeCheck<TSchema> } {
  let c = COMPILED.get(def)
  if (!c) COMPILED.set(def, c = {})
  return c
}

export class RegisteredTool {
  readonly def: AnyTool
  readonly input: TObject
  readonly takesNumberId: boolean
  /** The tools/list entry with the output schema. */
  readonly entry: McpToolEntry
  /** The same without it: what tools/list shows by default (context economy, see ViewFilter). */
  readonly leanEntry: McpToolEntry
  /** Arguments listed as `format: 'date-time'`: besides their pattern, each must be a real instant. */
  readonly dateTimeArgs: readonly string[]
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
    this.dateTimeArgs = Object.entries(this.input.properties).filter(([, s]) => s.format === 'date-time').map(([k]) => k)
  }

  /**
   * The compiled schema check, on first use so a process that lists tools but calls few (stdio)
   * compiles little; warm() compiles ahead instead. Dates are validated by pattern here.
   */
  get checkInput (): TypeCheck<TObject> {
    this.inputCheck ??= compiledFor(this.def).input ??= compile(this.input)
    return this.inputCheck
  }

  get checkOutput (): TypeCheck<TSchema> {
    this.outputCheck ??= compiledFor(this.def).output ??= compile(this.def.output)
    return this.outputCheck
  }

  /** Arguments the tool's functions may be given: the schema holds and every date-time is an instant. */
  acceptsInput (args: unknown): args is Validated<'input'> {
    if (!this.checkInput.Check(args)) return false
    const fields = args as Record<string, unknown>
    return this.dateTimeArgs.every((k) => typeof fields[k] !== 'string' || isDateTime(fields[k]))
  }

  /** A result summary and media may read: it matches the output schema. */
  acceptsOutput (data: unknown): data is Validated<'output'> {
    return this.checkOutput.Check(data)
  }

  /** Compiles both checks now, so the first call does not pay for it inside its deadline. */
  warm (): void {
    this.inputCheck ??= compiledFor(this.def).input ??= compile(this.input)
    this.outputCheck ??= compiledFor(this.def).output ??= compile(this.def.output)
  }
}

export interface RegistryOptions {
  /** Compile every tool's checks at construction (a server); off, each compiles on first call (stdio's cold start). */
  eager?: boolean
}

/** A subset of the registry that one server configuration (or one narrowed request) exposes. */
export interface ToolView {
  readonly tools: ReadonlyMap<string, RegisteredTool>
  /** The tools/list result, built once per view. */
  readonly listResult: { tools: McpToolEntry[] }
  /** `listResult` serialised, built on first use and reused for every tools/list answer. */
  readonly listJson: string
  /** Whether this view's tools/list entry for `name` declares an output schema (decided once per view). */
  listsOutputSchema (name: string): boolean
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
  private readonly tools = new Map<string, RegisteredTool>()
  readonly all: ReadonlyMap<string, RegisteredTool> = this.tools
  private readonly views = new Map<string, ToolView>()

  constructor (defs: readonly AnyTool[] = [], options: RegistryOptions = {}) {
    this.add(defs)
    if (options.eager) this.warm()
  }

  /** Adds tool definitions (the tool-group plugins add one toolset each while the app is assembled). */
  add (defs: readonly AnyTool[]): void {
    for (const def of defs) {
      if (this.tools.has(def.name)) throw new Error(`duplicate tool name: ${def.name}`)
      this.tools.set(def.name, new RegisteredTool(def))
    }
    this.views.clear()
  }

  /** Compiles every tool's argument and result checks (an HTTP server calls it at start-up). */
  warm (): this {
    for (const t of this.all.values()) t.warm()
    return this
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
    const withOutputSchema = new Set(listResult.tools.filter((e) => e.outputSchema !== undefined).map((e) => e.name))
    let listJson: string | undefined
    return {
      tools,
      listResult,
      get listJson () {
        listJson ??= JSON.stringify(listResult)
        return listJson
      },
      listsOutputSchema: (name: string) => withOutputSchema.has(name),
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

/**
 * The schema as compiled: `format: 'date-time'` becomes its pattern. A format needs TypeBox's
 * FormatRegistry, which is global to every TypeBox user in the host process; this product does
 * not change it. Symbol keys (TypeBox's Kind) are copied: the compiler needs them.
 */
function compile<T extends TSchema> (schema: T): TypeCheck<T> {
  return TypeCompiler.Compile(localFormats(schema))
}

function localFormats<T extends TSchema> (schema: T): T {
  const copy = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(copy)
    if (node === null || typeof node !== 'object') return node
    const src = node as Record<string | symbol, unknown>
    const out: Record<string | symbol, unknown> = {}
    for (const k of Reflect.ownKeys(src)) out[k] = copy(src[k])
    if (out.format === 'date-time') {
      delete out.format
      out.pattern = DATE_TIME_PATTERN
    }
    return out
  }
  return copy(schema) as T
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
