// Release checks: registry metadata, .env.example, Dockerfile, conformance and the embed example (tarball and Inspector run apart).
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/release/release.test.ts --grep=<test name>
import 'tap'
import './server-json.js'
import './env-example.js'
import './dockerfile.js'
import './conformance.js'
import './embed-example.js'
import './observability.js'
