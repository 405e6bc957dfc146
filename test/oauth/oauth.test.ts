// OAuth: protected-resource metadata, challenges and the login flow.
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/oauth/oauth.test.ts --grep=<test name>
import 'tap'
import './metadata-challenges.js'
import './oauth-flow.js'
