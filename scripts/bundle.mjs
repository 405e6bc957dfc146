// Bundles the stdio entry (dist/src/stdio.js, built by tsc) into one ESM file,
// dist/src/stdio.bundle.mjs, which the CLI loads for `stdio` without `--sandbox`: one file to
// read and compile instead of hundreds, for a faster spawn → first tools/list. undici stays
// external: the API client loads it on the first tool call, not at start-up; so is ioredis,
// loaded only when REDIS_URL is set. Both are dynamic imports: esbuild hoists a static import of
// an external package to the bundle's top, where it would load at every start (checked below).
// Usage (part of `npm run build`): node scripts/bundle.mjs
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { sep } from 'node:path'

const dist = fileURLToPath(new URL('../dist/src/', import.meta.url))
const result = await build({
  entryPoints: [`${dist}stdio.js`],
  outfile: `${dist}stdio.bundle.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ioredis too: loaded only when REDIS_URL is set.
  external: ['undici', 'ioredis'],
  // The OpenTelemetry SDK module stays its own file, loaded only when telemetry is on (from the
  // bundle's folder, dist/src/, it is ./telemetry/sdk.js).
  plugins: [{
    name: 'telemetry-sdk-external',
    setup (b) {
      b.onResolve({ filter: /^\.\/sdk\.js$/ }, (args) => args.importer.endsWith(`${sep}telemetry${sep}start.js`) ? { path: './telemetry/sdk.js', external: true } : undefined)
    }
  }],
  minify: true,
  keepNames: false,
  legalComments: 'none',
  // Linked to the tsc output's own maps, so coverage of the bundle is reported against src/*.ts.
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  // CommonJS dependencies (pino, ajv) call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" }
})
const inputs = Object.keys(result.metafile.inputs)
for (const forbidden of ['node_modules/fastify/', 'node_modules/qrcode/', 'node_modules/pino-pretty/', '/sandbox/', 'node_modules/undici/', 'node_modules/ioredis/', 'node_modules/@opentelemetry/sdk-', 'node_modules/@opentelemetry/exporter-', 'node_modules/@opentelemetry/core/', 'node_modules/@opentelemetry/resources/', 'telemetry/sdk.js']) {
  const hit = inputs.find((i) => i.includes(forbidden))
  if (hit) throw new Error(`the stdio bundle must not contain ${forbidden} (pulled in: ${hit})`)
}
// An external package imported statically anywhere in the bundle is loaded at every start.
const eager = Object.values(result.metafile.outputs).flatMap((o) => o.imports).filter((i) => i.external && i.kind === 'import-statement' && !i.path.startsWith('node:'))
if (eager.length > 0) throw new Error(`the stdio bundle would load ${eager.map((i) => i.path).join(', ')} at start-up: import it dynamically`)
const bytes = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith('.mjs'))[1].bytes
process.stdout.write(`stdio bundle: ${Math.round(bytes / 1024)} KiB from ${inputs.length} modules\n`)
