// The audit trail of irreversible actions: every audited tool against the sandbox, every outcome,
// logger levels and transports, and no secret in any line.
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/audit/audit.test.ts --grep=<test name>
import 'tap'
import './every-tool.js'
import './outcomes.js'
import './loggers.js'
import './secrets.js'
