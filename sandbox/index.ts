// The embedded sandbox: a Fastify plugin simulating the Pilot Status /v1 API with in-memory
// state, so the server runs offline (--sandbox) and tests reach a real API over loopback.
import type { FastifyError, FastifyInstance, FastifyPluginAsync } from 'fastify'
import { SandboxError, SandboxStore, resolveCaller, sendError, type SandboxOptions } from './core.js'
import messages from './messages.js'
import templates from './templates.js'
import numbers from './numbers.js'
import groups from './groups.js'
import calls from './calls.js'
import webhooks from './webhooks.js'
import account from './account.js'
import { oauthRoutes } from './oauth.js'

/** One domain's routes; registered with full `/v1/...` paths on the sandbox's encapsulated instance. */
export type SandboxDomain = (app: FastifyInstance, store: SandboxStore) => void

const DOMAINS: SandboxDomain[] = [messages, templates, numbers, groups, calls, webhooks, account]

export interface SandboxPluginOptions extends SandboxOptions {
  /** Use this state instead of a fresh one (to inspect or seed it from tests). */
  store?: SandboxStore
}

declare module 'fastify' {
  interface FastifyInstance {
    sandboxStore: SandboxStore
  }
}

/** /v1 routes without credentials (public remote-pairing pages); the OAuth routes are outside /v1. */
const PUBLIC_PREFIXES = ['/v1/remote-pairing/']

export const sandboxPlugin: FastifyPluginAsync<SandboxPluginOptions> = async (app, opts) => {
  const store = opts.store ?? new SandboxStore(opts)
  app.decorate('sandboxStore', store)

  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0]
    if (!path.startsWith('/v1/') || PUBLIC_PREFIXES.some((p) => path.startsWith(p))) return
    req.sandboxCaller = resolveCaller(store, req)
  })

  app.setErrorHandler((err: FastifyError | SandboxError, _req, reply) => {
    if (err instanceof SandboxError) return sendError(reply, err)
    if ((err as FastifyError).validation) {
      return reply.code(400).send({ error: `Validation error: ${err.message}`, code: 'VALIDATION_ERROR' })
    }
    const status = (err as FastifyError).statusCode ?? 500
    if (status < 500) return reply.code(status).send({ error: err.message, code: (err as FastifyError).code ?? 'BAD_REQUEST' })
    app.log.error({ err }, 'sandbox route failed')
    return reply.code(500).send({ error: 'Internal server error', code: 'INTERNAL_ERROR' })
  })

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: `Route ${req.method} ${req.url.split('?')[0]} not found`, code: 'NOT_FOUND' })
  })

  for (const register of DOMAINS) register(app, store)
  // The authorization server lives in its own context: form bodies and RFC 6749 error bodies.
  await app.register(oauthRoutes, { store })
}

export { SandboxStore, SANDBOX_KEYS, SANDBOX_KEY_IDS, SANDBOX_NUMBERS } from './core.js'
