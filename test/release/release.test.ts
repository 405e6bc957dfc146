// Release checks: registry metadata, .env.example, Dockerfile, conformance, the embed example and the Inspector (the tarball runs apart).
// One process for the folder (README → Testing). One test alone: npx tap dist/test/release/release.test.js --grep=<test name>
import 'tap'
import './server-json.js'
import './env-example.js'
import './dockerfile.js'
import './conformance.js'
import './embed-example.js'
import './observability.js'
import './inspector.js'
