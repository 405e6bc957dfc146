// The groups toolset: list, create and inspect WhatsApp groups of a number and manage their
// participants, invite link and pinned messages (pilot-status-api.md §2.6).
import { Type, type Static } from '@sinclair/typebox'
import { apiPath } from '../src/api/client.js'
import { defineTool, hints, type AnyTool, type HintLetters } from './define.js'
import { Id, Nullable, Phone } from './common.js'

/**
 * INFERRED endpoints: the API reference names these operations but its pages for them were not
 * found (pilot-status-api.md §2.6, "inferred paths"). Correct a path here and nowhere else.
 */
const INFERRED = {
  promote: (groupId: string) => apiPath`/v1/groups/${groupId}/participants/promote`,
  demote: (groupId: string) => apiPath`/v1/groups/${groupId}/participants/demote`,
  invite: (groupId: string) => apiPath`/v1/groups/${groupId}/invite`,
  pin: (groupId: string) => apiPath`/v1/groups/${groupId}/pin`
} as const

const GroupId = Id('Group JID ending @g.us, from groups_list.')
const Phones = (what: string) => Type.Array(Phone(), { minItems: 1, uniqueItems: true, description: `${what}, E.164 (+5511999999999).` })

/** The API takes participants as E.164 digits; a leading '+' is accepted from the caller and dropped. */
const digits = (phones: string[]) => phones.map((p) => p.replace(/^\+/, ''))

// The API's answer here is undocumented (the sandbox gives a status per phone); nothing in it is
// needed to chain calls, so the schema requires nothing and the text block carries it all.
const ParticipantsResult = Type.Object({
  participants: Type.Optional(Type.Array(Type.Object({ id: Type.String(), status: Type.String() })))
})

const outcome = (verb: string) => (d: Static<typeof ParticipantsResult>, a: { groupId: string, participants: string[] }) => {
  const list = d.participants?.map((p) => `${p.id} ${p.status}`).join(', ')
  return list ? `${a.groupId}: ${list}` : `${verb} ${a.participants.length} participant(s) in ${a.groupId}`
}

const participantsTool = (o: { name: string, title: string, description: string, letters: HintLetters, field: string, verb: string, path: (g: string) => string, method: 'post' | 'delete' }) => defineTool({
  name: o.name,
  title: o.title,
  description: o.description,
  toolset: 'groups',
  scope: 'number',
  annotations: hints(o.letters),
  input: Type.Object({ groupId: GroupId, participants: Phones(o.field) }),
  output: ParticipantsResult,
  handler: async (args, ctx) => ctx.api[o.method](o.path(args.groupId), { participants: digits(args.participants) }),
  summary: outcome(o.verb)
})

export const tools: AnyTool[] = [
  defineTool({
    name: 'groups_list',
    title: 'List WhatsApp groups',
    description: 'List this number\'s WhatsApp groups: id (JID …@g.us) and name. Use the id in group_info, messages_send (groupId) and the group_* tools. Needs a connected number.',
    toolset: 'groups',
    scope: 'number',
    annotations: hints('RI'),
    untrusted: true,
    input: Type.Object({}),
    output: Type.Object({
      groups: Type.Array(Type.Object({ id: Type.String() }))
    }),
    handler: async (_args, ctx) => ctx.api.get('/v1/groups'),
    summary: (d) => `${d.groups.length} group(s)`
  }),

  defineTool({
    name: 'groups_create',
    title: 'Create a WhatsApp group',
    description: 'Create a WhatsApp group owned by this number, adding the given people (they see it at once). Returns the new group id.',
    toolset: 'groups',
    scope: 'number',
    annotations: hints('O'),
    input: Type.Object({
      subject: Type.String({ minLength: 1, maxLength: 100, description: 'Group name.' }),
      participants: Type.Optional(Type.Array(Phone(), { uniqueItems: true, description: 'People to add, E.164.' }))
    }),
    output: Type.Object({ id: Type.String() }),
    handler: async (args, ctx) => ctx.api.post('/v1/groups', {
      subject: args.subject,
      participants: args.participants && digits(args.participants)
    }),
    summary: (d, a) => `Created group ${d.id} (${a.subject})`
  }),

  defineTool({
    name: 'group_info',
    title: 'Get group details',
    description: 'Get a group\'s subject, description and participants (phone, name, role superadmin/admin/member).',
    toolset: 'groups',
    scope: 'number',
    annotations: hints('RI'),
    untrusted: true,
    input: Type.Object({ groupId: GroupId }),
    output: Type.Object({
      id: Type.String(),
      participants: Type.Optional(Type.Array(Type.Object({ id: Type.String() })))
    }),
    handler: async (args, ctx) => ctx.api.get(apiPath`/v1/groups/${args.groupId}`),
    summary: (d) => `Group ${d.id}: ${d.participants?.length ?? 0} participant(s)`
  }),

  participantsTool({
    name: 'group_participants_add',
    title: 'Add group participants',
    description: 'Add people to a group this number administers; they are added and notified at once. Returns a status per phone.',
    letters: 'IO',
    field: 'Phones to add',
    verb: 'Added',
    method: 'post',
    path: (g) => apiPath`/v1/groups/${g}/participants`
  }),

  participantsTool({
    name: 'group_participants_remove',
    title: 'Remove group participants',
    description: 'Remove people from a group this number administers (never its creator). Returns a status per phone. Phones from group_info.',
    letters: 'DIO',
    field: 'Phones to remove',
    verb: 'Removed',
    method: 'delete',
    path: (g) => apiPath`/v1/groups/${g}/participants`
  }),

  participantsTool({
    name: 'group_participants_promote',
    title: 'Make participants admins',
    description: 'Make group members admins. Returns a status per phone. Phones from group_info.',
    letters: 'I',
    field: 'Members to promote',
    verb: 'Promoted',
    method: 'post',
    path: INFERRED.promote
  }),

  participantsTool({
    name: 'group_participants_demote',
    title: 'Remove admin rights',
    description: 'Turn group admins into plain members (never the creator). Returns a status per phone. Phones from group_info.',
    letters: 'I',
    field: 'Admins to demote',
    verb: 'Demoted',
    method: 'post',
    path: INFERRED.demote
  }),

  defineTool({
    name: 'group_invite',
    title: 'Get group invite link',
    description: 'Get the group\'s invite code and chat.whatsapp.com link. Anyone with the link can join: share it only with intended people.',
    toolset: 'groups',
    scope: 'number',
    annotations: hints('RI'),
    input: Type.Object({ groupId: GroupId }),
    output: Type.Object({ inviteCode: Type.String(), inviteUrl: Type.Optional(Type.String()) }),
    handler: async (args, ctx) => ctx.api.get(INFERRED.invite(args.groupId)),
    summary: (d) => `Invite link: ${d.inviteUrl ?? d.inviteCode}`
  }),

  defineTool({
    name: 'group_pin',
    title: 'Pin a group message',
    description: 'Pin a group message for all members. messageId from messages_group.',
    toolset: 'groups',
    scope: 'number',
    annotations: hints('I'),
    input: Type.Object({
      groupId: GroupId,
      messageId: Id('A message of this group.'),
      durationSeconds: Type.Optional(Type.Union([Type.Literal(86400), Type.Literal(604800), Type.Literal(2592000)], { description: '24 h, 7 d (default) or 30 d.' }))
    }),
    output: Type.Object({ pinnedUntil: Type.Optional(Nullable(Type.String())) }),
    handler: async (args, ctx) => ctx.api.post(INFERRED.pin(args.groupId), { messageId: args.messageId, durationSeconds: args.durationSeconds }),
    summary: (d, a) => `Pinned ${a.messageId} in ${a.groupId}${d.pinnedUntil ? ` until ${d.pinnedUntil}` : ''}`
  })
]
