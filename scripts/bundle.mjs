// Bundles the stdio entry (dist/src/stdio.js, built by tsc) into one file,
// dist/src/stdio.bundle.cjs, which the CLI loads for `stdio` without `--sandbox`: one file to
// read instead of hundreds, run through src/stdio-loader.ts with a V8 code cache, for a faster
// spawn → first tools/list. The file is a CommonJS function body for that loader: line 1 is
// `// stdio bundle sha256:<hex>` (the hash of the rest, which names the cache), `import.meta.url`
// is the loader's `__bundleUrl` and the dynamic imports of external modules call the loader's
// `__load` (a vm.Script cannot run `import()` on Node 20 without a flag).
// undici stays external: the API client loads it on the first tool call, not at start-up; so is
// ioredis, loaded only when REDIS_URL is set, and the OpenTelemetry SDK module. All three are
// dynamic imports: a static import of an external package would load at every start (checked
// below). Ajv (the SDK's JSON Schema validator, needed only for an elicitation answer) is left out:
// the SDK's `_shims` module is replaced by src/stdio-shims.ts, whose validator loads it on first use.
// Usage (part of `npm run build`): node scripts/bundle.mjs
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import { fileURLToPath } from 'node:url'
import { sep } from 'node:path'

const dist = fileURLToPath(new URL('../dist/src/', import.meta.url))
const outfile = `${dist}stdio.bundle.cjs`
// The ESM bundle of earlier builds: nothing loads it any more.
rmSync(`${dist}stdio.bundle.mjs`, { force: true })
rmSync(`${dist}stdio.bundle.mjs.map`, { force: true })

const result = await build({
  entryPoints: [`${dist}stdio.js`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // ioredis too: loaded only when REDIS_URL is set.
  external: ['undici', 'ioredis'],
  plugins: [{
    name: 'stdio-bundle',
    setup (b) {
      // The OpenTelemetry SDK module stays its own file, loaded only when telemetry is on (from the
      // bundle's folder, dist/src/, it is ./telemetry/sdk.js).
      b.onResolve({ filter: /^\.\/sdk\.js$/ }, (args) => args.importer.endsWith(`${sep}telemetry${sep}start.js`) ? { path: './telemetry/sdk.js', external: true } : undefined)
      // The SDK's Node shim imports Ajv eagerly; ours loads it when a schema is first checked.
      b.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({ path: `${dist}stdio-shims.js` }))
    }
  }],
  define: { 'import.meta.url': '__bundleUrl' },
  minify: true,
  keepNames: false,
  legalComments: 'none',
  // Linked to the tsc output's own maps, so stack traces (--enable-source-maps) point into src/*.ts.
  // Coverage leaves the bundle out (package.json): the modules it is built from are measured as such.
  sourcemap: 'linked',
  metafile: true,
  write: false,
  logLevel: 'warning'
})
const inputs = Object.keys(result.metafile.inputs)
for (const forbidden of ['node_modules/fastify/', 'node_modules/qrcode/', 'node_modules/pino-pretty/', '/sandbox/', 'node_modules/undici/', 'node_modules/ioredis/', 'node_modules/@opentelemetry/sdk-', 'node_modules/@opentelemetry/exporter-', 'node_modules/@opentelemetry/core/', 'node_modules/@opentelemetry/resources/', 'telemetry/sdk.js', 'ajvProvider', 'node_modules/ajv']) {
  const hit = inputs.find((i) => i.includes(forbidden))
  if (hit) throw new Error(`the stdio bundle must not contain ${forbidden} (pulled in: ${hit})`)
}
const [output] = Object.values(result.metafile.outputs).filter((o) => o.entryPoint)
// An external package required statically anywhere in the bundle is loaded at every start.
const eager = output.imports.filter((i) => i.external && i.kind !== 'dynamic-import' && !isBuiltin(i.path))
if (eager.length > 0) throw new Error(`the stdio bundle would load ${eager.map((i) => i.path).join(', ')} at start-up: import it dynamically`)

const js = result.outputFiles.find((f) => f.path === outfile)
const map = result.outputFiles.find((f) => f.path === `${outfile}.map`)
let code = js.text
if (code.includes('import.meta')) throw new Error('the stdio bundle still reads import.meta (the loader passes __bundleUrl instead)')
// Each dynamic import of an external module becomes a call of the loader's __load: same length,
// so the source map's columns still hold.
for (const { path } of output.imports.filter((i) => i.external && i.kind === 'dynamic-import')) {
  const call = `import(${JSON.stringify(path)})`
  const n = code.split(call).length - 1
  if (n === 0) throw new Error(`the stdio bundle imports ${path} dynamically, but not as ${call}: the loader could not serve it`)
  code = code.replaceAll(call, `__load(${JSON.stringify(path)})`)
}
if (/\bimport\(/.test(code.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""'))) throw new Error('the stdio bundle still calls import(): a vm.Script cannot run it on Node 20')
const body = code
const hash = createHash('sha256').update(body).digest('hex')
writeFileSync(outfile, `// stdio bundle sha256:${hash}\n${body}`)
// One line more at the top: the map starts with an empty line.
const sourceMap = JSON.parse(map.text)
sourceMap.mappings = `;${sourceMap.mappings}`
writeFileSync(map.path, JSON.stringify(sourceMap))
process.stdout.write(`stdio bundle: ${Math.round(Buffer.byteLength(body) / 1024)} KiB from ${inputs.length} modules\n`)
