// The Pilot Status API client: deadlines, retries, errors and fair concurrency.
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/api/api.test.ts --grep=<test name>
import 'tap'
import './client.js'
import './fairness.js'
