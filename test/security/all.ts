// What the server refuses, what it never leaks, and how loudly it warns.
// The folder's modules, run in one process with other folders (README → Testing).
// This folder alone: npx tap dist/test/security/all.js --grep=<test name>
import 'tap'
import './http-limits.js'
import './secrets.js'
import './env-key-warning.js'
