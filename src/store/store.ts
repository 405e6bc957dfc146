// The shared store behind idempotency keys, the duplicate guard and send limits: one interface,
// kept in memory (one process) or in Redis (several replicas). Values are opaque strings; every
// primitive is atomic, so two replicas racing for one key or one limit slot cannot both win.
import type { Redis } from 'ioredis'

/** A sliding window: at most `limit` reservations under `key` in any `windowMs`. */
export interface WindowRule {
  key: string
  windowMs: number
  limit: number
}

export type ReserveResult =
  | { ok: true }
  /** `rule` is the index of the first full window; a slot frees at `retryAt` (ms since the epoch). */
  | { ok: false, rule: number, retryAt: number }

export interface StoreState {
  kind: 'memory' | 'redis'
  /** `down`: writes fail closed until the store is reachable again (it reconnects by itself). */
  status: 'ok' | 'connecting' | 'down'
  detail?: string
}

export interface SharedStore {
  readonly kind: 'memory' | 'redis'
  get (key: string): Promise<string | undefined>
  /** Stores `value` only when `key` holds nothing; true when this call stored it. */
  setIfAbsent (key: string, value: string, ttlMs: number): Promise<boolean>
  set (key: string, value: string, ttlMs: number): Promise<void>
  delete (key: string): Promise<void>
  /** Reads and removes in one step: of several replicas taking one key, one gets it (single-use approvals). */
  take (key: string): Promise<string | undefined>
  /**
   * Reserves one slot named `id` in every window at once, or none: when any window is full the
   * result says which and when a slot frees. `now` is the caller's clock (ms since the epoch).
   */
  reserve (rules: readonly WindowRule[], id: string, now: number): Promise<ReserveResult>
  /** Gives back a reservation that turned out not to count (nothing was sent). */
  release (rules: readonly WindowRule[], id: string): Promise<void>
  state (): StoreState
  close (): Promise<void>
}

/** The store is configured but cannot be reached: the operation did not happen. */
export class StoreUnavailableError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StoreUnavailableError'
  }
}

/** A Redis client the embedding application owns (ioredis); the product never closes it. */
export type RedisClient = Redis

export interface StoreOptions {
  /** `redis://…` URL or an ioredis client; unset → in memory. */
  redis?: string | RedisClient
  /** Prefix of every Redis key (several products can share one Redis). */
  keyPrefix?: string
  /** Memory store: most keys kept (oldest dropped first beyond it). */
  maxEntries?: number
  now?: () => number
}

/** The store for these options; Redis is loaded only when asked for (stdio never loads it otherwise). */
export async function createStore (opts: StoreOptions = {}): Promise<SharedStore> {
  if (opts.redis === undefined || opts.redis === '') {
    const { MemoryStore } = await import('./memory.js')
    return new MemoryStore({ maxEntries: opts.maxEntries, now: opts.now })
  }
  const { RedisStore } = await import('./redis.js')
  return RedisStore.connect(opts.redis, { keyPrefix: opts.keyPrefix })
}
