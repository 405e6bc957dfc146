// Confirmation over stdio, as desktop clients run it (the built CLI as a child process, against a
// loopback upstream that counts writes): the 1.x SDK client answers the 2025-era
// `elicitation/create`, the 2.x client the 2026-07-28 input-required round.
import t, { type Test } from 'tap'
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport as StdioV1 } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { Client } from '@modelcontextprotocol/client'
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio'
import { CHECKOUT_URL, SEND, textOf, upstream, type Answer, type Asked } from './fixtures.js'
import { cli } from '../spawn.js'

interface Person { asked: Asked[], answer: (q: Asked) => Answer }

function env (apiUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PILOT_STATUS_API_URL: apiUrl, PILOT_STATUS_API_KEY: 'ps_stdio_key', LOG_LEVEL: 'info', ...extra }
}

/** The 1.x SDK client (2025-11-25) over stdio; `elicitation: false` declares no capability. */
async function v1 (t: Test, apiUrl: string, person: Person | false, extra: Record<string, string> = {}): Promise<ClientV1> {
  const client = new ClientV1({ name: 'stdio-v1', version: '1.0.0' }, { capabilities: person ? { elicitation: { form: {}, url: {} } } : {} })
  if (person) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      const q = req.params as unknown as Asked
      person.asked.push(q)
      return person.answer(q)
    })
  }
  await client.connect(new StdioV1({ ...cli(['stdio'], env(apiUrl, extra)), env: env(apiUrl, extra), stderr: 'pipe' }))
  t.teardown(() => client.close())
  return client
}

async function v2 (t: Test, apiUrl: string, person: Person): Promise<Client> {
  const client = new Client({ name: 'stdio-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' }, capabilities: { elicitation: { form: {} } } })
  client.setRequestHandler('elicitation/create', async (req) => {
    const q = req.params as unknown as Asked
    person.asked.push(q)
    return person.answer(q) as never
  })
  await client.connect(new StdioClientTransport({ ...cli(['stdio'], env(apiUrl)), env: env(apiUrl), stderr: 'pipe' }))
  t.teardown(() => client.close())
  t.equal(client.getNegotiatedProtocolVersion(), '2026-07-28')
  return client
}

t.test('2025-11-25 over stdio (1.x client): elicitation/create before the tool runs', async (t) => {
  const up = await upstream(t)
  let action: Answer['action'] = 'accept'
  const person: Person = { asked: [], answer: () => ({ action, ...(action === 'accept' ? { content: {} } : {}) }) }
  const client = await v1(t, up.url, person)

  const r = await client.callTool(SEND)
  t.notOk(r.isError, textOf(r))
  t.equal(person.asked.length, 1)
  t.equal(person.asked[0].message, 'Send this WhatsApp message to +55 11 99999-9999 from +55 41 98888-7777 (Loja Centro): «Seu pedido chegou»')
  t.equal(up.writes().length, 1, 'accept: exactly one upstream write')

  action = 'decline'
  const d = await client.callTool(SEND)
  t.notOk(d.isError, 'a declined call is not an error')
  t.match(textOf(d), /declined.*Nothing was run/s)
  action = 'cancel'
  const c = await client.callTool(SEND)
  t.notOk(c.isError)
  t.match(textOf(c), /dismissed.*Nothing was run/s)
  t.equal(person.asked.length, 3)
  t.equal(up.writes().length, 1, 'decline and cancel: no write')

  const list = await client.callTool({ name: 'templates_list', arguments: {} })
  t.notOk(/confirmation/.test(textOf(list)))
  t.equal(person.asked.length, 3, 'read-only tools never ask')
})

t.test('2025-11-25 over stdio, a client without elicitation: auto runs once, required refuses', async (t) => {
  const up = await upstream(t)
  const auto = await v1(t, up.url, false)
  t.notOk((await auto.callTool(SEND)).isError)
  t.equal(up.writes().length, 1)
  const required = await v1(t, up.url, false, { PILOT_STATUS_CONFIRM: 'required' })
  const r = await required.callTool(SEND)
  t.equal(r.isError, true)
  t.match(textOf(r), /did not declare the elicitation capability.*Nothing was run/s)
  t.equal(up.writes().length, 1, 'refused: no write')
})

t.test('2026-07-28 over stdio (2.x client): the input-required round', async (t) => {
  const up = await upstream(t)
  let action: Answer['action'] = 'accept'
  const person: Person = { asked: [], answer: () => ({ action, ...(action === 'accept' ? { content: {} } : {}) }) }
  const client = await v2(t, up.url, person)
  const r = await client.callTool(SEND)
  t.notOk(r.isError, textOf(r))
  t.equal(person.asked.length, 1)
  t.equal(up.writes().length, 1, 'accept: one write')
  action = 'decline'
  const d = await client.callTool(SEND)
  t.match(textOf(d), /declined/)
  t.equal(up.writes().length, 1, 'decline: no write')
})

t.test('URL mode over stdio: the checkout page is offered to the person, not pasted into the conversation', async (t) => {
  const up = await upstream(t)
  const person: Person = { asked: [], answer: () => ({ action: 'accept', content: {} }) }
  const client = await v1(t, up.url, person)
  const r = await client.callTool({ name: 'billing_checkout', arguments: { purpose: 'wallet_topup', amount: 50 } })
  t.notOk(r.isError, textOf(r))
  t.equal(person.asked.length, 2, 'asked to confirm, then offered the page')
  t.equal(person.asked[0].message, 'Create a payment page to add R$ 50.00 of credit to the wallet (nothing is charged until it is paid on that page).')
  t.equal(person.asked[1].mode, 'url')
  t.equal(person.asked[1].url, CHECKOUT_URL)
  t.notMatch(textOf(r), CHECKOUT_URL, 'the link is not in the text the model reads')
  t.match(textOf(r), /opened for the person/)
  t.equal(up.writes().length, 1)
})
