// Every tool, by toolset. The registry (src/mcp/registry.ts) is built from this list.
import type { AnyTool } from './define.js'
import { tools as messages } from './messages.js'
import { tools as conversations } from './conversations.js'
import { tools as templates } from './templates.js'
import { tools as numbers } from './numbers.js'
import { tools as groups } from './groups.js'
import { tools as channels } from './channels.js'
import { tools as webhooks } from './webhooks.js'
import { tools as calls } from './calls.js'
import { tools as account } from './account.js'

export const ALL_TOOLS: readonly AnyTool[] = [
  ...messages,
  ...conversations,
  ...templates,
  ...numbers,
  ...groups,
  ...channels,
  ...webhooks,
  ...calls,
  ...account
]

export { TOOLSETS, type Toolset } from './define.js'
