// Send guards: idempotency keys, the duplicate guard and send policy, in memory and over Redis.
// The folder's modules, run in one process with other folders (README → Testing).
// This folder alone: npx tap dist/test/guard/all.js --grep=<test name>
import 'tap'
import './parse.js'
import './guards.js'
import './idempotency.js'
import './dedupe.js'
import './send-policy.js'
import './replicas.js'
import './redis-down.js'
import './stdio.js'
