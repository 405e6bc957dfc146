// The simulator's own behaviour, tested over its HTTP API without the tools: one module per
// sandbox/ domain file, run here together.
// The folder's modules, run in one process with other folders (README → Testing).
// One domain alone: npx tap dist/test/sandbox/all.js --grep=calls
import t from 'tap'
import messages from './messages.js'
import conversations from './conversations.js'
import templates from './templates.js'
import numbers from './numbers.js'
import groups from './groups.js'
import webhooks from './webhooks.js'
import calls from './calls.js'
import account from './account.js'

t.test('messages', messages)
t.test('conversations', conversations)
t.test('templates', templates)
t.test('numbers', numbers)
t.test('groups', groups)
t.test('webhooks', webhooks)
t.test('calls', calls)
t.test('account', account)
