// The guard runner on its own, with a fake clock and a tool run the test holds open: a repeat
// waits for the first call only as long as its own abort signal allows, a first call whose
// server died (lease over) reads as an unknown outcome, kept results expire by the clock, and a
// store failing after the send never turns the send into an error.
import t from 'tap'
import type { ApiClient } from '../../src/api/client.js'
import { Guards, type Exec } from '../../src/guard/guards.js'
import { MemoryStore } from '../../src/store/memory.js'
import { StoreUnavailableError } from '../../src/store/store.js'
import { registry } from '../helper.js'

const tool = registry.all.get('messages_send')!
const credentials = { kind: 'apiKey', key: 'ps_unit', source: 'header' } as const
const log = { warn () {}, error () {} }
const args = { destinationNumber: '+5511988887777', text: 'hi', idempotencyKey: 'k' }

/** A tool run that makes one POST through the watched client and waits for `gate` before answering. */
function heldExec (gate: Promise<void>, counter: { runs: number }): Exec {
  const api = { call: async () => ({ status: 202, data: {}, headers: {} }) } as unknown as ApiClient
  return async (_a, wrap) => {
    counter.runs++
    await wrap!(api).call({ method: 'POST', path: '/v1/messages/send' }, { credentials })
    await gate
    return { content: [{ type: 'text', text: `sent #${counter.runs}` }], structuredContent: { id: `msg_${counter.runs}` } }
  }
}

function deferred () {
  let open!: () => void
  const gate = new Promise<void>((resolve) => { open = resolve })
  return { gate, open }
}

t.test('a repeat waits only as long as its own signal allows, and never runs', async (t) => {
  const now = 1_000_000
  const guards = new Guards({ store: new MemoryStore({ now: () => now }), now: () => now, leaseMs: 60_000 })
  const counter = { runs: 0 }
  const { gate, open } = deferred()
  const first = guards.run({ tool, args, credentials, signal: new AbortController().signal, log }, heldExec(gate, counter))
  await new Promise((resolve) => setTimeout(resolve, 20))
  const ac = new AbortController()
  const second = guards.run({ tool, args, credentials, signal: ac.signal, log }, heldExec(gate, counter))
  await new Promise((resolve) => setTimeout(resolve, 50))
  ac.abort()
  const waited = await second
  t.equal(waited.isError, true)
  t.match((waited.content[0] as { text: string }).text, /^messages_send was not run again: the first call with idempotencyKey "k" \(started .+\) is still running\. Nothing was sent by this call/)
  open()
  t.same((await first).structuredContent, { id: 'msg_1' })
  const third = await guards.run({ tool, args, credentials, signal: new AbortController().signal, log }, heldExec(gate, counter))
  t.same(third.structuredContent, { id: 'msg_1', idempotency: { replayed: true, outcome: 'done', firstCalledAt: new Date(now).toISOString() } })
  t.equal(counter.runs, 1, 'the tool ran once')
})

t.test('a first call whose lease ran out (its server died) reads as an unknown outcome', async (t) => {
  let now = 1_000_000
  const guards = new Guards({ store: new MemoryStore({ now: () => now }), now: () => now, leaseMs: 60_000 })
  const counter = { runs: 0 }
  // Never settles: its replica "died" mid-send.
  guards.run({ tool, args, credentials, signal: new AbortController().signal, log }, heldExec(new Promise(() => {}), counter)).catch(() => {})
  await new Promise((resolve) => setTimeout(resolve, 20))
  now += 60_001
  const r = await guards.run({ tool, args, credentials, signal: new AbortController().signal, log }, heldExec(Promise.resolve(), counter))
  t.equal(r.isError, true)
  t.match((r.content[0] as { text: string }).text, /has an unknown outcome \(its server stopped before it finished\)\. It may have taken effect\. Check message_get or messages_history/)
  t.equal(counter.runs, 1)
})

t.test('kept results expire by the clock', async (t) => {
  let now = 1_000_000
  const guards = new Guards({ store: new MemoryStore({ now: () => now }), now: () => now, idempotencyTtlMs: 86_400_000 })
  const counter = { runs: 0 }
  const run = () => guards.run({ tool, args, credentials, signal: new AbortController().signal, log }, heldExec(Promise.resolve(), counter))
  await run()
  now += 86_399_000
  t.equal(((await run()).structuredContent as { id?: string } | undefined)?.id, 'msg_1', 'still kept just before 24 h')
  now += 2000
  t.equal(((await run()).structuredContent as { id?: string } | undefined)?.id, 'msg_2', 'run again after 24 h')
})

t.test('the store failing after the send never makes the send look failed', async (t) => {
  const store = new MemoryStore()
  const guards = new Guards({ store })
  const counter = { runs: 0 }
  const errors: string[] = []
  store.set = async () => { throw new StoreUnavailableError('Redis is not reachable (test)') }
  const r = await guards.run({ tool, args, credentials, signal: new AbortController().signal, log: { warn () {}, error (_o, m) { errors.push(String(m)) } } }, heldExec(Promise.resolve(), counter))
  t.equal(r.isError, undefined)
  t.same(r.structuredContent, { id: 'msg_1' })
  t.same(errors, ['could not record a send in the shared store'], 'logged instead')
})
