// Irreversible actions: person confirmations over HTTP, send guards (idempotency, duplicates,
// policy, in memory and over Redis) and the audit trail. One process for these folders (README →
// Testing). One folder alone: npx tap dist/test/<folder>/all.js
import 'tap'
import './confirm/all.js'
import './guard/all.js'
import './audit/all.js'
