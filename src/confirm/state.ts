// Binding an approval to the exact call it approves (2026-07-28 era): the request state the
// server hands out with the question is HMAC-signed (the SDK's codec) over the tool name, a
// digest of the normalised arguments, the credential's fingerprint, a single-use id and an expiry.
// @see https://modelcontextprotocol.io/specification/draft/basic/patterns/mrtr
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { SharedStore } from '../store/store.js'
import { canonicalJson } from '../guard/canonical.js'
import type { RequestStateCodec } from '@modelcontextprotocol/server'

/** How long a question stays answerable: the SDK codec's expiry and the single-use record's lifetime. */
export const APPROVAL_TTL_SECONDS = 600
export const MIN_SECRET_LENGTH = 32

/** What the signed state says. Signed, not encrypted: the client can read it, so no secret goes in. */
export interface ApprovalState {
  /** Tool name. */
  t: string
  /** sha256 of the normalised arguments (stable key order). */
  d: string
  /** Fingerprint of the credential that was asked. */
  f: string
  /** Single-use id. */
  n: string
  /** `ask`: waiting for yes/no. `open`: the tool ran; a payment page was offered (URL mode), its result rides along. */
  s: 'ask' | 'open'
  /** The result to return after a URL-mode round (stage `open`). */
  r?: unknown
}

export interface ApprovalCodec {
  mint(state: ApprovalState): Promise<string>
  verify(wire: string): Promise<ApprovalState>
  /** True when the key was generated in this process (confirmations then need the same replica). */
  readonly ephemeral: boolean
}

/**
 * The SDK codec over a key from the settings (replicas that share it accept each other's
 * states) or a random per-process key.
 */
export function createApprovalCodec (secret: string | undefined): ApprovalCodec {
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) throw new Error(`the confirmation secret must be at least ${MIN_SECRET_LENGTH} characters`)
  const key = secret ?? randomBytes(32)
  // The SDK's codec, built on first use: states are minted and verified only on requests the SDK
  // serves (it is loaded by then), and a server the fast path answers never loads the SDK.
  let built: Promise<RequestStateCodec<ApprovalState>> | undefined
  const codec = () => (built ??= import('../mcp/confirm-sdk.js').then((sdk) => sdk.createRequestStateCodec<ApprovalState>({ key, ttlSeconds: APPROVAL_TTL_SECONDS })))
  return {
    ephemeral: secret === undefined,
    mint: async (state) => await (await codec()).mint(state),
    // The codec ignores ctx when no `bind` is configured; binding is checked field by field instead.
    verify: async (wire) => {
      const s = await (await codec()).verify(wire, undefined as never)
      if (!isApprovalState(s)) throw new Error('malformed')
      return s
    }
  }
}

function isApprovalState (v: unknown): v is ApprovalState {
  if (typeof v !== 'object' || v === null) return false
  const o = v as Record<string, unknown>
  return typeof o.t === 'string' && typeof o.d === 'string' && typeof o.f === 'string' && typeof o.n === 'string' && (o.s === 'ask' || o.s === 'open')
}

export function newApprovalId (): string {
  return randomUUID()
}

/** sha256 over the arguments serialised with sorted keys, so the same call digests the same. */
export function argumentsDigest (args: unknown): string {
  return createHash('sha256').update(canonicalJson(args)).digest('base64url')
}

/** Approval consumption: true the first time an id is seen within ttlMs, false afterwards. */
export interface ConsumeOnce {
  consumeOnce(id: string, ttlMs: number): Promise<boolean>
}

/**
 * Approvals spent through the send guards' shared store (memory, or Redis across replicas): an
 * approval used on one replica cannot be replayed on another. A store that cannot be reached
 * fails closed (the error reaches the client; nothing runs).
 */
export function storeConsumeOnce (store: Pick<SharedStore, 'setIfAbsent'>): ConsumeOnce {
  return {
    async consumeOnce (id, ttlMs) {
      try {
        return await store.setIfAbsent(`confirm:approval:${id}`, '1', ttlMs)
      } catch {
        throw new Error('The store that keeps confirmations single-use is unreachable; nothing was run. Try again shortly.')
      }
    }
  }
}

/**
 * One process's memory. Across replicas an approval is single-use only with a shared store
 * (the set-if-absent primitive of src/store/, plugged in through the same interface).
 */
export class MemoryConsumeOnce implements ConsumeOnce {
  private readonly seen = new Map<string, number>()

  async consumeOnce (id: string, ttlMs: number): Promise<boolean> {
    const now = Date.now()
    if (this.seen.size > 1000) for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k)
    const until = this.seen.get(id)
    if (until !== undefined && until > now) return false
    this.seen.set(id, now + ttlMs)
    return true
  }
}
