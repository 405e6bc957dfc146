// The send guards in stdio mode, as desktop clients run it (the built CLI as a child process):
// idempotency keys and the send limit work with the default in-memory store and with REDIS_URL
// (ioredis is loaded outside the stdio bundle, only when asked for).
import t, { type Test } from 'tap'
import { Client } from '@modelcontextprotocol/client'
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio'
import { testRedisUrl } from '../store/redis-server.js'
import { isSend, newKey, TO, upstream } from './helpers.js'
import { cli } from '../spawn.js'

async function run (t: Test, env: Record<string, string>): Promise<void> {
  const up = await upstream(t)
  const client = new Client({ name: 'stdio-guards', version: '1.0.0' })
  const childEnv = { PATH: process.env.PATH ?? '', PILOT_STATUS_API_URL: up.url, PILOT_STATUS_API_KEY: newKey(), PILOT_STATUS_SEND_LIMIT: '2/min', ...env }
  await client.connect(new StdioClientTransport({
    ...cli(['stdio'], childEnv),
    env: childEnv,
    stderr: 'pipe'
  }))
  t.teardown(() => client.close())
  const send = async (args: Record<string, unknown>) => await client.callTool({ name: 'messages_send', arguments: { destinationNumber: TO, ...args } })
  const first = await send({ text: 'a', idempotencyKey: 'stdio-a' })
  t.notOk(first.isError)
  const again = await send({ text: 'a', idempotencyKey: 'stdio-a' })
  t.same((again.structuredContent as { idempotency?: unknown }).idempotency, { replayed: true, outcome: 'done', firstCalledAt: (again.structuredContent as { idempotency: { firstCalledAt: string } }).idempotency.firstCalledAt }, 'replayed')
  t.notOk((await send({ text: 'b' })).isError, 'the second counted send')
  const third = await send({ text: 'c' })
  t.equal(third.isError, true)
  t.match(JSON.stringify(third.content), /send limit 2\/min for this credential/)
  t.equal(up.requests.filter(isSend).length, 2, 'two upstream sends in all')
}

t.test('stdio, in memory', async (t) => run(t, {}))

t.test('stdio, REDIS_URL', async (t) => {
  const url = await testRedisUrl(t)
  if (url) await run(t, { REDIS_URL: url })
})
