// stdio: the transport in-process (the CLI child process tests run from test/child-stdio.test.ts).
// One module alone: npx tap dist/test/stdio/stdio.test.js --grep=<test name>
import 'tap'
import './transport.js'
