// The SDK values the confirmation gate uses (src/confirm), imported on first need: states are
// minted and verified, and questions asked, only on requests the SDK serves, so an HTTP server
// whose traffic the fast path answers never loads the SDK (src/mcp/versions.ts). Named re-exports,
// not the SDK's namespace, so the stdio bundle (scripts/bundle.mjs) keeps only what is used.
export { createRequestStateCodec, inputRequired, inputResponse } from '@modelcontextprotocol/server'
