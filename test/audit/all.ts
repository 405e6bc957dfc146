// The audit trail of irreversible actions: every audited tool against the sandbox, every outcome,
// logger levels and transports, and no secret in any line.
// The folder's modules, run in one process with other folders (README → Testing).
// This folder alone: npx tap dist/test/audit/all.js --grep=<test name>
import 'tap'
import './every-tool.js'
import './outcomes.js'
import './loggers.js'
import './secrets.js'
import './log-stream.js'
