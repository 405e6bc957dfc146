// The standalone server with PILOT_STATUS_API_KEY set serves credential-less requests with that
// key; bound to a non-loopback address it prints a loud warning at start-up, whatever LOG_LEVEL
// says, and never the key itself. Tests never listen beyond loopback: the non-loopback address is
// 192.0.2.1 (TEST-NET-1, assigned to no interface), so the warning is printed and then the bind
// fails with EADDRNOTAVAIL and the process exits 1.
import t from 'tap'
import { spawn } from 'node:child_process'
import { cli } from '../spawn.js'

const KEY = 'ps_warning_test_secret_key'
const WARNING = '[pilot-status-mcp] WARNING: PILOT_STATUS_API_KEY is set and the server listens on 192.0.2.1: anyone who can reach port 8787 can act with that key without credentials. Unset the key, bind HOST=127.0.0.1, or set MCP_HTTP_ENV_KEY_FALLBACK=false.'

interface Run { code: number | null, stderr: string, stdout: string }

function run (env: Record<string, string>, untilListening = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const childEnv = { PATH: process.env.PATH ?? '', PILOT_STATUS_API_URL: 'http://127.0.0.1:9', PORT: '8787', ...env }
    const cmd = cli(['http'], childEnv)
    const child = spawn(cmd.command, cmd.args, {
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    let stdout = ''
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.stdout.on('data', (d) => { stdout += d })
    child.stderr.on('data', (d) => {
      stderr += d
      // Listening: stop it (only ever on loopback).
      if (untilListening && /HTTP MCP endpoint/.test(stderr)) child.kill('SIGTERM')
    })
    child.on('error', reject)
    child.on('exit', (code) => { clearTimeout(guard); resolve({ code, stderr, stdout }) })
  })
}

t.test('env key + non-loopback bind: a loud warning, even with LOG_LEVEL=silent; never the key', async (t) => {
  // Independent processes: started together, so the file waits for the slowest, not the sum.
  const [r, logged] = await Promise.all([
    run({ HOST: '192.0.2.1', PILOT_STATUS_API_KEY: KEY, LOG_LEVEL: 'silent' }),
    run({ HOST: '192.0.2.1', PILOT_STATUS_API_KEY: KEY, LOG_LEVEL: 'warn' })
  ])
  t.ok(r.stderr.split('\n').includes(WARNING), 'the warning line is on stderr')
  t.match(r.stderr, /failed to start: listen EADDRNOTAVAIL/, 'then the bind fails (no such interface here)')
  t.equal(r.code, 1)
  t.notMatch(r.stderr, KEY, 'the key is not printed')
  t.equal(r.stdout, '')

  const lines = logged.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
  const warn = lines.find((l) => l.level === 40)
  t.equal(warn?.msg, WARNING.replace('[pilot-status-mcp] WARNING: ', ''), 'also a warn-level log line')
  t.notMatch(logged.stderr, KEY)
})

t.test('no warning when the key is not served to anonymous requests, or when bound to loopback', async (t) => {
  const [noFallback, noKey, loopback] = await Promise.all([
    run({ HOST: '192.0.2.1', PILOT_STATUS_API_KEY: KEY, MCP_HTTP_ENV_KEY_FALLBACK: 'false', LOG_LEVEL: 'warn' }),
    run({ HOST: '192.0.2.1', LOG_LEVEL: 'warn' }),
    run({ HOST: '127.0.0.1', PORT: '0', PILOT_STATUS_API_KEY: KEY, LOG_LEVEL: 'warn' }, true)
  ])
  t.notMatch(noFallback.stderr, /WARNING|PILOT_STATUS_API_KEY is set/, 'MCP_HTTP_ENV_KEY_FALLBACK=false: no warning')
  t.equal(noFallback.code, 1, 'and the bind still fails')

  t.notMatch(noKey.stderr, /WARNING|PILOT_STATUS_API_KEY is set/, 'no key: no warning')

  t.match(loopback.stderr, /HTTP MCP endpoint: http:\/\/127\.0\.0\.1:\d+\/mcp/, 'listened on loopback')
  t.notMatch(loopback.stderr, /WARNING|PILOT_STATUS_API_KEY is set/, 'loopback: no warning')
  t.equal(loopback.code, 0, 'SIGTERM: exit 0')
})
