// Tool-test helpers: a recording sandbox on loopback, and direct tool invocation through the real
// call pipeline and API client. Kept apart from test/helper.ts (which re-exports it) so the tool
// tests do not load the product, Fastify plugins and both MCP client SDKs they never use.
import type { Test } from 'tap'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { startSandbox, type RunningSandbox, type StartSandboxOptions } from '../../sandbox/server.js'
import { SANDBOX_KEYS } from '../../sandbox/core.js'
import { ApiClient } from '../../src/api/client.js'
import type { Credentials } from '../../src/api/credentials.js'
import { ToolRegistry } from '../../src/mcp/registry.js'
import { callTool, type ToolResult } from '../../src/mcp/call.js'
import { ALL_TOOLS } from '../../tools/index.js'

export { SANDBOX_KEYS, SANDBOX_KEY_IDS, SANDBOX_NUMBERS } from '../../sandbox/core.js'

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
