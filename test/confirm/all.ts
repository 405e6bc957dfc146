// Person confirmations over HTTP in both eras, and their building blocks (stdio, a child process, runs in test/child-stdio.test.ts).
// The folder's modules, run in one process with other folders (README → Testing).
// This folder alone: npx tap dist/test/confirm/all.js --grep=<test name>
import 'tap'
import './modules.js'
import './http-modern.js'
import './http-legacy.js'
import './url-mode.js'
