// Every tool's tests: the table of upstream requests against the committed snapshot
// (requests.ts) and one module per toolset for what the tools themselves do, run here together.
// The folder's modules, run in one process with other folders (README → Testing).
// One toolset alone: npx tap dist/test/tools/all.js --grep=calls
import t from 'tap'
import requests from './requests.js'
import messages from './messages.js'
import conversations from './conversations.js'
import templates from './templates.js'
import numbers from './numbers.js'
import groups from './groups.js'
import channels from './channels.js'
import webhooks from './webhooks.js'
import calls from './calls.js'
import account from './account.js'

t.test('requests', requests)
t.test('messages', messages)
t.test('conversations', conversations)
t.test('templates', templates)
t.test('numbers', numbers)
t.test('groups', groups)
t.test('channels', channels)
t.test('webhooks', webhooks)
t.test('calls', calls)
t.test('account', account)
