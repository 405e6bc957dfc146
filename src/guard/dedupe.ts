// The duplicate guard (PILOT_STATUS_DEDUPE_WINDOW): an identical send — same credential, tool,
// destination and content — within the window and without an idempotency key is refused unless
// the caller passes allowDuplicate. The mark is claimed atomically before sending, so two
// identical sends racing on two replicas cannot both go out.
import type { SharedStore } from '../store/store.js'
import { canonicalJson, digest } from './canonical.js'

interface Mark {
  at: number
  to: string
  /** The first send had not finished when this mark was read. */
  pending?: boolean
}

export type DuplicateClaim = { ok: true } | { ok: false, at: number, to: string, pending: boolean }

export class DuplicateGuard {
  readonly windowMs: number
  private readonly store: SharedStore
  private readonly now: () => number

  constructor (store: SharedStore, windowMs: number, now: () => number) {
    this.store = store
    this.windowMs = windowMs
    this.now = now
  }

  storeKey (fingerprint: string, tool: string, args: Record<string, unknown>): string {
    return `dup:{${fingerprint}}:${digest(tool, canonicalJson(args))}`
  }

  /** With allowDuplicate nothing is checked (the send is still marked afterwards). */
  async claim (key: string, to: string, allowDuplicate: boolean): Promise<DuplicateClaim> {
    if (allowDuplicate) return { ok: true }
    for (let i = 0; i < 3; i++) {
      const mark: Mark = { at: this.now(), to, pending: true }
      if (await this.store.setIfAbsent(key, JSON.stringify(mark), this.windowMs)) return { ok: true }
      const raw = await this.store.get(key)
      if (raw === undefined) continue
      const seen = JSON.parse(raw) as Mark
      return { ok: false, at: seen.at, to: seen.to, pending: seen.pending === true }
    }
    return { ok: true }
  }

  /** The send went out (or may have): the window starts now. */
  async record (key: string, to: string): Promise<void> {
    await this.store.set(key, JSON.stringify({ at: this.now(), to } satisfies Mark), this.windowMs)
  }

  /** Nothing was sent: an identical send may go at once. */
  async release (key: string): Promise<void> {
    await this.store.delete(key)
  }
}
