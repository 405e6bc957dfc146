// The HTTP edge: the route, its answers, slow clients and embedding (host-globals.test.ts runs apart: it needs a fresh process).
// The folder's modules, run in one process with other folders (README → Testing).
// This folder alone: npx tap dist/test/http/all.js --grep=<test name>
import 'tap'
import './embed.js'
import './mcp-route.js'
import './route-answers.js'
import './read-timeout.js'
import './ready.js'
import './lazy-loading.js'
