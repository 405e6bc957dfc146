// Which tools the send guards apply to, derived from tool data, and the two arguments they add:
// `idempotencyKey` on every write that is neither read-only nor idempotent, `allowDuplicate` on
// the tools that reach a person (whose destination the send policy checks).
import { Type, type TSchema } from '@sinclair/typebox'
import type { AnyTool } from '../../tools/define.js'

export const IDEMPOTENCY_KEY_PARAM = 'idempotencyKey'
export const ALLOW_DUPLICATE_PARAM = 'allowDuplicate'
export const GUARD_PARAMS = [IDEMPOTENCY_KEY_PARAM, ALLOW_DUPLICATE_PARAM] as const

/** Tools that send to a person, and the arguments naming where. Counted by PILOT_STATUS_SEND_LIMIT. */
export const SEND_DESTINATION: Readonly<Record<string, readonly string[]>> = {
  messages_send: ['destinationNumber', 'groupId', 'newsletterId'],
  call_initiate: ['to'],
  call_permission_request: ['to']
}

/** A repeat of this call would act twice: it takes an idempotency key. */
export function takesIdempotencyKey (def: AnyTool): boolean {
  return !def.annotations.readOnlyHint && !def.annotations.idempotentHint
}

export function isSending (def: AnyTool): boolean {
  return Object.hasOwn(SEND_DESTINATION, def.name) && takesIdempotencyKey(def)
}

// Only the type is listed (tools/list must stay small); 1-255 printable characters is checked in
// code (validIdempotencyKey), since TypeBox patterns have no Unicode classes.
const IdempotencyKey = Type.Optional(Type.String({ description: 'From the user\'s intent; a repeat replays the first result, never resends.' }))
const AllowDuplicate = Type.Optional(Type.Boolean({ description: 'Send even if identical to a recent send.' }))

/** The guard arguments a tool's input gains (none for reads and idempotent writes). */
export function guardInput (def: AnyTool): Record<string, TSchema> {
  if (!takesIdempotencyKey(def)) return {}
  return isSending(def)
    ? { [IDEMPOTENCY_KEY_PARAM]: IdempotencyKey, [ALLOW_DUPLICATE_PARAM]: AllowDuplicate }
    : { [IDEMPOTENCY_KEY_PARAM]: IdempotencyKey }
}

/** 1–255 characters, none of them a control character (they would hide in logs and prompts). */
export function validIdempotencyKey (k: string): boolean {
  return k.length >= 1 && k.length <= 255 && !/\p{Cc}|\p{Cs}|\p{Cf}/u.test(k)
}
