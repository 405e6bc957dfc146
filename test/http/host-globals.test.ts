// The product changes no global its host shares: registering it (in this fresh process) leaves
// TypeBox's FormatRegistry exactly as the host had it. The `date-time` assertion passes once the
// registry stops registering that format globally (helper "contract", src/mcp/registry.ts);
// kept in this separate file so the lead can verify it after the merge.
import t from 'tap'
import Fastify from 'fastify'
import { FormatRegistry } from '@sinclair/typebox'

t.test("registering the product leaves the host's TypeBox formats untouched", async (t) => {
  const hostFormat = (v: string) => v === 'host'
  FormatRegistry.Set('host-format', hostFormat)
  const before = FormatRegistry.Entries()
  const { default: pilotStatusMcp, pilotStatusMcpWellKnown } = await import('../../src/app.js')
  const app = Fastify()
  await app.register(pilotStatusMcpWellKnown, { productPrefix: '/ps', apiUrl: 'http://127.0.0.1:9' })
  await app.register(pilotStatusMcp, { prefix: '/ps', apiUrl: 'http://127.0.0.1:9' })
  await app.ready()
  t.teardown(() => app.close())
  t.equal(FormatRegistry.Get('host-format'), hostFormat, "the host's own format is still its own")
  t.same([...FormatRegistry.Entries().keys()].sort(), [...before.keys()].sort(), 'no format added or removed')
  t.equal(FormatRegistry.Has('date-time'), false, 'no date-time format of ours')
})
