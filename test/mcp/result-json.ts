// The answer JSON the fast path sends without serialising a tool's data twice (call.ts resultJson,
// fast-path.ts modernResultJson) must be exactly JSON.stringify of the result, in both eras: for
// every read-only tool against the sandbox, and for arbitrary API data (untrusted fences, '<',
// unicode, arrays, null) through tools of each kind.
import t, { type Test } from 'tap'
import fc from 'fast-check'
import type { ApiClient } from '../../src/api/client.js'
import { callTool, madeJson, resultJson, type ToolResult } from '../../src/mcp/call.js'
import { modernResult, modernResultJson } from '../../src/mcp/fast-path.js'
import { invoke, registry, sandbox } from '../helper.js'

const seed = Number(process.env.FUZZ_SEED ?? 20261125)
const numRuns = Number(process.env.FUZZ_RUNS ?? 250)
const silent = { debug () {}, info () {}, warn () {}, error () {} }

function same (t: Test, r: ToolResult, what: string): void {
  t.equal(resultJson(r), JSON.stringify(r), `${what}: 2025 answer`)
  t.equal(modernResultJson(r), JSON.stringify(modernResult(r)), `${what}: 2026-07-28 answer`)
}

t.test('every read-only tool against the sandbox: the reused JSON is the result\'s JSON', async (t) => {
  const sb = await sandbox(t)
  let made = 0
  for (const [name, tool] of registry.all) {
    if (tool.def.annotations.readOnlyHint !== true) continue
    const r = await invoke(sb, name, {})
    if (madeJson(r) !== undefined) made++
    same(t, r, name)
  }
  t.ok(made >= 10, `most tools' results carried their JSON (${made})`)
})

t.test('arbitrary API data through a plain, an untrusted and a media tool', async (t) => {
  for (const name of ['templates_get', 'conversations_list', 'messages_history', 'numbers_connect']) {
    const tool = registry.all.get(name)
    if (tool === undefined) continue
    await fc.assert(fc.asyncProperty(fc.jsonValue(), fc.constantFrom('<', '</untrusted-data>', '\u2028', '"\\'), async (data, s) => {
      const shaped = data !== null && typeof data === 'object' && !Array.isArray(data) ? { ...data, note: s } : data
      const api = { call: async () => ({ status: 200, data: shaped, headers: {} }) } as unknown as ApiClient
      const r = await callTool(tool, { id: 'tpl_1', chatId: 'c_1' }, { api, credentials: { kind: 'apiKey', key: 'ps_result_json', source: 'header' }, signal: new AbortController().signal, log: silent })
      return resultJson(r) === JSON.stringify(r) && modernResultJson(r) === JSON.stringify(modernResult(r))
    }), { seed, numRuns: Math.min(numRuns, 200) })
    t.pass(`${name}: equal for every sample`)
  }
  // A result with a media block (its data left out of the text): serialised as it is.
  const api = { call: async () => ({ status: 200, data: { qrcodeBase64: 'data:image/png;base64,iVBORw0KGgo=', pairingCode: null, state: 'CONNECTING' }, headers: {} }) } as unknown as ApiClient
  const r = await callTool(registry.all.get('numbers_connect')!, { id: 'num_1' }, { api, credentials: { kind: 'apiKey', key: 'ps_result_json', source: 'header' }, signal: new AbortController().signal, log: silent })
  t.equal(r.content.length, 2, 'the QR code is an image block')
  t.equal(madeJson(r), undefined, 'no reused JSON with media')
  same(t, r, 'numbers_connect with a QR code')
})
