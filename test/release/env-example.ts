// .env.example lists every variable src/config.ts reads, in the schema's order, each commented
// out with its real default (empty when the default is not a literal value, e.g. "from AS
// metadata"): uncommenting all of it must leave the configuration unchanged. It is generated from
// the schema: a setting added there without regenerating the file (UPDATE_DOCS=1) fails here.
import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { ENV_DOC, envExample, loadConfig } from '../../src/config.js'
import { repoPath } from '../paths.js'

const file = repoPath('.env.example')
if (process.env.UPDATE_DOCS === '1' && readFileSync(file, 'utf8') !== envExample()) writeFileSync(file, envExample())
const text = readFileSync(file, 'utf8')
const lines = text.split('\n')

t.test('the file is the one generated from the schema', async (t) => {
  t.equal(text, envExample())
})

t.test('nothing is set: every line is a comment or blank', async (t) => {
  t.same(lines.filter((l) => l.trim() !== '' && !l.startsWith('#')), [])
  t.notMatch(text, /ps_[A-Za-z0-9]{6,}/, 'no key-shaped value')
})

t.test('every ENV_DOC variable, in order, with its default and its description above it', async (t) => {
  const entries = lines
    .map((l, i) => ({ m: /^# ([A-Z][A-Z0-9_]*)=(.*)$/.exec(l), i }))
    .filter((x): x is { m: RegExpExecArray, i: number } => x.m !== null)
  t.same(entries.map((x) => x.m[1]), ENV_DOC.map(([name]) => name), 'the same variables as ENV_DOC, in its order')
  for (const [name, dflt, what] of ENV_DOC) {
    const e = entries.find((x) => x.m[1] === name)
    if (!e) { t.fail(`${name} is missing from .env.example`); continue }
    // The documented default when the variable accepts it as a value; empty when it describes
    // ("from AS metadata", "unlimited"): the next test proves every uncommented line is a default.
    if (e.m[2] !== '') t.equal(e.m[2], dflt, `${name} default`)
    else t.ok(dflt === '-' || /\s/.test(dflt) || ['unlimited', 'off', 'any'].includes(dflt), `${name}: no literal default (${dflt})`)
    const above = lines[e.i - 1]
    t.match(above, /^# \S/, `${name} has a description line`)
    t.equal(above.slice(2, 10), what.slice(0, 8), `${name}: the description is ENV_DOC's`)
  }
})

t.test('uncommented, the file configures exactly the defaults', async (t) => {
  const env: Record<string, string> = {}
  for (const l of lines) {
    const m = /^# ([A-Z][A-Z0-9_]*)=(.*)$/.exec(l)
    if (m) env[m[1]] = m[2]
  }
  t.equal(Object.keys(env).length, ENV_DOC.length)
  // Every value is the default; only `explicit` (which URLs were set at all, so the sandbox
  // leaves them alone) may differ.
  const values = (c: object) => Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'explicit'))
  t.same(values(loadConfig(env)), values(loadConfig({})))
})
