// Liveness probe for load balancers and container health checks; no auth, no upstream call.
// It reports the send guards' store too: with Redis down the server still serves reads (200),
// while sends that need the store fail closed.
import type { FastifyPluginAsync } from 'fastify'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/meta.js'
import type { StoreState } from '../src/store/store.js'

export interface HealthOptions {
  store?: () => StoreState
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
}

export default health
