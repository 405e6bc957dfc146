// Property tests: malformed envelopes and arguments.
// The folder's modules, run in one process with other folders (README → Testing).
// This folder alone: npx tap dist/test/fuzz/all.js --grep=<test name>
import 'tap'
import './envelopes.js'
import './arguments.js'
