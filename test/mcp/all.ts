// The MCP layer: registry, tool contract, envelope gate, fast path, argument parsing and the multiplexing transport.
// The folder's modules, run in one process with other folders (README → Testing).
// This folder alone: npx tap dist/test/mcp/all.js --grep=<test name>
import 'tap'
import './registry.js'
import './contract.js'
import './contract-types.js'
import './gate.js'
import './fast-path.js'
import './modern.js'
import './lenient-args.js'
import './multiplex.js'
import './result-json.js'
