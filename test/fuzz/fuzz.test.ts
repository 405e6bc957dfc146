// Property tests: malformed envelopes and arguments.
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/fuzz/fuzz.test.ts --grep=<test name>
import 'tap'
import './envelopes.js'
import './arguments.js'
