// The stdio bundle's loader (src/stdio-loader.ts): a code cache named after the bundle's hash is
// written once and used by later loads; a stale or damaged cache is refused and replaced; a cache
// folder others could write to is not used; the bundle's `__load` and `__bundleUrl` stand in for
// import() and import.meta.url; line numbers survive the wrapper. Then the built bundle itself: its
// header is the hash of its content, it has no import() left, it loads through the loader, and a
// CLI session leaves a cache the next one uses. Run `npm run build` first.
import t from 'tap'
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { spawnSync } from 'node:child_process'
import { loadStdioBundle, type CacheState } from '../../src/stdio-loader.js'
import { LazyAjvValidator } from '../../src/stdio-validator.js'
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/server/validators/ajv'
import { BUNDLE, INITIALIZE, INITIALIZED, messages, spawnStdio } from './child.js'
import { repoPath } from '../paths.js'
import { node, type Command } from '../spawn.js'

/** spawnSync's first two arguments for a command of test/spawn.ts. */
const argv = (c: Command): [string, string[]] => [c.command, c.args]

const LOADER = pathToFileURL(repoPath('dist/src/stdio-loader.js')).href

const posix = process.platform !== 'win32'

/** A bundle as the build writes it: the hash line, then a CommonJS function body. */
function bundleFile (dir: string, body: string, name = 'b.cjs'): string {
  const file = join(dir, name)
  writeFileSync(file, `// stdio bundle sha256:${createHash('sha256').update(body).digest('hex')}\n${body}`)
  return file
}

const BODY = [
  'exports.answer = 41 + 1',
  'exports.url = __bundleUrl',
  'exports.load = (s) => __load(s)',
  "exports.fail = () => { throw new Error('from line 5') }",
  'exports.require = typeof require("node:path").join'
].join('\n')

interface Sample { answer: number, url: string, load: (s: string) => Promise<Record<string, unknown>>, fail: () => never, require: string }

/**
 * Loads a bundle through the loader in a fresh process and reports what the cache did: within one
 * process V8 reuses the script it compiled before and would not even look at the cache file.
 */
function loadInChild (file: string, cacheDir: string, save = false): { cache: CacheState, cacheFile?: string, answer: number } {
  const script = `const { loadStdioBundle } = await import(${JSON.stringify(LOADER)})
const b = loadStdioBundle(${JSON.stringify(file)}, { cacheDir: ${JSON.stringify(cacheDir)}, env: {} })
if (${save}) b.saveCache(true)
process.stdout.write(JSON.stringify({ cache: b.cache, cacheFile: b.cacheFile, answer: b.exports.answer }))`
  const r = spawnSync(...argv(node(['--input-type=module', '-e', script], {})), { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
  if (r.status !== 0) throw new Error(`the loader failed in a child process: ${r.stderr}`)
  return JSON.parse(r.stdout)
}

t.test('the first load has no cache; saved, the next load uses it and runs the same code', async (t) => {
  const dir = t.testdir({ cache: {} })
  const cacheDir = join(dir, 'cache')
  const file = bundleFile(dir, BODY)
  const first = loadInChild(file, cacheDir, true)
  t.equal(first.cache, 'absent')
  t.equal(first.answer, 42)
  t.ok(first.cacheFile && existsSync(first.cacheFile), 'the cache was written')
  if (posix) t.equal(statSync(first.cacheFile!).mode & 0o777, 0o600, 'readable by the user only')
  t.same(readdirSync(cacheDir), [first.cacheFile!.slice(cacheDir.length + 1)], 'one file, no temporary left')

  const before = statSync(first.cacheFile!)
  const second = loadInChild(file, cacheDir, true)
  t.equal(second.cache, 'accepted')
  t.equal(second.answer, 42)
  const after = statSync(first.cacheFile!)
  t.same([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'an accepted cache is not written again')
})

t.test('a new cache deletes caches unused for 14 days and temporaries left behind; a used cache is marked used', async (t) => {
  const dir = t.testdir({ cache: {} })
  const cacheDir = join(dir, 'cache')
  const other = (hash: string, version = 'v20.0.0', extra = '') => join(cacheDir, `stdio-${hash.repeat(64)}-${version}-x64.bin${extra}`)
  const days = (n: number) => (Date.now() - n * 86_400_000) / 1000
  const files = {
    oldOther: other('a'),
    recentOther: other('b', 'v24.1.0'),
    oldTmp: other('c', 'v20.0.0', '.1234.tmp'),
    freshTmp: other('d', 'v20.0.0', '.5678.tmp'),
    unrelated: join(cacheDir, 'notes.txt')
  }
  for (const f of Object.values(files)) writeFileSync(f, 'x')
  utimesSync(files.oldOther, days(20), days(20))
  utimesSync(files.recentOther, days(10), days(10))
  utimesSync(files.oldTmp, days(2), days(2))
  utimesSync(files.unrelated, days(100), days(100))
  const file = bundleFile(dir, BODY)
  const first = loadInChild(file, cacheDir, true)
  t.equal(first.cache, 'absent')
  t.same(readdirSync(cacheDir).sort(), [first.cacheFile!, files.recentOther, files.freshTmp, files.unrelated].map((f) => f.slice(cacheDir.length + 1)).sort(),
    'the unused cache and the old temporary are gone; a cache used 10 days ago, a fresh temporary and other files stay')

  // A cache in use is marked used (at most once a day), so another install's pruning keeps it.
  utimesSync(first.cacheFile!, days(3), days(3))
  t.equal(loadInChild(file, cacheDir).cache, 'accepted')
  t.ok(Date.now() - statSync(first.cacheFile!).mtimeMs < 3_600_000, 'marked used by an accepted load')
})

t.test('the bundle sees its own URL, a require from its folder, and import() as __load', async (t) => {
  const dir = t.testdir({ 'side.mjs': 'export const side = "beside the bundle"\n' })
  const file = bundleFile(dir, BODY)
  const loaded = loadStdioBundle<Sample>(file, { env: { NODE_DISABLE_COMPILE_CACHE: '1' } })
  t.equal(loaded.exports.url, pathToFileURL(file).href, '__bundleUrl is the file URL of the bundle')
  t.equal(loaded.exports.require, 'function', 'require works')
  // Relative to the bundle; bare specifiers as from the bundle's folder.
  t.equal((await loaded.exports.load('./side.mjs')).side, 'beside the bundle')
  t.equal(typeof (await loaded.exports.load('node:path')).join, 'function')
})

t.test('another bundle (another hash) never meets the cache of the first', async (t) => {
  const dir = t.testdir({ cache: {}, a: {}, b: {} })
  const cacheDir = join(dir, 'cache')
  const a = loadInChild(bundleFile(join(dir, 'a'), BODY), cacheDir, true)
  // Same length, other code: V8 alone would take the first cache for it (it checks the length).
  const b = loadInChild(bundleFile(join(dir, 'b'), BODY.replace('41 + 1', '41 + 2')), cacheDir)
  t.equal(b.cache, 'absent')
  t.not(a.cacheFile, b.cacheFile)
  t.equal(b.answer, 43)
})

t.test('a damaged cache is refused, the bundle still runs, and the cache is written again', async (t) => {
  const dir = t.testdir({ cache: {} })
  const cacheDir = join(dir, 'cache')
  const file = bundleFile(dir, BODY)
  const first = loadInChild(file, cacheDir, true)
  writeFileSync(first.cacheFile!, Buffer.alloc(2048, 7))
  const damaged = loadInChild(file, cacheDir, true)
  t.equal(damaged.cache, 'rejected')
  t.equal(damaged.answer, 42)
  t.equal(loadInChild(file, cacheDir).cache, 'accepted', 'written again')
})

t.test('a cache folder others can write to is not used', { skip: !posix && 'POSIX modes' }, async (t) => {
  const dir = t.testdir({ cache: {} })
  const cacheDir = join(dir, 'cache')
  chmodSync(cacheDir, 0o777)
  const loaded = loadStdioBundle<Sample>(bundleFile(dir, BODY), { cacheDir, env: {} })
  t.equal(loaded.cache, 'off')
  t.equal(loaded.cacheFile, undefined)
  loaded.saveCache(true)
  t.same(readdirSync(cacheDir), [], 'nothing written there')
  t.equal(loaded.exports.answer, 42, 'the bundle runs without a cache')
})

t.test('a new cache folder is created private to the user', { skip: !posix && 'POSIX modes' }, async (t) => {
  const dir = t.testdir({})
  const cacheDir = join(dir, 'new', 'cache')
  const loaded = loadStdioBundle<Sample>(bundleFile(dir, BODY), { cacheDir, env: {} })
  t.equal(loaded.cache, 'absent')
  t.equal(statSync(cacheDir).mode & 0o777, 0o700)
})

t.test('no cache without the hash line, under coverage, or with NODE_DISABLE_COMPILE_CACHE', async (t) => {
  const dir = t.testdir({ cache: {} })
  const cacheDir = join(dir, 'cache')
  const plain = join(dir, 'plain.cjs')
  writeFileSync(plain, BODY)
  t.equal(loadStdioBundle<Sample>(plain, { cacheDir, env: {} }).cache, 'off')
  const file = bundleFile(dir, BODY)
  t.equal(loadStdioBundle<Sample>(file, { cacheDir, env: { NODE_V8_COVERAGE: dir } }).cache, 'off')
  t.equal(loadStdioBundle<Sample>(file, { cacheDir, env: { NODE_DISABLE_COMPILE_CACHE: '1' } }).cache, 'off')
  t.same(readdirSync(cacheDir), [])
})

t.test('stack traces keep the bundle\'s line numbers (the wrapper shares the hash line)', async (t) => {
  const dir = t.testdir({})
  const file = bundleFile(dir, BODY)
  const loaded = loadStdioBundle<Sample>(file, { env: { NODE_DISABLE_COMPILE_CACHE: '1' } })
  const err = t.throws(() => loaded.exports.fail()) as Error
  // The body's line 4 is the file's line 5 (after the hash line).
  t.match(err.stack, `${file}:5:`)
})

t.test('the built bundle: its first line is the hash of the rest, and it calls no import()', async (t) => {
  const text = readFileSync(BUNDLE, 'utf8')
  const m = /^\/\/ stdio bundle sha256:([0-9a-f]{64})\n/.exec(text)
  t.ok(m, 'the hash line')
  t.equal(createHash('sha256').update(text.slice(m![0].length)).digest('hex'), m![1], 'the hash of the content')
  t.notMatch(text, /\bimport\("/, 'external modules are loaded through __load')
  t.notMatch(text, /import\.meta/, 'no import.meta in a function body')
  t.match(text, /__load\("undici"\)/, 'undici is loaded on demand')
})

t.test('the built bundle loads through the loader and exports the stdio entry and the settings', async (t) => {
  // In a child process: loaded here, its source map would bring the bundled dependencies' sources
  // into this suite's coverage report.
  const script = `const { loadStdioBundle } = await import(${JSON.stringify(LOADER)})
const b = loadStdioBundle(${JSON.stringify(BUNDLE)}, { env: { NODE_DISABLE_COMPILE_CACHE: '1' } })
process.stdout.write(JSON.stringify({ stdioMain: typeof b.exports.stdioMain, transport: b.exports.loadConfig({ PILOT_STATUS_API_KEY: 'ps_x' }).transport }))`
  const r = spawnSync(...argv(node(['--input-type=module', '-e', script], {})), { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
  t.equal(r.status, 0, r.stderr)
  t.same(JSON.parse(r.stdout), { stdioMain: 'function', transport: 'stdio' })
})

t.test('the lazy validator answers as the SDK\'s Ajv validator does', async (t) => {
  const schema = { type: 'object', properties: { approve: { type: 'boolean' }, when: { type: 'string', format: 'date-time' } }, required: ['approve'], additionalProperties: false } as const
  const lazy = new LazyAjvValidator()
  const ajv = new AjvJsonSchemaValidator()
  for (const input of [{ approve: true }, { approve: 'yes' }, {}, { approve: false, when: '2026-01-01T00:00:00Z' }, { approve: false, when: 'tomorrow' }, { approve: true, extra: 1 }]) {
    t.same(lazy.getValidator(schema)(input), ajv.getValidator(schema)(input), JSON.stringify(input))
  }
})

t.test('a CLI session leaves the code cache in the temporary directory, and the next session serves with it', async (t) => {
  const tmp = t.testdir({})
  const env = { PILOT_STATUS_API_KEY: 'ps_test_loader', PILOT_STATUS_API_URL: 'http://127.0.0.1:9', TMPDIR: tmp }
  let written: { ino: number, mtimeMs: number } | undefined
  for (const run of [1, 2]) {
    const p = spawnStdio(t, ['stdio'], env)
    p.child.stdin.end(`${JSON.stringify(INITIALIZE)}\n${JSON.stringify(INITIALIZED)}\n${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })}\n`)
    t.equal(await p.exited(60_000), 0, `session ${run} ended cleanly`)
    const answers = messages(p.stdout())
    t.equal(answers.find((m) => m.id === 2)?.result?.tools?.length > 0, true, `session ${run} listed the tools`)
    const folders = readdirSync(tmp).filter((f) => f.startsWith('pilot-status-mcp-code-cache'))
    t.equal(folders.length, 1, 'one cache folder')
    const files = readdirSync(join(tmp, folders[0]))
    t.equal(files.length, 1, 'one cache file')
    t.match(files[0], new RegExp(`^stdio-[0-9a-f]{64}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.bin$`))
    const st = statSync(join(tmp, folders[0], files[0]))
    // Written by the first session (at its exit); the second used it, so did not write it again.
    if (run === 1) written = { ino: st.ino, mtimeMs: st.mtimeMs }
    else t.same({ ino: st.ino, mtimeMs: st.mtimeMs }, written, 'the second session did not replace it (V8 accepted it)')
  }
})

t.test('the cache folder must not be a file or a link', { skip: !posix && 'POSIX' }, async (t) => {
  const dir = t.testdir({ file: 'not a folder', real: {} })
  symlinkSync(join(dir, 'real'), join(dir, 'link'))
  for (const name of ['file', 'link']) {
    const loaded = loadStdioBundle<Sample>(bundleFile(dir, BODY), { cacheDir: join(dir, name), env: {} })
    t.equal(loaded.cache, 'off', name)
    loaded.saveCache(true)
  }
  t.same(readdirSync(join(dir, 'real')), [], 'nothing written through the link')
})
