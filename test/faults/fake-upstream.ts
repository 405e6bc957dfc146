// A scriptable fake Pilot Status API on loopback for fault injection, fuzzing, load and security
// tests: a raw node:http server (no framework between the product and the bytes), so a test can
// hold headers back, trickle or flood a body, reset the socket, or stop listening. It records
// every request with its raw URL and whether the product closed the socket before the answer.
import type { Test } from 'tap'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface Seen {
  method: string
  /** The raw request target, exactly as it arrived (path + query). */
  url: string
  /** The raw path, without the query. */
  path: string
  headers: http.IncomingHttpHeaders
  body: string
  /** When the request arrived (Date.now()). */
  at: number
  /** True once the socket closed before the fake had finished answering (the product gave up). */
  aborted: boolean
}

export interface Script {
  status?: number
  headers?: Record<string, string>
  /** The whole body (default `{}` for 2xx). */
  body?: string
  /** Wait this long before sending the status line and headers. */
  delayMs?: number
  /** Never answer (the request hangs until the product gives up). */
  hang?: boolean
  /** Send headers at once, then the body one `chunk` every `everyMs`, `count` times. */
  trickle?: { chunk: string, everyMs: number, count: number }
  /** Stream a JSON-looking body of this many bytes. */
  floodBytes?: number
  /** Destroy the socket without answering (after reading the request). */
  reset?: boolean
}

export type Behaviour = (req: Seen, n: number) => Script

export interface FakeUpstream {
  url: string
  port: number
  requests: Seen[]
  /** TCP connections accepted so far. */
  connections: number
  /** Replace the behaviour (applies to the next request). */
  behave(b: Behaviour): void
  /** Resolves with the next request that arrives (or the nth, counting from 1, already arrived). */
  nextRequest(): Promise<Seen>
  /** Stops listening and drops every connection (calls get ECONNREFUSED). */
  stop(): Promise<void>
  /** Listens again on the same port. */
  restart(): Promise<void>
}

const ok: Behaviour = () => ({ status: 200, body: '{}' })

export async function fakeUpstream (t: Test, behaviour: Behaviour = ok): Promise<FakeUpstream> {
  let behave = behaviour
  const requests: Seen[] = []
  const waiters: Array<(s: Seen) => void> = []
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  const later = (ms: number, fn: () => void) => {
    const tm = setTimeout(() => { timers.delete(tm); fn() }, ms)
    timers.add(tm)
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const seen: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: (req.url ?? '').split('?')[0],
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
        aborted: false
      }
      requests.push(seen)
      res.on('close', () => { if (!res.writableFinished) seen.aborted = true })
      const s = behave(seen, requests.length - 1)
      waiters.splice(0).forEach((w) => w(seen))
      if (s.reset) { req.socket.destroy(); return }
      if (s.hang) return
      const status = s.status ?? 200
      const send = () => {
        if (res.destroyed) return
        const headers = { 'content-type': 'application/json', ...s.headers }
        if (s.trickle) {
          res.writeHead(status, headers)
          let left = s.trickle.count
          const tick = () => {
            if (res.destroyed) return
            if (left-- <= 0) { res.end(); return }
            res.write(s.trickle!.chunk)
            later(s.trickle!.everyMs, tick)
          }
          tick()
        } else if (s.floodBytes !== undefined) {
          res.writeHead(status, headers)
          const block = Buffer.alloc(64 * 1024, 'x')
          let left = s.floodBytes
          res.write('{"blob":"')
          const pump = () => {
            while (left > 0 && !res.destroyed) {
              const n = Math.min(left, block.length)
              left -= n
              if (!res.write(n === block.length ? block : block.subarray(0, n))) { res.once('drain', pump); return }
            }
            if (!res.destroyed) res.end('"}')
          }
          pump()
        } else {
          const body = s.body ?? (status >= 200 && status < 300 ? '{}' : '')
          res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) })
          res.end(body)
        }
      }
      if (s.delayMs) later(s.delayMs, send)
      else send()
    })
  })
  server.keepAliveTimeout = 30_000
  const fake: FakeUpstream = {
    url: '',
    port: 0,
    requests,
    connections: 0,
    behave (b) { behave = b },
    nextRequest () { return new Promise((resolve) => waiters.push(resolve)) },
    async stop () {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    async restart () {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(fake.port, '127.0.0.1', () => { server.off('error', reject); resolve() })
      })
    }
  }
  server.on('connection', (s: Socket) => {
    fake.connections++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.port = (server.address() as AddressInfo).port
  fake.url = `http://127.0.0.1:${fake.port}`
  t.teardown(async () => {
    for (const tm of timers) clearTimeout(tm)
    for (const s of sockets) s.destroy()
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return fake
}

/** A port on 127.0.0.1 where nothing listens (a server bound it, then let it go). */
export async function deadPort (): Promise<number> {
  const s = http.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/** Waits until `cond` holds, polling; fails the wait after `ms`. */
export async function until (cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
