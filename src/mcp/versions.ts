// Protocol constants the HTTP start-up path and the fast path need, without loading the SDK: its
// index evaluates every zod schema of the protocol when imported (~8 MB of heap, ~20 MB of RSS
// with the code it compiles), and a server whose traffic the fast path answers never needs it.
// The values are the SDK's own (@modelcontextprotocol/server 2.x); test/http/lazy-sdk.ts fails
// when the installed SDK's differ.

/** The 2025-era protocol versions the SDK negotiates through initialize (its SUPPORTED_PROTOCOL_VERSIONS). */
export const LEGACY_PROTOCOL_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07']

/**
 * Every protocol version this server serves: the 2026-07-28 revision (per-request envelope,
 * server/discover) and, through initialize, the 2025-era versions the SDK negotiates.
 */
export const SERVED_VERSIONS: readonly string[] = ['2026-07-28', ...LEGACY_PROTOCOL_VERSIONS]

/** The `_meta` key of the serverInfo stamped on every 2026-07-28 result (the SDK's SERVER_INFO_META_KEY). */
export const SERVER_INFO_META_KEY = 'io.modelcontextprotocol/serverInfo'

/** The `_meta` key of a 2026-07-28 request's client capabilities (the SDK's CLIENT_CAPABILITIES_META_KEY). */
export const CLIENT_CAPABILITIES_META_KEY = 'io.modelcontextprotocol/clientCapabilities'
