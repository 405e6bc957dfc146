// Opt-in authorization-server routes on the MCP origin. claude.ai has been seen calling
// `{mcp origin}/authorize`, `/token` and `/register` and ignoring endpoints on another host, so
// these forward to the authorization server's real endpoints (from its RFC 8414 metadata):
// /authorize by redirect (it is a browser page), /token and /register by proxying the request.
// Codes, tokens and client secrets pass through and are never logged.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { metadataLoader } from '../src/auth/verify.js'

export interface AuthorizationServerRoutesOptions {
  authServerUrl: string
  timeoutMs?: number
  fetch?: typeof fetch
}

const RELAYED_RESPONSE_HEADERS = ['content-type', 'cache-control', 'pragma', 'www-authenticate', 'retry-after']

export default async function authorizationServerRoutes (app: FastifyInstance, opts: AuthorizationServerRoutesOptions): Promise<void> {
  const fetchImpl = opts.fetch ?? fetch
  const metadata = metadataLoader(opts.authServerUrl, fetchImpl)
  const timeoutMs = opts.timeoutMs ?? 15_000

  const endpoint = async (name: string): Promise<string> => {
    const m = await metadata()
    const v = m[name]
    if (typeof v !== 'string') throw new Error(`the authorization server metadata has no ${name}`)
    return v
  }
  const unavailable = (reply: FastifyReply, err: unknown) => {
    app.log.error({ reason: (err as Error).message }, 'authorization server unreachable')
    return reply.code(502).header('cache-control', 'no-store').send({ error: 'temporarily_unavailable', error_description: 'The authorization server could not be reached' })
  }

  // A client derives these from the origin, so they live at the host root (the product registers
  // this at its root, or the host through pilotStatusMcpWellKnown). Their own context keeps the
  // raw-body parser private.
  if (app.prefix !== '') throw new Error(`pilot-status-mcp: the authorization-server routes must be served at the host root, not under ${app.prefix}`)
  await app.register(async (ctx) => {
    ctx.removeAllContentTypeParsers()
    ctx.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) => { done(null, body) })

    ctx.get('/.well-known/oauth-authorization-server', async (_req, reply) => {
      try {
        return reply.header('cache-control', 'public, max-age=300').send(await metadata())
      } catch (err) {
        return unavailable(reply, err)
      }
    })

    ctx.get('/authorize', async (req, reply) => {
      let target: string
      try {
        target = await endpoint('authorization_endpoint')
      } catch (err) {
        return unavailable(reply, err)
      }
      const q = req.url.indexOf('?')
      const u = new URL(target)
      if (q >= 0) for (const [k, v] of new URLSearchParams(req.url.slice(q + 1))) u.searchParams.append(k, v)
      return reply.header('cache-control', 'no-store').redirect(u.toString(), 302)
    })

    const forward = (name: string) => async (req: FastifyRequest, reply: FastifyReply) => {
      let target: string
      try {
        target = await endpoint(name)
      } catch (err) {
        return unavailable(reply, err)
      }
      const headers: Record<string, string> = { accept: String(req.headers.accept ?? 'application/json') }
      if (req.headers['content-type']) headers['content-type'] = String(req.headers['content-type'])
      if (req.headers.authorization) headers.authorization = String(req.headers.authorization)
      let res: Response
      try {
        res = await fetchImpl(target, { method: 'POST', headers, body: req.body ? new Uint8Array(req.body as Buffer) : undefined, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
      } catch (err) {
        return unavailable(reply, err)
      }
      reply.code(res.status)
      for (const h of RELAYED_RESPONSE_HEADERS) {
        const v = res.headers.get(h)
        if (v !== null) reply.header(h, v)
      }
      return reply.send(Buffer.from(await res.arrayBuffer()))
    }
    ctx.post('/token', forward('token_endpoint'))
    ctx.post('/register', forward('registration_endpoint'))
  })
}
