// The send-guard settings as written (env or plugin options) → GuardOptions, in one place for
// the HTTP plugin and stdio. Throws an Error naming the setting on a bad value.
import type { GuardOptions } from './guards.js'
import { AllowList, parseDuration, parseSendLimit } from './parse.js'

export interface GuardSettings {
  dedupeWindow?: string
  sendAllow?: string | readonly string[]
  sendLimit?: string
  idempotencyTtl?: string
}

/** `name(field)` is what a message calls the setting: `PILOT_STATUS_SEND_LIMIT`, `option sendLimit`. */
export function guardOptions (s: GuardSettings, name: (field: keyof GuardSettings) => string, leaseMs: number): Omit<GuardOptions, 'store'> {
  const ttl = s.idempotencyTtl === undefined ? undefined : parseDuration(name('idempotencyTtl'), s.idempotencyTtl)
  return {
    leaseMs,
    idempotencyTtlMs: ttl,
    dedupeWindowMs: s.dedupeWindow === undefined ? undefined : parseDuration(name('dedupeWindow'), s.dedupeWindow),
    allow: s.sendAllow === undefined ? undefined : AllowList.parse(name('sendAllow'), s.sendAllow),
    limits: s.sendLimit === undefined ? undefined : parseSendLimit(name('sendLimit'), s.sendLimit)
  }
}

export const ENV_NAMES: Record<keyof GuardSettings, string> = {
  dedupeWindow: 'PILOT_STATUS_DEDUPE_WINDOW',
  sendAllow: 'PILOT_STATUS_SEND_ALLOW',
  sendLimit: 'PILOT_STATUS_SEND_LIMIT',
  idempotencyTtl: 'PILOT_STATUS_IDEMPOTENCY_TTL'
}
