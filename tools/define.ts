// The tool contract: a tool is data (name, hints, TypeBox schemas, handler), defined once and
// listed, filtered and called by src/mcp. Tool files import no Fastify and no SDK.
import type { Static, TObject, TSchema } from '@sinclair/typebox'
import type { QueryValue } from '../src/api/client.js'

export const TOOLSETS = ['messages', 'conversations', 'templates', 'numbers', 'groups', 'channels', 'webhooks', 'calls', 'account'] as const
export type Toolset = typeof TOOLSETS[number]

/** Which kind of Pilot Status key the endpoint accepts (tool-catalogue.md: N, T, A). */
export type KeyScope = 'number' | 'tenant' | 'any'

/** All four MCP safety hints are required: read-only mode and filters are derived from them. */
export interface ToolHints {
  readOnlyHint: boolean
  destructiveHint: boolean
  idempotentHint: boolean
  openWorldHint: boolean
}

/**
 * tool-catalogue.md's hint legend, letters in its order (R read-only, D destructive, I idempotent,
 * O open world; '' none). Read-only never goes with destructive, so 'RD…' is not a member.
 */
export type HintLetters = `R${'' | 'I'}${'' | 'O'}` | `${'' | 'D'}${'' | 'I'}${'' | 'O'}`

const HINT_LETTERS: ReadonlySet<string> = new Set(['', 'D'].flatMap((d) => ['', 'I'].flatMap((i) => ['', 'O'].flatMap((o) => [`${d}${i}${o}`, ...(d ? [] : [`R${i}${o}`])]))))

/**
 * The four hints from the catalogue's letters. A literal is checked by the compiler ('RIO' and 'IR'
 * are errors, not "all false"); a string only known at run time (a test's table) is checked here.
 */
export function hints<L extends string> (letters: string extends L ? L : HintLetters): ToolHints {
  if (!HINT_LETTERS.has(letters)) throw new Error(`hint letters ${JSON.stringify(letters)}: use R, D, I, O in that order, never R with D`)
  return {
    readOnlyHint: letters.includes('R'),
    destructiveHint: letters.includes('D'),
    idempotentHint: letters.includes('I'),
    openWorldHint: letters.includes('O')
  }
}

declare const apiAnswer: unique symbol
/**
 * The API's parsed JSON, unchecked: no handler can claim a type for it. A handler returns it as
 * its result (the registry checks results against `output` before a summary or media reads them)
 * or looks inside it as `unknown`.
 */
export interface ApiAnswer { readonly [apiAnswer]: true }

/** A result reshaped from API data (e.g. a list taken out of its envelope): as unchecked as the answer itself. */
export function fromApi (value: unknown): ApiAnswer {
  return value as ApiAnswer
}

/** The API, bound to the caller's credentials, chosen number and cancellation signal. */
export interface ToolApi {
  get(path: string, query?: Record<string, QueryValue>): Promise<ApiAnswer>
  post(path: string, body?: unknown): Promise<ApiAnswer>
  put(path: string, body?: unknown): Promise<ApiAnswer>
  patch(path: string, body?: unknown): Promise<ApiAnswer>
  delete(path: string, body?: unknown): Promise<ApiAnswer>
}

export interface ToolLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

export interface ToolContext {
  api: ToolApi
  signal: AbortSignal
  log: ToolLogger
  /** The `whatsappNumberId` argument, when the caller gave one (it is also sent as `x-whatsapp-number-id`). */
  whatsappNumberId?: string
}

/** Binary content returned next to the structured result (QR codes, downloaded media). */
export type MediaBlock =
  | { type: 'image' | 'audio', data: string, mimeType: string }
  | { type: 'resource', uri: string, mimeType: string, blob: string }

/** What a tool is, apart from its typed functions. */
export interface ToolMeta {
  /** The hosted product's name (tool-catalogue.md). */
  name: string
  title: string
  /** Written for a model: what it does, when to use it, what it returns, which tool yields needed ids. */
  description: string
  toolset: Toolset
  scope: KeyScope
  annotations: ToolHints
  /**
   * Set for `scope: 'any'` tools that still act on one number when a tenant credential is used
   * (webhooks): the registry then adds `whatsappNumberId` as for number-scoped tools.
   */
  selectsNumber?: boolean
  /** The result carries text written by third parties (inbound messages); it is fenced as untrusted. */
  untrusted?: boolean
  /** Top-level result keys left out of the text block because `media` carries them (large base64). */
  textOmit?: string[]
}

export interface ToolDefinition<I extends TObject, O extends TObject> extends ToolMeta {
  /** Arguments. `whatsappNumberId` is added by the registry for number-scoped tools; do not declare it. */
  input: I
  /** Shape of the structured result. Lenient on purpose: upstream fields may be added or missing. */
  output: O
  /** Cross-field rules the schema cannot say (e.g. exactly one destination). Returns problems; none → []. */
  check?: (args: Static<I>) => string[]
  /** Returns a result built to `output`, or the API's answer passed on unchecked. */
  handler: (args: Static<I>, ctx: ToolContext) => Promise<Static<O> | ApiAnswer>
  /** One line for the top of the text block; the structured data follows it. Only sees a result `output` accepted. */
  summary?: (data: Static<O>, args: Static<I>) => string
  /** Binary content to attach (e.g. a QR code as an image). Only sees a result `output` accepted. */
  media?: (data: Static<O>) => MediaBlock[]
}

declare const validated: unique symbol
/** A value the registry's compiled check accepted against a tool's `input` (or `output`). */
export type Validated<Of extends 'input' | 'output'> = Record<string, unknown> & { readonly [validated]: Of }

/**
 * A tool with its schema types erased, as lists and the registry hold it. Only defineTool makes
 * one, from a definition whose functions were type-checked against its schemas; the registry calls
 * them only with what those schemas accepted (the Validated brand is how call sites show it).
 */
export interface AnyTool extends ToolMeta {
  readonly input: TObject
  readonly output: TObject
  readonly check?: (args: Validated<'input'>) => string[]
  readonly handler: (args: Validated<'input'>, ctx: ToolContext) => Promise<unknown>
  readonly summary?: (data: Validated<'output'>, args: Validated<'input'>) => string
  readonly media?: (data: Validated<'output'>) => MediaBlock[]
}

/** The one place schema types are erased: a Validated value is, at run time, a Static of its schema. */
export function defineTool<I extends TObject, O extends TObject> (def: ToolDefinition<I, O>): AnyTool {
  return def as unknown as AnyTool
}

export type { TSchema }
