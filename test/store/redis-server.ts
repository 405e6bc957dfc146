// Real Redis for tests: TEST_REDIS_URL when the CI wrapper started one, else a private
// redis-server on a free loopback port (no persistence), else the test is skipped with a reason.
import type { Test } from 'tap'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { Redis } from 'ioredis'
import { deadPort } from '../faults/fake-upstream.js'

export interface PrivateRedis {
  url: string
  port: number
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
}

export function haveRedisBinary (): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

/** A redis-server of this test's own (it can be stopped and started), or undefined (then t is skipped). Call before any assertion. */
export async function privateRedis (t: Test): Promise<PrivateRedis | undefined> {
  if (!haveRedisBinary()) {
    // plan(0, reason) is tap's "skip this test, saying why".
    t.plan(0, 'redis-server is not installed (apt-get install -y redis-server) and TEST_REDIS_URL is unset')
    return undefined
  }
  const port = await deadPort()
  let child: ChildProcess | undefined
  const r: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start () {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      await waitReady(r.url)
    },
    async stop () {
      const c = child
      child = undefined
      if (!c || c.exitCode !== null) return
      await new Promise<void>((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL') })
    }
  }
  await r.start()
  t.teardown(() => r.stop())
  return r
}

/** The Redis URL to test against (TEST_REDIS_URL or a private server), or undefined with t skipped. */
export async function testRedisUrl (t: Test): Promise<string | undefined> {
  if (process.env.TEST_REDIS_URL) return process.env.TEST_REDIS_URL
  return (await privateRedis(t))?.url
}

async function waitReady (url: string): Promise<void> {
  const end = Date.now() + 90_000
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
    c.on('error', () => {})
    try {
      await c.connect()
      await c.ping()
      c.disconnect()
      return
    } catch {
      c.disconnect()
      if (Date.now() > end) throw new Error(`redis-server at ${url} did not start`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}
