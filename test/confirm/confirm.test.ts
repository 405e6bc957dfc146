// Person confirmations over HTTP in both eras, and their building blocks (stdio runs apart: confirm/stdio).
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/confirm/confirm.test.ts --grep=<test name>
import 'tap'
import './modules.js'
import './http-modern.js'
import './http-legacy.js'
import './url-mode.js'
