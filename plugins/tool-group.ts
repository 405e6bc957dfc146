// One plugin per toolset: adds that toolset's tool definitions to the product's registry,
// which the MCP route compiles once when the server is ready.
import type { FastifyPluginAsync } from 'fastify'
import type { AnyTool, Toolset } from '../tools/define.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Tool definitions collected from the tool-group plugins. */
    mcpToolDefs: AnyTool[]
  }
}

export interface ToolGroupOptions {
  toolset: Toolset
  tools: readonly AnyTool[]
}

const toolGroup: FastifyPluginAsync<ToolGroupOptions> = async (app, opts) => {
  for (const t of opts.tools) {
    if (t.toolset !== opts.toolset) throw new Error(`tool ${t.name} belongs to toolset ${t.toolset}, not ${opts.toolset}`)
    app.mcpToolDefs.push(t)
  }
}

export default toolGroup
