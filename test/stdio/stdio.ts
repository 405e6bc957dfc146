// stdio as desktop clients run it: a real child process of the built CLI. stdout must carry
// JSON-RPC only; logs go to stderr; closing stdin ends the process cleanly.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { Client } from '@modelcontextprotocol/client'
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio'
import { registry } from '../helper.js'
import { CLI } from '../paths.js'
import { cli } from '../spawn.js'

const baseEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }

async function connect (t: Test, opts: { modern?: boolean, env?: Record<string, string> } = {}): Promise<Client> {
  const client = new Client({ name: 'stdio-test', version: '1.0.0' }, opts.modern ? { versionNegotiation: { mode: 'auto' } } : undefined)
  // This spawn runs with tap's hook (the default): it is the one that covers src/stdio.ts.
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'stdio', '--sandbox'], env: { ...baseEnv, ...opts.env }, stderr: 'pipe' }))
  t.teardown(() => client.close())
  return client
}

t.test('the SDK client lists every tool and calls one, in both protocol eras', async (t) => {
  for (const modern of [false, true]) {
    const c = await connect(t, { modern })
    t.equal(c.getNegotiatedProtocolVersion(), modern ? '2026-07-28' : '2025-11-25')
    const list = await c.listTools()
    t.same(list.tools.map((x) => x.name).sort(), [...registry.all.keys()].sort(), 'every registered tool is listed')
    for (const tool of list.tools) {
      const def = registry.all.get(tool.name)!.def
      t.equal(tool.title, def.title)
      t.same(tool.annotations, def.annotations, `${tool.name} hints`)
      t.equal(tool.inputSchema.type, 'object')
      t.equal(tool.outputSchema, undefined, 'output schemas are not listed by default (context economy)')
    }
    const r = await c.callTool({ name: 'templates_list', arguments: {} })
    t.notOk(r.isError, 'templates_list works with the sandbox demo key')
    t.type(r.structuredContent, 'object')
  }
})

t.test('stdout carries JSON-RPC only; stdin closing ends the process with 0', async (t) => {
  const cmd = cli(['stdio', '--sandbox'], { ...baseEnv, LOG_LEVEL: 'trace' })
  const child = spawn(cmd.command, cmd.args, { env: { ...baseEnv, LOG_LEVEL: 'trace' }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { err += d })
  const send = (m: unknown) => child.stdin.write(JSON.stringify(m) + '\n')
  send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
  send({ jsonrpc: '2.0', method: 'notifications/initialized' })
  send({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
  send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'templates_list', arguments: {} } })
  send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'messages_send', arguments: { text: 'no destination' } } })
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline && out.split('\n').filter(Boolean).length < 4) await new Promise((resolve) => setTimeout(resolve, 50))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.stdin.end()
  let timer: NodeJS.Timeout | undefined
  const code = await Promise.race([exit, new Promise<string>((resolve) => { timer = setTimeout(() => resolve('timeout'), 60_000) })])
  clearTimeout(timer)
  t.equal(code, 0, 'exits 0 when stdin closes')
  const lines = out.split('\n').filter(Boolean)
  t.equal(lines.length, 4, 'one line per request')
  for (const line of lines) {
    const m = JSON.parse(line)
    t.equal(m.jsonrpc, '2.0', 'every stdout line is a JSON-RPC message')
  }
  const byId = new Map(lines.map((l) => JSON.parse(l)).map((m) => [m.id, m]))
  t.equal(byId.get(1).result.serverInfo.name, 'pilot-status')
  t.equal(byId.get(2).result.tools.length, registry.all.size)
  t.notOk(byId.get(3).result.isError)
  t.equal(byId.get(4).result.isError, true)
  t.match(err, /sandbox keys/, 'the banner went to stderr')
  t.match(err, /"level":/, 'logs went to stderr')
})

t.test('stdio without a key and without --sandbox exits 1 with a clear message', async (t) => {
  const cmd = cli(['stdio'], baseEnv)
  const child = spawn(cmd.command, cmd.args, { env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => { out += d })
  child.stderr.on('data', (d) => { err += d })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  t.equal(code, 1)
  t.equal(out, '', 'nothing on stdout')
  t.match(err, /stdio mode needs PILOT_STATUS_API_KEY/)
})
