// Configuration: defaults, validation naming the variable, and the CLI stopping at once on bad values.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import { loadConfig, ConfigError, ENV_DOC } from '../src/config.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/meta.js'

const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url))

t.test('defaults', async (t) => {
  const c = loadConfig({})
  t.match(c, {
    apiUrl: 'https://pilotstatuss.com',
    apiKey: undefined,
    resourceUrl: 'https://mcp.pilotstatuss.com',
    authServerUrl: 'https://pilotstatuss.com',
    transport: 'stdio',
    port: 8787,
    host: '0.0.0.0',
    logLevel: 'info',
    upstreamTimeoutMs: 30000,
    readOnly: false,
    sandbox: false,
    toolsets: undefined,
    tools: undefined
  })
})

t.test('values are parsed and normalised', async (t) => {
  const c = loadConfig({
    PILOT_STATUS_API_URL: 'http://127.0.0.1:9999/',
    PILOT_STATUS_API_KEY: 'ps_abc123',
    MCP_TRANSPORT: 'http',
    PORT: '9000',
    PILOT_STATUS_TOOLSETS: 'messages, templates',
    PILOT_STATUS_READ_ONLY: 'true',
    MCP_ALLOWED_HOSTS: 'a.example, b.example'
  })
  t.equal(c.apiUrl, 'http://127.0.0.1:9999', 'no trailing slash')
  t.equal(c.port, 9000)
  t.equal(c.transport, 'http')
  t.same(c.toolsets, ['messages', 'templates'])
  t.equal(c.readOnly, true)
  t.same(c.allowedHosts, ['a.example', 'b.example'])
})

t.test('every bad value is named', async (t) => {
  const err = t.throws(() => loadConfig({
    PORT: 'abc',
    PILOT_STATUS_API_URL: 'not a url',
    MCP_RESOURCE_URL: 'ftp://x',
    MCP_TRANSPORT: 'smoke-signals',
    PILOT_STATUS_API_KEY: 'sk_live_123',
    PILOT_STATUS_TOOLSETS: 'messages,nope',
    PILOT_STATUS_READ_ONLY: 'maybe',
    LOG_LEVEL: 'loud'
  }, {}, new Set(['messages_send']))) as ConfigError
  t.ok(err instanceof ConfigError)
  const text = err.message
  for (const name of ['PORT', 'PILOT_STATUS_API_URL', 'MCP_RESOURCE_URL', 'MCP_TRANSPORT', 'PILOT_STATUS_API_KEY', 'PILOT_STATUS_TOOLSETS', 'PILOT_STATUS_READ_ONLY', 'LOG_LEVEL']) {
    t.match(text, name, `names ${name}`)
  }
  t.notMatch(text, 'sk_live_123', 'the key value is never printed')
  t.match(text, /valid: messages, conversations/, 'lists the valid toolsets')
  t.throws(() => loadConfig({ PILOT_STATUS_TOOLS: 'messages_send,nope' }, {}, new Set(['messages_send'])), /PILOT_STATUS_TOOLS has unknown tools nope; valid: messages_send/)
})

t.test('the CLI stops at once on a bad value, naming the variable', async (t) => {
  const r = spawnSync(process.execPath, [CLI, 'http'], { env: { PATH: process.env.PATH, PORT: 'abc' }, encoding: 'utf8', timeout: 20000 })
  t.equal(r.status, 1)
  t.match(r.stderr, /PORT must be a whole number from 0 to 65535 \(got "abc"\)/)
  t.equal(r.stdout, '')
  const u = spawnSync(process.execPath, [CLI, 'http', '--bogus'], { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 20000 })
  t.equal(u.status, 1)
  t.match(u.stderr, /unknown argument "--bogus"/)
})

t.test('--help lists modes, flags and every variable; --version', async (t) => {
  const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', timeout: 20000 })
  t.equal(r.status, 0)
  for (const word of ['stdio', 'http', '--sandbox', '--port', '--host']) t.match(r.stdout, word)
  for (const [name] of ENV_DOC) t.match(r.stdout, name, `documents ${name}`)
  const v = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8', timeout: 20000 })
  t.equal(v.stdout.trim(), PACKAGE_VERSION)
})

t.test('meta constants match package.json', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  t.equal(PACKAGE_NAME, pkg.name)
  t.equal(PACKAGE_VERSION, pkg.version)
  t.equal(pkg.bin['pilot-status-mcp'], 'dist/src/cli.js')
})

t.test('the README documents every environment variable --help prints', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  for (const [name] of ENV_DOC) t.ok(readme.includes(`\`${name}\``), `${name} is in the README`)
})
