// Spawns the built CLI in stdio mode as a desktop client would (a real child process with piped
// stdio) and collects what it prints; the child is stopped by its own pid when the test ends.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import type { Test } from 'tap'
import { CLI, repoPath } from '../paths.js'
import { cli } from '../spawn.js'

export { CLI }
export const BUNDLE = repoPath('dist/src/stdio.bundle.cjs')
/** A minimal environment, so nothing from the developer's shell (keys, LOG_LEVEL …) leaks in. */
export const baseEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }

export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'stdio-test', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {}
}

export const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }
export const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' }

export interface StdioChild {
  child: ChildProcessWithoutNullStreams
  stdout: () => string
  stderr: () => string
  /** Resolves when the child exits (rejects after `ms`, killing it). */
  exited: (ms: number) => Promise<number | null>
}

/**
 * Spawns `node dist/src/cli.js <args>`; without tap's per-process hook unless `covered` (the
 * tests whose child is the only one to run a stdio code path ask for its coverage).
 */
export function spawnStdio (t: Test, args: string[], env: Record<string, string>, opts: { covered?: boolean } = {}): StdioChild {
  const cmd = opts.covered ? { command: process.execPath, args: [CLI, ...args] } : cli(args, { ...baseEnv, ...env })
  const child = spawn(cmd.command, cmd.args, { env: { ...baseEnv, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d })
  child.stdin.on('error', () => {})
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exit
    }
  })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: async (ms) => {
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL')
          reject(new Error(`the stdio process did not exit within ${ms} ms; stderr:\n${err.slice(-2000)}`))
        }, ms)
      })
      try {
        return await Promise.race([exit, late])
      } finally {
        clearTimeout(timer)
      }
    }
  }
}

/** Every stdout line parsed (a line that is not JSON fails the parse, and so the test). */
export function messages (stdout: string): Array<Record<string, any>> {
  return stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
}
