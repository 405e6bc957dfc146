// The in-memory store (default): one process's idempotency records, duplicate marks and send
// windows. Bounded (oldest entries go first beyond maxEntries) and expiring; the clock is
// injectable so expiry is tested without waiting.
import type { ReserveResult, SharedStore, StoreState, WindowRule } from './store.js'

interface Entry { value: string, expiresAt: number }

export interface MemoryStoreOptions {
  maxEntries?: number
  now?: () => number
}

export class MemoryStore implements SharedStore {
  readonly kind = 'memory' as const
  private readonly entries = new Map<string, Entry>()
  /** Per window key: reservation times (ascending) and their ids. */
  private readonly windows = new Map<string, Array<{ at: number, id: string }>>()
  private readonly maxEntries: number
  private readonly now: () => number
  private writes = 0

  constructor (opts: MemoryStoreOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 100_000
    this.now = opts.now ?? Date.now
  }

  async get (key: string): Promise<string | undefined> {
    return this.live(key)?.value
  }

  async setIfAbsent (key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false
    this.put(key, value, ttlMs)
    return true
  }

  async set (key: string, value: string, ttlMs: number): Promise<void> {
    this.put(key, value, ttlMs)
  }

  async delete (key: string): Promise<void> {
    this.entries.delete(key)
  }

  async take (key: string): Promise<string | undefined> {
    const e = this.live(key)
    this.entries.delete(key)
    return e?.value
  }

  async reserve (rules: readonly WindowRule[], id: string, now: number): Promise<ReserveResult> {
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]
      const list = this.prune(r, now)
      if (list.length >= r.limit) return { ok: false, rule: i, retryAt: list[list.length - r.limit].at + r.windowMs }
    }
    for (const r of rules) {
      let list = this.windows.get(r.key)
      if (!list) {
        list = []
        this.windows.set(r.key, list)
        if (this.windows.size > this.maxEntries) this.windows.delete(this.windows.keys().next().value!)
      }
      list.push({ at: now, id })
    }
    return { ok: true }
  }

  async release (rules: readonly WindowRule[], id: string): Promise<void> {
    for (const r of rules) {
      const list = this.windows.get(r.key)
      const i = list?.findIndex((x) => x.id === id) ?? -1
      if (i >= 0) list!.splice(i, 1)
    }
  }

  state (): StoreState {
    return { kind: 'memory', status: 'ok' }
  }

  async close (): Promise<void> {
    this.entries.clear()
    this.windows.clear()
  }

  private live (key: string): Entry | undefined {
    const e = this.entries.get(key)
    if (e && e.expiresAt <= this.now()) {
      this.entries.delete(key)
      return undefined
    }
    return e
  }

  private put (key: string, value: string, ttlMs: number): void {
    // Re-inserted so Map order stays oldest-write-first, which is what the bound drops.
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs })
    if (++this.writes % 1024 === 0) this.sweep()
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!)
  }

  private sweep (): void {
    const now = this.now()
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k)
    for (const [k, list] of this.windows) if (list.length === 0 || list[list.length - 1].at <= now - 86_400_000 * 7) this.windows.delete(k)
  }

  /** Drops reservations older than the window (Redis does the same with ZREMRANGEBYSCORE). */
  private prune (r: WindowRule, now: number): Array<{ at: number }> {
    const list = this.windows.get(r.key)
    if (!list) return []
    let drop = 0
    while (drop < list.length && list[drop].at <= now - r.windowMs) drop++
    if (drop) list.splice(0, drop)
    return list
  }
}
