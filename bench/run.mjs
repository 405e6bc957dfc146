// Throughput benchmark (not a test): tools/call through the product next to a bare Fastify
// route making the same upstream call, the per-request SDK server, and the SDK's documented
// stateless pattern — each against a zero-latency upstream, each server in its own process.
// Prints a table and one JSON line. Usage: npm run bench [-- --duration 8 --connections 50]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import os from 'node:os'
import autocannon from 'autocannon'

const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean).map((s) => s.trim().split(/\s+/)))
const duration = Number(args.duration ?? 8)
const connections = Number(args.connections ?? 50)
const only = args.only ? new Set(args.only.split(',')) : undefined

const HERE = new URL('./', import.meta.url)
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_bench' }
const callBody = (name, args, modern) => JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: {
    name,
    arguments: args,
    ...(modern ? { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } } : {})
  }
})
const READ = ['templates_get', { id: 'tpl_order_update' }]
const SEND = ['messages_send', { destinationNumber: '+5511988887777', text: 'bench' }]
const modernHeaders = (name) => ({ ...MCP_HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name })

const SCENARIOS = [
  { id: 'read-product', label: 'read  · product (tools/call templates_get)', mode: 'product', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-bare', label: 'read  · bare Fastify route, same upstream call', mode: 'bare', method: 'GET', path: '/bare/read' },
  { id: 'read-modern', label: 'read  · product, 2026-07-28 envelope', mode: 'product', method: 'POST', path: '/mcp', headers: modernHeaders(READ[0]), body: callBody(...READ, true) },
  { id: 'read-per-request', label: 'read  · SDK Server + transport per request', mode: 'per-request', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-pattern', label: 'read  · SDK example pattern (McpServer per request)', mode: 'pattern', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'send-product', label: 'send  · product (tools/call messages_send)', mode: 'product', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...SEND) },
  { id: 'send-bare', label: 'send  · bare Fastify route, same upstream call', mode: 'bare', method: 'POST', path: '/bare/send', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SEND[1]) },
  { id: 'send-pattern', label: 'send  · SDK example pattern (McpServer per request)', mode: 'pattern', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...SEND) }
].filter((s) => !only || only.has(s.id))

async function start (script, argv) {
  const child = spawn(process.execPath, [new URL(script, HERE).pathname, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = await once(child.stdout, 'data')
  return { child, port: Number(String(line).trim()) }
}

async function stop (child) {
  child.kill('SIGTERM')
  await once(child, 'exit')
}

const up = await start('upstream.mjs', [])
const upstream = `http://127.0.0.1:${up.port}`
const results = {}
try {
  for (const s of SCENARIOS) {
    const target = await start('targets.mjs', [s.mode, upstream])
    const url = `http://127.0.0.1:${target.port}${s.path}`
    const opts = { url, method: s.method, headers: s.headers, body: s.body, connections }
    // Warm-up, then the measured run.
    await autocannon({ ...opts, duration: 2 })
    const before = await (await fetch(`${upstream}/__stats`)).json()
    const r = await autocannon({ ...opts, duration })
    const after = await (await fetch(`${upstream}/__stats`)).json()
    results[s.id] = {
      label: s.label,
      rps: Math.round(r.requests.average),
      p50: r.latency.p50,
      p99: r.latency.p99,
      errors: r.errors + r.timeouts + r.non2xx,
      upstreamConnections: after.connections - before.connections,
      requests: r.requests.total
    }
    await stop(target.child)
  }
} finally {
  await stop(up.child)
}

const ratio = (a, b) => (results[a] && results[b] ? Math.round((results[a].rps / results[b].rps) * 100) / 100 : undefined)
const ratios = {
  readProductOverBare: ratio('read-product', 'read-bare'),
  readProductOverPattern: ratio('read-product', 'read-pattern'),
  readProductOverPerRequest: ratio('read-product', 'read-per-request'),
  readModernOverBare: ratio('read-modern', 'read-bare'),
  sendProductOverBare: ratio('send-product', 'send-bare'),
  sendProductOverPattern: ratio('send-product', 'send-pattern')
}
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.versions.node}`

console.log(`\ntools/call throughput, ${connections} connections, ${duration} s each, zero-latency upstream (${machine})\n`)
console.log('| scenario | req/s | p50 ms | p99 ms | errors | upstream TCP conns |')
console.log('|---|---:|---:|---:|---:|---:|')
for (const r of Object.values(results)) console.log(`| ${r.label} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.upstreamConnections} |`)
console.log('')
for (const [k, v] of Object.entries(ratios)) if (v !== undefined) console.log(`${k}: ${v}×`)
console.log(JSON.stringify({ bench: 'throughput', machine, connections, duration, results, ratios }))
