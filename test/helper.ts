// Test helpers: the tool-test harness (a recording sandbox, direct tool invocation; see
// test/tools/harness.ts) and the product on loopback driven by real MCP SDK clients.
import type { Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import pilotStatusMcp, { type PilotStatusMcpOptions } from '../src/app.js'
import { REDACT_PATHS, safeUrl } from '../src/logger.js'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

export { sandbox, invoke, okResult, errorText, registry, SANDBOX_KEYS, SANDBOX_KEY_IDS, SANDBOX_NUMBERS, type InvokeOptions } from './tools/harness.js'

// ---- MCP over HTTP: the product on loopback, driven by real SDK clients ----

export interface RunningProduct {
  url: string
  /** The MCP endpoint URL. */
  mcp: string
  app: FastifyInstance
  /** Every log line the product wrote (JSON strings). */
  logs: string[]
}

/** Starts the product (as the standalone server does) on 127.0.0.1 against `apiUrl`. */
export async function product (t: Test, apiUrl: string, opts: PilotStatusMcpOptions & { prefix?: string } = {}): Promise<RunningProduct> {
  const logs: string[] = []
  const sink = new Writable({ write (chunk, _enc, cb) { logs.push(...String(chunk).split('\n').filter(Boolean)); cb() } })
  const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' }, serializers: { req: (r: { method: string, url: string }) => ({ method: r.method, url: safeUrl(r.url) }) } }, sink)
  const app = Fastify({ loggerInstance: logger as unknown as import('fastify').FastifyBaseLogger })
  const { prefix, ...options } = opts
  await app.register(pilotStatusMcp, { apiUrl, ...options, ...(prefix ? { prefix } : {}) })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const port = (app.server.address() as { port: number }).port
  const url = `http://127.0.0.1:${port}${prefix ?? ''}`
  return { url, mcp: `${url}/mcp`, app, logs }
}

export interface ClientOptions {
  headers?: Record<string, string>
  /** 'v2' (default) or the 1.x SDK client. */
  sdk?: 'v2' | 'v1'
  /** v2 only: negotiate the 2026-07-28 revision (per-request envelope) instead of 2025-11-25. */
  modern?: boolean
}

/** A connected SDK client (closed when the test ends). */
export async function mcpClient (t: Test, url: string, opts: ClientOptions = {}): Promise<Client> {
  const requestInit = { headers: opts.headers ?? {} }
  let client: Client
  if (opts.sdk === 'v1') {
    const c = new ClientV1({ name: 'test-v1', version: '1.0.0' })
    await c.connect(new TransportV1(new URL(url), { requestInit }))
    client = c as unknown as Client
  } else {
    client = new Client({ name: 'test-v2', version: '1.0.0' }, opts.modern ? { versionNegotiation: { mode: 'auto' } } : undefined)
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit }))
  }
  t.teardown(() => client.close())
  return client
}

/** POSTs a raw JSON-RPC body to the endpoint (for transport-level assertions). */
export async function rawPost (url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number, headers: Headers, json: any, text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  const text = await res.text()
  let json: any
  try { json = JSON.parse(text) } catch { json = undefined }
  return { status: res.status, headers: res.headers, json, text }
}
