// stdio: the transport and the bundle's loader in-process (the CLI child process tests run from
// test/child-stdio.test.ts; the loader's module spawns one CLI session, for its cache).
// One module alone: npx tap dist/test/stdio/stdio.test.js --grep=<test name>
import 'tap'
import './transport.js'
import './loader.js'
