// The MCP layer and below: registry, tool contract, envelope gate, fast paths, property tests,
// every tool's upstream requests and results, the API client, the shared store and the stdio
// transport in-process. One process for these folders (README → Testing).
// One folder alone: npx tap dist/test/<folder>/all.js
import 'tap'
import './mcp/all.js'
import './fuzz/all.js'
import './tools/all.js'
import './api/all.js'
import './store/store.js'
import './stdio/transport.js'
import './stdio/fast.js'
