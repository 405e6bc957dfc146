// Runs the sandbox as its own HTTP server on loopback, so the product reaches it exactly as it
// reaches the real API (a real HTTP hop). Records requests for tests when asked to.
import Fastify, { type FastifyInstance } from 'fastify'
import { sandboxPlugin } from './index.js'
import { SandboxStore, type SandboxOptions } from './core.js'

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

export interface RunningSandbox {
  url: string
  store: SandboxStore
  app: FastifyInstance
  /** Every request the sandbox received, in order (only when `record` is set). */
  requests: RecordedRequest[]
  close(): Promise<void>
}

export interface StartSandboxOptions extends SandboxOptions {
  /** Keep a log of received requests (tests). */
  record?: boolean
  port?: number
  host?: string
}

const RECORD = Symbol('sandbox.record')

export async function startSandbox (opts: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 })
  const store = new SandboxStore(opts)
  const requests: RecordedRequest[] = []
  if (opts.record) {
    app.addHook('onRequest', async (req) => {
      const u = new URL(req.url, 'http://sandbox')
      const rec: RecordedRequest = { method: req.method, path: u.pathname, query: Object.fromEntries(u.searchParams), headers: { ...req.headers }, body: undefined }
      ;(req as unknown as Record<symbol, RecordedRequest>)[RECORD] = rec
      requests.push(rec)
    })
    app.addHook('preValidation', async (req) => {
      const rec = (req as unknown as Record<symbol, RecordedRequest>)[RECORD]
      if (rec && req.body !== undefined) rec.body = structuredClone(req.body)
    })
  }
  await app.register(sandboxPlugin, { store })
  await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' })
  const addr = app.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    app,
    requests,
    close: () => app.close()
  }
}
