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

/** The API, bound to the caller's credentials, chosen number and cancellation signal. Returns parsed JSON. */
export interface ToolApi {
  get<T = unknown>(path: string, query?: Record<string, QueryValue>): Promise<T>
  post<T = unknown>(path: string, body?: unknown): Promise<T>
  put<T = unknown>(path: string, body?: unknown): Promise<T>
  patch<T = unknown>(path: string, body?: unknown): Promise<T>
  delete<T = unknown>(path: string, body?: unknown): Promise<T>
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

export interface ToolDefinition<I extends TObject = TObject, O extends TObject = TObject> {
  /** The hosted product's name (tool-catalogue.md). */
  name: string
  title: string
  /** Written for a model: what it does, when to use it, what it returns, which tool yields needed ids. */
  description: string
  toolset: Toolset
  scope: KeyScope
  annotations: ToolHints
  /** Arguments. `whatsappNumberId` is added by the registry for number-scoped tools; do not declare it. */
  input: I
  /** Shape of the structured result. Lenient on purpose: upstream fields may be added or missing. */
  output: O
  /**
   * Set for `scope: 'any'` tools that still act on one number when a tenant credential is used
   * (webhooks): the registry then adds `whatsappNumberId` as for number-scoped tools.
   */
  selectsNumber?: boolean
  /** The result carries text written by third parties (inbound messages); it is fenced as untrusted. */
  untrusted?: boolean
  /** Cross-field rules the schema cannot say (e.g. exactly one destination). Returns problems; none → []. */
  check?: (args: Static<I>) => string[]
  handler: (args: Static<I>, ctx: ToolContext) => Promise<Static<O>>
  /** One line for the top of the text block; the structured data follows it. */
  summary?: (data: Static<O>, args: Static<I>) => string
  /** Binary content to attach (e.g. a QR code as an image). */
  media?: (data: Static<O>) => MediaBlock[]
  /** Top-level result keys left out of the text block because `media` carries them (large base64). */
  textOmit?: string[]
}

/** Identity helper that keeps the handler's types tied to the schemas. */
export function defineTool<I extends TObject, O extends TObject> (def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def
}

/** Hint presets named after tool-catalogue.md's legend, to keep tool files short and exact. */
export function hints (letters: string): ToolHints {
  const set = new Set(letters.replace(/[^RDIO]/g, '').split(''))
  return {
    readOnlyHint: set.has('R'),
    destructiveHint: set.has('D'),
    idempotentHint: set.has('I'),
    openWorldHint: set.has('O')
  }
}

export type AnyTool = ToolDefinition<any, any>
export type { TSchema }
