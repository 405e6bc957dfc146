// The webhooks toolset (to be filled in by its owner).
import type { AnyTool } from './define.js'

export const tools: AnyTool[] = []
