// A 2025-era stdio session's opening requests (initialize, notifications/initialized, tools/list,
// ping) are answered without loading the MCP SDK; the first tool call loads it and is answered by
// it. Observed in a child (module caches are per process) through a module-loading hook that
// records every module loaded, over the unbundled module (`--sandbox`: no API key needed).
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { INITIALIZE, INITIALIZED, messages, spawnStdio } from './child.js'
import { until } from '../faults/fake-upstream.js'

const SDK = /\/node_modules\/@modelcontextprotocol\/server\//

t.test('stdio answers initialize, ping and tools/list without the SDK; the first tool call loads it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stdio-lazy-sdk-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const log = join(dir, 'loaded.txt')
  const hook = join(dir, 'hook.mjs')
  writeFileSync(hook, [
    "import { register } from 'node:module'",
    "import { writeFileSync } from 'node:fs'",
    `writeFileSync(${JSON.stringify(log)}, '')`,
    `register('data:text/javascript,' + encodeURIComponent("import { appendFileSync } from 'node:fs'\\nexport async function load (url, context, next) { appendFileSync(" + ${JSON.stringify(JSON.stringify(log))} + ", url + '\\\\n'); return next(url, context) }"))`
  ].join('\n'))
  const p = spawnStdio(t, ['stdio', '--sandbox'], { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` })
  const send = (m: unknown) => p.child.stdin.write(JSON.stringify(m) + '\n')
  const answered = async (id: number) => { await until(() => messages(p.stdout()).some((m) => m.id === id), 30_000, `the answer to ${id}`); return messages(p.stdout()).find((m) => m.id === id)! }
  send(INITIALIZE)
  send(INITIALIZED)
  send({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
  send({ jsonrpc: '2.0', id: 3, method: 'ping' })
  t.equal((await answered(1)).result.serverInfo.name, 'pilot-status', 'initialize answered')
  t.equal((await answered(2)).result.tools.length, 56, 'tools/list answered')
  t.same((await answered(3)).result, {}, 'ping answered')
  const loaded = () => readFileSync(log, 'utf8').split('\n').filter(Boolean)
  t.ok(loaded().some((u) => u.endsWith('/dist/src/stdio.js')), 'the hook saw the stdio module load')
  t.same(loaded().filter((u) => SDK.test(u)), [], 'no module of the MCP SDK is loaded')

  send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'templates_list', arguments: {} } })
  const call = await answered(4)
  t.equal(call.result.isError, undefined, 'the tool call was answered')
  t.ok(loaded().some((u) => SDK.test(u)), 'by the SDK, loaded for it')
  t.equal(messages(p.stdout()).filter((m) => m.id === 1).length, 1, 'initialize was answered once (the SDK got it again, unanswered)')
  p.child.stdin.end()
  t.equal(await p.exited(30_000), 0, 'the session ends cleanly')
})
