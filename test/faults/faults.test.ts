// Upstream faults: disconnects, reads and writes under every failure, with the fast path on and off.
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/faults/faults.test.ts --grep=<test name>
import 'tap'
import './disconnect.js'
import './reads.js'
import './writes.js'
