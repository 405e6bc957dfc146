// Paths into the repository for tests. Tests run from their compiled copies (dist/test) as well as
// from source, so a path is never taken relative to a test file: it is found from the repository's
// root, the nearest folder above this module holding the package's package.json.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@pilot-status/mcp-server') return dir
    const up = dirname(dir)
    if (up === dir) throw new Error('test/paths.ts: the repository root (package.json of @pilot-status/mcp-server) was not found')
    dir = up
  }
}

/** The repository's root folder (no trailing slash). */
export const ROOT = findRoot()
/** A path inside the repository, e.g. repoPath('dist/src/cli.js'). */
export const repoPath = (...parts: string[]): string => join(ROOT, ...parts)
/** The built CLI every spawned-process test runs (`npm run build` makes it). */
export const CLI = repoPath('dist/src/cli.js')
