// What a person is asked before a call runs: the concrete effect in words ("Send this WhatsApp
// message to +55 11 99999-9999 from …: «…»"), one builder per tool. Names come from the arguments
// or one cheap read of the API; a read that fails leaves the name out, never invents one.
import { apiPath } from '../api/client.js'

/** One GET through the caller's credentials; undefined when it fails for any reason. */
export type Reader = <T = unknown>(path: string, query?: Record<string, string | number>) => Promise<T | undefined>

type Args = Record<string, any>
type Describer = (a: Args, read: Reader) => Promise<string>

const MAX_TEXT = 280

/** "+55 11 99999-9999" for Brazilian numbers, "+<digits>" otherwise; anything else as given. */
export function formatPhone (raw: string): string {
  const digits = raw.replace(/[^\d]/g, '')
  if (!/^\+?\d{8,15}$/.test(raw.replace(/[\s()-]/g, ''))) return raw
  if (digits.startsWith('55') && (digits.length === 12 || digits.length === 13)) {
    const area = digits.slice(2, 4)
    const local = digits.slice(4)
    return `+55 ${area} ${local.slice(0, local.length - 4)}-${local.slice(-4)}`
  }
  return `+${digits}`
}

function quote (text: string): string {
  const one = text.replace(/\s+/g, ' ').trim()
  return `«${one.length > MAX_TEXT ? one.slice(0, MAX_TEXT - 1) + '…' : one}»`
}

function list (items: string[], max = 10): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ')
}

interface NumberRow { id?: string, number?: string | null, name?: string | null }

/** "+55 41 3333-4444 (Loja Centro)" for the number `id`, or the caller's only number; undefined when unknown. */
async function numberLabel (read: Reader, id: string | undefined): Promise<string | undefined> {
  const data = await read<NumberRow[] | { numbers?: NumberRow[] }>('/v1/numbers')
  const rows = Array.isArray(data) ? data : data?.numbers
  if (!Array.isArray(rows)) return undefined
  const row = id !== undefined ? rows.find((r) => r.id === id) : rows.length === 1 ? rows[0] : undefined
  if (!row) return undefined
  const phone = typeof row.number === 'string' && row.number ? formatPhone(row.number) : undefined
  const name = typeof row.name === 'string' && row.name ? row.name : undefined
  if (phone && name) return `${phone} (${name})`
  return phone ?? name
}

const from = (label: string | undefined) => (label ? ` from ${label}` : '')

function mediaNoun (t: string | undefined): string {
  return t === 'audio' ? 'a voice note' : t === 'image' ? 'an image' : t === 'video' ? 'a video' : 'a document'
}

const describers: Record<string, Describer> = {
  async messages_send (a, read) {
    const sender = await numberLabel(read, a.whatsappNumberId)
    const to = a.destinationNumber !== undefined
      ? formatPhone(a.destinationNumber)
      : a.groupId !== undefined ? `the WhatsApp group ${a.groupId}` : `the WhatsApp channel ${a.newsletterId}`
    let what: string
    if (a.templateId !== undefined) {
      const vars = a.variables ? Object.entries(a.variables as Record<string, string>).map(([k, v]) => `${k} = ${quote(String(v))}`) : []
      what = `template \`${a.templateId}\`${vars.length ? ` with ${list(vars)}` : ''}`
    } else if (a.text !== undefined) {
      what = quote(a.text)
    } else {
      const src = typeof a.media === 'string' && a.media.startsWith('data:') ? 'attached data' : String(a.media)
      what = `${mediaNoun(a.mediaType)} (${src})${a.caption ? ` with the caption ${quote(a.caption)}` : ''}`
    }
    const when = a.deliverAt ? `, scheduled for ${a.deliverAt}` : ''
    return `Send this WhatsApp message to ${to}${from(sender)}${when}: ${what}`
  },

  async messages_cancel (a) {
    const ids = a.messageIds as string[]
    return `Cancel ${ids.length} scheduled WhatsApp message(s) (${list(ids)}): they will never be sent.`
  },

  async templates_delete (a, read) {
    const t = await read<{ name?: string, language?: string, status?: string }>(apiPath`/v1/templates/${a.id}`)
    const name = typeof t?.name === 'string' ? t.name : a.id
    const facts = [t?.language, t?.status].filter((x): x is string => typeof x === 'string' && x !== '')
    return `Delete template \`${name}\`${facts.length ? ` (${facts.join(', ')})` : ''}. Messages using it can no longer be sent; on Meta numbers it is also removed from the WhatsApp Business Account. This cannot be undone.`
  },

  async numbers_delete (a, read) {
    const label = await numberLabel(read, a.id)
    return `Permanently delete the WhatsApp number ${label ?? a.id}${label ? ` [${a.id}]` : ''}: its WhatsApp session is removed and it stops sending and receiving. This cannot be undone.`
  },

  async numbers_remote_pairing (a) {
    if (a.provider === 'META') return `Create a hosted Meta signup link for an end customer to connect their own WhatsApp number${a.externalRef ? ` (reference ${a.externalRef})` : ''}.`
    const who = `${a.name}${a.number ? ` (${formatPhone(a.number)})` : ''}`
    const send = a.sendViaWhatsApp ? `, and send it to ${a.number ? formatPhone(a.number) : 'them'} by WhatsApp` : ''
    return `Create a pairing link for ${who} to connect their WhatsApp to this account${send}.`
  },

  async groups_create (a) {
    const people = (a.participants as string[] | undefined ?? []).map(formatPhone)
    return `Create the WhatsApp group ${quote(a.subject)}${people.length ? ` and add ${people.length} person(s), who see it at once: ${list(people)}` : ''}.`
  },

  async group_participants_add (a, read) {
    return `Add ${list((a.participants as string[]).map(formatPhone))} to ${await groupLabel(read, a.groupId)}; they are added and notified at once.`
  },

  async group_participants_remove (a, read) {
    return `Remove ${list((a.participants as string[]).map(formatPhone))} from ${await groupLabel(read, a.groupId)}.`
  },

  async webhooks_delete (a, read) {
    const w = await read<{ name?: string, url?: string }>(apiPath`/v1/webhooks/${a.webhookId}`)
    const what = [typeof w?.name === 'string' ? quote(w.name) : undefined, typeof w?.url === 'string' ? w.url : undefined].filter(Boolean).join(' → ')
    return `Delete the webhook ${what ? `${what} [${a.webhookId}]` : a.webhookId}: Pilot Status stops sending events to it. This cannot be undone.`
  },

  async call_initiate (a, read) {
    return `Start a WhatsApp voice call to ${formatPhone(a.to)}${from(await numberLabel(read, a.whatsappNumberId))}.`
  },

  async call_accept (a, read) {
    return `Answer the incoming WhatsApp call${await callPeer(read, a.callId, 'from')}.`
  },

  async call_reject (a, read) {
    return `Decline the incoming WhatsApp call${await callPeer(read, a.callId, 'from')}.`
  },

  async call_terminate (a, read) {
    return `Hang up the WhatsApp call${await callPeer(read, a.callId, 'with')} for both sides.`
  },

  async call_permission_request (a, read) {
    return `Send ${formatPhone(a.to)} a WhatsApp request to allow calls${from(await numberLabel(read, a.whatsappNumberId))}${a.text ? `, saying ${quote(a.text)}` : ''}.`
  },

  async api_keys_regenerate_number (a, read) {
    const label = await numberLabel(read, a.whatsappNumberId)
    return `Regenerate the API key of number ${label ?? a.whatsappNumberId}: integrations using the old key stop working at once, until they are given the new one.`
  },

  async subscription_extra_numbers_add (a, read) {
    const quantity = (a.quantity as number | undefined) ?? 1
    const p = await read<{ monthlyTotalBRL?: number, unitPriceBRL?: number, requiresConversion?: boolean }>('/v1/subscription/extra-numbers', { quantity })
    const price = typeof p?.monthlyTotalBRL === 'number'
      ? `: ${brl(p.monthlyTotalBRL)} per month${typeof p.unitPriceBRL === 'number' ? ` (${brl(p.unitPriceBRL)} each)` : ''}, charged every month`
      : ', charged every month'
    const conversion = p?.requiresConversion ? '; the account moves from the Free plan to On Demand' : ''
    return `Buy ${quantity} extra WhatsApp number slot(s)${price}${conversion}.`
  },

  async subscription_extra_numbers_remove (a) {
    return `Release ${(a.quantity as number | undefined) ?? 1} paid extra-number slot(s): no refund for the current billing cycle.`
  },

  async billing_checkout (a) {
    return a.purpose === 'wallet_topup'
      ? `Create a payment page to add ${brl(a.amount)} of credit to the wallet (nothing is charged until it is paid on that page).`
      : 'Create a payment page to save a card for this account\'s charges.'
  }
}

function brl (n: number): string {
  return `R$ ${n.toFixed(2)}`
}

async function groupLabel (read: Reader, groupId: string): Promise<string> {
  const g = await read<{ subject?: string, name?: string }>(apiPath`/v1/groups/${groupId}`)
  const name = g?.subject ?? g?.name
  return typeof name === 'string' && name ? `the WhatsApp group ${quote(name)} [${groupId}]` : `the WhatsApp group ${groupId}`
}

async function callPeer (read: Reader, callId: string, word: string): Promise<string> {
  const c = await read<{ peerNumber?: string, status?: string }>(apiPath`/v1/calls/${callId}`)
  const peer = typeof c?.peerNumber === 'string' && c.peerNumber ? ` ${word} ${formatPhone(c.peerNumber)}` : ''
  return `${peer} [${callId}${typeof c?.status === 'string' ? `, ${c.status}` : ''}]`
}

/** Names of the tools with a dedicated description. */
export const DESCRIBED_TOOLS: ReadonlySet<string> = new Set(Object.keys(describers))

/**
 * The sentence shown to the person. Tools added to the list by a setting, without a builder of
 * their own, get their title and arguments.
 */
export async function describeCall (name: string, title: string, args: Args, read: Reader): Promise<string> {
  const d = describers[name]
  if (d) {
    // A builder that trips over an answer it did not expect must not block the question.
    try { return await d(args, read) } catch { /* the generic sentence below */ }
  }
  const shown = Object.entries(args).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} = ${typeof v === 'string' ? quote(v) : JSON.stringify(v)}`)
  return `${title} (${name})${shown.length ? ` with ${list(shown)}` : ''}.`
}
