// Idempotency keys: the first call with a key claims it (SET NX), runs, and leaves its result
// under the key for the TTL; a repeat gets that result back, a repeat with other arguments a
// conflict, a repeat while the first still runs waits for it. A record whose call ended with an
// unknown outcome stays that way, so a retry is told to check instead of sending again.
import type { CallToolResult } from '@modelcontextprotocol/server'
import type { SharedStore } from '../store/store.js'
import { digest } from './canonical.js'

export interface IdempotencyRecord {
  /** pending: the first call is running (until `lease`); done: `result` is kept; unknown: `text` says what failed. */
  s: 'pending' | 'done' | 'unknown'
  /** Digest of the normalised arguments. */
  h: string
  /** When the first call started (ms since the epoch). */
  at: number
  lease?: number
  result?: CallToolResult
  text?: string
}

export type Claim =
  | { kind: 'owner' }
  | { kind: 'done' | 'unknown' | 'conflict', record: IdempotencyRecord }
  /** The first call's server stopped before it finished (its lease ran out): outcome unknown. */
  | { kind: 'stale', record: IdempotencyRecord }
  /** The caller's deadline or abort came while the first call was still running. */
  | { kind: 'still-running', record: IdempotencyRecord }

export interface IdempotencyOptions {
  store: SharedStore
  ttlMs: number
  /** How long a pending claim is trusted to be finishing; past it a waiter reports an unknown outcome. */
  leaseMs: number
  now: () => number
}

export class Idempotency {
  private readonly o: IdempotencyOptions

  constructor (o: IdempotencyOptions) {
    this.o = o
  }

  /** Keyed by credential, tool and key; the key is hashed so any printable text fits. */
  storeKey (fingerprint: string, tool: string, key: string): string {
    return `idem:{${fingerprint}}:${tool}:${digest(key)}`
  }

  async claim (storeKey: string, argsHash: string, signal: AbortSignal): Promise<Claim> {
    let delay = 10
    for (;;) {
      const now = this.o.now()
      const mine: IdempotencyRecord = { s: 'pending', h: argsHash, at: now, lease: now + this.o.leaseMs }
      if (await this.o.store.setIfAbsent(storeKey, JSON.stringify(mine), this.o.ttlMs)) return { kind: 'owner' }
      const raw = await this.o.store.get(storeKey)
      if (raw === undefined) continue // expired between the two calls: claim again
      const record = JSON.parse(raw) as IdempotencyRecord
      if (record.h !== argsHash) return { kind: 'conflict', record }
      if (record.s !== 'pending') return { kind: record.s, record }
      if ((record.lease ?? 0) <= this.o.now()) return { kind: 'stale', record }
      if (signal.aborted) return { kind: 'still-running', record }
      // Polled, not subscribed: the first call may run on another replica. Short at first, so a
      // quick send is picked up quickly, then backing off.
      await sleep(delay, signal)
      delay = Math.min(delay * 2, 200)
    }
  }

  async complete (storeKey: string, record: IdempotencyRecord): Promise<void> {
    await this.o.store.set(storeKey, JSON.stringify(record), Math.max(1, record.at + this.o.ttlMs - this.o.now()))
  }

  async release (storeKey: string): Promise<void> {
    await this.o.store.delete(storeKey)
  }
}

function sleep (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve() }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
