// DNS-rebinding protection for the MCP endpoint: a request whose Host or Origin names a host
// that is neither loopback nor configured is refused with 403 before anything else runs.
// @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#security-warning
import type { FastifyReply, FastifyRequest } from 'fastify'

export interface OriginGuardOptions {
  /** Extra hostnames accepted in Host; `*` accepts any. */
  allowedHosts: readonly string[]
  /** Extra origins accepted in Origin (scheme://host[:port]); `*` accepts any. */
  allowedOrigins: readonly string[]
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

export function isLoopbackHost (hostname: string): boolean {
  const h = hostname.toLowerCase()
  return LOOPBACK.has(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h.endsWith('.localhost')
}

function hostnameOf (hostHeader: string): string | undefined {
  try {
    return new URL(`http://${hostHeader}`).hostname
  } catch {
    return undefined
  }
}

/** Host headers remembered with their verdict (a server sees a handful); emptied when full. */
const HOST_MEMORY = 256

/**
 * Builds the onRequest hook (callback style: no promise per request); `reject` answers the
 * refusal in the route's own format.
 */
export function originGuard (opts: OriginGuardOptions, reject: (reply: FastifyReply, message: string) => FastifyReply) {
  const anyHost = opts.allowedHosts.includes('*')
  const anyOrigin = opts.allowedOrigins.includes('*')
  const hosts = new Set(opts.allowedHosts.map((h) => h.toLowerCase()))
  const origins = new Set(opts.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, '')))
  // Parsing the Host header as a URL on every request cost ~1 µs; its verdict is remembered.
  const hostVerdicts = new Map<string, boolean>()
  const hostAllowed = (host: string): boolean => {
    let ok = hostVerdicts.get(host)
    if (ok === undefined) {
      const name = hostnameOf(host)
      ok = name !== undefined && (isLoopbackHost(name) || hosts.has(name.toLowerCase()))
      if (hostVerdicts.size >= HOST_MEMORY) hostVerdicts.clear()
      hostVerdicts.set(host, ok)
    }
    return ok
  }

  return function guard (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    if (!anyHost) {
      const host = req.headers.host
      if (!host || !hostAllowed(host)) {
        reject(reply, `Forbidden: Host ${JSON.stringify(host ?? '')} is not allowed (set MCP_ALLOWED_HOSTS)`)
        return
      }
    }
    const origin = req.headers.origin
    if (origin !== undefined && !anyOrigin) {
      let ok = false
      try {
        const u = new URL(origin)
        ok = isLoopbackHost(u.hostname) || origins.has(u.origin.toLowerCase())
      } catch { /* "null" or garbage: refused */ }
      if (!ok) {
        reject(reply, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed (set MCP_ALLOWED_ORIGINS)`)
        return
      }
    }
    done()
  }
}
