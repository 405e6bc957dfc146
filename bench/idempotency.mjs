// Benchmark (not a test) of the send guards: messages_send throughput through the product with
// no idempotency key, with a fresh key per call (claim + record) and with one repeated key
// (replays), the keys kept in memory and in Redis, side by side. Against the zero-latency
// upstream of bench/upstream.mjs; the product runs in its own process per scenario.
// Redis: REDIS_URL or TEST_REDIS_URL, else a private redis-server on a free port, else those rows
// are skipped. Needs `npm run build` first.
// Usage: node bench/idempotency.mjs [--duration 8 --connections 50]
//        (internal) node bench/idempotency.mjs --serve <upstreamUrl> [redisUrl]
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import autocannon from 'autocannon'
import { machine, start, stop } from './lib.mjs'

const argv = process.argv.slice(2)
const flag = (name, fallback) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : fallback }

if (argv[0] === '--serve') {
  // One product instance, as deployed (dist/), printing its port.
  const [, upstream, redis] = argv
  const dist = new URL('../dist/', import.meta.url)
  const { buildHttpServer } = await import(new URL('src/http.js', dist))
  const { loadConfig } = await import(new URL('src/config.js', dist))
  const { pino } = await import('pino')
  const env = { PILOT_STATUS_API_URL: upstream, MCP_TRANSPORT: 'http', LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', ...(redis ? { REDIS_URL: redis } : {}) }
  const app = await buildHttpServer(loadConfig(env), pino({ level: 'silent' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`${app.server.address().port}\n`)
  process.on('SIGTERM', () => app.close().then(() => process.exit(0)))
} else {
  await main()
}

async function main () {
  const duration = Number(flag('duration', 8))
  const connections = Number(flag('connections', 50))
  const log = (s) => process.stderr.write(`${s}\n`)
  const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_bench' }
  const body = (args) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'messages_send', arguments: { destinationNumber: '+5511988887777', text: 'bench', ...args } } })
  let n = 0
  const fresh = () => [{ setupRequest: (req) => ({ ...req, body: body({ idempotencyKey: `bench-${process.pid}-${Date.now()}-${n++}` }) }) }]

  const redis = await redisForBench(log)
  const scenarios = [
    { label: 'messages_send, no idempotency key', store: 'memory', body: body({}) },
    { label: 'messages_send, a new key per call, in memory', store: 'memory', requests: fresh },
    { label: 'messages_send, one key repeated (replays), in memory', store: 'memory', body: body({ idempotencyKey: 'bench-replay' }) },
    { label: 'messages_send, a new key per call, in Redis', store: 'redis', requests: fresh },
    { label: 'messages_send, one key repeated (replays), in Redis', store: 'redis', body: body({ idempotencyKey: `bench-replay-${Date.now()}` }) }
  ]
  const up = await start('upstream.mjs')
  const upstream = `http://127.0.0.1:${up.port}`
  const rows = []
  try {
    for (const s of scenarios) {
      if (s.store === 'redis' && !redis) { rows.push({ label: s.label, skipped: 'no Redis (set REDIS_URL or install redis-server)' }); continue }
      log(`· ${s.label}`)
      const target = await start('idempotency.mjs', ['--serve', upstream, ...(s.store === 'redis' ? [redis.url] : [])])
      const url = `http://127.0.0.1:${target.port}/mcp`
      // A first call answers correctly, or the numbers mean nothing.
      const probe = await (await fetch(url, { method: 'POST', headers: HEADERS, body: s.body ?? body({ idempotencyKey: `probe-${Date.now()}` }) })).json()
      if (probe.result?.isError || probe.result?.structuredContent?.id !== 'msg_bench') throw new Error(`unexpected answer: ${JSON.stringify(probe).slice(0, 300)}`)
      const opts = { url, method: 'POST', headers: HEADERS, connections, ...(s.body ? { body: s.body } : { requests: s.requests() }) }
      await autocannon({ ...opts, duration: 2 }) // warm-up
      const before = await (await fetch(`${upstream}/__stats`)).json()
      const r = await autocannon({ ...opts, duration })
      const after = await (await fetch(`${upstream}/__stats`)).json()
      await stop(target.child)
      rows.push({ label: s.label, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx, upstreamSends: after.requests - before.requests, calls: r.requests.total })
    }
  } finally {
    await stop(up.child)
    await redis?.stop()
  }
  const base = rows[0].rps
  process.stdout.write(`\nSend guards · ${machine()} · ${connections} connections, ${duration} s each\n\n`)
  process.stdout.write('| scenario | req/s | vs no key | p50 ms | p99 ms | upstream sends / calls | errors |\n|---|---:|---:|---:|---:|---:|---:|\n')
  for (const r of rows) {
    if (r.skipped) { process.stdout.write(`| ${r.label} | skipped: ${r.skipped} | | | | | |\n`); continue }
    process.stdout.write(`| ${r.label} | ${r.rps} | ${(r.rps / base).toFixed(2)}× | ${r.p50} | ${r.p99} | ${r.upstreamSends} / ${r.calls} | ${r.errors} |\n`)
  }
  process.stdout.write(`\n${JSON.stringify({ bench: 'idempotency', rows })}\n`)
}

/** REDIS_URL / TEST_REDIS_URL, or a private redis-server (stopped at the end), or undefined. */
async function redisForBench (log) {
  const url = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL
  if (url) return { url, stop: async () => {} }
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined
  const port = await new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)) }) })
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((resolve) => { const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true) }).on('error', () => resolve(false)) })
    if (up) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  log(`· private redis-server on port ${port}`)
  return { url: `redis://127.0.0.1:${port}`, stop: async () => { child.kill('SIGKILL'); await once(child, 'exit') } }
}
