// The Pilot Status API client: deadlines, retries, errors and fair concurrency.
// The folder's modules, run in one process with other folders (README → Testing).
// This folder alone: npx tap dist/test/api/all.js --grep=<test name>
import 'tap'
import './client.js'
import './fairness.js'
