// URL-mode elicitation for payments (2026-07-28 over HTTP): after the person confirms, the
// checkout page is offered to them by their client instead of being pasted into the conversation.
import t from 'tap'
import { product } from '../helper.js'
import { CHECKOUT_URL, modernClient, textOf, upstream } from './fixtures.js'

const KEY = 'ps_confirm_test_key'
const CHECKOUT = { name: 'billing_checkout', arguments: { purpose: 'wallet_topup', amount: 50 } }

t.test('billing_checkout and subscription_extra_numbers_add open the payment page through URL mode', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true })
  const { client, asked } = await modernClient(t, p.mcp)
  const r = await client.callTool(CHECKOUT)
  t.notOk(r.isError, textOf(r))
  t.equal(asked.length, 2, 'confirm, then open the page')
  t.equal(asked[0].mode, 'form')
  t.equal(asked[1].mode, 'url')
  t.equal(asked[1].url, CHECKOUT_URL)
  t.match(asked[1].message, /payment page/)
  t.notMatch(textOf(r), CHECKOUT_URL, 'the link is not in the text the model reads')
  t.match(textOf(r), /opened for the person by their client/)
  t.equal(up.writes().length, 1, 'the checkout was created once, not once per round')

  const add = await client.callTool({ name: 'subscription_extra_numbers_add', arguments: { quantity: 1 } })
  t.notOk(add.isError, textOf(add))
  t.equal(asked.length, 4)
  t.equal(asked[3].url, CHECKOUT_URL)
  t.equal(up.writes().length, 2)
})

t.test('when the person does not open the page, the result keeps the link', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true })
  const { client, asked } = await modernClient(t, p.mcp, { answer: (q) => (q.mode === 'url' ? { action: 'decline' } : { action: 'accept', content: {} }) })
  const r = await client.callTool(CHECKOUT)
  t.equal(asked.length, 2)
  t.match(textOf(r), /did not open the payment page/)
  t.match(textOf(r), CHECKOUT_URL)
  t.equal(up.writes().length, 1)
})

t.test('a client with form mode only gets the link in the result, as before', async (t) => {
  const up = await upstream(t)
  const p = await product(t, up.url, { apiKey: KEY, envKeyFallback: true })
  const { client, asked } = await modernClient(t, p.mcp, { elicitation: { form: {} } })
  const r = await client.callTool(CHECKOUT)
  t.equal(asked.length, 1, 'only the confirmation')
  t.match(textOf(r), CHECKOUT_URL)
  t.equal(up.writes().length, 1)
})
