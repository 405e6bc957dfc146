// Schema pieces and helpers shared by several toolsets, so descriptions, patterns and rules are
// written once and tools/list stays small.
import { Type, type TProperties, type SchemaOptions } from '@sinclair/typebox'

/**
 * An ISO 8601 date-time with a zone, so a bound or a send time means the same instant whatever
 * the server's time zone. Written case-insensitively by hand (a schema pattern takes no flags).
 */
export const DATE_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?([Zz]|[+-]\\d{2}:?\\d{2})$'
const DATE_TIME = new RegExp(DATE_TIME_PATTERN)

/** The date-time shape and a real calendar instant (no month 13). */
export function isDateTime (value: string): boolean {
  return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))
}

/** What a model is told when a date-time argument is not one. */
export const DATE_TIME_PROBLEM = 'must be an ISO 8601 date-time with a zone, e.g. 2026-07-01T12:00:00Z'

/**
 * A date-time argument. Listed as JSON Schema's `format: 'date-time'`; the registry validates it
 * with isDateTime (TypeBox's format registry is global to the host and left alone).
 */
export const DateTime = (description: string) => Type.String({ format: 'date-time', description })

/** A phone number in E.164 (the '+' optional), as the API takes it. */
export const Phone = (description?: string) => Type.String({ pattern: '^\\+?[1-9]\\d{9,14}$', ...(description === undefined ? {} : { description }) })

/** An http(s) URL (the API fetches or redirects to it). */
export const HttpUrl = (description: string) => Type.String({ pattern: '^https?://', description })

export const Page = Type.Optional(Type.Integer({ minimum: 1, description: 'From 1 (default 1).' }))
/**
 * The page a list tool asks for when the model names none. The API's default (30) made a default
 * messages_history answer ~18 K characters of JSON, paid for in the model's context on every call;
 * 10 items keep a default answer to a few K, the summary line says how many more there are, and
 * the API's maximum stays one argument away.
 */
export const DEFAULT_PAGE_SIZE = 10
export const PageSize = Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: `Default ${DEFAULT_PAGE_SIZE}, to keep answers short; up to 100.` }))
export const StartDate = Type.Optional(DateTime('From, e.g. 2026-06-01T00:00:00Z.'))
export const EndDate = Type.Optional(DateTime('Until (ISO 8601).'))

/** page + pageSize arguments. */
export const paging = { page: Page, pageSize: PageSize }
/** startDate + endDate + paging arguments. */
export const datedPaging = { startDate: StartDate, endDate: EndDate, ...paging }
/** The query a paged list sends: the model's arguments, with the default page size made explicit. */
export function pageQuery<T extends { pageSize?: number }> (args: T): T & { pageSize: number } {
  return { ...args, pageSize: args.pageSize ?? DEFAULT_PAGE_SIZE }
}

/** The API's page envelope: `{ total, page, pageSize, totalPages }` next to the items. */
export function paged<T extends TProperties> (items: T) {
  return Type.Object({
    ...items,
    total: Type.Integer(),
    page: Type.Integer(),
    pageSize: Type.Integer(),
    totalPages: Type.Integer(),
    notice: Type.Optional(Type.String({ description: 'e.g. PII_RELAY_ONLY when the number stores no content.' }))
  })
}

/** "30 of 112 messages (page 1 of 4)". */
export function pageLine (shown: number, what: string, p: { total: number, page: number, totalPages: number, notice?: string }): string {
  return `${shown} of ${p.total} ${what} (page ${p.page} of ${Math.max(p.totalPages, 1)})${p.notice ? `; notice: ${p.notice}` : ''}`
}

/** A nullable value (the API sends null for absent data). */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T, options?: SchemaOptions) => Type.Union([t, Type.Null()], options)

export const Id = (description: string) => Type.String({ minLength: 1, description })

/**
 * The items of a list answer. The API sends some lists bare and some in an envelope
 * (`{ templates: [...] }`); the first of `keys` holding an array wins, else there are none.
 */
export function itemsOf (answer: unknown, ...keys: string[]): unknown[] {
  if (Array.isArray(answer)) return answer
  const fields = fieldsOf(answer)
  for (const k of keys) {
    const v = fields[k]
    if (Array.isArray(v)) return v
  }
  return []
}

/** An answer's fields when it is a JSON object, else none: for reading what the API may leave out. */
export function fieldsOf (answer: unknown): Record<string, unknown> {
  return answer !== null && typeof answer === 'object' && !Array.isArray(answer) ? answer as Record<string, unknown> : {}
}
