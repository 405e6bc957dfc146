// stdio through the built CLI as a child process, as a desktop client runs it: the raw wire, the
// SDK client in both eras, the end of input, shutdown, and the bundle a real key runs. The modules
// live in test/stdio; this aggregator sits at the top of test/ so tap (running files in name
// order) starts these spawn-bound tests early, beside the others instead of after them.
// One module alone: npx tap dist/test/child-stdio.test.js --grep=<test name>
import 'tap'
import './stdio/stdio.js'
import './stdio/end-of-input.js'
import './stdio/bundle.js'
