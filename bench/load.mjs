// Load test (not part of the suite; test/load/mixed.test.ts is the short version): N concurrent
// clients (default 200) for D seconds (default 60) mixing reads, sends, tools/list, ping and the
// 2026-07-28 envelope against the product over HTTP, with a zero-latency upstream. Every answer
// is checked (200 + the expected JSON-RPC result); RSS is sampled every second. Passes when there
// are no errors and RSS stays flat after warm-up (the last quarter's mean within 15 % / 20 MB of
// the second quarter's). Prints a table and one JSON line; exit 1 when it fails.
// Usage: node bench/load.mjs [--connections 200] [--duration 60]
import autocannon from 'autocannon'
import { machine, round1, rssMb, start, stop } from './lib.mjs'

const argv = process.argv.slice(2)
const flag = (name, fallback) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : fallback }
const connections = Number(flag('connections', 200))
const duration = Number(flag('duration', 60))

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_load' }
const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'load', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} }
const call = (name, args, meta) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } })

const bad = []
const counts = {}
const expect = (label, check) => (status, body) => {
  counts[label] = (counts[label] ?? 0) + 1
  let m
  try { m = JSON.parse(body) } catch { m = undefined }
  if (status !== 200 || !m || !check(m)) { if (bad.length < 20) bad.push(`${label}: ${status} ${String(body).slice(0, 200)}`) }
}
const requests = [
  { body: call('templates_get', { id: 'tpl_order_update' }), onResponse: expect('templates_get', (m) => !m.result?.isError && m.result?.structuredContent?.id === 'tpl_order_update') },
  { body: call('messages_send', { destinationNumber: '+5511988887777', text: 'load' }), onResponse: expect('messages_send', (m) => !m.result?.isError && m.result?.structuredContent?.id === 'msg_bench') },
  { body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), onResponse: expect('tools/list', (m) => m.result?.tools?.length === 56) },
  { body: call('numbers_list', {}), onResponse: expect('numbers_list', (m) => !m.result?.isError && m.result?.structuredContent?.numbers?.[0]?.id === 'num_1') },
  { headers: { ...HEADERS, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'templates_get' }, body: call('templates_get', { id: 'tpl_order_update' }, META), onResponse: expect('templates_get (2026-07-28)', (m) => !m.result?.isError && m.result?.structuredContent?.id === 'tpl_order_update') },
  { body: JSON.stringify({ jsonrpc: '2.0', id: 'p', method: 'ping' }), onResponse: expect('ping', (m) => m.id === 'p' && typeof m.result === 'object') }
]

const up = await start('upstream.mjs')
const upstream = `http://127.0.0.1:${up.port}`
const target = await start('targets.mjs', ['product', upstream])
const rss = []
const sampler = setInterval(() => rss.push(rssMb(target.child.pid)), 1000)
let r
try {
  process.stderr.write(`${connections} connections for ${duration} s…\n`)
  r = await autocannon({ url: `http://127.0.0.1:${target.port}/mcp`, method: 'POST', headers: HEADERS, connections, duration, requests })
} finally {
  clearInterval(sampler)
  await stop(target.child)
  await stop(up.child)
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const q = Math.max(1, Math.floor(rss.length / 4))
const afterWarmUp = round1(mean(rss.slice(q, 2 * q)))
const end = round1(mean(rss.slice(-q)))
const flat = end - afterWarmUp <= Math.max(20, afterWarmUp * 0.15)
const errors = r.errors + r.timeouts + r.non2xx + bad.length
const ok = errors === 0 && flat
console.log(`\nMachine: ${machine()}. ${connections} connections, ${duration} s, zero-latency upstream.\n`)
console.log('| measure | value |\n|---|---:|')
console.log(`| requests | ${r.requests.total} (${Math.round(r.requests.average)} req/s) |`)
console.log(`| latency p50 / p99 | ${r.latency.p50} / ${r.latency.p99} ms |`)
console.log(`| errors (connection, timeout, non-2xx, wrong answer) | ${r.errors} / ${r.timeouts} / ${r.non2xx} / ${bad.length} |`)
console.log(`| RSS after warm-up → end (mean of a quarter) | ${afterWarmUp} → ${end} MB (${flat ? 'flat' : 'growing'}) |`)
console.log(`| RSS peak | ${Math.max(...rss)} MB |`)
console.log(`| mix | ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')} |`)
for (const b of bad.slice(0, 5)) console.log(`bad answer: ${b}`)
console.log(JSON.stringify({ bench: 'load', machine: machine(), connections, duration, requests: r.requests.total, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors, rss: { afterWarmUp, end, peak: Math.max(...rss), samples: rss }, flat, ok }))
process.exitCode = ok ? 0 : 1
