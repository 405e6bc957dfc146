// stdio: the transport, the CLI child process, end of input, and the bundle.
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/stdio/stdio.test.ts --grep=<test name>
import 'tap'
import './transport.js'
import './stdio.js'
import './end-of-input.js'
import './bundle.js'
