// Benchmarks (not tests). Against a zero-latency local upstream, each server in its own process:
//   1. tools/call throughput and p50/p99 through the product (a read and messages_send), next to
//      a bare Fastify route making the same upstream call with the same API client, and the SDK's
//      documented stateless pattern (a new McpServer with every tool declared, per request);
//   2. tools/list latency and payload size;
//   3. stdio cold start: spawn → first tools/list answer, median of 10, next to `node -e 0`;
//   4. RSS idle and at 200 concurrent connections;
//   5. upstream TCP connections used for N calls (keep-alive).
// Prints a table and one JSON line. `--readme` also writes the table into README.md.
// Usage: npm run bench [-- --duration 8 --rounds 3 --connections 50 --only read-product,read-bare --readme]
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { bareNode, machine, median, round1, rssMb, sampleRss, start, stdioColdStart, stop } from './lib.mjs'

const argv = process.argv.slice(2)
const flag = (name, fallback) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : fallback }
const duration = Number(flag('duration', 8))
// Scenarios run in interleaved rounds and each row reports its median round: on a shared
// machine one run of a scenario can land in a noisy second and skew a ratio.
const rounds = Number(flag('rounds', 3))
const connections = Number(flag('connections', 50))
const only = flag('only') ? new Set(flag('only').split(',')) : undefined
const writeReadme = argv.includes('--readme')
const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url))

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_bench' }
const MODERN_META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} }
const callBody = (name, args, modern) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, ...(modern ? { _meta: MODERN_META } : {}) } })
const LIST_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
const READ = ['templates_get', { id: 'tpl_order_update' }]
const SEND = ['messages_send', { destinationNumber: '+5511988887777', text: 'bench' }]
const modernHeaders = (name) => ({ ...MCP_HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name })

const SCENARIOS = [
  { id: 'read-product', label: 'read · product (tools/call templates_get)', mode: 'product', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-product-otel', label: 'read · product with telemetry on (METRICS_PORT: OpenTelemetry metrics + Prometheus)', mode: 'product-otel', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-no-fast-path', label: 'read · product with MCP_FAST_PATH=false (every request through the SDK)', mode: 'product-no-fast-path', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-modern', label: 'read · product, 2026-07-28 envelope', mode: 'product', method: 'POST', path: '/mcp', headers: modernHeaders(READ[0]), body: callBody(...READ, true) },
  { id: 'read-bare', label: 'read · bare Fastify route, same upstream call', mode: 'bare', method: 'GET', path: '/bare/read' },
  { id: 'read-per-request', label: 'read · SDK Server + transport per request (shared registry)', mode: 'per-request', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-pattern', label: 'read · SDK stateless pattern (McpServer per request)', mode: 'pattern', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'send-product', label: 'send · product (tools/call messages_send)', mode: 'product', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...SEND) },
  { id: 'send-bare', label: 'send · bare Fastify route, same upstream call', mode: 'bare', method: 'POST', path: '/bare/send', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SEND[1]) },
  { id: 'send-pattern', label: 'send · SDK stateless pattern (McpServer per request)', mode: 'pattern', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...SEND) },
  { id: 'list-product', label: 'tools/list · product (56 tools)', mode: 'product', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: LIST_BODY }
].filter((s) => !only || only.has(s.id))

const log = (s) => process.stderr.write(`${s}\n`)
// Which Node.js ran it matters as much as the machine (V8 and undici differ between majors).
console.log(`bench: Node.js ${process.versions.node} (${process.execPath})`)
const up = await start('upstream.mjs')
const upstream = `http://127.0.0.1:${up.port}`
const stats = async () => (await fetch(`${upstream}/__stats`)).json()
const results = {}
let listBytes
let memory
let coldStart

try {
  // 1 + 2 + 5: throughput, tools/list, upstream connections.
  const runs = {}
  for (let round = 1; round <= rounds; round++) {
    for (const s of SCENARIOS) {
      log(`· round ${round}/${rounds} · ${s.label}`)
      const target = await start('targets.mjs', [s.mode, upstream])
      const url = `http://127.0.0.1:${target.port}${s.path}`
      const opts = { url, method: s.method, headers: s.headers, body: s.body, connections }
      if (s.id === 'list-product' && listBytes === undefined) {
        const res = await fetch(url, { method: 'POST', headers: s.headers, body: s.body })
        const text = await res.text()
        listBytes = Buffer.byteLength(text)
        if (JSON.parse(text).result?.tools?.length !== 56) throw new Error(`tools/list did not list 56 tools: ${text.slice(0, 200)}`)
      }
      await autocannon({ ...opts, duration: 2 }) // warm-up
      const before = await stats()
      const r = await autocannon({ ...opts, duration })
      const after = await stats()
      ;(runs[s.id] ??= []).push({
        label: s.label,
        rps: Math.round(r.requests.average),
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
        requests: r.requests.total,
        upstreamCalls: after.requests - before.requests,
        upstreamConnections: after.connections - before.connections
      })
      await stop(target.child)
    }
  }
  for (const [id, list] of Object.entries(runs)) {
    const sorted = [...list].sort((a, b) => a.rps - b.rps)
    results[id] = { ...sorted[Math.floor((sorted.length - 1) / 2)], errors: list.reduce((n, r) => n + r.errors, 0), roundsRps: list.map((r) => r.rps) }
  }

  // 4: memory of the product server, idle and at 200 concurrent connections.
  if (!only || only.has('memory')) {
    log('· memory')
    const target = await start('targets.mjs', ['product', upstream])
    await new Promise((resolve) => setTimeout(resolve, 500))
    const idleFresh = rssMb(target.child.pid)
    const url = `http://127.0.0.1:${target.port}/mcp`
    await autocannon({ url, method: 'POST', headers: MCP_HEADERS, body: callBody(...READ), connections: 10, amount: 500 })
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const idleWarm = rssMb(target.child.pid)
    const sampler = sampleRss(target.child.pid)
    const requests = [{ body: callBody(...READ) }, { body: callBody(...SEND) }, { body: LIST_BODY }, { headers: modernHeaders(READ[0]), body: callBody(...READ, true) }]
    const r = await autocannon({ url, method: 'POST', headers: MCP_HEADERS, requests, connections: 200, duration: Math.max(5, duration) })
    const { max } = sampler.stop()
    memory = { idleFreshMb: idleFresh, idleWarmMb: idleWarm, at200ConnectionsMb: max, at200Errors: r.errors + r.timeouts + r.non2xx, at200Rps: Math.round(r.requests.average) }
    await stop(target.child)
  }

  // 3: stdio cold start, interleaved with bare node so both see the same machine load.
  if (!only || only.has('cold-start')) {
    log('· stdio cold start')
    const env = { PILOT_STATUS_API_KEY: 'ps_bench', PILOT_STATUS_API_URL: upstream }
    await stdioColdStart(CLI, env) // warm the file cache
    await bareNode()
    const stdio = []
    const bare = []
    for (let i = 0; i < 10; i++) {
      stdio.push(await stdioColdStart(CLI, env))
      bare.push(await bareNode())
    }
    coldStart = { stdioMs: round1(median(stdio)), bareNodeMs: round1(median(bare)) }
    coldStart.ratio = round1(coldStart.stdioMs / coldStart.bareNodeMs * 10) / 10
  }
} finally {
  await stop(up.child)
}

const ratio = (a, b) => (results[a] && results[b] ? Math.round((results[a].rps / results[b].rps) * 100) / 100 : undefined)
const ratios = {
  readProductOverBare: ratio('read-product', 'read-bare'),
  sendProductOverBare: ratio('send-product', 'send-bare'),
  readModernOverBare: ratio('read-modern', 'read-bare'),
  readProductOverPattern: ratio('read-product', 'read-pattern'),
  sendProductOverPattern: ratio('send-product', 'send-pattern'),
  readProductOverPerRequest: ratio('read-product', 'read-per-request')
}
const check = (value, ok, text) => (value === undefined ? undefined : { value, met: ok(value), text })
const targets = {
  productOverBare: check(ratios.readProductOverBare !== undefined && ratios.sendProductOverBare !== undefined ? Math.min(ratios.readProductOverBare, ratios.sendProductOverBare) : undefined, (v) => v >= 0.5, '≥ 0.5× bare Fastify (read and send)'),
  productOverPattern: check(ratios.readProductOverPattern !== undefined && ratios.sendProductOverPattern !== undefined ? Math.min(ratios.readProductOverPattern, ratios.sendProductOverPattern) : undefined, (v) => v >= 15, '≥ 15× the SDK per-request pattern (read and send)'),
  coldStart: check(coldStart?.ratio, (v) => v <= 2.5, 'stdio cold start ≤ 2.5× `node -e 0`'),
  rssIdle: check(memory?.idleWarmMb, (v) => v <= 80, 'RSS idle ≤ 80 MB'),
  rss200: check(memory?.at200ConnectionsMb, (v) => v <= 160, 'RSS at 200 connections ≤ 160 MB'),
  errors: check(Object.values(results).reduce((n, r) => n + r.errors, 0) + (memory?.at200Errors ?? 0), (v) => v === 0, 'no errors under load')
}
const m = machine()
const lines = []
lines.push(`Machine: ${m}. ${connections} connections, ${duration} s per scenario after a 2 s warm-up, ${rounds} interleaved rounds (median round shown, errors summed); zero-latency upstream on loopback.`, '')
lines.push('| scenario | req/s | p50 ms | p99 ms | errors | upstream calls / TCP connections |', '|---|---:|---:|---:|---:|---:|')
for (const r of Object.values(results)) lines.push(`| ${r.label} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.upstreamCalls} / ${r.upstreamConnections} |`)
lines.push('')
lines.push('| measure | value |', '|---|---:|')
if (listBytes !== undefined) lines.push(`| tools/list payload (HTTP body, 56 tools) | ${listBytes} B |`)
if (coldStart) lines.push(`| stdio cold start, spawn → tools/list (median of 10) | ${coldStart.stdioMs} ms |`, `| \`node -e 0\` (median of 10) | ${coldStart.bareNodeMs} ms |`)
if (memory) lines.push(`| RSS idle (fresh / after 500 calls) | ${memory.idleFreshMb} / ${memory.idleWarmMb} MB |`, `| RSS peak, 200 connections mixing calls (${memory.at200Rps} req/s, ${memory.at200Errors} errors) | ${memory.at200ConnectionsMb} MB |`)
lines.push('')
lines.push('| target | measured | met |', '|---|---:|:---:|')
const fmt = { productOverBare: (v) => `${v}×`, productOverPattern: (v) => `${v}×`, coldStart: (v) => `${v}×`, rssIdle: (v) => `${v} MB`, rss200: (v) => `${v} MB`, errors: (v) => String(v) }
for (const [k, c] of Object.entries(targets)) if (c) lines.push(`| ${c.text} | ${fmt[k](c.value)} | ${c.met ? 'yes' : '**no**'} |`)
const table = lines.join('\n')
console.log(`\n${table}\n`)
console.log(JSON.stringify({ bench: 'mcp-server', machine: m, connections, duration, rounds, results, ratios, toolsListBytes: listBytes, coldStart, memory, targets }))

if (writeReadme) {
  const readme = fileURLToPath(new URL('../README.md', import.meta.url))
  const text = readFileSync(readme, 'utf8')
  const next = text.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, `<!-- bench:start -->\n${table}\n<!-- bench:end -->`)
  if (next === text && !text.includes(table)) throw new Error('README.md has no <!-- bench:start --> … <!-- bench:end --> block')
  writeFileSync(readme, next)
  log('README.md performance section updated')
}
