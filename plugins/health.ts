// Liveness probe for load balancers and container health checks; no auth, no upstream call.
import type { FastifyPluginAsync } from 'fastify'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/meta.js'

const health: FastifyPluginAsync = async (app) => {
  const started = Date.now()
  app.get('/health', async () => ({ status: 'ok', name: PACKAGE_NAME, version: PACKAGE_VERSION, uptimeSeconds: Math.round((Date.now() - started) / 1000) }))
}

export default health
