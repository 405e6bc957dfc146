// The MCP registry entry (server.json) and the package.json fields the registry and npm read.
// No installed package ships the registry's JSON schema, so this checks the fields the registry
// documents for the 2025-12-11 schema and its publish-time rules (name format, pinned versions,
// npm ownership via mcpName, transport URL variables, https remotes), and ties every
// environment variable to src/config.ts: it must exist there, carry the real default, and be
// flagged secret exactly when it is a credential.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { ENV_DOC, loadConfig } from '../../src/config.js'
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../src/meta.js'
import { repoPath } from '../paths.js'

const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8'))
const server = JSON.parse(readFileSync(repoPath('server.json'), 'utf8'))

const SCHEMA = 'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json'
/** The registry's server-name rule: reverse-DNS namespace, one slash, alphanumeric at both ends. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]\/[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$/
const SECRETS = new Set(['PILOT_STATUS_API_KEY', 'PILOT_STATUS_API_KEY_ID'])
const DOC = new Map(ENV_DOC.map(([name, dflt]) => [name, dflt]))

const TOP_KEYS = ['$schema', '_meta', 'name', 'title', 'description', 'version', 'websiteUrl', 'repository', 'packages', 'remotes', 'icons']
const PACKAGE_KEYS = ['registryType', 'registryBaseUrl', 'identifier', 'version', 'fileSha256', 'runtimeHint', 'transport', 'runtimeArguments', 'packageArguments', 'environmentVariables']
const INPUT_KEYS = ['name', 'description', 'isRequired', 'format', 'value', 'isSecret', 'default', 'placeholder', 'choices', 'variables']
const FORMATS = ['string', 'number', 'boolean', 'filepath']

/** A version the registry accepts: one exact version, no range, not "latest". */
function pinned (v: unknown): boolean {
  return typeof v === 'string' && /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(v)
}

function extraKeys (o: Record<string, unknown>, allowed: string[]): string[] {
  return Object.keys(o).filter((k) => !allowed.includes(k))
}

t.test('server.json names this package: schema, name = mcpName, pinned version = package.json', async (t) => {
  t.equal(server.$schema, SCHEMA)
  t.same(extraKeys(server, TOP_KEYS), [], 'only documented top-level fields')
  t.equal(server.name, 'io.github.pilot-status/mcp-server')
  t.match(server.name, NAME, 'registry name format')
  t.equal(pkg.mcpName, server.name, 'npm ownership check: package.json mcpName equals the server name')
  t.equal(server.version, pkg.version)
  t.equal(pkg.version, PACKAGE_VERSION, 'and the version the server reports')
  t.ok(pinned(server.version), 'an exact version')
  t.type(server.description, 'string')
  t.ok(server.description.length >= 1 && server.description.length <= 100, `description is 1–100 characters (${server.description.length})`)
  t.ok(server.title.length >= 1 && server.title.length <= 100, 'title is 1–100 characters')
  t.match(server.websiteUrl, /^https:\/\//, 'websiteUrl is https')
})

t.test('the GitHub namespace matches the repository in server.json and package.json', async (t) => {
  t.same(server.repository, { url: 'https://github.com/pilot-status/mcp-server', source: 'github' })
  const owner = /^io\.github\.([^/]+)\//.exec(server.name)?.[1]
  t.equal(owner, 'pilot-status')
  t.equal(new URL(server.repository.url).pathname.split('/')[1], owner, 'io.github.<owner> is the repository owner')
  t.equal(pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, ''), server.repository.url)
  t.equal(pkg.homepage, server.websiteUrl)
  t.equal(pkg.bugs.url, `${server.repository.url}/issues`)
})

t.test('two npm packages: stdio and local Streamable HTTP, each launching the matching CLI mode', async (t) => {
  t.equal(server.packages.length, 2)
  t.same(server.packages.map((p: any) => p.transport.type), ['stdio', 'streamable-http'])
  for (const p of server.packages) {
    t.same(extraKeys(p, PACKAGE_KEYS), [], `${p.transport.type}: only documented package fields`)
    t.equal(p.registryType, 'npm')
    t.equal(p.registryBaseUrl, 'https://registry.npmjs.org', 'the only npm registry the official registry accepts')
    t.equal(p.identifier, pkg.name)
    t.equal(p.identifier, PACKAGE_NAME)
    t.equal(p.version, pkg.version)
    t.equal(p.runtimeHint, 'npx')
    t.same(p.packageArguments.map((a: any) => [a.type, a.value]), [['positional', p.transport.type === 'stdio' ? 'stdio' : 'http']], 'the mode argument')
  }
  const [stdio, http] = server.packages
  t.same(Object.keys(stdio.transport), ['type'], 'stdio has no url')
  t.equal(http.transport.url, 'http://127.0.0.1:{PORT}/mcp')
  t.match(http.transport.url, /^https?:\/\/\S+$/, 'the schema\'s url pattern')
  // The registry rejects a package URL whose {variables} are not the package's env vars or arguments.
  const vars = [...http.transport.url.matchAll(/\{([^}]+)\}/g)].map((m: RegExpMatchArray) => m[1])
  const defined = new Set(http.environmentVariables.map((e: any) => e.name))
  t.same(vars, ['PORT'])
  for (const v of vars) t.ok(defined.has(v), `{${v}} is one of the package's environment variables`)
  const host = http.environmentVariables.find((e: any) => e.name === 'HOST')
  t.equal(host.value, '127.0.0.1', 'a locally launched HTTP server binds loopback, matching the URL')
})

t.test('every environment variable exists in src/config.ts, with its real default, secrets flagged', async (t) => {
  const [stdio, http] = server.packages
  t.same(stdio.environmentVariables.map((e: any) => e.name), [
    'PILOT_STATUS_API_KEY', 'PILOT_STATUS_API_KEY_ID', 'PILOT_STATUS_API_URL', 'PILOT_STATUS_TOOLSETS', 'PILOT_STATUS_TOOLS',
    'PILOT_STATUS_READ_ONLY', 'PILOT_STATUS_TIMEOUT_MS', 'LOG_LEVEL', 'PILOT_STATUS_SANDBOX'
  ])
  t.same(http.environmentVariables.map((e: any) => e.name), [...stdio.environmentVariables.map((e: any) => e.name), 'PORT', 'HOST'])
  for (const p of server.packages) {
    const names = p.environmentVariables.map((e: any) => e.name)
    t.equal(new Set(names).size, names.length, `${p.transport.type}: no duplicates`)
    for (const e of p.environmentVariables) {
      const where = `${p.transport.type} ${e.name}`
      t.same(extraKeys(e, INPUT_KEYS), [], `${where}: only documented input fields`)
      t.ok(DOC.has(e.name), `${where} is a variable src/config.ts reads`)
      t.ok(typeof e.description === 'string' && e.description.length > 10, `${where} has a description`)
      t.equal(e.isSecret, SECRETS.has(e.name), `${where}: isSecret ${SECRETS.has(e.name)}`)
      t.ok(FORMATS.includes(e.format), `${where}: format ${e.format}`)
      if ('default' in e) {
        t.equal(e.default, DOC.get(e.name), `${where}: default equals ENV_DOC`)
        if (e.choices) t.ok(e.choices.includes(e.default), `${where}: default is one of the choices`)
      }
      if (SECRETS.has(e.name)) t.notOk('default' in e || 'value' in e, `${where}: no value for a secret`)
    }
    const key = p.environmentVariables.find((e: any) => e.name === 'PILOT_STATUS_API_KEY')
    t.equal(key.isRequired, true, `${p.transport.type}: the key is required`)
  }
  // The documented defaults are the defaults the server applies: setting them changes nothing.
  const env: Record<string, string> = {}
  for (const p of server.packages) for (const e of p.environmentVariables) if ('default' in e) env[e.name] = e.default
  t.same(Object.keys(env).sort(), ['LOG_LEVEL', 'PILOT_STATUS_API_URL', 'PILOT_STATUS_READ_ONLY', 'PILOT_STATUS_SANDBOX', 'PILOT_STATUS_TIMEOUT_MS', 'PILOT_STATUS_TOOLS', 'PILOT_STATUS_TOOLSETS', 'PORT'])
  t.same(loadConfig(env), loadConfig({}))
  const level = stdio.environmentVariables.find((e: any) => e.name === 'LOG_LEVEL')
  for (const choice of level.choices) t.equal(loadConfig({ LOG_LEVEL: choice }).logLevel, choice, `LOG_LEVEL=${choice} is accepted`)
})

t.test('the hosted remote is https, not loopback, with the API key header as an optional secret', async (t) => {
  t.equal(server.remotes.length, 1)
  const [remote] = server.remotes
  t.equal(remote.type, 'streamable-http')
  t.equal(remote.url, 'https://mcp.pilotstatuss.com/mcp')
  t.notMatch(remote.url, /[{}]/, 'no template variables')
  t.same(remote.headers.map((h: any) => [h.name, h.isSecret, h.isRequired]), [['x-api-key', true, false]], 'OAuth is the alternative, so the key is optional')
})

t.test('package.json carries the metadata npm and the registry show', async (t) => {
  t.equal(pkg.license, 'MIT')
  t.ok(pkg.description.length > 20)
  for (const k of ['mcp', 'model-context-protocol', 'whatsapp', 'pilot-status']) t.ok(pkg.keywords.includes(k), `keyword ${k}`)
  t.same(pkg.bin, { 'pilot-status-mcp': 'dist/src/cli.js' })
  t.same(pkg.exports['.'], { types: './dist/src/app.d.ts', import: './dist/src/app.js' })
  t.equal(Object.keys(pkg.exports['.'])[0], 'types', 'types comes first, as TypeScript requires')
  t.equal(pkg.engines.node, '>=20.18.1', 'Node 20 LTS from the release undici 7 needs')
})
