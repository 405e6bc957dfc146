// The MCP layer: registry, tool contract, envelope gate, fast path, argument parsing and the multiplexing transport.
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/mcp/mcp.test.ts --grep=<test name>
import 'tap'
import './registry.js'
import './contract.js'
import './contract-types.js'
import './gate.js'
import './fast-path.js'
import './modern.js'
import './lenient-args.js'
import './multiplex.js'
