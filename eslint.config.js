import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'node_modules/**', '.tap/**', 'coverage/**'] }),
  {
    rules: {
      // stdout is the stdio transport's JSON-RPC channel: server code logs through pino to stderr.
      'no-console': ['error', { allow: ['error', 'warn'] }]
    }
  },
  {
    files: ['bench/**', 'test/**', 'examples/**', 'src/cli.ts'],
    rules: { 'no-console': 'off' }
  }
]
