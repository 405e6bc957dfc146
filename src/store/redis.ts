// The Redis store: what several replicas share. SET NX PX claims a key, GETDEL takes one, and one
// Lua script checks and fills every send window at once. Commands never queue while Redis is
// unreachable: they fail at once (StoreUnavailableError) so a send that needs the store fails
// closed; the client reconnects by itself.
import type { RedisClient, ReserveResult, SharedStore, StoreState, WindowRule } from './store.js'
import { StoreUnavailableError } from './store.js'

/** KEYS: one sorted set per window. ARGV: now, id, then windowMs and limit per key. */
const RESERVE = `
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local w = tonumber(ARGV[1 + 2 * i])
  local limit = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - w)
  local n = redis.call('ZCARD', key)
  if n >= limit then
    local oldest = redis.call('ZRANGE', key, n - limit, n - limit, 'WITHSCORES')
    return {i, tonumber(oldest[2]) + w}
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[1 + 2 * i]))
end
return {0, 0}
`

export interface RedisStoreOptions {
  keyPrefix?: string
  /** Longest wait for one command before the store counts as unreachable. */
  commandTimeoutMs?: number
  /** How long `connect` waits for the first connection (the store starts anyway, reporting `connecting`). */
  connectWaitMs?: number
}

export class RedisStore implements SharedStore {
  readonly kind = 'redis' as const
  private readonly client: RedisClient
  private readonly owned: boolean
  private readonly prefix: string
  private readonly timeoutMs: number
  private lastError: string | undefined
  private reserveSha: string | undefined

  private constructor (client: RedisClient, owned: boolean, opts: RedisStoreOptions) {
    this.client = client
    this.owned = owned
    this.prefix = opts.keyPrefix ?? 'pilot-status-mcp:'
    this.timeoutMs = opts.commandTimeoutMs ?? 2000
    // Without a listener ioredis prints every failed reconnect to the console.
    client.on('error', (err: Error) => { this.lastError = describe(err) })
    client.on('ready', () => { this.lastError = undefined })
    // A clean close (Redis stopped) emits no error; it still means down until ready again.
    client.on('close', () => { this.lastError ??= 'the connection to Redis closed' })
  }

  /** Connects to a URL (owned: closed with the store) or adopts the application's client. */
  static async connect (target: string | RedisClient, opts: RedisStoreOptions = {}): Promise<RedisStore> {
    const owned = typeof target === 'string'
    // ioredis is imported here, not at the top: a static import would be hoisted to the stdio
    // bundle's top by esbuild and load its whole CommonJS tree at every start (scripts/bundle.mjs).
    const client = owned
      ? new (await import('ioredis')).Redis(target, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        retryStrategy: (times) => Math.min(100 * times, 2000),
        lazyConnect: false
      })
      : target
    const store = new RedisStore(client, owned, opts)
    if (client.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); client.off('ready', done); client.off('error', done); resolve() }
        const timer = setTimeout(done, opts.connectWaitMs ?? 2000)
        client.once('ready', done)
        client.once('error', done)
      })
    }
    return store
  }

  async get (key: string): Promise<string | undefined> {
    return (await this.run(() => this.client.get(this.prefix + key))) ?? undefined
  }

  async setIfAbsent (key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.run(() => this.client.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'))) === 'OK'
  }

  async set (key: string, value: string, ttlMs: number): Promise<void> {
    await this.run(() => this.client.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs))))
  }

  async delete (key: string): Promise<void> {
    await this.run(() => this.client.del(this.prefix + key))
  }

  async take (key: string): Promise<string | undefined> {
    return (await this.run(() => this.client.getdel(this.prefix + key))) ?? undefined
  }

  async reserve (rules: readonly WindowRule[], id: string, now: number): Promise<ReserveResult> {
    const keys = rules.map((r) => this.prefix + r.key)
    const args = [String(now), id, ...rules.flatMap((r) => [String(r.windowMs), String(r.limit)])]
    const out = await this.run(() => this.script(keys, args)) as [number, number]
    return out[0] === 0 ? { ok: true } : { ok: false, rule: out[0] - 1, retryAt: Number(out[1]) }
  }

  async release (rules: readonly WindowRule[], id: string): Promise<void> {
    await this.run(async () => {
      const multi = this.client.multi()
      for (const r of rules) multi.zrem(this.prefix + r.key, id)
      return await multi.exec()
    })
  }

  state (): StoreState {
    if (this.client.status === 'ready') return { kind: 'redis', status: 'ok' }
    return this.lastError !== undefined
      ? { kind: 'redis', status: 'down', detail: this.lastError }
      : { kind: 'redis', status: 'connecting' }
  }

  async close (): Promise<void> {
    if (!this.owned) return
    try {
      await this.client.quit()
    } catch {
      this.client.disconnect()
    }
  }

  /** EVALSHA, loading the script on first use and again after a Redis restart (NOSCRIPT). */
  private async script (keys: string[], args: string[]): Promise<unknown> {
    if (this.reserveSha) {
      try {
        return await this.client.evalsha(this.reserveSha, keys.length, ...keys, ...args)
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err
      }
    }
    this.reserveSha = await this.client.script('LOAD', RESERVE) as string
    return await this.client.evalsha(this.reserveSha, keys.length, ...keys, ...args)
  }

  /** One command, failing at once while disconnected and after `timeoutMs` when Redis hangs. */
  private async run<T> (op: () => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') {
      throw new StoreUnavailableError(`Redis is not reachable (${this.lastError ?? this.client.status})`)
    }
    let timer: NodeJS.Timeout | undefined
    try {
      return await Promise.race([
        op(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new StoreUnavailableError(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs)
        })
      ])
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw err
      // A reply error (wrong type, script error) is a bug or a misconfigured Redis: still fail closed.
      throw new StoreUnavailableError(`Redis failed: ${describe(err)}`)
    } finally {
      clearTimeout(timer)
    }
  }
}

/** An error's message without anything a URL could carry (ioredis never puts the password in it; be sure). */
function describe (err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  return msg.replace(/\/\/[^@\s]*@/g, '//').slice(0, 200)
}
