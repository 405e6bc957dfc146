import t from 'tap'
import { registry } from '../helper.js'

t.test('x', async (t) => {
  for (const name of ['numbers_remote_pairing', 'numbers_check', 'messages_unread', 'messages_group']) t.comment(JSON.stringify(registry.all.get(name)!.entry))
})
