// Test helpers: a recording sandbox on loopback, and direct tool invocation through the real
// call pipeline and API client (the MCP transports are tested separately in test/mcp/).
import type { Test } from 'tap'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { startSandbox, type RunningSandbox, type StartSandboxOptions } from '../sandbox/server.js'
import { SANDBOX_KEYS } from '../sandbox/core.js'
import { ApiClient } from '../src/api/client.js'
import type { Credentials } from '../src/api/credentials.js'
import { ToolRegistry } from '../src/mcp/registry.js'
import { callTool, type ToolResult } from '../src/mcp/call.js'
import { ALL_TOOLS } from '../tools/index.js'

export { SANDBOX_KEYS, SANDBOX_KEY_IDS, SANDBOX_NUMBERS } from '../sandbox/core.js'

export const registry = new ToolRegistry(ALL_TOOLS)

/** Starts a recording sandbox on 127.0.0.1, closed when the test ends. */
export async function sandbox (t: Test, opts: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const sb = await startSandbox({ record: true, ...opts })
  t.teardown(() => sb.close())
  return sb
}

const silent = { debug () {}, info () {}, warn () {}, error () {} }

export interface InvokeOptions {
  /** A raw ps_ key (default: the demo number key). */
  key?: string
  credentials?: Credentials
}

/**
 * Calls a tool by name against the sandbox through the real pipeline (validation, API client,
 * error mapping) and returns the MCP tool result. Clears the sandbox's request log first, so
 * `sb.requests` afterwards holds exactly what this call sent upstream.
 */
export async function invoke (sb: RunningSandbox, name: string, args: unknown, opts: InvokeOptions = {}): Promise<ToolResult> {
  const tool = registry.all.get(name)
  if (!tool) throw new Error(`no tool named ${name}`)
  const api = new ApiClient({ baseUrl: sb.url, timeoutMs: 5000 })
  sb.requests.length = 0
  try {
    return await callTool(tool, args, {
      api,
      credentials: opts.credentials ?? { kind: 'apiKey', key: opts.key ?? SANDBOX_KEYS.number, source: 'header' },
      signal: new AbortController().signal,
      log: silent
    })
  } finally {
    await api.close()
  }
}

const outputChecks = new Map<string, ReturnType<typeof TypeCompiler.Compile>>()

/** Asserts a successful result whose structuredContent matches the tool's output schema; returns it. */
export function okResult (t: Test, name: string, result: ToolResult): Record<string, any> {
  t.notOk(result.isError, `${name} succeeded: ${result.isError ? JSON.stringify(result.content) : ''}`)
  const sc = result.structuredContent
  t.type(sc, 'object', 'has structuredContent')
  let check = outputChecks.get(name)
  if (!check) {
    check = TypeCompiler.Compile(registry.all.get(name)!.def.output)
    outputChecks.set(name, check)
  }
  const errors = [...check.Errors(sc)].map((e) => `${e.path}: ${e.message}`)
  t.same(errors, [], `${name} result matches its output schema`)
  const text = result.content.find((c) => c.type === 'text')
  t.ok(text?.type === 'text' && text.text.length > 0, 'has a text block')
  return sc as Record<string, any>
}

/** Asserts an isError result and returns its text. */
export function errorText (t: Test, result: ToolResult): string {
  t.equal(result.isError, true, 'is an error result')
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n')
}

// ---- MCP over HTTP: the product on loopback, driven by real SDK clients ----
import Fastify, { type FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import pilotStatusMcp, { type PilotStatusMcpOptions } from '../src/app.js'
import { REDACT_PATHS, safeUrl } from '../src/logger.js'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js'

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
