// Child-process helpers for the release tests: start the built CLI (or an installed copy) in
// HTTP mode on a free loopback port, run a command to completion, and always stop what was
// started when the test ends (by the child's own pid, never by name).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { ROOT, CLI } from '../paths.js'
import { node, uninstrumented } from '../spawn.js'

export { ROOT, CLI }
/** A minimal environment, so nothing from the developer's shell (keys, LOG_LEVEL …) leaks in. */
export const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }

/** Stops a child: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stop (child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await exited
  clearTimeout(timer)
}

export interface RunningHttp {
  /** The MCP endpoint, e.g. http://127.0.0.1:PORT/mcp */
  mcp: string
  /** http://127.0.0.1:PORT */
  base: string
  child: ChildProcess
  stderr: () => string
  stdout: () => string
}

/**
 * Starts `node <cli> http --sandbox --port 0 --host 127.0.0.1` (or `node <cli> ...args`) and
 * resolves when the CLI prints its endpoint on stderr. The child is stopped in t.teardown.
 */
export async function startHttp (t: Test, cli = CLI, opts: { env?: Record<string, string>, args?: string[], timeoutMs?: number } = {}): Promise<RunningHttp> {
  const env = { ...baseEnv, LOG_LEVEL: 'warn', ...opts.env }
  const cmd = node([cli, ...(opts.args ?? ['http', '--sandbox', '--port', '0', '--host', '127.0.0.1'])], env)
  const child = spawn(cmd.command, cmd.args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => stop(child))
  let err = ''
  let out = ''
  child.stdout!.on('data', (d) => { out += d })
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the HTTP server did not start within ${opts.timeoutMs ?? 90_000} ms; stderr:\n${err}`)), opts.timeoutMs ?? 90_000)
    child.stderr!.on('data', (d) => {
      err += d
      const m = /HTTP MCP endpoint: (http:\/\/127\.0\.0\.1:\d+)\/mcp/.exec(err)
      if (m) { clearTimeout(timer); resolve(m[1]) }
    })
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`the HTTP server exited (${code ?? signal}) before listening; stderr:\n${err}`)) })
  })
  return { mcp: `${base}/mcp`, base, child, stderr: () => err, stdout: () => out }
}

/** A port that was free a moment ago on 127.0.0.1 (for commands that need it before they start). */
export async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export interface RunResult { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/**
 * Runs a command to completion (killed after `timeoutMs`, and in t.teardown if still running).
 * The commands run here are tools (npm, the conformance runner, the Inspector) or probes, never
 * code whose coverage the suite measures: they run without tap's per-process hook.
 */
export async function run (t: Test, command: string, args: string[], opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<RunResult> {
  const { timeoutMs = 60_000, ...spawnOpts } = opts
  const env = spawnOpts.env ?? baseEnv
  const cmd = uninstrumented(command, args, env)
  const child = spawn(cmd.command, cmd.args, { ...spawnOpts, env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => stop(child))
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => { stdout += d })
  child.stderr!.on('data', (d) => { stderr += d })
  const timer = setTimeout(() => { stderr += `\n[killed after ${timeoutMs} ms]`; child.kill('SIGKILL') }, timeoutMs)
  return await new Promise<RunResult>((resolve, reject) => {
    child.once('error', (e) => { clearTimeout(timer); reject(e) })
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }) })
  })
}

/**
 * Dev tools that need a newer Node.js than the product's minimum (the MCP Inspector 2.x needs
 * Node >= 22.19) are not devDependencies — on Node 20 `npm ci` would warn EBADENGINE for them.
 * They run only on a Node that satisfies them, from one install per version kept outside the
 * repository (`.ci/run` fills it before the tests; a developer's first run fills it here).
 */
export const TOOL_CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pilot-status-mcp-tests')

/** True when this Node.js is at least `major.minor`. */
export function nodeAtLeast (major: number, minor = 0): boolean {
  const [ma, mi] = process.versions.node.split('.').map(Number)
  return ma > major || (ma === major && mi >= minor)
}

/**
 * The path of `bin` from `pkg@version`, installed into TOOL_CACHE/<name>-<version> if it is not
 * there yet (npm registry; production dependencies only, no lockfile of ours touched).
 */
export async function cachedTool (t: Test, pkg: string, version: string, bin: string): Promise<string> {
  const dir = join(TOOL_CACHE, `${pkg.replace(/^@[^/]+\//, '')}-${version}`)
  const installed = join(dir, 'node_modules', ...pkg.split('/'), 'package.json')
  const binPath = join(dir, 'node_modules', '.bin', bin)
  const ready = () => existsSync(binPath) && existsSync(installed) && JSON.parse(readFileSync(installed, 'utf8')).version === version
  if (!ready()) {
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), '{"private":true}\n')
    const r = await run(t, 'npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--omit=dev', `${pkg}@${version}`], { cwd: dir, timeoutMs: 100_000 })
    if (r.code !== 0 || !ready()) throw new Error(`could not install ${pkg}@${version} into ${dir} (run \`npm install --prefix ${dir} ${pkg}@${version}\` by hand):\n${r.stderr}`)
  }
  return realpathSync(binPath)
}
