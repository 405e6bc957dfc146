// The stdio bundle (dist/src/stdio.bundle.cjs) is what a real key runs (`--sandbox` loads the
// unbundled module): spawned with a key against a loopback fake API, the process must have loaded
// the bundle (it logs the module it runs from at debug level) and serve both protocol eras.
// Run `npm run build` first.
import t from 'tap'
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { Client } from '@modelcontextprotocol/client'
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio'
import { fakeUpstream, until } from '../faults/fake-upstream.js'
import { registry } from '../helper.js'
import { BUNDLE, baseEnv, spawnStdio } from './child.js'
import { cli } from '../spawn.js'

const KEY = 'ps_test_bundle_key'
const TEMPLATES = { templates: [{ id: 'tpl_1', name: 'order_update', language: 'en', status: 'APPROVED', category: 'UTILITY' }] }

t.test('the build made the bundle', async (t) => {
  t.ok(existsSync(BUNDLE), `${BUNDLE} exists`)
})

for (const modern of [false, true]) {
  t.test(`stdio with a key runs the bundle: tools/list and a tools/call reach the API with the key (${modern ? '2026-07-28' : '2025-11-25'})`, async (t) => {
    const up = await fakeUpstream(t, (req) => req.path === '/v1/templates' ? { status: 200, body: JSON.stringify(TEMPLATES) } : { status: 404, body: '{"error":"no such route"}' })
    const env = { ...baseEnv, PILOT_STATUS_API_KEY: KEY, PILOT_STATUS_API_URL: up.url, LOG_LEVEL: 'debug' }
    const transport = new StdioClientTransport({
      ...cli(['stdio'], env),
      env,
      stderr: 'pipe'
    })
    let stderr = ''
    transport.stderr?.on('data', (d: Buffer) => { stderr += d.toString('utf8') })
    const client = new Client({ name: 'bundle-test', version: '1.0.0' }, modern ? { versionNegotiation: { mode: 'auto' } } : undefined)
    await client.connect(transport)
    t.teardown(() => client.close())
    t.equal(client.getNegotiatedProtocolVersion(), modern ? '2026-07-28' : '2025-11-25')

    const list = await client.listTools()
    t.same(list.tools.map((x) => x.name).sort(), [...registry.all.keys()].sort(), 'every tool is listed')
    const r = await client.callTool({ name: 'templates_list', arguments: {} })
    t.notOk(r.isError, 'templates_list succeeded')
    t.same(r.structuredContent, TEMPLATES, "the fake API's answer came back")

    const seen = up.requests.filter((q) => q.path === '/v1/templates')
    t.equal(seen.length, 1, 'the API received the call')
    t.equal(seen[0].method, 'GET')
    t.equal(seen[0].headers['x-api-key'], KEY, 'with the key from the environment')

    // Logged at start-up, long before the answers above; the pipe may still be delivering it.
    await until(() => stderr.includes('"entry":'), 10_000, 'the start-up log line')
    const entries = [...stderr.matchAll(/"entry":"([^"]+)"/g)].map((m) => m[1])
    t.same(entries, [pathToFileURL(BUNDLE).href], 'the module serving stdio was the bundle')
    t.notOk(stderr.includes(KEY), 'the key is not in the logs')
  })
}

t.test('--sandbox runs the unbundled module (so the check above can tell them apart)', async (t) => {
  const p = spawnStdio(t, ['stdio', '--sandbox'], { LOG_LEVEL: 'debug' })
  p.child.stdin.end()
  t.equal(await p.exited(60_000), 0)
  const entries = [...p.stderr().matchAll(/"entry":"([^"]+)"/g)].map((m) => m[1])
  t.equal(entries.length, 1)
  t.match(entries[0], /\/dist\/src\/stdio\.js$/)
})
