// One reading of an HTTP request header for the MCP route and the auth plugin: the first value
// when the header repeats, trimmed, and absent when empty.
export function headerValue (v: string | string[] | undefined): string | undefined {
  const s = (Array.isArray(v) ? v[0] : v)?.trim()
  return s === undefined || s === '' ? undefined : s
}
