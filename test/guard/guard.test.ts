// Send guards: idempotency keys, the duplicate guard and send policy, in memory and over Redis.
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/guard/guard.test.ts --grep=<test name>
import 'tap'
import './parse.js'
import './guards.js'
import './idempotency.js'
import './dedupe.js'
import './send-policy.js'
import './replicas.js'
import './redis-down.js'
import './stdio.js'
