// OAuth: protected-resource metadata, challenges and the login flow.
// The folder's modules, run in one process with other folders (README → Testing).
// This folder alone: npx tap dist/test/oauth/all.js --grep=<test name>
import 'tap'
import './metadata-challenges.js'
import './oauth-flow.js'
