// The process logger: pino to stderr (stdout belongs to the stdio JSON-RPC channel), with
// every credential-bearing field redacted and query strings stripped of secrets.
import { pino, type Logger } from 'pino'
import type { LogLevel } from './config.js'

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-api-key-id"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-api-key-id"]',
  '*.apiKey', '*.apiKeyId', '*.key', '*.token', '*.access_token', '*.refresh_token',
  '*.client_secret', '*.code_verifier', '*.password', '*.secret', '*.authorization'
]

const SECRET_PARAMS = /([?&](?:access_token|token|code|key|api_key|apikey|client_secret|refresh_token)=)[^&#]*/gi

/** The request URL as logged: secret-looking query parameters are masked. */
export function safeUrl (url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]')
}

/**
 * How much log output may wait for a stderr that does not take it (a stalled log collector)
 * before lines are dropped; the server keeps serving either way, and says how many it dropped.
 */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024

/**
 * The process logger. Lines are written asynchronously: a line is queued and written off the
 * event loop, and lines queued while a write is under way go out together in the next one. A
 * synchronous write per line cost ~40 µs of a send's CPU time on a shared machine (the write
 * wakes the log reader), and blocked every request whenever stderr stalled. Queued lines are
 * flushed synchronously at exit (pino's exit hook), so a line logged before an exit is not lost.
 * `dest`: file descriptor (default 2, stderr; benchmarks pass 1); `bufferBytes`: see LOG_BUFFER_BYTES.
 */
export function createLogger (level: LogLevel, dest = 2, bufferBytes = LOG_BUFFER_BYTES): Logger {
  const stream = pino.destination({ dest, sync: false, maxLength: bufferBytes })
  const logger = pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string, url: string, id?: string, ip?: string }) => ({ method: req.method, url: safeUrl(req.url), id: req.id, ip: req.ip })
    }
  }, stream)
  reportDrops(stream, logger, bufferBytes)
  OWN.add(logger)
  return logger
}

/** Loggers createLogger made (their children share the prototype chain). */
const OWN = new WeakSet<object>()
const { lsCacheSym, timeSym, chindingsSym, endSym, streamSym, mixinSym, nestedKeySym, formattersSym, serializersSym } = pino.symbols
// Present in pino's runtime symbols, missing from its type declarations.
const msgPrefixSym = (pino.symbols as unknown as Record<string, symbol>).msgPrefixSym
const INFO = 30

/**
 * Writes one `info` line whose fields after the bindings are already JSON (`fields`: `,"key":value…`,
 * the message included), whatever the logger's level — exactly the line `log.info(obj, msg)` at
 * level info would write, minus pino's per-key work (redaction, serializers) that such a line does
 * not need. Only for loggers createLogger made and their children, without a mixin, message
 * prefix, nested key or log formatter; returns false for any other logger (write it through pino).
 * For lines that can hold no secret by construction (the audit trail, test/audit/secrets.ts).
 */
export function writeOwnLine (log: object, fields: string): boolean {
  if (!isOwn(log)) return false
  const l = log as Record<symbol, any>
  if (l[mixinSym] !== undefined || l[msgPrefixSym] || l[nestedKeySym] || l[formattersSym]?.log) return false
  const line: string = l[lsCacheSym][INFO] + l[timeSym]() + l[chindingsSym] + fields + l[endSym]
  l[streamSym].write(line)
  return true
}

/** Binding keys pino's child() treats as options, not bindings; such a child goes through pino. */
const OPTION_KEYS = new Set(['level', 'serializers', 'formatters', 'customLevels'])
const PLAIN_KEY = /^[A-Za-z_$][\w$]*$/
const NO_BINDINGS = {}

/**
 * Fastify's `childLoggerFactory` for the HTTP server: the per-request child (`reqId`). Fastify
 * always passes an options object, which sends pino down its general child path (formatters
 * rebuilt per child), and the bindings go through the redaction of every wildcard path
 * (`*.apiKey`, …), which @pinojs/redact parses afresh each time: ~4 KB of garbage and a few µs on
 * every request, for a string that no path can match. For loggers createLogger made, with no
 * options and string bindings under plain keys, the child is pino's own option-less child with the
 * bindings appended as pino would write them (test/audit/log-stream.ts compares the two byte for
 * byte); anything else is pino's child() as before.
 */
export function requestChildLogger (logger: Logger, bindings: Record<string, unknown>, opts: object | undefined): Logger {
  if (!isOwn(logger) || (opts !== undefined && Object.keys(opts).length > 0)) return logger.child(bindings, opts)
  const serializers = (logger as unknown as Record<symbol, Record<string, unknown>>)[serializersSym]
  let appended = ''
  for (const key in bindings) {
    const value = bindings[key]
    if (value === undefined) continue
    if (typeof value !== 'string' || !PLAIN_KEY.test(key) || OPTION_KEYS.has(key) || serializers[key] !== undefined) return logger.child(bindings, opts)
    appended += `,"${key}":${JSON.stringify(value)}`
  }
  const child = logger.child(NO_BINDINGS) as unknown as Record<symbol, string>
  child[chindingsSym] += appended
  return child as unknown as Logger
}

function isOwn (log: object): boolean {
  let p: object | null = log
  while (p !== null && !OWN.has(p)) p = Object.getPrototypeOf(p) as object | null
  return p !== null
}

/** What reportDrops listens to on the destination (sonic-boom's events). */
interface DropEvents {
  on: (event: 'drop', listener: (data: string) => void) => unknown
  once: (event: 'write', listener: () => void) => unknown
}

/**
 * Counts lines dropped while stderr stalled and, once it takes output again, logs how many. The
 * report is a line too: when the buffer has no room for it yet, it is tried again after the next
 * write, with the count kept. Exported for tests.
 */
export function reportDrops (stream: DropEvents, logger: Logger, bufferBytes: number): void {
  let dropped = 0
  let reporting = false
  let reportLost = false
  const report = (): void => {
    const n = dropped
    dropped = 0
    reporting = true
    reportLost = false
    logger.error({ droppedLines: n, bufferBytes }, `${n} log lines (audit lines among them, if any) were dropped: stderr did not take output for a while`)
    reporting = false
    if (reportLost) {
      dropped += n
      stream.once('write', report)
    }
  }
  stream.on('drop', (data: string) => {
    if (reporting) { reportLost = true; return }
    if (dropped === 0) stream.once('write', report)
    dropped += countLines(data)
  })
}

function countLines (data: string): number {
  let n = 0
  for (let i = data.indexOf('\n'); i !== -1; i = data.indexOf('\n', i + 1)) n++
  return Math.max(n, 1)
}
