// Smoke test with the official MCP Inspector CLI (@modelcontextprotocol/inspector 2.12.0,
// `mcp-inspector --cli`, works offline), against the built CLI over stdio and over HTTP:
// it lists the tools and calls one; an isError result is its exit code 5.
// The Inspector 2.x needs Node.js >= 22.19, so it is no devDependency (on Node 20 `npm ci`
// would warn EBADENGINE): it runs on Node >= 22.19 only — the Node 24 pass of .ci/run — from
// a cached install outside the repository, and says so when skipped.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, ROOT, baseEnv, cachedTool, nodeAtLeast, run, startHttp } from './helpers.js'
import { SANDBOX_KEYS } from '../../sandbox/core.js'
import { ALL_TOOLS } from '../../tools/index.js'

const INSPECTOR_VERSION = '2.12.0'
const skip = nodeAtLeast(22, 19) ? false : `the MCP Inspector ${INSPECTOR_VERSION} needs Node.js >= 22.19 (this is ${process.version}); .ci/run runs it in its Node 24 pass`
let inspector: Promise<string> | undefined
const TOOL_NAMES = ALL_TOOLS.map((d) => d.name).sort()

// The Inspector may keep a catalog under $HOME: give it a throw-away one.
const home = mkdtempSync(join(tmpdir(), 'pilot-inspector-'))
t.teardown(() => rmSync(home, { recursive: true, force: true }))
const env = { ...baseEnv, HOME: home }

const inspect = async (args: string[]) => {
  inspector ??= cachedTool(t, '@modelcontextprotocol/inspector', INSPECTOR_VERSION, 'mcp-inspector')
  return await run(t, process.execPath, [await inspector, '--cli', ...args], { env, cwd: home, timeoutMs: 60_000 })
}
const parse = (stdout: string) => JSON.parse(stdout)

t.test('.ci/run pre-installs the same Inspector version', async (t) => {
  t.match(readFileSync(join(ROOT, '.ci/run'), 'utf8'), `@modelcontextprotocol/inspector@${INSPECTOR_VERSION}`)
})

t.test('stdio: `node dist/src/cli.js stdio --sandbox`', { skip }, async (t) => {
  const target = [process.execPath, CLI, 'stdio', '--sandbox']

  const list = await inspect([...target, '--method', 'tools/list'])
  t.equal(list.code, 0, list.stderr)
  t.same(parse(list.stdout).tools.map((x: { name: string }) => x.name).sort(), TOOL_NAMES, 'every tool is listed')

  const call = await inspect([...target, '--method', 'tools/call', '--tool-name', 'templates_list'])
  t.equal(call.code, 0, call.stderr)
  const result = parse(call.stdout)
  t.equal(result.isError, undefined)
  t.same(result.structuredContent.templates.map((x: { id: string }) => x.id), ['tpl_order_update', 'tpl_welcome'], 'the demo number\'s templates')
})

t.test('HTTP: `node dist/src/cli.js http --sandbox`, key in the x-api-key header', { skip }, async (t) => {
  const srv = await startHttp(t)
  const target = [srv.mcp, '--transport', 'http']

  const list = await inspect([...target, '--header', `x-api-key: ${SANDBOX_KEYS.number}`, '--method', 'tools/list'])
  t.equal(list.code, 0, list.stderr)
  t.same(parse(list.stdout).tools.map((x: { name: string }) => x.name).sort(), TOOL_NAMES)

  const call = await inspect([...target, '--header', `x-api-key: ${SANDBOX_KEYS.number}`, '--method', 'tools/call', '--tool-name', 'templates_list'])
  t.equal(call.code, 0, call.stderr)
  t.same(parse(call.stdout).structuredContent.templates.map((x: { id: string }) => x.id), ['tpl_order_update', 'tpl_welcome'])

  // The wrong kind of key: the API's scope error comes back as a tool error (README → Troubleshooting).
  const scope = await inspect([...target, '--header', `x-api-key: ${SANDBOX_KEYS.tenant}`, '--method', 'tools/call', '--tool-name', 'templates_list'])
  t.equal(scope.code, 5, 'an isError result exits 5')
  const err = parse(scope.stdout)
  t.equal(err.isError, true)
  t.match(err.content[0].text, /TENANT_SCOPE_NOT_ALLOWED[\s\S]*whatsappNumberId/)
})
