// Schema pieces shared by several toolsets, so descriptions are written once and tools/list stays small.
import { Type, type TProperties, type SchemaOptions } from '@sinclair/typebox'

export const Page = Type.Optional(Type.Integer({ minimum: 1, description: 'From 1 (default 1).' }))
export const PageSize = Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default 30.' }))
export const StartDate = Type.Optional(Type.String({ format: 'date-time', description: 'From, e.g. 2026-06-01T00:00:00Z.' }))
export const EndDate = Type.Optional(Type.String({ format: 'date-time', description: 'Until (ISO 8601).' }))

/** page + pageSize arguments. */
export const paging = { page: Page, pageSize: PageSize }
/** startDate + endDate + paging arguments. */
export const datedPaging = { startDate: StartDate, endDate: EndDate, ...paging }

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

/** A nullable value (the API sends null for absent data). */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T, options?: SchemaOptions) => Type.Union([t, Type.Null()], options)

export const Id = (description: string) => Type.String({ minLength: 1, description })
export const IsoDate = Nullable(Type.String())
