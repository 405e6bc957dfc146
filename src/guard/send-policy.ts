// The send policy of a server: which destinations sends may go to (PILOT_STATUS_SEND_ALLOW) and
// how many sends one credential may make per window (PILOT_STATUS_SEND_LIMIT), counted over
// every sending tool. A slot is reserved before the send and given back when nothing was sent.
import { randomUUID } from 'node:crypto'
import type { SharedStore, WindowRule } from '../store/store.js'
import type { AllowList, SendLimit } from './parse.js'

export type Reservation =
  | { ok: true, release: () => Promise<void> }
  | { ok: false, limit: SendLimit, retryAt: number }

export class SendPolicy {
  readonly allow: AllowList | undefined
  readonly limits: readonly SendLimit[]
  private readonly store: SharedStore
  private readonly now: () => number

  constructor (o: { store: SharedStore, allow?: AllowList, limits?: readonly SendLimit[], now: () => number }) {
    this.store = o.store
    this.allow = o.allow
    this.limits = o.limits ?? []
    this.now = o.now
  }

  /** The first destination outside the allow-list, if any. */
  refusedDestination (destinations: readonly string[]): string | undefined {
    if (!this.allow) return undefined
    return destinations.find((d) => !this.allow!.allows(d))
  }

  async reserve (fingerprint: string): Promise<Reservation> {
    if (this.limits.length === 0) return { ok: true, release: async () => {} }
    const rules: WindowRule[] = this.limits.map((l) => ({ key: `limit:{${fingerprint}}:${l.windowMs}`, windowMs: l.windowMs, limit: l.limit }))
    const id = randomUUID()
    const r = await this.store.reserve(rules, id, this.now())
    if (!r.ok) return { ok: false, limit: this.limits[r.rule], retryAt: r.retryAt }
    return { ok: true, release: () => this.store.release(rules, id) }
  }
}
