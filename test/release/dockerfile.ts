// The Dockerfile cannot be built here; this checks what it promises and runs its runtime
// contract without Docker: the built CLI started as its ENTRYPOINT with its ENV (HTTP by
// default, no mode argument), probed by its own HEALTHCHECK command.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI, ROOT, baseEnv, freePort, run, startHttp, stop } from './helpers.js'

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
// Instructions with their continuation lines joined, comments dropped.
const instructions = dockerfile.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
const stages = instructions.reduce<string[][]>((acc, l) => {
  if (/^FROM\s/i.test(l)) acc.push([l])
  else acc.at(-1)?.push(l)
  return acc
}, [])
const runtime = stages.at(-1)!

function runtimeEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const l of runtime.filter((x) => x.startsWith('ENV '))) {
    for (const m of l.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]] = m[2]
  }
  return env
}

function execForm (instruction: string, keyword: string): string[] {
  const at = instruction.indexOf(keyword)
  return JSON.parse(instruction.slice(at + keyword.length).trim())
}

t.test('Node.js 24 LTS, pinned to the exact release CI tests on; engines still admit Node 20', async (t) => {
  const arg = instructions.find((l) => /^ARG NODE_VERSION=/.test(l))
  const version = /^ARG NODE_VERSION=(\S+)$/.exec(arg ?? '')?.[1]
  t.match(version, /^24\.\d+\.\d+$/, 'an exact 24.x.y version (a moving tag would change under a rebuild)')
  t.ok(instructions.indexOf(arg!) < instructions.findIndex((l) => /^FROM\s/.test(l)), 'declared before the first FROM')
  const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8')
  t.equal(/^NODE24_VERSION=(\S+)$/m.exec(ci)?.[1], version, '.ci/run tests on the Node.js the image ships')
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  t.equal(pkg.engines.node, '>=20.18.1', 'engines: Node 20 is still tested, so still allowed')
  t.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), `Node.js ${version}`, 'the README names the image\'s Node.js')
})

t.test('multi-stage: build with dev dependencies, run with production dependencies and dist only', async (t) => {
  t.equal(stages.length, 2)
  t.match(stages[0][0], /^FROM node:\$\{NODE_VERSION\}-slim AS build$/)
  t.ok(stages[0].some((l) => /^RUN npm ci --ignore-scripts\b/.test(l)), 'build: all dependencies (prepare skipped until the sources are in)')
  t.ok(stages[0].includes('RUN npm run build'))
  t.match(runtime[0], /^FROM node:\$\{NODE_VERSION\}-slim AS runtime$/)
  t.ok(runtime.some((l) => /^RUN npm ci --omit=dev --ignore-scripts\b/.test(l)), 'runtime: production dependencies only')
  t.same(runtime.filter((l) => l.startsWith('COPY')), ['COPY package.json package-lock.json ./', 'COPY --from=build /app/dist ./dist'], 'nothing else from the context')
  t.ok(runtime.includes('USER node'), 'runs as the unprivileged node user')
  t.ok(runtime.indexOf('USER node') > runtime.findIndex((l) => l.startsWith('RUN npm ci')), 'after installing')
  // The V8 flags are measured by npm run bench (which reads them from here) and explained in the README.
  t.same(execForm(runtime.find((l) => l.startsWith('ENTRYPOINT'))!, 'ENTRYPOINT'), ['node', '--max-semi-space-size=4', '--heap-growing-percent=50', '--liftoff-only', 'dist/src/cli.js'])
  t.ok(runtime.includes('EXPOSE 8787'))
})

t.test('HTTP mode by default on PORT, on all interfaces; no secret baked in', async (t) => {
  t.same(runtimeEnv(), { NODE_ENV: 'production', MCP_TRANSPORT: 'http', HOST: '0.0.0.0', PORT: '8787' })
  t.same(instructions.filter((l) => /^(ARG|ENV)\b/.test(l) && /(KEY|SECRET|TOKEN|PASSWORD)/i.test(l)), [], 'no ARG/ENV names a credential')
  t.notMatch(dockerfile, /ps_[A-Za-z0-9]/, 'no key-shaped value')
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim())
  for (const p of ['.env', '.env.*', 'node_modules', 'dist', '.git', 'test']) t.ok(ignore.includes(p), `.dockerignore has ${p}`)
})

t.test('the image\'s command with its ENV serves HTTP, and its HEALTHCHECK tells up from down', async (t) => {
  const health = runtime.find((l) => l.startsWith('HEALTHCHECK'))!
  t.match(health, /^HEALTHCHECK --interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+\s+CMD \[/)
  const probe = execForm(health, 'CMD ')
  t.equal(probe[0], 'node', 'node, not curl (slim images have none)')

  // As in the image: ENTRYPOINT + an argument, the image's ENV; only the address is changed,
  // tests listen on loopback (the image binds 0.0.0.0).
  const port = await freePort()
  const env = { ...runtimeEnv(), HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' }
  const srv = await startHttp(t, CLI, { args: ['--sandbox'], env })
  t.equal(srv.base, `http://127.0.0.1:${port}`, 'HTTP on $PORT without a mode argument')

  const probeEnv = { ...baseEnv, PORT: String(port) }
  const up = await run(t, process.execPath, probe.slice(1), { env: probeEnv, timeoutMs: 20_000 })
  t.equal(up.code, 0, `healthy → 0 ${up.stderr}`)
  await stop(srv.child)
  const down = await run(t, process.execPath, probe.slice(1), { env: probeEnv, timeoutMs: 20_000 })
  t.equal(down.code, 1, 'nothing listening → 1')
})
