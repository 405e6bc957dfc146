// examples/embed/server.ts as a user would run it: its own process, importing the package by
// name (package self-reference → dist through "exports"), against a sandbox. The file is only
// type-stripped (esbuild), as Node >= 22.18 or tsx would run it; tsconfig.check.json type-checks it.
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { transform } from 'esbuild'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ROOT, baseEnv, stop } from './helpers.js'
import { sandbox, rawPost, SANDBOX_KEYS } from '../helper.js'
import { ALL_TOOLS } from '../../tools/index.js'

const EXAMPLE = join(ROOT, 'examples/embed/server.ts')

t.test('the example host app serves MCP under /pilot and keeps its own route', async (t) => {
  const sb = await sandbox(t)
  const { code } = await transform(readFileSync(EXAMPLE, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20' })
  // Evaluated with cwd = the repository, so `@pilot-status/mcp-server` and `fastify` resolve as
  // they do for examples/embed/server.ts.
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    env: { ...baseEnv, PILOT_STATUS_API_URL: sb.url, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => stop(child))
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => { err += d })
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example did not start within 30 s\n${out}\n${err}`)), 30_000)
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
})
