// Package identity, kept as constants so the stdio start-up path reads no file to learn it.
// test/release/server-json.ts keeps these equal to package.json.
export const PACKAGE_NAME = '@pilot-status/mcp-server'
export const PACKAGE_VERSION = '0.2.0'
export const SERVER_NAME = 'pilot-status'
export const USER_AGENT = `${PACKAGE_NAME}/${PACKAGE_VERSION} (node ${process.versions.node})`
