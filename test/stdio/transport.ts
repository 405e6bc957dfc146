// The stdio wire in-process, over stream pairs: pending requests are tracked from the line read
// to the answer written, the end of input does not drop them, a backlog uses one drain listener,
// and a request cut off at shutdown is answered exactly once.
import t from 'tap'
import { PassThrough, Writable } from 'node:stream'
import { deserializeMessage, type JSONRPCMessage } from '@modelcontextprotocol/server'
import { StdioWire, type EndReason } from '../../src/stdio-transport.js'

function setup (stdout: Writable = new PassThrough()) {
  const stdin = new PassThrough()
  const wire = new StdioWire(stdin, stdout)
  wire.attachSdk(deserializeMessage)
  const inbound: JSONRPCMessage[] = []
  const errors: Error[] = []
  const ends: EndReason[] = []
  wire.onmessage = (m) => inbound.push(m)
  wire.onerror = (e) => errors.push(e)
  wire.onend = (r) => ends.push(r)
  const line = (m: unknown) => stdin.write(JSON.stringify(m) + '\n')
  return { stdin, stdout, wire, inbound, errors, ends, line }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

t.test('requests read stay pending until answered; the end of input is reported, not acted on', async (t) => {
  const { stdin, wire, inbound, ends, line } = setup()
  await wire.start()
  line({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
  line({ jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'x' } })
  line({ jsonrpc: '2.0', method: 'notifications/initialized' })
  stdin.end()
  await tick()
  t.equal(inbound.length, 3, 'every message delivered')
  t.same(ends, ['input'])
  t.equal(wire.unanswered, 2, 'the notification is not waited for')
  const answered = wire.whenAnswered(60_000)
  await wire.send({ jsonrpc: '2.0', id: 1, result: {} })
  t.equal(wire.unanswered, 1)
  await wire.send({ jsonrpc: '2.0', id: 'b', error: { code: -32603, message: 'no' } })
  t.equal(await answered, true, 'resolved once the last one was answered')
})

t.test('a cancelled request is not waited for', async (t) => {
  const { wire, line } = setup()
  await wire.start()
  line({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'x' } })
  await tick()
  t.equal(wire.unanswered, 1)
  line({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7 } })
  await tick()
  t.equal(wire.unanswered, 0)
  t.equal(await wire.whenAnswered(60_000), true)
})

t.test('whenAnswered gives up after its bound; abandonPending answers each request once and drops late answers', async (t) => {
  const out = new PassThrough()
  let written = ''
  out.on('data', (d: Buffer) => { written += d.toString('utf8') })
  const { wire, line } = setup(out)
  await wire.start()
  line({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow' } })
  line({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fast' } })
  await tick()
  await wire.send({ jsonrpc: '2.0', id: 2, result: { ok: true } })
  t.equal(await wire.whenAnswered(20), false)
  t.equal(wire.abandonPending('cut off'), 1)
  await wire.send({ jsonrpc: '2.0', id: 1, result: { late: true } })
  await wire.close()
  await tick()
  const lines = written.trim().split('\n').map((l) => JSON.parse(l))
  t.same(lines, [
    { jsonrpc: '2.0', id: 2, result: { ok: true } },
    { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'cut off' } }
  ], 'the late answer for an abandoned request is not written')
  await t.rejects(wire.send({ jsonrpc: '2.0', method: 'notifications/message', params: {} }), /closed/, 'nothing else is sent once closed')
})

t.test('a backlog behind a full stdout uses one drain listener and keeps every line whole and in order', async (t) => {
  // A slow consumer with a tiny buffer: almost every write returns false.
  const chunks: string[] = []
  const release: Array<() => void> = []
  const out = new Writable({
    highWaterMark: 16,
    write (chunk: Buffer, _enc, cb) { chunks.push(chunk.toString('utf8')); release.push(cb) }
  })
  const { wire } = setup(out)
  await wire.start()
  const sends = Array.from({ length: 300 }, (_, i) => wire.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: i } }))
  t.equal(out.listenerCount('drain'), 1, 'one drain listener however many sends wait')
  t.equal(out.listenerCount('error'), 1, 'one error listener')
  const state = { done: false }
  const all = Promise.all(sends).then(() => { state.done = true })
  while (!state.done) {
    const cbs = release.splice(0)
    if (cbs.length === 0) await tick()
    for (const cb of cbs) cb()
  }
  await all
  t.same(chunks.map((c) => JSON.parse(c).params.progress), Array.from({ length: 300 }, (_, i) => i), 'every line whole, in order')
  t.equal(await wire.flush(10_000), true, 'flushed')
})

t.test('a broken stdout ends the session as output and fails the sends waiting on it', async (t) => {
  const out = new Writable({ highWaterMark: 1, write (_c, _e, cb) { setImmediate(() => cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))) } })
  const { wire, errors, ends } = setup(out)
  await wire.start()
  await wire.send({ jsonrpc: '2.0', method: 'notifications/a', params: {} })
  const waiting = wire.send({ jsonrpc: '2.0', method: 'notifications/b', params: {} })
  await t.rejects(waiting, /EPIPE/)
  t.same(ends, ['output'])
  t.match(errors[0], { code: 'EPIPE' })
  await wire.send({ jsonrpc: '2.0', method: 'notifications/c', params: {} })
  t.pass('writes after the break are dropped, not thrown')
})

t.test('a message over the read limit ends the input (it cannot be re-synchronised)', async (t) => {
  const { stdin, wire, errors, ends } = setup()
  await wire.start()
  stdin.write(Buffer.alloc(11 * 1024 * 1024, 'x'))
  await tick()
  t.match(errors[0]?.message, /ReadBuffer exceeded maximum size/)
  t.same(ends, ['input'])
})

t.test('before the SDK: fast takes what it answers, the first line it leaves asks for the SDK and waits with every later line', async (t) => {
  const stdin = new PassThrough()
  const out: string[] = []
  const stdout = new Writable({ write (chunk, _enc, cb) { out.push(...String(chunk).split('\n').filter(Boolean)); cb() } })
  const wire = new StdioWire(stdin, stdout)
  const inbound: JSONRPCMessage[] = []
  let asked = 0
  const taken: unknown[] = []
  wire.fast = (m) => {
    if ((m as { method?: string }).method !== 'ping') return false
    taken.push(m)
    wire.received(m as JSONRPCMessage)
    wire.send({ jsonrpc: '2.0', id: (m as { id: number }).id, result: {} }).catch(() => {})
    return true
  }
  wire.needSdk = () => { asked++ }
  await wire.start()
  await wire.start() // serveStdio starts it again: nothing is attached twice
  const line = (m: unknown) => stdin.write(JSON.stringify(m) + '\n')
  line({ jsonrpc: '2.0', id: 1, method: 'ping' })
  stdin.write('not json\n')
  line({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'x' } })
  line({ jsonrpc: '2.0', id: 3, method: 'ping' })
  line({ jsonrpc: '2.0', id: 4, extra: 1, method: 'tools/list' })
  await tick()
  t.same(taken.map((m) => (m as { id: number }).id), [1], 'fast answered the ping before any other line')
  t.same(out.map((l) => JSON.parse(l).id), [1])
  t.equal(asked, 1, 'the SDK was asked for once')
  t.equal(wire.unanswered, 0, 'the answered ping is not pending; held lines are counted once delivered')
  t.same(inbound, [], 'nothing delivered while the SDK loads')

  wire.onmessage = (m) => {
    inbound.push(m)
    if ('id' in m && 'method' in m) wire.send({ jsonrpc: '2.0', id: m.id, result: { echoed: m.method } }).catch(() => {})
  }
  wire.attachSdk(deserializeMessage, { jsonrpc: '2.0', id: 'replayed', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: { elicitation: {} }, clientInfo: { name: 'c', version: '1' } } })
  await tick()
  t.same(inbound.map((m) => 'id' in m ? m.id : undefined), ['replayed', 2, 3], 'the replayed initialize first, then the held lines in order; the invalid one dropped as the SDK drops it')
  t.same(out.map((l) => JSON.parse(l).id), [1, 2, 3], 'the answer to the replayed initialize is not written')
  t.equal(wire.unanswered, 0)
  wire.fast = () => { throw new Error('fast is not asked once the SDK is attached') }
  line({ jsonrpc: '2.0', id: 5, method: 'ping' })
  await tick()
  t.same(inbound.map((m) => 'id' in m ? m.id : undefined), ['replayed', 2, 3, 5], 'after the SDK, every line goes to it')
})
