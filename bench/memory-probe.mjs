// Preloaded (`node --import`) into the product server the memory bench starts through its CLI:
// answers the bench's 'memory' message over the IPC channel with this process's memory, in MB.
// It only reads counters; it allocates nothing between samples and never triggers a GC. What RSS
// holds beyond the JS heap (code, sockets, malloc) shows against heapTotal and external.
import v8 from 'node:v8'

const mb = (x) => Math.round(x / 104857.6) / 10
process.on('message', (msg) => {
  if (msg !== 'memory') return
  const m = process.memoryUsage()
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ''), mb(s.space_size)]))
  process.send({ rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), newSpace: spaces.new, oldSpace: spaces.old, codeSpace: spaces.code, largeObject: spaces.large_object })
})
// The channel must not keep the server alive on its own: SIGTERM ends it as in production.
process.channel?.unref()
