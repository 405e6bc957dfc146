// What the server refuses, what it never leaks, and how loudly it warns.
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/security/security.test.ts --grep=<test name>
import 'tap'
import './http-limits.js'
import './secrets.js'
import './env-key-warning.js'
