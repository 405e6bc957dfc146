// The HTTP edge: the MCP route and its answers, OAuth, what the server refuses and never leaks,
// a short mixed load, and the sandbox's own HTTP API. One process for these folders (README →
// Testing). One folder alone: npx tap dist/test/<folder>/all.js
import 'tap'
import './http/all.js'
import './oauth/all.js'
import './security/all.js'
import './load/mixed.js'
import './sandbox/all.js'
