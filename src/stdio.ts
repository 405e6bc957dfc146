// The stdio entry: one process, one credential (from the environment), the same registry and
// server factory as HTTP, over the SDK's stdio entry (both protocol eras). stdout carries
// JSON-RPC only; logs go to stderr.
import { serveStdio } from '@modelcontextprotocol/server/stdio'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import { ApiClient } from './api/client.js'
import type { Credentials } from './api/credentials.js'
import { ToolRegistry } from './mcp/registry.js'
import { createMcpServer, type CallScope } from './mcp/server.js'
import { ALL_TOOLS } from '../tools/index.js'

export interface StdioHandle {
  close(): Promise<void>
}

export function runStdio (config: Config, credentials: Credentials, logger: Logger): StdioHandle {
  const api = new ApiClient({ baseUrl: config.apiUrl, timeoutMs: config.upstreamTimeoutMs })
  const registry = new ToolRegistry(ALL_TOOLS)
  const scope: CallScope = {
    credentials,
    view: registry.view({ toolsets: config.toolsets, tools: config.tools, readOnly: config.readOnly }),
    log: logger
  }
  const validator = new AjvJsonSchemaValidator()
  const handle = serveStdio(() => createMcpServer({ api, defaultScope: scope, validator }), {
    onerror: (err) => logger.error({ err }, 'stdio transport error')
  })
  return {
    async close () {
      await handle.close()
      await api.close()
    }
  }
}
