// The process logger's stream (src/logger.ts): lines are written off the event loop, every line
// logged before an exit reaches stderr (process.exit, an uncaught exception, the end of the event
// loop), and a stderr that stops taking output makes lines drop past the buffer, never stalls the
// process, and is reported once it takes output again.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { pino } from 'pino'
import { EventEmitter } from 'node:events'
import { createLogger, reportDrops, requestChildLogger, writeOwnLine } from '../../src/logger.js'
import { node } from '../spawn.js'
import { repoPath } from '../paths.js'

const LOGGER = pathToFileURL(repoPath('dist/src/logger.js')).href

interface Run { code: number | null, lines: Array<Record<string, unknown>>, stdout: string }

/** Runs `body` in a child with `log` = createLogger('info') (stderr); its stderr's JSON lines. */
async function child (body: string): Promise<Run> {
  const script = `const { createLogger } = await import(${JSON.stringify(LOGGER)}); const log = createLogger('info'); ${body}`
  const c = node(['--input-type=module', '-e', script])
  const p = spawn(c.command, c.args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  let out = ''
  p.stderr.on('data', (d: Buffer) => { err += d })
  p.stdout.on('data', (d: Buffer) => { out += d })
  const [code] = await once(p, 'close') as [number | null]
  const lines = err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  return { code, lines, stdout: out }
}

const msgs = (r: Run) => r.lines.map((l) => l.msg)

t.test('lines logged just before process.exit() reach stderr, in order', async (t) => {
  const r = await child("for (let i = 0; i < 500; i++) log.info({ i }, 'line ' + i); process.exit(3)")
  t.equal(r.code, 3)
  t.same(msgs(r), Array.from({ length: 500 }, (_, i) => `line ${i}`))
})

t.test('a line logged before an uncaught exception reaches stderr', async (t) => {
  const r = await child("log.info({ audit: { tool: 'messages_send', outcome: 'ok' } }, 'audit'); setImmediate(() => { throw new Error('boom') })")
  t.equal(r.code, 1)
  t.same(msgs(r), ['audit'])
})

t.test('a line logged as the event loop ends reaches stderr', async (t) => {
  const r = await child("setTimeout(() => log.info('last'), 10)")
  t.equal(r.code, 0)
  t.same(msgs(r), ['last'])
})

t.test('stderr that takes nothing: the process goes on, lines past the buffer drop, and the drop is reported', async (t) => {
  // A 64 KiB buffer, stderr not read until the child has logged ~1 MB (it says so on stdout).
  const script = `const { createLogger } = await import(${JSON.stringify(LOGGER)}); const log = createLogger('info', 2, 65536)
    const pad = 'x'.repeat(1000)
    for (let i = 0; i < 1000; i++) log.info({ i, pad }, 'filler')
    process.stdout.write('logged\\n')
    process.stdin.once('data', () => setTimeout(() => { log.info('after'); setTimeout(() => process.exit(0), 50) }, 50))`
  const c = node(['--input-type=module', '-e', script])
  const p = spawn(c.command, c.args, { stdio: ['pipe', 'pipe', 'pipe'] })
  p.stderr.pause()
  // The loop finished without blocking on stderr: the child wrote this line.
  const [first] = await once(p.stdout, 'data') as [Buffer]
  t.equal(String(first), 'logged\n', 'the child was not held up by its stalled stderr')
  let err = ''
  p.stderr.on('data', (d: Buffer) => { err += d })
  p.stderr.resume()
  p.stdin.write('go\n')
  const [code] = await once(p, 'close') as [number | null]
  t.equal(code, 0)
  const lines = err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
  const fillers = lines.filter((l) => l.msg === 'filler')
  const report = lines.find((l) => typeof l.droppedLines === 'number')
  t.ok(fillers.length > 0 && fillers.length < 1000, `some filler lines were written, some dropped (${fillers.length} written)`)
  t.ok(report, 'the drop is reported')
  t.equal(report?.level, 50, 'at error level')
  t.equal(report?.droppedLines, 1000 - fillers.length, 'with the number of lines dropped')
  t.equal(report?.bufferBytes, 65536)
  t.ok(lines.some((l) => l.msg === 'after'), 'logging goes on afterwards')
})

t.test('writeOwnLine: exactly the line pino writes for log.info(obj, msg), at any level, for the process logger and its children only', async (t) => {
  const file = join(t.testdir(), 'log')
  const root = createLogger('info', openSync(file, 'w'))
  const child = root.child({ reqId: 'req-7' }).child({ extra: 'x"y' })
  const audit = { v: 1, time: '2026-12-03T09:00:00.000Z', tool: 'messages_send', credential: '3f1c9a0b5d2e4f61', target: '+5511912345678 <é>', outcome: 'ok' }
  const fields = `,"audit":${JSON.stringify(audit)},"msg":"audit"`
  for (const l of [root, child]) {
    l.info({ audit }, 'audit')
    t.equal(writeOwnLine(l, fields), true, 'taken by the process logger and its children')
  }
  const quietFile = file + '.quiet'
  const quiet = createLogger('silent', openSync(quietFile, 'w'))
  quiet.info({ audit }, 'audit')
  t.equal(writeOwnLine(quiet.child({ reqId: 'req-8' }), fields), true, 'written whatever the level')
  t.equal(writeOwnLine(pino(), fields), false, 'not another pino logger')
  t.equal(writeOwnLine(root.child({}, { msgPrefix: '[p] ' }), fields), false, 'not a child with a message prefix')
  // Written off the event loop: wait until the five lines are there.
  const count = () => readFileSync(file, 'utf8').split('\n').length - 1 + readFileSync(quietFile, 'utf8').split('\n').length - 1
  for (let i = 0; i < 500 && count() < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.replace(/"time":\d+/, '"time":0'))
  lines.push(...readFileSync(quietFile, 'utf8').trim().split('\n'))
  t.equal(lines.length, 5, 'four lines, and one of the silent logger')
  t.equal(lines[1], lines[0], 'the root logger\'s line, byte for byte')
  t.equal(lines[3], lines[2], 'a child\'s line (its bindings) byte for byte')
  t.match(JSON.parse(lines[3]), { level: 30, reqId: 'req-7', extra: 'x"y', audit, msg: 'audit' })
  t.match(JSON.parse(lines[4]), { level: 30, reqId: 'req-8', audit })
})

t.test('requestChildLogger: the child pino makes, for the process logger; other loggers and options go to pino', async (t) => {
  const file = join(t.testdir(), 'log')
  const root = createLogger('info', openSync(file, 'w'))
  const { chindingsSym } = pino.symbols
  const chindings = (l: object) => (l as unknown as Record<symbol, string>)[chindingsSym]
  const values = ['req-1', 'x"y\\z', 'tab\tnl\ncr\r\u0000\u001f', 'é ü 中文 😀', '\ud800 lone', '</script>\u2028', 'a'.repeat(300), '']
  for (const [i, v] of values.entries()) {
    const ours = requestChildLogger(root, { reqId: v }, {})
    const theirs = root.child({ reqId: v }, {})
    t.equal(chindings(ours), chindings(theirs), `bindings of value ${i}`)
    t.same(ours.bindings(), theirs.bindings())
    t.equal(ours.level, theirs.level)
    // Its own children, and redaction of what it logs, as pino's.
    t.equal(chindings(ours.child({ tool: 'x' })), chindings(theirs.child({ tool: 'x' })))
    ours.info({ headers: { 'x-api-key': 'ps_secret' }, creds: { apiKey: 'ps_other' } }, 'ours')
    theirs.info({ headers: { 'x-api-key': 'ps_secret' }, creds: { apiKey: 'ps_other' } }, 'ours')
  }
  t.equal(chindings(requestChildLogger(root, { reqId: 'r', other: 'o' }, undefined)), chindings(root.child({ reqId: 'r', other: 'o' })), 'several bindings, no options')
  t.equal(chindings(requestChildLogger(root, { reqId: 'r', skipped: undefined }, {})), chindings(root.child({ reqId: 'r', skipped: undefined }, {})), 'an undefined binding is left out, as pino does')
  // The fast way hands pino no bindings to redact (what makes it cheaper).
  const handed: unknown[] = []
  const spied = Object.create(root) as typeof root
  spied.child = function (this: typeof root, b: Record<string, unknown>, o?: object) { handed.push(b); return root.child.call(this, b, o as never) } as typeof root.child
  requestChildLogger(spied, { reqId: 'req-9' }, {})
  t.same(handed, [{}], 'pino\'s child is made without the bindings')
  // Not for the fast way: pino's child() itself.
  const withLevel = requestChildLogger(root, { reqId: 'r' }, { level: 'warn' })
  t.equal(withLevel.level, 'warn', 'a route log level (options) is pino\'s child')
  t.equal(chindings(requestChildLogger(root, { reqId: 42 }, {})), chindings(root.child({ reqId: 42 }, {})), 'a non-string binding')
  t.equal(chindings(requestChildLogger(root, { err: 'x' }, {})), chindings(root.child({ err: 'x' }, {})), 'a key with a serializer')
  const other = pino({ level: 'info', redact: ['*.key'] }, { write () {} })
  t.equal(chindings(requestChildLogger(other, { reqId: 'r' }, {})), chindings(other.child({ reqId: 'r' }, {})), 'another pino logger')
  for (let i = 0; i < 500 && readFileSync(file, 'utf8').split('\n').length - 1 < values.length * 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.replace(/"time":\d+/, '"time":0'))
  t.equal(lines.length, values.length * 2)
  for (let i = 0; i < lines.length; i += 2) t.equal(lines[i], lines[i + 1], 'the line logged, byte for byte')
  t.notMatch(lines.join('\n'), /ps_secret|ps_other/, 'secrets still redacted')
})

t.test('the drop report, when the buffer has no room for it yet, is tried again after the next write with the count kept', async (t) => {
  // A stream that drops every line while full, as sonic-boom does past its buffer.
  class Stream extends EventEmitter {
    full = true
    lines: string[] = []
    write (s: string): void {
      if (this.full) this.emit('drop', s)
      else this.lines.push(s)
    }
  }
  const stream = new Stream()
  const log = pino({ level: 'info' }, stream)
  reportDrops(stream, log, 1024)
  for (let i = 0; i < 3; i++) log.info('filler')
  stream.emit('write', 100) // a write went out, but the buffer is still full: the report is dropped too
  t.same(stream.lines, [])
  stream.full = false
  stream.emit('write', 100)
  const reports = stream.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  t.same(reports.map((r) => [r.level, r.droppedLines, r.bufferBytes]), [[50, 3, 1024]], 'one report, with every dropped line counted')
  stream.emit('write', 100)
  t.equal(stream.lines.length, 1, 'reported once')
})
