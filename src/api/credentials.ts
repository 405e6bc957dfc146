// What the server authenticates to the Pilot Status /v1 API with, for one call or one connection.
// The secret values never leave this module except as outgoing request headers.
import { createHash } from 'node:crypto'

export type Credentials =
  /** An OAuth access token from the client (claude.ai connector); forwarded as `Authorization: Bearer`. */
  | { kind: 'bearer', token: string, source: 'header' }
  /** A raw `ps_...` key, optionally with its id; from the client's headers or from the environment. */
  | { kind: 'apiKey', key: string, keyId?: string, source: 'header' | 'env' }
  /** Only a key id (`x-api-key-id`); the API resolves the key from it. */
  | { kind: 'apiKeyId', keyId: string, source: 'header' | 'env' }

/** The upstream headers that carry these credentials. */
export function credentialHeaders (c: Credentials): Record<string, string> {
  switch (c.kind) {
    case 'bearer': return { authorization: `Bearer ${c.token}` }
    case 'apiKey': return c.keyId ? { 'x-api-key': c.key, 'x-api-key-id': c.keyId } : { 'x-api-key': c.key }
    case 'apiKeyId': return { 'x-api-key-id': c.keyId }
  }
}

/**
 * A short stable id of a credential (16 hex of sha256 over kind + secret), for keying
 * idempotency records, send limits, audit and confirmations per credential. Never the secret.
 */
export function fingerprint (c: Credentials): string {
  let fp = FINGERPRINTS.get(c)
  if (fp === undefined) {
    const key = memoryKey(c)
    fp = RECENT.get(key)
    if (fp === undefined) {
      const secret = c.kind === 'bearer' ? c.token : c.kind === 'apiKey' ? c.key : c.keyId
      fp = createHash('sha256').update(`${c.kind}\0${secret}`).digest('hex').slice(0, 16)
      if (RECENT.size >= RECENT_MAX) RECENT.clear()
      RECENT.set(key, fp)
    }
    FINGERPRINTS.set(c, fp)
  }
  return fp
}

/**
 * A key that tells credentials apart in this process's memory (kind and secret), for structures
 * that forget it when the credential's requests end (the upstream queue's per-credential slots).
 * The secret itself: never logged, stored or sent anywhere. Cheaper than `fingerprint` (no hash),
 * which matters on the read path, where nothing else needs the fingerprint.
 */
export function memoryKey (c: Credentials): string {
  return c.kind === 'bearer' ? `b\0${c.token}` : c.kind === 'apiKey' ? `k\0${c.key}` : `i\0${c.keyId}`
}

/** Fingerprints by credentials object: one request's (the send guards and the audit line each ask) is looked up once. */
const FINGERPRINTS = new WeakMap<Credentials, string>()
/**
 * Fingerprints of recent credentials, by memoryKey: each request carries its credentials afresh,
 * and a SHA-256 per send was a measurable part of its CPU time. In memory only; emptied when full.
 */
const RECENT = new Map<string, string>()
const RECENT_MAX = 10_000
