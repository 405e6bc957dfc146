// Shared helpers for the benchmarks: child servers, RSS sampling, stdio cold start, medians.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import os from 'node:os'

const HERE = new URL('./', import.meta.url)

/**
 * Starts `bench/<script>` in its own process (with `nodeArgs` such as V8 flags before the script);
 * it prints the port it listens on. An IPC channel is open: targets.mjs answers memory().
 */
export async function start (script, argv = [], env = {}, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, new URL(script, HERE).pathname, ...argv], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } })
  const [line] = await once(child.stdout, 'data')
  return { child, port: Number(String(line).trim()) }
}

/**
 * Starts the product as a user runs it: `node <nodeArgs> dist/src/cli.js http` (the Docker image's
 * ENTRYPOINT, its V8 flags and environment passed in), listening on a free loopback port, its
 * logs (stderr, the product's default level unless env says otherwise) read and dropped.
 * bench/memory-probe.mjs is preloaded to answer memory() over IPC; it loads nothing else.
 */
export async function startProduct (cli, nodeArgs = [], env = {}) {
  const probe = new URL('memory-probe.mjs', HERE).pathname
  const child = spawn(process.execPath, [...nodeArgs, '--import', probe, cli, 'http'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { PATH: process.env.PATH, ...env, MCP_TRANSPORT: 'http', HOST: '127.0.0.1', PORT: '0' } })
  let err = ''
  const port = await new Promise((resolve, reject) => {
    const onData = (d) => {
      if (err.length < 65536) err += d
      const m = /HTTP MCP endpoint: http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(err)
      if (m) { child.stderr.off('data', onData); child.off('exit', onExit); child.stderr.resume(); resolve(Number(m[1])) }
    }
    const onExit = (code) => reject(new Error(`the product exited ${code} before listening: ${err.slice(0, 500)}`))
    child.stderr.on('data', onData)
    child.on('exit', onExit)
  })
  return { child, port }
}

/** The child's process.memoryUsage() and V8 heap spaces in MB (targets.mjs and memory-probe.mjs answer over IPC). */
export async function memory (child) {
  child.send('memory')
  const [m] = await once(child, 'message')
  return m
}

/** Samples a target's memory over IPC every `everyMs` until stopped; stop() gives the sample with the highest RSS. */
export function sampleMemory (child, everyMs = 200) {
  let peak
  const onMessage = (m) => { if (!peak || m.rss > peak.rss) peak = m }
  child.on('message', onMessage)
  const timer = setInterval(() => { if (child.connected) child.send('memory') }, everyMs)
  return {
    stop () {
      clearInterval(timer)
      child.off('message', onMessage)
      return peak
    }
  }
}

export async function stop (child) {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  await once(child, 'exit')
}

/** Resident set size of a process in MB (Linux /proc; elsewhere undefined). */
export function rssMb (pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : undefined
  } catch { return undefined }
}

/** A process's CPU time so far (user + system) in ms, from /proc (Linux; undefined elsewhere). */
export function cpuMs (pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) * 1000 / CLOCK_TICKS
  } catch { return undefined }
}
/** USER_HZ: the unit of /proc/<pid>/stat's times; 100 on every Linux build that matters here. */
const CLOCK_TICKS = 100

/** Samples a process's RSS every `everyMs` until stopped; returns { stop(): { max, samples } }. */
export function sampleRss (pid, everyMs = 100) {
  const samples = []
  const timer = setInterval(() => { const v = rssMb(pid); if (v !== undefined) samples.push(v) }, everyMs)
  return { stop () { clearInterval(timer); return { max: samples.length ? Math.max(...samples) : undefined, samples } } }
}

export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
export const round1 = (x) => Math.round(x * 10) / 10

/** ms from spawn to exit for `node -e 0`. */
export async function bareNode () {
  const t0 = performance.now()
  const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
  await once(c, 'exit')
  return performance.now() - t0
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } })
const INITIALIZED = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })

/** ms from spawning `pilot-status-mcp stdio` to the complete tools/list answer on stdout. */
export async function stdioColdStart (cli, env) {
  const t0 = performance.now()
  const c = spawn(process.execPath, [cli, 'stdio'], { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: process.env.PATH, ...env } })
  c.stdin.write(`${INIT}\n${INITIALIZED}\n${LIST}\n`)
  let buf = ''
  const ms = await new Promise((resolve, reject) => {
    c.on('error', reject)
    c.on('exit', (code) => reject(new Error(`stdio exited ${code} before answering tools/list: ${buf.slice(0, 300)}`)))
    c.stdout.on('data', (d) => {
      buf += d
      for (const line of buf.split('\n').slice(0, -1)) {
        if (line.includes('"id":2')) {
          const tools = JSON.parse(line).result?.tools
          if (!tools?.length) reject(new Error(`tools/list answered without tools: ${line.slice(0, 300)}`))
          resolve(performance.now() - t0)
        }
      }
    })
  })
  c.removeAllListeners('exit')
  c.stdin.end()
  await once(c, 'exit')
  return ms
}

export function machine () {
  const cpus = os.cpus()
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}, Node.js ${process.versions.node}`
}
