// Upstream faults: disconnects, reads and writes under every failure, with the fast path on and off.
// One process for the folder (README → Testing). One test alone: npx tap dist/test/faults/faults.test.js --grep=<test name>
import 'tap'
import './disconnect.js'
import './reads.js'
import './writes.js'
