// Parsing of the send-guard settings, once at start-up: durations (`60s`), send limits
// (`30/min,500/day`) and destination allow-lists (`+5511999999999,+55*,1203...@g.us`). Bad
// values throw with a message naming the setting and the bad part.

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000
}

/** `60s`, `500ms`, `2min`, `1h`, `1d` → milliseconds; `off`/`0` → undefined (feature off). */
export function parseDuration (setting: string, value: string): number | undefined {
  const v = value.trim().toLowerCase()
  if (v === '' || v === 'off' || v === '0') return undefined
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(v)
  const unit = m ? UNITS[m[2]] : undefined
  if (!m || unit === undefined || Number(m[1]) <= 0) {
    throw new Error(`${setting} must be a duration such as 60s, 500ms, 5min, 1h or 1d, or off (got ${JSON.stringify(value)})`)
  }
  return Math.round(Number(m[1]) * unit)
}

export interface SendLimit {
  limit: number
  windowMs: number
  /** As written, for messages (`30/min`). */
  label: string
}

/** `30/min,500/day` (also `10/30s`, `100/h`) → one rule per window. */
export function parseSendLimit (setting: string, value: string): SendLimit[] {
  const out: SendLimit[] = []
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)\s*\/\s*(\d*)\s*([a-z]+)$/i.exec(part)
    const unit = m ? UNITS[m[3].toLowerCase()] : undefined
    const n = m ? Number(m[1]) : 0
    const times = m && m[2] !== '' ? Number(m[2]) : 1
    if (!m || unit === undefined || unit < 1000 || n < 1 || times < 1 || unit * times > 31 * 86_400_000) {
      throw new Error(`${setting} must be a comma list of count/period such as 30/min,500/day (periods: s, min, h, day; got ${JSON.stringify(part)})`)
    }
    out.push({ limit: n, windowMs: unit * times, label: part.replace(/\s+/g, '') })
  }
  if (out.length === 0) throw new Error(`${setting} is empty; give count/period such as 30/min,500/day`)
  return out
}

const PHONE = /^\+[1-9]\d{5,14}$/
const PHONE_PREFIX = /^\+\d{1,14}\*$/
const JID = /^[A-Za-z0-9._-]+@(g\.us|newsletter)$/
const BSUID = /^[A-Z]{2}\.[A-Za-z0-9]+$/

/** Destinations a server may send to: exact E.164 numbers, `+55*` prefixes, group/channel ids, BSUIDs. */
export class AllowList {
  readonly exact: ReadonlySet<string>
  readonly prefixes: readonly string[]

  constructor (exact: Iterable<string>, prefixes: readonly string[]) {
    this.exact = new Set(exact)
    this.prefixes = prefixes
  }

  static parse (setting: string, value: string | readonly string[]): AllowList {
    const entries = (typeof value === 'string' ? value.split(/[\s,]+/) : value.flatMap((v) => v.split(/[\s,]+/))).map((s) => s.trim()).filter(Boolean)
    const exact: string[] = []
    const prefixes: string[] = []
    const bad: string[] = []
    for (const e of entries) {
      if (PHONE_PREFIX.test(e)) prefixes.push(e.slice(0, -1))
      else if (PHONE.test(e) || JID.test(e) || BSUID.test(e)) exact.push(e)
      else bad.push(e)
    }
    if (bad.length) throw new Error(`${setting} has entries that are not an E.164 number (+5511999999999), a prefix (+55*), a group/channel id (…@g.us, …@newsletter) or a BSUID: ${bad.map((b) => JSON.stringify(b)).join(', ')}`)
    if (exact.length === 0 && prefixes.length === 0) throw new Error(`${setting} is empty: give the destinations sends may go to`)
    return new AllowList(exact, prefixes)
  }

  allows (destination: string): boolean {
    const d = normaliseDestination(destination)
    return this.exact.has(d) || (d.startsWith('+') && this.prefixes.some((p) => d.startsWith(p)))
  }
}

/** Phones compare as `+digits` whatever the caller typed (`5511…`, `+55 11 …`); ids as given. */
export function normaliseDestination (d: string): string {
  const t = d.trim()
  if (/^\+?[\d\s().-]+$/.test(t)) return '+' + t.replace(/\D/g, '')
  return t
}
