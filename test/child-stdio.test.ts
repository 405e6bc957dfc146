// stdio through the built CLI as a child process, as a desktop client runs it: the raw wire, the
// SDK client in both eras, the end of input, the bundle a real key runs and its code-cache loader,
// and confirmations.
// Most of the time here is spent in the children; with child-cli.test.ts it sorts first among the
// groups so tap starts it early (README → Testing).
// One test alone: npx tap dist/test/child-stdio.test.js --grep=<test name>
import 'tap'
import './stdio/stdio.js'
import './stdio/end-of-input.js'
import './stdio/bundle.js'
import './stdio/loader.js'
import './stdio/lazy-sdk.js'
import './confirm/stdio.js'
