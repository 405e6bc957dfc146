// Child processes without tap's instrumentation. Under tap every child process is instrumented:
// @tapjs/processinfo puts its `--import` hook into NODE_OPTIONS on each spawn (whatever env the
// spawn passes), and on Node 20 that hook sends every module the child loads through a loader
// thread, then writes the child's coverage at exit: ~0.7 s of CPU per Node.js child here, a sixth
// of the suite. Children whose coverage the suite does not need start through `/usr/bin/env` with
// that one option taken out of NODE_OPTIONS (anything else in it is kept): third-party tools (npm,
// the conformance runner, the Inspector) and the CLI where its code is covered elsewhere, by
// in-process tests or by the covered spawns of test/cli.ts, test/config.ts and
// test/stdio. `env` execs the command, so the child keeps its pid: signals, stdin and exit codes
// are the command's own.
import { CLI } from './paths.js'

/** tap's hook as it appears in NODE_OPTIONS (`--import=file:///…/@tapjs/processinfo/…`). */
const TAP_HOOK = /(^|\s)--(?:import|loader|experimental-loader)(?:=|\s+)\S*@tapjs[\\/]processinfo\S*/g

export interface Command { command: string, args: string[] }

/**
 * `command args` as a spawn without tap's per-process hook. `env` is the environment the spawn
 * passes (default: this process's); its NODE_OPTIONS, minus the hook, is what the child gets.
 */
export function uninstrumented (command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Command {
  const options = (env.NODE_OPTIONS ?? '').replace(TAP_HOOK, ' ').trim()
  return { command: '/usr/bin/env', args: [...(options ? [`NODE_OPTIONS=${options}`] : ['-u', 'NODE_OPTIONS']), command, ...args] }
}

/** `node <args>` without tap's hook. */
export function node (args: string[], env?: NodeJS.ProcessEnv): Command {
  return uninstrumented(process.execPath, args, env)
}

/** The built CLI (`node dist/src/cli.js <args>`) without tap's hook. */
export function cli (args: string[], env?: NodeJS.ProcessEnv): Command {
  return node([CLI, ...args], env)
}
