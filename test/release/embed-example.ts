// examples/embed/server.ts as a user would run it, the way its header and the README say: its
// own process, `npx tsx examples/embed/server.ts` (tsx is a devDependency), and on Node >= 22.18
// also plain `node examples/embed/server.ts`; it imports the package by name (package
// self-reference → dist through "exports") and talks to a sandbox. tsconfig.check.json
// type-checks the file.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ROOT, baseEnv, nodeAtLeast, stop } from './helpers.js'
import { sandbox, rawPost, SANDBOX_KEYS } from '../helper.js'
import { ALL_TOOLS } from '../../tools/index.js'
import { node } from '../spawn.js'

const EXAMPLE = 'examples/embed/server.ts'
// What `npx tsx` runs: the tsx bin of this repository's node_modules (npx adds nothing but a
// wrapper process that a test could not stop by pid).
const tsxBin = (createRequire(import.meta.url)('tsx/package.json') as { bin: string | Record<string, string> }).bin
const TSX = join(ROOT, 'node_modules', 'tsx', typeof tsxBin === 'string' ? tsxBin : tsxBin.tsx)

t.test('`npx tsx examples/embed/server.ts`: MCP under /pilot next to the host\'s own route', async (t) => {
  await exercise(t, [TSX, EXAMPLE])
})

t.test('`node examples/embed/server.ts` (Node >= 22.18 strips the types itself)', {
  skip: nodeAtLeast(22, 18) ? false : `Node.js ${process.version} cannot run .ts files; this runs in the Node 24 pass of .ci/run`
}, async (t) => {
  await exercise(t, [EXAMPLE])
})

async function exercise (t: Test, args: string[]): Promise<void> {
  const sb = await sandbox(t)
  // cwd = the repository, as the example's header says, so `@pilot-status/mcp-server` and
  // `fastify` resolve as they do for a user running it from a clone.
  const env = { ...baseEnv, PILOT_STATUS_API_URL: sb.url, PORT: '0', HOST: '127.0.0.1' }
  const cmd = node(args, env)
  const child = spawn(cmd.command, cmd.args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => stop(child))
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => { err += d })
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start within 60 s\n${out}\n${err}`)), 60_000)
    child.stdout.on('data', (d) => {
      out += d
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (m) { clearTimeout(timer); resolve(m[1]) }
    })
    child.once('exit', (c) => { clearTimeout(timer); reject(new Error(`the example exited (${c})\n${out}\n${err}`)) })
  })

  // The host's own route, untouched: no auth, no CORS headers of ours.
  const hello = await fetch(`${base}/hello`, { headers: { origin: 'http://localhost:5173' } })
  t.equal(hello.status, 200)
  t.same(await hello.json(), { hello: 'from the host app' })
  t.equal(hello.headers.get('access-control-allow-origin'), null)

  // The product under the prefix.
  const health = await fetch(`${base}/pilot/health`)
  t.equal(health.status, 200)
  t.equal((await health.json()).status, 'ok')
  const anonymous = await rawPost(`${base}/pilot/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list' })
  t.equal(anonymous.status, 401, 'no env-key fallback when embedded: a request without credentials is challenged')
  t.match(anonymous.headers.get('www-authenticate'), /^Bearer resource_metadata="/)

  const client = new Client({ name: 'embed-example', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/pilot/mcp`), { requestInit: { headers: { 'x-api-key': SANDBOX_KEYS.number } } }))
  t.teardown(() => client.close())
  const expected = ALL_TOOLS.filter((d) => ['messages', 'conversations', 'templates'].includes(d.toolset)).map((d) => d.name).sort()
  t.same((await client.listTools()).tools.map((x) => x.name).sort(), expected, 'the toolsets the example chose')
  const r = await client.callTool({ name: 'templates_list', arguments: {} })
  t.equal(r.isError, undefined)
  t.same((r.structuredContent as { templates: Array<{ id: string }> }).templates.map((x) => x.id), ['tpl_order_update', 'tpl_welcome'])
  t.equal(sb.requests.at(-1)?.headers['x-api-key'], SANDBOX_KEYS.number, 'the call reached the sandbox with the client\'s key')
  await client.close()

  const after = await fetch(`${base}/hello`)
  t.equal(after.status, 200, 'the host route still works after MCP traffic')
  t.match(out, /"url":"\/pilot\/mcp"/, 'the host\'s own logger logged the MCP requests')
}
