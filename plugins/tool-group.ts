// One plugin per toolset: adds that toolset's tool definitions to the registry object the app
// built and handed to the MCP route. The route reads the registry at request time, so no
// decorator carries definitions around and nothing re-checks them later.
import type { FastifyPluginAsync } from 'fastify'
import type { AnyTool, Toolset } from '../tools/define.js'
import type { ToolRegistry } from '../src/mcp/registry.js'

export interface ToolGroupOptions {
  toolset: Toolset
  tools: readonly AnyTool[]
  /** The product's registry (src/app.ts), shared with the MCP route. */
  registry: ToolRegistry
}

// The app hands each group exactly its toolset's definitions, already validated: no re-check here.
const toolGroup: FastifyPluginAsync<ToolGroupOptions> = async (_app, opts) => {
  opts.registry.add(opts.tools)
}

export default toolGroup
