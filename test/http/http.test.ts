// The HTTP edge: the route, its answers, slow clients and embedding (host-globals runs apart: it needs a fresh process).
// One process for the folder: each test file pays for a TypeScript loader start-up, more than
// most of these tests cost. One module alone: npx tap test/http/http.test.ts --grep=<test name>
import 'tap'
import './embed.js'
import './mcp-route.js'
import './route-answers.js'
import './read-timeout.js'
import './ready.js'
import './lazy-loading.js'
