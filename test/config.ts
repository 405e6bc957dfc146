// Configuration: the one settings schema — defaults, validation naming the variable (the same
// rules and sentences for plugin options), the README table and --help generated from it, and
// the CLI stopping at once on bad values.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { node, type Command } from './spawn.js'
import { readFileSync, writeFileSync } from 'node:fs'
import {
  loadConfig, ConfigError, ENV_DOC, SETTINGS, SERVER_ONLY, parseBoolean, parseSetting, pluginOptions,
  readmeTable, resolvePluginSettings, envCredentials, type SettingKey
} from '../src/config.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../src/meta.js'
import { CLI, repoPath } from './paths.js'

/** spawnSync's first two arguments for a command of test/spawn.ts. */
const argv = (c: Command): [string, string[]] => [c.command, c.args]

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
    requestReadTimeoutMs: 30000,
    upstreamMaxConcurrency: 128,
    upstreamMaxPerCredential: 32,
    fastPath: true,
    envKeyFallback: true,
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
  const n = loadConfig({ MCP_REQUEST_READ_TIMEOUT_MS: '1500', PILOT_STATUS_MAX_CONCURRENCY: '8', PILOT_STATUS_MAX_CONCURRENCY_PER_CREDENTIAL: '2', MCP_FAST_PATH: 'off' })
  t.match(n, { requestReadTimeoutMs: 1500, upstreamMaxConcurrency: 8, upstreamMaxPerCredential: 2, fastPath: false })
  t.equal(loadConfig({ PILOT_STATUS_TOOLSETS: 'all', PILOT_STATUS_TOOLS: 'all' }).toolsets, undefined, '"all" is no restriction')
})

t.test('parseBoolean: the words both sources accept', async (t) => {
  for (const v of ['true', 'TRUE', ' 1 ', 'yes', 'On']) t.equal(parseBoolean(v), true, v)
  for (const v of ['false', '0', 'No', 'off ']) t.equal(parseBoolean(v), false, v)
  for (const v of ['', 'maybe', '2', 'truee']) t.equal(parseBoolean(v), undefined, JSON.stringify(v))
})

t.test('environment and plugin options: the same rules, the same sentence (only the name differs)', async (t) => {
  const cases: Array<[SettingKey, string, unknown]> = [
    ['apiUrl', 'https://api.example.com/?x=1', 'https://api.example.com/?x=1'],
    ['resourceUrl', 'ftp://x', 'ftp://x'],
    ['apiKey', 'sk_live_123', 'sk_live_123'],
    ['upstreamTimeoutMs', '5', 5],
    ['upstreamMaxConcurrency', '0', 0],
    ['readOnly', 'maybe', 'maybe'],
    ['tokenVerification', 'sometimes', 'sometimes'],
    ['toolsets', 'messages,nope', ['messages', 'nope']],
    ['tools', 'messages_send,nope', ['messages_send', 'nope']]
  ]
  const known = new Set(['messages_send'])
  for (const [key, text, option] of cases) {
    const env = (SETTINGS[key] as unknown as { env: string }).env
    const fromEnv = (t.throws(() => loadConfig({ [env]: text }, {}, known)) as ConfigError).problems
    const fromOption = (t.throws(() => resolvePluginSettings({ [key]: option }, known)) as ConfigError).problems
    t.equal(fromEnv.length, 1, `${env}: one problem`)
    t.equal(fromEnv[0].replace(env, '<name>'), fromOption[0].replace(key, '<name>'), `${key}: ${fromOption[0]}`)
  }
  t.throws(() => parseSetting('port', '99999', '--port'), /--port must be a whole number from 0 to 65535 \(got 99999\)/)
})

t.test('defaults are written once: the plugin resolves the schema\'s, except the documented embedded one', async (t) => {
  const env = loadConfig({})
  const plugin = resolvePluginSettings({})
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    if ((SERVER_ONLY as readonly string[]).includes(key)) { t.notOk(key in plugin, `${key} is not a plugin option`); continue }
    if (key === 'envKeyFallback') t.equal(plugin.envKeyFallback, false, 'envKeyFallback: off when embedded')
    else t.same((plugin as Record<string, unknown>)[key], (env as Record<string, unknown>)[key], `${key}: same default`)
  }
  // The standalone server registers the plugin with exactly its configuration.
  const c = loadConfig({ PILOT_STATUS_API_KEY: 'ps_abc', MCP_FAST_PATH: 'false', PILOT_STATUS_READ_ONLY: 'true' })
  t.match(resolvePluginSettings(pluginOptions(c) as Record<string, unknown>), { apiKey: 'ps_abc', fastPath: false, readOnly: true, envKeyFallback: true })
  t.equal(pluginOptions(loadConfig({})).envKeyFallback, false, 'no key: nothing to fall back to')
})

t.test('env credentials are built once', async (t) => {
  t.same(envCredentials({ apiKey: 'ps_a', apiKeyId: 'k1' }), { kind: 'apiKey', key: 'ps_a', keyId: 'k1', source: 'env' })
  t.same(envCredentials({ apiKey: 'ps_a' }), { kind: 'apiKey', key: 'ps_a', source: 'env' })
  t.same(envCredentials({ apiKeyId: 'k1' }), { kind: 'apiKeyId', keyId: 'k1', source: 'env' })
  t.equal(envCredentials({}), undefined)
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
  const r = spawnSync(...argv(node([CLI, 'http'], { PORT: 'abc' })), { env: { PATH: process.env.PATH, PORT: 'abc' }, encoding: 'utf8', timeout: 90_000 })
  t.equal(r.status, 1)
  t.match(r.stderr, /PORT must be a whole number from 0 to 65535 \(got "abc"\)/)
  t.equal(r.stdout, '')
  const u = spawnSync(...argv(node([CLI, 'http', '--bogus'], {})), { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 90_000 })
  t.equal(u.status, 1)
  t.match(u.stderr, /unknown argument "--bogus"/)
})

t.test('--help lists modes, flags and every variable; --version', async (t) => {
  const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', timeout: 90_000 })
  t.equal(r.status, 0)
  for (const word of ['stdio', 'http', 'check', '--sandbox', '--port', '--host', '--key', '--port=<n>']) t.match(r.stdout, word)
  for (const [name] of ENV_DOC) t.match(r.stdout, name, `documents ${name}`)
  const v = spawnSync(...argv(node([CLI, '--version'])), { encoding: 'utf8', timeout: 90_000 })
  t.equal(v.stdout.trim(), PACKAGE_VERSION)
})

t.test('meta constants match package.json', async (t) => {
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8'))
  t.equal(PACKAGE_NAME, pkg.name)
  t.equal(PACKAGE_VERSION, pkg.version)
  t.equal(pkg.bin['pilot-status-mcp'], 'dist/src/cli.js')
})

t.test('the README\'s configuration table is the schema\'s (UPDATE_DOCS=1 rewrites it)', async (t) => {
  const file = repoPath('README.md')
  const readme = readFileSync(file, 'utf8')
  const m = /(<!-- settings:start[^>]*-->\n)([\s\S]*?)(\n<!-- settings:end -->)/.exec(readme)
  if (!m) { t.fail('README has no settings:start/end markers'); return }
  if (process.env.UPDATE_DOCS === '1' && m[2] !== readmeTable()) writeFileSync(file, readme.replace(m[0], `${m[1]}${readmeTable()}${m[3]}`))
  t.equal(m[2], readmeTable(), 'the table between the markers equals readmeTable()')
  for (const [name] of ENV_DOC) t.ok(m[2].includes(`\`${name}\``), `${name} is in the table`)
})
