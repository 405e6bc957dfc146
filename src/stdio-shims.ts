// What the stdio bundle (scripts/bundle.mjs) gives the SDK for `@modelcontextprotocol/server/_shims`:
// the Node shim's `process`, and the lazily loaded Ajv validator as the default validator (the
// Node shim imports Ajv eagerly, which would evaluate it at every start). Not used unbundled.
export { default as process } from 'node:process'
export { LazyAjvValidator as DefaultJsonSchemaValidator } from './stdio-validator.js'
