// CPU time per request of the target process (µs of user+system time ÷ requests), product
// against the bare route: a steadier comparison than req/s on a shared 2-core machine, where
// autocannon and the upstream compete for the same cores. Linux only (/proc).
// Usage: [TARGET_NODE_ARGS='--flag …'] node bench/cpu.mjs [product,bare,per-request,pattern] [read|send]
import autocannon from 'autocannon'
import { cpuMs as cpu, start, stop } from './lib.mjs'
const H = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': 'ps_b' }
const kind = process.argv[3] ?? 'read'
const body = kind === 'send'
  ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'messages_send', arguments: { destinationNumber: '+5511988887777', text: 'bench' } } })
  : JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_order_update' } } })
const bareBody = JSON.stringify({ destinationNumber: '+5511988887777', text: 'bench' })
console.log(`bench: Node.js ${process.versions.node}`)
// TARGET_NODE_ARGS: V8/Node flags for the measured server (e.g. the Docker image's), space-separated.
const nodeArgs = (process.env.TARGET_NODE_ARGS ?? '').split(' ').filter(Boolean)
if (nodeArgs.length) console.log(`target flags: ${nodeArgs.join(' ')}`)
const up = await start('upstream.mjs')
for (const [mode, path, method] of (process.argv[2] ?? 'product,bare').split(',').map((m) => [m, m === 'bare' ? `/bare/${kind}` : '/mcp', m === 'bare' && kind === 'read' ? 'GET' : 'POST'])) {
  const t = await start('targets.mjs', [mode, `http://127.0.0.1:${up.port}`], {}, nodeArgs)
  const opts = { url: `http://127.0.0.1:${t.port}${path}`, method, headers: H, body: method === 'GET' ? undefined : mode === 'bare' ? bareBody : body, connections: 50 }
  await autocannon({ ...opts, duration: 2 })
  const c0 = cpu(t.child.pid); const u0 = cpu(up.child.pid)
  const r = await autocannon({ ...opts, duration: 5 })
  const c1 = cpu(t.child.pid); const u1 = cpu(up.child.pid)
  console.log(mode, kind, 'rps', Math.round(r.requests.average), 'target µs cpu/req', Math.round((c1 - c0) * 1000 / r.requests.total), 'upstream µs/req', Math.round((u1 - u0) * 1000 / r.requests.total), 'target cpu%', Math.round((c1 - c0) / 50))
  await stop(t.child)
}
await stop(up.child)
