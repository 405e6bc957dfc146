// Probes for load balancers, orchestrators and container health checks; no auth.
// /health is liveness: the process answers (no upstream call). It reports the send guards' store
// too: with Redis down the server still serves reads (200), while sends that need the store fail closed.
// /ready is readiness: able to serve now — the Pilot Status API answered recently (or answers one
// cheap probe) and the store is reachable; 503 naming what failed otherwise.
import type { FastifyPluginAsync } from 'fastify'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/meta.js'
import type { StoreState } from '../src/store/store.js'
import type { ApiClient } from '../src/api/client.js'

export interface HealthOptions {
  store?: () => StoreState
  /** The API client whose upstream /ready checks (absent: /ready checks the store only). */
  upstream?: Pick<ApiClient, 'lastAnswerAt' | 'probe'>
}

/** An answer from the API within this long counts as reachable without probing. */
export const READY_RECENT_MS = 30_000
/** The probe's deadline. */
export const READY_PROBE_TIMEOUT_MS = 2000
/** A probe's result is reused this long, so a burst of /ready requests makes one upstream request. */
export const READY_PROBE_CACHE_MS = 5000

export interface UpstreamCheck {
  status: 'ok' | 'down'
  /** `traffic`: a call was answered recently; `probe`: a GET of `<api>/v1` was made (or its cached result reused). */
  via: 'traffic' | 'probe'
  lastAnswerSecondsAgo?: number
  /** The probe's HTTP status (any status means reachable). */
  httpStatus?: number
  error?: string
}

/** Readiness of the upstream: recent traffic, else one shared, cached probe. */
class UpstreamReadiness {
  private cached: { at: number, check: UpstreamCheck } | undefined
  private running: Promise<UpstreamCheck> | undefined

  constructor (private readonly api: Pick<ApiClient, 'lastAnswerAt' | 'probe'>) {}

  async check (): Promise<UpstreamCheck> {
    const now = Date.now()
    const heard = this.api.lastAnswerAt
    if (heard > 0 && now - heard <= READY_RECENT_MS) return { status: 'ok', via: 'traffic', lastAnswerSecondsAgo: Math.round((now - heard) / 1000) }
    if (this.cached && now - this.cached.at < READY_PROBE_CACHE_MS) return this.cached.check
    this.running ??= this.api.probe(READY_PROBE_TIMEOUT_MS).then((r) => {
      const check: UpstreamCheck = r.reachable ? { status: 'ok', via: 'probe', httpStatus: r.status } : { status: 'down', via: 'probe', error: r.error }
      this.cached = { at: Date.now(), check }
      this.running = undefined
      return check
    })
    return await this.running
  }
}

const health: FastifyPluginAsync<HealthOptions> = async (app, opts) => {
  const started = Date.now()
  app.get('/health', async () => ({
    status: 'ok',
    name: PACKAGE_NAME,
    version: PACKAGE_VERSION,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    ...(opts.store ? { store: opts.store() } : {})
  }))

  const upstream = opts.upstream ? new UpstreamReadiness(opts.upstream) : undefined
  app.get('/ready', async (_req, reply) => {
    const checks: { upstream?: UpstreamCheck, store?: StoreState } = {}
    if (upstream) checks.upstream = await upstream.check()
    if (opts.store) checks.store = opts.store()
    const ready = checks.upstream?.status !== 'down' && (checks.store === undefined || checks.store.status === 'ok')
    reply.code(ready ? 200 : 503).header('cache-control', 'no-store')
    return { status: ready ? 'ready' : 'not_ready', checks }
  })
}

export default health
