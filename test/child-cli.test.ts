// The built CLI as a child process, as users run it: its arguments and subcommands, the settings
// it refuses, and HTTP shutdown. Most of the time here is spent in the children; with
// child-stdio.test.ts it sorts first among the groups so tap starts it early (README → Testing).
// One test alone: npx tap dist/test/child-cli.test.js --grep=<test name>
import 'tap'
import './cli.js'
import './config.js'
import './shutdown/http.js'
