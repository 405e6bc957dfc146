// Loads the stdio bundle (dist/src/stdio.bundle.cjs, built by scripts/bundle.mjs) with a V8 code
// cache, on every Node.js version: the bytecode of the bundle's top level and of every function the
// previous start ran (settings, registry, the SDK's schemas, initialize, tools/list) is read from
// disk instead of being compiled again. Node ≥ 22.1 has a compile cache of its own, but it keeps
// only what is compiled before a module runs (its top level) and Node 20 has none; compiling is a
// large part of a cold start (the bundle is ~0.6 MB of code).
//
// The bundle is a CommonJS function body, run as `new vm.Script` in this context; the build writes
// the SHA-256 of its content on its first line, and the cache file is named after that hash and the
// Node.js version and architecture, so a cache never meets other code (V8 also refuses data from
// another V8 version or other flags: the file is then written again). The cache lives in a folder of
// the temporary directory private to the user (created 0700; a folder that is not the user's own,
// or that others may write to, is not used). Nothing is cached under NODE_V8_COVERAGE or with
// NODE_DISABLE_COMPILE_CACHE set (Node's own switch for its compile cache). Any failure to read or
// write the cache only costs the compile it would have saved. Writing a new cache deletes the
// folder's cache files that no start has used for 14 days (those of older versions, say).
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Script } from 'node:vm'

/** The first line the build writes: the SHA-256 (hex) of everything after it. */
const HEADER = /^\/\/ stdio bundle sha256:([0-9a-f]{64})\n/

/** The parameters of the bundle's function body; `__load` stands in for `import()` (a vm.Script cannot use it on Node 20). */
const PARAMS = 'exports, require, module, __filename, __dirname, __bundleUrl, __load'

/** How long a session serves before the code it compiled is written to the cache (or at exit, if sooner). */
const SAVE_AFTER_MS = 3000

const DAY_MS = 86_400_000
/**
 * Cache files of other bundles or Node.js versions (an upgrade leaves the old one behind) are
 * deleted when a new cache is written, once no start has used them for this long. Two installs
 * used side by side (two clients pinning two versions) keep their caches: each start that uses
 * its cache marks it used (at most once a day).
 */
const UNUSED_FOR_MS = 14 * DAY_MS
/** A temporary file this old is a write that never finished (a killed process). */
const TMP_LEFT_FOR_MS = DAY_MS
const CACHE_NAME = /^stdio-[0-9a-f]{64}-v[0-9.]+-[a-z0-9]+\.bin$/
const TMP_NAME = /^stdio-[0-9a-f]{64}-v[0-9.]+-[a-z0-9]+\.bin\.\d+\.tmp$/

export type CacheState = 'off' | 'absent' | 'accepted' | 'rejected'

export interface LoadedBundle<T> {
  exports: T
  /** What the cache did at this load: not used, none yet, used, or refused by V8 (stale). */
  cache: CacheState
  /**
   * Writes the bytecode compiled so far to the cache, now (`now`) or once the session has served a
   * while (or when the process exits, if sooner); only when no usable cache was read. Call it once
   * the bundle is serving, so the cache holds the serving code and not only the start-up.
   */
  saveCache: (now?: boolean) => void
  /** The cache file (absent when caching is off). */
  cacheFile?: string
}

export interface LoadOptions {
  /** The cache folder (default: a per-user folder in the temporary directory). */
  cacheDir?: string
  env?: NodeJS.ProcessEnv
}

/** The per-user cache folder, created private; undefined when it cannot be trusted or made. */
function cacheFolder (dir: string | undefined): string | undefined {
  const uid = process.getuid?.()
  const folder = dir ?? join(tmpdir(), `pilot-status-mcp-code-cache${uid === undefined ? '' : `-${uid}`}`)
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 })
    const st = lstatSync(folder)
    if (!st.isDirectory()) return undefined
    // Bytecode from a file others could have written would run as this user.
    if (uid !== undefined && (st.uid !== uid || (st.mode & 0o022) !== 0)) return undefined
    return folder
  } catch {
    return undefined
  }
}

export function loadStdioBundle<T> (file: string, opts: LoadOptions = {}): LoadedBundle<T> {
  const env = opts.env ?? process.env
  const source = readFileSync(file, 'utf8')
  const hash = HEADER.exec(source)?.[1]
  const off = hash === undefined || Boolean(env.NODE_V8_COVERAGE) || Boolean(env.NODE_DISABLE_COMPILE_CACHE)
  const folder = off ? undefined : cacheFolder(opts.cacheDir)
  const cacheFile = folder && join(folder, `stdio-${hash}-${process.version}-${process.arch}.bin`)
  let cachedData: Buffer | undefined
  if (cacheFile) {
    try { cachedData = readFileSync(cacheFile) } catch {}
  }
  // The wrapper shares the first line with the header comment, so every line keeps its number
  // (the linked source map and stack traces stay right).
  const script = new Script(`(function (${PARAMS}) {${source}\n})`, { filename: file, cachedData })
  const cache: CacheState = !cacheFile ? 'off' : cachedData === undefined ? 'absent' : script.cachedDataRejected === true ? 'rejected' : 'accepted'
  if (cache === 'accepted') markUsed(cacheFile!)
  const url = pathToFileURL(file)
  const load = async (specifier: string): Promise<unknown> => await import(specifier.startsWith('.') ? new URL(specifier, url).href : specifier)
  const module = { exports: {} as T }
  ;(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file), url.href, load)

  let saved = cache === 'off' || cache === 'accepted'
  let scheduled = false
  const save = (): void => {
    if (saved || !cacheFile) return
    saved = true
    process.off('exit', save)
    const tmp = `${cacheFile}.${process.pid}.tmp`
    try {
      writeFileSync(tmp, script.createCachedData(), { mode: 0o600 })
      renameSync(tmp, cacheFile)
    } catch {
      try { unlinkSync(tmp) } catch {}
    }
    prune(folder!, cacheFile)
  }
  return {
    exports: module.exports,
    cache,
    cacheFile,
    saveCache (now = false) {
      if (saved) return
      if (now) { save(); return }
      if (scheduled) return
      scheduled = true
      setTimeout(save, SAVE_AFTER_MS).unref()
      process.once('exit', save)
    }
  }
}

/** Marks a cache file used (its modification time), at most once a day; see UNUSED_FOR_MS. */
function markUsed (file: string): void {
  try {
    const now = Date.now()
    if (now - statSync(file).mtimeMs > DAY_MS) utimesSync(file, now / 1000, now / 1000)
  } catch {}
}

/** Deletes the folder's cache files no start has used for UNUSED_FOR_MS, and temporaries left behind. */
function prune (folder: string, keep: string): void {
  let names: string[]
  try { names = readdirSync(folder) } catch { return }
  const now = Date.now()
  for (const name of names) {
    const path = join(folder, name)
    const limit = CACHE_NAME.test(name) ? UNUSED_FOR_MS : TMP_NAME.test(name) ? TMP_LEFT_FOR_MS : undefined
    if (limit === undefined || path === keep) continue
    try {
      if (now - statSync(path).mtimeMs > limit) unlinkSync(path)
    } catch {}
  }
}
