// Benchmarks (not tests). Against a zero-latency local upstream, each server in its own process:
//   1. tools/call throughput and p50/p99 through the product (a read and messages_send), next to
//      a bare Fastify route making the same upstream call with the same API client, and the SDK's
//      documented stateless pattern (a new McpServer with every tool declared, per request);
//   2. tools/list latency and payload size;
//   3. stdio cold start: spawn → first tools/list answer, median of 10, next to `node -e 0` (with
//      the code cache a first spawn leaves, and without any: a first start after install);
//   4. RSS idle and at 200 concurrent connections, with the heap / external breakdown, of the
//      product started through its CLI with node's defaults and as the Docker image runs it (the
//      V8 flags of its ENTRYPOINT, its ENV);
//   5. upstream TCP connections used for N calls (keep-alive);
//   6. characters per default answer of the list tools (the text block, the same data as compact
//      JSON, as pretty-printed JSON), against the sandbox.
// Prints a table and one JSON line. `--readme` also writes the table into README.md.
// Usage: npm run bench [-- --duration 8 --rounds 3 --warmup 4 --connections 50 --only read-product,read-bare,memory --cli <dist/src/cli.js> --readme]
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { bareNode, cpuMs, machine, median, memory as memoryOf, round1, rssMb, sampleMemory, sampleRss, start, startProduct, stdioColdStart, stop } from './lib.mjs'

const argv = process.argv.slice(2)
const flag = (name, fallback) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : fallback }
const duration = Number(flag('duration', 8))
// Scenarios run in interleaved rounds and each row reports its median round: on a shared
// machine one run of a scenario can land in a noisy second and skew a ratio.
const rounds = Number(flag('rounds', 3))
// Each round starts a fresh server: its warm-up must let V8 optimise the request path (the
// product has more code to optimise than the bare route; a short warm-up measures its JIT).
const warmup = Number(flag('warmup', 4))
const connections = Number(flag('connections', 50))
const only = flag('only') ? new Set(flag('only').split(',')) : undefined
const writeReadme = argv.includes('--readme')
// --cli <path>: another build's CLI (e.g. a checkout before a change) for the memory and cold-start sections.
const CLI = flag('cli') ?? fileURLToPath(new URL('../dist/src/cli.js', import.meta.url))

const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_bench' }
const MODERN_META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} }
const callBody = (name, args, modern) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, ...(modern ? { _meta: MODERN_META } : {}) } })
const LIST_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
const INIT_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } })
/** How long the memory rows wait without requests before reading idle memory. */
const IDLE_S = 60
const INITIALIZED_BODY = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })
const READ = ['templates_get', { id: 'tpl_order_update' }]
const SEND = ['messages_send', { destinationNumber: '+5511988887777', text: 'bench' }]
const modernHeaders = (name) => ({ ...MCP_HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name })

// A plain list, one entry per row; rows of one era sit next to each other's bare route below.
const SCENARIOS = [
  { id: 'read-product', label: 'read · product (tools/call templates_get)', mode: 'product', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-product-otel', label: 'read · product with telemetry on (METRICS_PORT: OpenTelemetry metrics + Prometheus)', mode: 'product-otel', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-no-fast-path', label: 'read · product with MCP_FAST_PATH=false (every request through the SDK)', mode: 'product-no-fast-path', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-modern', label: 'read · product, 2026-07-28 era (per-request envelope and headers)', mode: 'product', method: 'POST', path: '/mcp', headers: modernHeaders(READ[0]), body: callBody(...READ, true) },
  { id: 'read-bare', label: 'read · bare Fastify route, same upstream call', mode: 'bare', method: 'GET', path: '/bare/read' },
  { id: 'read-per-request', label: 'read · SDK Server + transport per request (shared registry)', mode: 'per-request', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'read-pattern', label: 'read · SDK stateless pattern (McpServer per request)', mode: 'pattern', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...READ) },
  { id: 'send-product', label: 'send · product (tools/call messages_send)', mode: 'product', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...SEND) },
  { id: 'send-bare', label: 'send · bare Fastify route, same upstream call', mode: 'bare', method: 'POST', path: '/bare/send', headers: { 'content-type': 'application/json' }, body: JSON.stringify(SEND[1]) },
  { id: 'send-modern', label: 'send · product, 2026-07-28 envelope', mode: 'product', method: 'POST', path: '/mcp', headers: modernHeaders(SEND[0]), body: callBody(...SEND, true) },
  { id: 'send-pattern', label: 'send · SDK stateless pattern (McpServer per request)', mode: 'pattern', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: callBody(...SEND) },
  { id: 'list-product', label: 'tools/list · product (56 tools)', mode: 'product', method: 'POST', path: '/mcp', headers: MCP_HEADERS, body: LIST_BODY }
].filter((s) => !only || only.has(s.id))

const DOCKERFILE = readFileSync(fileURLToPath(new URL('../Dockerfile', import.meta.url)), 'utf8')
/** The V8 flags the Docker image runs the server with: the node arguments of its ENTRYPOINT. */
const IMAGE_NODE_FLAGS = (() => {
  const line = DOCKERFILE.split('\n').find((l) => l.startsWith('ENTRYPOINT '))
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length))
  if (argv[0] !== 'node' || !argv.includes('dist/src/cli.js')) throw new Error(`Dockerfile ENTRYPOINT is not node … dist/src/cli.js: ${line}`)
  return argv.slice(1, argv.indexOf('dist/src/cli.js'))
})()
/** The environment the image's runtime stage sets (its ENV lines after the last FROM); the bench overrides HOST and PORT. */
const IMAGE_ENV = (() => {
  const stage = DOCKERFILE.slice(DOCKERFILE.lastIndexOf('\nFROM '))
  const env = {}
  for (const m of stage.replace(/\\\n/g, ' ').matchAll(/^ENV\s+(.+)$/gm)) {
    for (const kv of m[1].trim().split(/\s+/)) {
      const i = kv.indexOf('=')
      if (i <= 0) throw new Error(`Dockerfile ENV is not KEY=value: ${m[0]}`)
      env[kv.slice(0, i)] = kv.slice(i + 1)
    }
  }
  return env
})()

/** The list tools a model pages through; each called with no arguments (its default page). */
const LIST_TOOLS = [['messages_history'], ['messages_unread'], ['messages_group'], ['conversations_list'], ['calls_list'], ['templates_list'], ['groups_list'], ['newsletters_list'], ['numbers_list', 'tenant'], ['webhooks_list', 'tenant'], ['api_keys_list', 'tenant']]

/**
 * For each list tool's default answer from the sandbox: the text block, the data as compact JSON
 * (what structuredContent carries), and as pretty-printed JSON; `ratio` is the text over its
 * floor: the compact JSON plus the summary line and, for third-party data, the untrusted fence.
 */
async function defaultAnswers () {
  const dist = new URL('../dist/', import.meta.url)
  const { startSandbox } = await import(new URL('sandbox/server.js', dist))
  const { SANDBOX_KEYS } = await import(new URL('sandbox/core.js', dist))
  const { buildHttpServer } = await import(new URL('src/http.js', dist))
  const { loadConfig } = await import(new URL('src/config.js', dist))
  const { createLogger } = await import(new URL('src/logger.js', dist))
  const { UNTRUSTED_NOTICE } = await import(new URL('src/mcp/call.js', dist))
  const sb = await startSandbox()
  const app = await buildHttpServer(loadConfig({ PILOT_STATUS_API_URL: sb.url, MCP_TRANSPORT: 'http', LOG_LEVEL: 'silent' }), createLogger('silent'))
  const rows = []
  try {
    for (const [name, key] of LIST_TOOLS) {
      const res = await app.inject({ method: 'POST', url: '/mcp', headers: { ...MCP_HEADERS, 'x-api-key': SANDBOX_KEYS[key ?? 'number'] }, payload: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } } })
      const result = res.json().result
      const text = result?.content?.[0]?.text
      if (!result || result.isError || typeof text !== 'string') throw new Error(`${name} did not answer: ${res.body.slice(0, 300)}`)
      const data = result.structuredContent
      const compact = JSON.stringify(data).length
      // Compact JSON holds no line break: it is the last line, or the one before the closing fence.
      const lines = text.split('\n')
      const fenced = lines.at(-1) === '</untrusted-data>'
      const at = lines.length - (fenced ? 2 : 1)
      if (JSON.stringify(JSON.parse(lines[at])) !== JSON.stringify(data)) throw new Error(`${name}: the text block's JSON is not the answer's data`)
      const summary = lines.slice(0, fenced ? at - 2 : at).join('\n').length
      const fence = fenced ? `${UNTRUSTED_NOTICE}\n<untrusted-data>\n\n</untrusted-data>`.length : 0
      const items = Object.values(data).find(Array.isArray)?.length ?? (Array.isArray(data) ? data.length : undefined)
      rows.push({ tool: name, items, text: text.length, compactJson: compact, prettyJson: JSON.stringify(data, null, 2).length, summaryAndFence: summary + fence, ratio: Math.round(text.length / (compact + summary + (summary ? 1 : 0) + fence) * 100) / 100 })
    }
  } finally {
    await app.close()
    await sb.close()
  }
  return rows
}

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
let answers

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
      await autocannon({ ...opts, duration: warmup })
      const before = await stats()
      const cpu0 = cpuMs(target.child.pid)
      const r = await autocannon({ ...opts, duration })
      const cpu1 = cpuMs(target.child.pid)
      const after = await stats()
      ;(runs[s.id] ??= []).push({
        label: s.label,
        rps: Math.round(r.requests.average),
        // The server's CPU time per request (user + system): steadier than req/s on a shared
        // machine, where autocannon, the upstream and the server take turns on the same cores.
        cpuUs: cpu0 === undefined ? undefined : Math.round((cpu1 - cpu0) * 1000 / r.requests.total),
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
    results[id] = { ...sorted[Math.floor((sorted.length - 1) / 2)], errors: list.reduce((n, r) => n + r.errors, 0), roundsRps: list.map((r) => r.rps), roundsCpuUs: list.map((r) => r.cpuUs) }
  }

  // 4: memory of the product server, idle and at 200 concurrent connections, started through its
  // CLI (`node … dist/src/cli.js http`, the product's default settings and log level): as `node`
  // runs it by default, and as the Docker image runs it (its ENTRYPOINT's V8 flags and its ENV).
  // The warm-up is what a 2025-era client sends (initialize, notifications/initialized, tools/list,
  // then tools/call), all through the fast path; "SDK loaded" is the same server once a request
  // the fast path does not take (resources/list, which this server does not serve) has loaded the
  // MCP SDK, which a server does on the first such request.
  if (!only || only.has('memory')) {
    memory = {}
    for (const [variant, nodeArgs, env] of [['default', [], {}], ['image', IMAGE_NODE_FLAGS, IMAGE_ENV]]) {
      log(`· memory (${variant}: node ${nodeArgs.join(' ')} ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})`)
      const target = await startProduct(CLI, nodeArgs, { ...env, PILOT_STATUS_API_URL: upstream })
      await new Promise((resolve) => setTimeout(resolve, 500))
      const idleFresh = rssMb(target.child.pid)
      const url = `http://127.0.0.1:${target.port}/mcp`
      const session = [[INIT_BODY, 200, (j) => j.result?.serverInfo], [INITIALIZED_BODY, 202], [LIST_BODY, 200, (j) => j.result?.tools?.length === 56]]
      for (const [body, status, ok] of session) {
        const res = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body })
        if (res.status !== status || (ok && !ok(await res.json()))) throw new Error(`${JSON.parse(body).method} was not answered (${res.status})`)
      }
      await autocannon({ url, method: 'POST', headers: MCP_HEADERS, body: callBody(...READ), connections: 10, amount: 500 })
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const idle = await memoryOf(target.child)
      // Idle: no request for IDLE_S seconds. V8's memory reducer gives back the young generation
      // and old-space garbage a burst left once the process has been quiet for a while (~30–45 s
      // on Node.js 20 here); 1 s after the burst it has not run yet.
      await new Promise((resolve) => setTimeout(resolve, (IDLE_S - 1) * 1000))
      const settled = await memoryOf(target.child)
      const other = await fetch(url, { method: 'POST', headers: MCP_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'resources/list' }) })
      if (other.status !== 200 || (await other.json()).error?.code !== -32601) throw new Error(`resources/list was not refused by the SDK (${other.status})`)
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const afterInit = await memoryOf(target.child)
      const sampler = sampleRss(target.child.pid)
      const breakdown = sampleMemory(target.child)
      const requests = [{ body: callBody(...READ) }, { body: callBody(...SEND) }, { body: LIST_BODY }, { headers: modernHeaders(READ[0]), body: callBody(...READ, true) }]
      const r = await autocannon({ url, method: 'POST', headers: MCP_HEADERS, requests, connections: 200, duration: Math.max(5, duration) })
      const { max } = sampler.stop()
      memory[variant] = { nodeArgs, env, idleFreshMb: idleFresh, afterBurstMb: idle.rss, idleWarmMb: settled.rss, idle: settled, idleAfterInitializeMb: afterInit.rss, at200ConnectionsMb: max, at200: breakdown.stop(), at200Errors: r.errors + r.timeouts + r.non2xx, at200Rps: Math.round(r.requests.average) }
      await stop(target.child)
    }
  }

  // 6: characters per default answer of the list tools, in this process against the sandbox.
  if (!only || only.has('answers')) {
    log('· characters per default answer')
    answers = await defaultAnswers()
  }

  // 3: stdio cold start, interleaved with bare node so both see the same machine load.
  if (!only || only.has('cold-start')) {
    log('· stdio cold start')
    const env = { PILOT_STATUS_API_KEY: 'ps_bench', PILOT_STATUS_API_URL: upstream }
    // The first spawn warms the file cache and, as any first session after an install or
    // upgrade does, leaves the bundle's code cache (src/stdio-loader.ts) that later spawns use.
    await stdioColdStart(CLI, env)
    await bareNode()
    const stdio = []
    const bare = []
    // The same start without any code cache (NODE_DISABLE_COMPILE_CACHE): the very first one.
    const uncached = []
    for (let i = 0; i < 10; i++) {
      stdio.push(await stdioColdStart(CLI, env))
      bare.push(await bareNode())
      uncached.push(await stdioColdStart(CLI, { ...env, NODE_DISABLE_COMPILE_CACHE: '1' }))
    }
    coldStart = { stdioMs: round1(median(stdio)), bareNodeMs: round1(median(bare)), uncachedMs: round1(median(uncached)) }
    coldStart.ratio = Math.round(coldStart.stdioMs / coldStart.bareNodeMs * 100) / 100
    coldStart.uncachedRatio = Math.round(coldStart.uncachedMs / coldStart.bareNodeMs * 100) / 100
  }
} finally {
  await stop(up.child)
}

// A ratio of two rows is the median over rounds of the ratio within each round: the two were
// measured a minute apart at most, so a round in which the machine was slower for both counts
// as one round, not as a swing of one row (the bare route alone ran at 3612–8385 req/s in one run).
const ratio = (a, b) => {
  const ra = results[a]?.roundsRps
  const rb = results[b]?.roundsRps
  if (!ra || !rb || ra.length !== rb.length) return undefined
  return Math.round(median(ra.map((x, i) => x / rb[i])) * 100) / 100
}
/** The same for CPU time per request: the bare route's over the row's (higher is cheaper, as for req/s). */
const cpuRatio = (a, b) => {
  const ca = results[a]?.roundsCpuUs
  const cb = results[b]?.roundsCpuUs
  if (!ca || !cb || ca.includes(undefined) || cb.includes(undefined)) return undefined
  return Math.round(median(ca.map((x, i) => cb[i] / x)) * 100) / 100
}
const ratios = {
  readProductOverBare: ratio('read-product', 'read-bare'),
  sendProductOverBare: ratio('send-product', 'send-bare'),
  readModernOverBare: ratio('read-modern', 'read-bare'),
  sendModernOverBare: ratio('send-modern', 'send-bare'),
  readProductOverPattern: ratio('read-product', 'read-pattern'),
  sendProductOverPattern: ratio('send-product', 'send-pattern'),
  readProductOverPerRequest: ratio('read-product', 'read-per-request')
}
const both = (a, b) => (a !== undefined && b !== undefined ? Math.min(a, b) : a ?? b)
const check = (value, ok, text) => (value === undefined ? undefined : { value, met: ok(value), text })
// As the image runs it when it sets V8 flags, else the defaults.
// As the image runs it (its V8 flags and environment): that is how the product is deployed.
const mem = memory?.image
const memWhere = ` (as the Docker image runs it: ${[...IMAGE_NODE_FLAGS, ...Object.entries(IMAGE_ENV).filter(([k]) => !['HOST', 'PORT', 'MCP_TRANSPORT'].includes(k)).map(([k, v]) => `${k}=${v}`)].join(' ')})`
const targets = {
  legacyOverBare: check(both(ratios.readProductOverBare, ratios.sendProductOverBare), (v) => v >= 0.6, '2025-11-25 tools/call ≥ 0.6× the bare route (read and send)'),
  legacyOverPattern: check(both(ratios.readProductOverPattern, ratios.sendProductOverPattern), (v) => v >= 15, '2025-11-25 tools/call ≥ 15× the SDK stateless example (read and send)'),
  modernOverBare: check(both(ratios.readModernOverBare, ratios.sendModernOverBare), (v) => v >= 0.5, '2026-07-28 tools/call ≥ 0.5× the bare route'),
  rssIdle: check(mem?.idleWarmMb, (v) => v <= 80, `RSS idle (${IDLE_S} s after a client session) ≤ 80 MB${memWhere}`),
  rss200: check(mem?.at200ConnectionsMb, (v) => v <= 160, `RSS at 200 connections ≤ 160 MB${memWhere}`),
  coldStart: check(coldStart?.ratio, (v) => v <= 2, 'stdio cold start ≤ 2× `node -e 0`'),
  answerText: check(answers && Math.max(...answers.map((a) => a.ratio)), (v) => v <= 1.1, 'text of a default list answer ≤ 1.1× its compact JSON + summary line + fence (worst tool)'),
  telemetryCost: check(ratio('read-product-otel', 'read-product'), (v) => v >= 0.9, 'telemetry on (`METRICS_PORT`) costs ≤ 10 % of the read throughput (read with telemetry ÷ read)'),
  errors: check(Object.values(results).reduce((n, r) => n + r.errors, 0) + Object.values(memory ?? {}).reduce((n, m) => n + m.at200Errors, 0), (v) => v === 0, 'no errors under load')
}
const m = machine()
const lines = []
lines.push(`Machine: ${m}. Compare rows of one run, not runs. ${connections} connections, ${duration} s per scenario after a ${warmup} s warm-up, ${rounds} interleaved rounds (median round shown, errors summed; "× bare route" is the median of the ratios within each round; "CPU µs/req" is the server process's CPU time per request, and its "×" the bare route's over the row's); zero-latency upstream on loopback.`, '')
const bareOf = (id) => (id.startsWith('send') ? 'send-bare' : 'read-bare')
if (Object.keys(results).length > 0) {
  lines.push('| scenario | req/s | × bare route | CPU µs/req (×) | p50 ms | p99 ms | errors | upstream calls / TCP connections |', '|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const [id, r] of Object.entries(results)) {
    const x = id.endsWith('-bare') ? '1' : ratio(id, bareOf(id)) ?? ''
    const cpu = r.cpuUs === undefined ? '' : `${median(r.roundsCpuUs)} (${id.endsWith('-bare') ? 1 : cpuRatio(id, bareOf(id)) ?? ''})`
    lines.push(`| ${r.label} | ${r.rps} | ${x} | ${cpu} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.upstreamCalls} / ${r.upstreamConnections} |`)
  }
  lines.push('')
}
if (listBytes !== undefined || coldStart) {
  lines.push('| measure | value |', '|---|---:|')
  if (listBytes !== undefined) lines.push(`| tools/list payload (HTTP body, 56 tools) | ${listBytes} B |`)
  if (coldStart) lines.push(`| stdio cold start, spawn → tools/list (median of 10) | ${coldStart.stdioMs} ms |`, `| the same without the code cache (a first start after install or upgrade; median of 10) | ${coldStart.uncachedMs} ms (${coldStart.uncachedRatio}×) |`, `| \`node -e 0\` (median of 10) | ${coldStart.bareNodeMs} ms |`)
  lines.push('')
}
if (memory) {
  const heap = (x) => `${x.heapUsed} / ${x.heapTotal} (new ${x.newSpace}, old ${x.oldSpace}, code ${x.codeSpace}) / ${x.external}`
  lines.push(`| memory (HTTP, no sandbox, \`cli.js http\`), MB | RSS fresh / 1 s after a client session (initialize, tools/list, 500 calls) / idle, ${IDLE_S} s after it / then with the SDK loaded | heap used / total (spaces) / external, idle | RSS peak at 200 connections (req/s, errors) | heap used / total (spaces) / external at the peak |`, '|---|---:|---:|---:|---:|')
  for (const [variant, v] of Object.entries(memory)) {
    const image = [...v.nodeArgs, ...Object.entries(v.env).map(([k, x]) => `${k}=${x}`)].join(' ')
    lines.push(`| ${variant === 'default' ? '`node` defaults' : `Docker image: \`${image}\``} | ${v.idleFreshMb} / ${v.afterBurstMb} / ${v.idleWarmMb} / ${v.idleAfterInitializeMb} | ${heap(v.idle)} | ${v.at200ConnectionsMb} (${v.at200Rps} req/s, ${v.at200Errors} errors) | ${v.at200 ? heap(v.at200) : ''} |`)
  }
  lines.push('')
}
if (answers) {
  lines.push('| default answer (no arguments, sandbox data) | items | text block chars | of which summary + fence | compact JSON chars (= structuredContent) | pretty JSON chars (the text before) | text ÷ (compact JSON + summary + fence) |', '|---|---:|---:|---:|---:|---:|---:|')
  for (const a of answers) lines.push(`| ${a.tool} | ${a.items ?? ''} | ${a.text} | ${a.summaryAndFence} | ${a.compactJson} | ${a.prettyJson} | ${a.ratio.toFixed(2)} |`)
  lines.push('')
}
lines.push('| target | measured | met |', '|---|---:|:---:|')
const fmt = { telemetryCost: (v) => `${v}×`, legacyOverBare: (v) => `${v}×`, legacyOverPattern: (v) => `${v}×`, modernOverBare: (v) => `${v}×`, coldStart: (v) => `${v}×`, rssIdle: (v) => `${v} MB`, rss200: (v) => `${v} MB`, answerText: (v) => `${v.toFixed(2)}×`, errors: (v) => String(v) }
for (const [k, c] of Object.entries(targets)) if (c) lines.push(`| ${c.text} | ${fmt[k](c.value)} | ${c.met ? 'yes' : '**no**'} |`)
const table = lines.join('\n')
console.log(`\n${table}\n`)
console.log(JSON.stringify({ bench: 'mcp-server', machine: m, connections, duration, rounds, results, ratios, toolsListBytes: listBytes, coldStart, memory, answers, targets }))

if (writeReadme) {
  const readme = fileURLToPath(new URL('../README.md', import.meta.url))
  const text = readFileSync(readme, 'utf8')
  const next = text.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, `<!-- bench:start -->\n${table}\n<!-- bench:end -->`)
  if (next === text && !text.includes(table)) throw new Error('README.md has no <!-- bench:start --> … <!-- bench:end --> block')
  writeFileSync(readme, next)
  log('README.md performance section updated')
}
