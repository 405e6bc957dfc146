// The official MCP conformance suite (@modelcontextprotocol/conformance 0.1.13, pinned) against
// the built CLI: `http --sandbox` on loopback. The whole active suite runs with the baseline
// conformance-expected-failures.yml, so a new failure and a stale baseline entry both fail the
// run; the four scenarios a stateless tools-only server must pass are then checked one by one
// in the suite's own result files.
// The suite's client sends no credentials, so the server runs with the env-key fallback
// (PILOT_STATUS_API_KEY = the sandbox's number key), as a single-user deployment would.
import t from 'tap'
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, run, startHttp } from './helpers.js'
import { SANDBOX_KEYS } from '../../sandbox/core.js'

const CONFORMANCE = realpathSync(join(ROOT, 'node_modules/.bin/conformance'))
const BASELINE = join(ROOT, 'test/release/conformance-expected-failures.yml')
const MUST_PASS = ['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection']

interface Check { id: string, status: string, errorMessage?: string }

/** The scenario names listed under `server:` in the baseline (a flat YAML list with comments). */
function baseline (): string[] {
  const names: string[] = []
  let inServer = false
  for (const line of readFileSync(BASELINE, 'utf8').split('\n')) {
    if (/^server:\s*$/.test(line)) { inServer = true; continue }
    if (/^\S/.test(line) && !line.startsWith('#')) inServer = false
    const m = /^\s+-\s+([a-z0-9-]+)\s*(#.*)?$/.exec(line)
    if (inServer && m) names.push(m[1])
  }
  return names
}

t.test('the active conformance suite: must-pass scenarios pass, the rest match the baseline', async (t) => {
  const expected = baseline()
  t.equal(expected.length, 26, 'the baseline lists 26 scenarios')
  for (const s of MUST_PASS) t.notOk(expected.includes(s), `${s} is not in the baseline`)

  const srv = await startHttp(t, undefined, { env: { PILOT_STATUS_API_KEY: SANDBOX_KEYS.number } })
  const out = mkdtempSync(join(tmpdir(), 'pilot-conformance-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))

  const r = await run(t, process.execPath, [CONFORMANCE, 'server', '--url', srv.mcp, '--expected-failures', BASELINE, '--output-dir', out], { cwd: out, timeoutMs: 90_000 })
  t.equal(r.code, 0, `conformance exits 0 (no unexpected failure, no stale baseline entry)\n${r.stdout.split('=== SUMMARY ===')[1] ?? r.stdout}\n${r.stderr}`)

  // One directory per scenario: server-<scenario>-<timestamp>/checks.json
  const results = new Map<string, Check[]>()
  for (const dir of readdirSync(out)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(dir)
    if (m) results.set(m[1], JSON.parse(readFileSync(join(out, dir, 'checks.json'), 'utf8')))
  }
  t.equal(results.size, 30, 'all 30 scenarios of the active suite ran')

  for (const s of MUST_PASS) {
    const checks = results.get(s) ?? []
    t.ok(checks.some((c) => c.status === 'SUCCESS'), `${s}: at least one check succeeded`)
    t.same(checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${c.id}: ${c.errorMessage}`), [], `${s}: no failure or warning`)
  }
  t.same(results.get('dns-rebinding-protection')!.map((c) => [c.id, c.status]), [
    ['localhost-host-rebinding-rejected', 'SUCCESS'],
    ['localhost-host-valid-accepted', 'SUCCESS']
  ])
  for (const s of expected) {
    t.ok(results.get(s)?.some((c) => c.status === 'FAILURE' || c.status === 'WARNING'), `${s} ran and did not pass, as the baseline says`)
  }
  t.same([...results.keys()].filter((s) => !MUST_PASS.includes(s) && !expected.includes(s)), [], 'every scenario is either must-pass or in the baseline')
  t.same(results.get('server-sse-multiple-streams')!.map((c) => [c.id, c.status]), [['server-sse-multiple-streams-session', 'WARNING']], 'a warning (no session id), not an error')
})
