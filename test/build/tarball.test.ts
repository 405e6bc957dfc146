// What users and the Docker image get: the packed tarball, installed with production
// dependencies only into a folder of its own, then run from there in HTTP and stdio mode and
// driven by the SDK 1.x client. Catches a file missing from "files", a runtime import of a
// devDependency, a broken bin or exports map. The folder starts with the lockfile's production
// dependencies, the set the Docker image's `npm ci --omit=dev` installs, laid out from this
// repository's node_modules by hard links (npm extracting ~100 MB from its cache took most of
// this file's time); npm then installs the tarball next to them offline, and fails if a
// dependency range of the package is not met by them. It lives in test/build, which tap (running files
// in name order) starts early: its npm install is the suite's longest step, so it runs beside
// the other files instead of after them.
import t from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ROOT, baseEnv, run, startHttp } from '../release/helpers.js'
import { SANDBOX_KEYS } from '../../sandbox/core.js'
import { ALL_TOOLS } from '../../tools/index.js'
import { node } from '../spawn.js'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const TOOL_NAMES = ALL_TOOLS.map((d) => d.name).sort()
const work = mkdtempSync(join(tmpdir(), 'pilot-tarball-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))
const app = join(work, 'app')
const installed = join(app, 'node_modules', ...pkg.name.split('/'))
const installedCli = join(installed, 'dist/src/cli.js')

t.test('npm pack ships dist and the README only: no sources, tests or bench', async (t) => {
  // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet; npm test built it.
  const r = await run(t, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT, timeoutMs: 60_000 })
  t.equal(r.code, 0, r.stderr)
  const [info] = JSON.parse(r.stdout)
  t.equal(info.name, pkg.name)
  t.equal(info.version, pkg.version)
  t.ok(existsSync(join(work, info.filename)), 'the tarball was written to the temp folder')
  const files: string[] = info.files.map((f: { path: string }) => f.path)
  t.same(files.filter((f) => !/^dist\/(src|plugins|tools|sandbox)\/.+\.(m?js|cjs|d\.ts|m?js\.map|d\.ts\.map)$/.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f)), [], 'nothing but dist (src, plugins, tools, sandbox), package.json, README and LICENSE')
  t.same(files.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f)), [], 'no TypeScript sources')
  t.same(files.filter((f) => /(^|\/)(test|bench|examples|scripts)\//.test(f) || /\.test\./.test(f)), [], 'no tests, bench, examples or scripts')
  for (const f of [pkg.bin['pilot-status-mcp'], 'dist/src/app.js', 'dist/src/app.d.ts', 'dist/sandbox/server.js']) {
    t.ok(files.includes(f), `ships ${f}`)
  }
  t.equal(pkg.exports['.'].types, './dist/src/app.d.ts')
  t.equal(pkg.exports['.'].import, './dist/src/app.js')
  writeFileSync(join(work, 'tarball-name'), info.filename)
})

/** The lockfile's production packages (top-level paths; nested ones come with their parent). */
function productionPackages (): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> }
  return Object.entries(lock.packages)
    .filter(([path, info]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && info.dev !== true)
    .map(([path]) => path)
}

t.test('installed with --omit=dev next to the lockfile\'s production dependencies', async (t) => {
  const tgz = join(work, readFileSync(join(work, 'tarball-name'), 'utf8'))
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'tarball-smoke', version: '1.0.0', private: true }))
  const prod = productionPackages()
  t.ok(prod.includes('node_modules/fastify') && !prod.includes('node_modules/tap'), 'the production set holds fastify, not tap')
  const byFolder = new Map<string, string[]>() // node_modules or node_modules/@scope → packages
  for (const path of prod) {
    if (!existsSync(join(ROOT, path))) continue // an optional package this platform did not install
    byFolder.set(dirname(path), [...byFolder.get(dirname(path)) ?? [], join(ROOT, path)])
  }
  for (const [folder, sources] of byFolder) {
    mkdirSync(join(app, folder), { recursive: true })
    const cp = await run(t, 'cp', ['-al', ...sources, join(app, folder)], { timeoutMs: 30_000 })
    t.equal(cp.code, 0, cp.stderr)
  }
  const r = await run(t, 'npm', ['install', tgz, '--omit=dev', '--no-audit', '--no-fund', '--offline', '--no-package-lock'], { cwd: app, timeoutMs: 120_000 })
  t.equal(r.code, 0, r.stderr)
  t.equal(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version, pkg.version)
  for (const dev of ['typescript', 'tap', '@modelcontextprotocol/sdk', '@modelcontextprotocol/client', 'esbuild']) {
    t.notOk(existsSync(join(app, 'node_modules', dev)), `devDependency ${dev} is not installed`)
  }
  t.equal(realpathSync(join(app, 'node_modules/.bin/pilot-status-mcp')), realpathSync(installedCli), 'the bin pilot-status-mcp points at dist/src/cli.js')

  const version = await run(t, join(app, 'node_modules/.bin/pilot-status-mcp'), ['--version'], { cwd: app, timeoutMs: 30_000 })
  t.equal(version.code, 0, version.stderr)
  t.equal(version.stdout, `${pkg.version}\n`, 'the bin runs by itself (shebang, executable)')

  const imp = await run(t, process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pkg.name)}); console.log(typeof m.default, typeof m.ApiClient, m.TOOLSETS.length)`], { cwd: app, timeoutMs: 30_000 })
  t.equal(imp.code, 0, imp.stderr)
  t.equal(imp.stdout, 'function function 9\n', 'the package entry (the Fastify plugin) imports from the installed copy')
})

t.test('the installed CLI serves HTTP on the sandbox', async (t) => {
  const srv = await startHttp(t, installedCli)
  const health = await fetch(`${srv.base}/health`)
  t.equal(health.status, 200)
  t.match(await health.json(), { status: 'ok', name: pkg.name, version: pkg.version })

  const client = new Client({ name: 'tarball-http', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(srv.mcp), { requestInit: { headers: { 'x-api-key': SANDBOX_KEYS.number } } }))
  t.teardown(() => client.close())
  t.same((await client.listTools()).tools.map((x) => x.name).sort(), TOOL_NAMES)
  const r = await client.callTool({ name: 'templates_list', arguments: {} })
  t.equal(r.isError, undefined)
  t.same((r.structuredContent as { templates: Array<{ id: string }> }).templates.map((x) => x.id), ['tpl_order_update', 'tpl_welcome'])
  t.equal(srv.stdout(), '', 'nothing on stdout')
})

t.test('the installed CLI serves stdio on the sandbox', async (t) => {
  const client = new Client({ name: 'tarball-stdio', version: '1.0.0' })
  await client.connect(new StdioClientTransport({ ...node([installedCli, 'stdio', '--sandbox'], baseEnv), env: baseEnv, cwd: app, stderr: 'pipe' }))
  t.teardown(() => client.close())
  t.equal(client.getServerVersion()?.version, pkg.version)
  t.same((await client.listTools()).tools.map((x) => x.name).sort(), TOOL_NAMES)
  const r = await client.callTool({ name: 'templates_list', arguments: {} })
  t.equal(r.isError, undefined)
  t.same((r.structuredContent as { templates: Array<{ id: string }> }).templates.map((x) => x.id), ['tpl_order_update', 'tpl_welcome'])
})
