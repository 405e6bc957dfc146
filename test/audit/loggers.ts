// Where audit lines go and when: at info even when the logger's level is warn or silent (over
// HTTP the request logger, over stdio the process logger on stderr), nowhere when
// PILOT_STATUS_AUDIT_LOG is off; the trace id of the active span when there is one.
import t from 'tap'
import Fastify from 'fastify'
import { pino } from 'pino'
import { Writable } from 'node:stream'
import pilotStatusMcp from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { runStdio } from '../../src/stdio.js'
import { AuditTrail } from '../../src/audit.js'
import { ToolRegistry } from '../../src/mcp/registry.js'
import { ALL_TOOLS } from '../../tools/index.js'
import { upstream, TO } from '../guard/helpers.js'
import { rawPost } from '../helper.js'
import { auditLines } from './helpers.js'
import { stdioPipes } from '../stdio/pipes.js'

const KEY = 'ps_audit_logger_key'
const SEND = { name: 'messages_send', arguments: { destinationNumber: TO, text: 'hi' } }

function sink (): { logs: string[], stream: Writable } {
  const logs: string[] = []
  return { logs, stream: new Writable({ write (chunk, _enc, cb) { logs.push(...String(chunk).split('\n').filter(Boolean)); cb() } }) }
}

for (const level of ['warn', 'silent'] as const) {
  for (const auditLog of [true, false]) {
    t.test(`HTTP, logger at ${level}, auditLog ${auditLog}: ${auditLog ? 'the audit line is written' : 'nothing'}`, async (t) => {
      const up = await upstream(t)
      const s = sink()
      const app = Fastify({ loggerInstance: pino({ level }, s.stream) as unknown as import('fastify').FastifyBaseLogger })
      await app.register(pilotStatusMcp, { apiUrl: up.url, auditLog })
      await app.listen({ port: 0, host: '127.0.0.1' })
      t.teardown(() => app.close())
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/mcp`
      const res = await rawPost(url, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: SEND }, { 'x-api-key': KEY })
      t.equal(res.json.result.isError, undefined, 'the send ran')
      // Fastify's request logger carries the request id: the line can be joined with the request's other lines.
      const lines = s.logs.map((l) => JSON.parse(l) as Record<string, any>)
      t.same(lines.map((l) => [l.level, l.msg, typeof l.reqId]), auditLog ? [[30, 'audit', 'string']] : [], 'only the audit line, at info, with the request id')
      t.same(auditLines(s.logs).map((a) => [a.tool, a.outcome, a.createdId]), auditLog ? [['messages_send', 'ok', 'msg_1']] : [])
    })
  }
}

t.test('stdio: the audit line goes to the process logger (stderr), credential kind env', async (t) => {
  const up = await upstream(t)
  const config = loadConfig({ PILOT_STATUS_API_URL: up.url, PILOT_STATUS_API_KEY: KEY, LOG_LEVEL: 'error' })
  const s = sink()
  const { stdin, stdout, answers } = stdioPipes()
  const handle = runStdio(config, { kind: 'apiKey', key: KEY, source: 'env' }, pino({ level: config.logLevel }, s.stream), { stdin, stdout })
  t.teardown(() => handle.close())
  const line = (m: unknown) => stdin.write(JSON.stringify(m) + '\n')
  line({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } })
  line({ jsonrpc: '2.0', method: 'notifications/initialized' })
  line({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: SEND })
  for (let i = 0; i < 2000 && !answers.some((a) => a.id === 2); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal(answers.find((a) => a.id === 2)?.result?.isError, undefined, 'the send ran')
  const [a] = auditLines(s.logs)
  t.match(a, { tool: 'messages_send', credentialKind: 'env', target: TO, outcome: 'ok', createdId: 'msg_1' })
  t.notOk(answers.some((x) => 'audit' in x), 'nothing of it on stdout')
})

t.test('traceId: the request\'s telemetry operation\'s, absent without one', async (t) => {
  const tool = new ToolRegistry(ALL_TOOLS).all.get('groups_create')!
  const s = sink()
  const who = { credentials: { kind: 'apiKey' as const, key: KEY, source: 'header' as const }, log: pino({ level: 'info' }, s.stream) }
  const ok = { kind: 'result' as const, result: { content: [{ type: 'text' as const, text: '{}' }], structuredContent: { id: 'g1@g.us' } } }
  const audit = new AuditTrail()
  audit.begin(tool, { subject: 'x' }, who)!.end(ok)
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
  audit.begin(tool, { subject: 'x' }, { ...who, op: { traceId: () => traceId } })!.end(ok)
  audit.begin(tool, { subject: 'x' }, { ...who, op: { traceId: () => undefined } })!.end(ok)
  t.same(auditLines(s.logs).map((a) => [a.createdId, a.traceId]), [['g1@g.us', undefined], ['g1@g.us', traceId], ['g1@g.us', undefined]])
  t.equal(audit.begin(new ToolRegistry(ALL_TOOLS).all.get('groups_list')!, {}, who), undefined, 'a read is not audited')
})

t.test('a quiet server logger: one info child for every line, each line with its request logger\'s own bindings', async (t) => {
  const tool = new ToolRegistry(ALL_TOOLS).all.get('groups_create')!
  const ok = { kind: 'result' as const, result: { content: [{ type: 'text' as const, text: '{}' }], structuredContent: { id: 'g1@g.us' } } }
  const credentials = { kind: 'apiKey' as const, key: KEY, source: 'header' as const }
  for (const level of ['warn', 'silent'] as const) {
    const s = sink()
    const base = pino({ level, base: { service: 'mcp' } }, s.stream)
    let leveledChildren = 0
    const child = base.child.bind(base)
    base.child = ((bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => {
      if (options?.level !== undefined) leveledChildren++
      return child(bindings, options)
    }) as unknown as typeof base.child
    const audit = new AuditTrail(base)
    for (const reqId of ['req-1', 'req-2', 'req-3']) audit.begin(tool, { subject: 'x' }, { credentials, log: base.child({ reqId }) })!.end(ok)
    audit.begin(tool, { subject: 'x' }, { credentials, log: base })!.end(ok)
    const lines = s.logs.map((l) => JSON.parse(l) as Record<string, any>)
    t.same(lines.map((l) => [l.level, l.msg, l.reqId, l.service]), [[30, 'audit', 'req-1', 'mcp'], [30, 'audit', 'req-2', 'mcp'], [30, 'audit', 'req-3', 'mcp'], [30, 'audit', undefined, 'mcp']], `${level}: every line at info, with its request id and the server's bindings once`)
    t.ok(s.logs.every((l) => l.split('"service"').length === 2 && l.split('"reqId"').length <= 2), 'no binding written twice')
    t.equal(leveledChildren, 1, `${level}: one info child made for four lines`)
    // A logger that is not the server's (a host's own): a child for its line, as before.
    const other = sink()
    audit.begin(tool, { subject: 'x' }, { credentials, log: pino({ level }, other.stream).child({ reqId: 'foreign' }) })!.end(ok)
    t.same(other.logs.map((l) => JSON.parse(l).reqId), ['foreign'], 'a foreign quiet logger still gets its line')
    t.equal(s.logs.length, 4, 'and nothing of it in the server\'s log')
  }
})
