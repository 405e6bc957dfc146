// Prints the byte size of tools/list (compact JSON, as sent) for the full catalogue and for
// common narrower configurations. Usage: npm run build && node bench/tools-list-size.mjs
const { ToolRegistry } = await import(new URL('../dist/src/mcp/registry.js', import.meta.url))
const { ALL_TOOLS, TOOLSETS } = await import(new URL('../dist/tools/index.js', import.meta.url))

const registry = new ToolRegistry(ALL_TOOLS)
const size = (filter) => {
  const list = registry.view(filter).listResult
  return { tools: list.tools.length, bytes: Buffer.byteLength(JSON.stringify(list)) }
}
const rows = [
  ['default: all 56 tools', size({})],
  ['all 56 tools + output schemas (PILOT_STATUS_OUTPUT_SCHEMAS=true)', size({ outputSchemas: true })],
  ['read-only', size({ readOnly: true })],
  ...TOOLSETS.map((ts) => [`toolset ${ts}`, size({ toolsets: [ts] })])
]
console.log('| configuration | tools | bytes |')
console.log('|---|---:|---:|')
for (const [name, r] of rows) console.log(`| ${name} | ${r.tools} | ${r.bytes} |`)
const perTool = [...registry.all.values()].map((t) => [t.def.name, Buffer.byteLength(JSON.stringify(t.leanEntry))]).sort((a, b) => b[1] - a[1])
console.log(`\nlargest entries: ${perTool.slice(0, 5).map(([n, b]) => `${n} ${b}`).join(', ')}`)
console.log(JSON.stringify({ bench: 'tools-list-size', default: size({}).bytes, withOutputSchemas: size({ outputSchemas: true }).bytes, readOnly: size({ readOnly: true }).bytes, limit: 40960 }))
