// What the endpoint refuses before any work (extends test/http/mcp-route.ts, which covers one
// case of each): the body limit exactly at its boundary, with and without Content-Length (413);
// every non-JSON content type (415); every Accept without both JSON and SSE (406). Each refusal
// is a JSON-RPC error and nothing reaches the upstream.
import t from 'tap'
import http from 'node:http'
import { product } from '../helper.js'
import { fakeUpstream } from '../faults/fake-upstream.js'

const KEY = 'ps_limits_key'
const LIMIT = 4096

interface Answer { status: number, json: any }

function send (url: string, opts: { headers: Record<string, string>, body: string, chunked?: boolean }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: opts.headers }, (res) => {
      let text = ''
      res.on('data', (d) => { text += d })
      res.on('end', () => {
        let json: any
        try { json = JSON.parse(text) } catch { json = undefined }
        resolve({ status: res.statusCode!, json })
      })
    })
    req.on('error', reject)
    if (opts.chunked) {
      // No Content-Length: the size is only known while reading.
      const half = Math.ceil(opts.body.length / 2)
      req.write(opts.body.slice(0, half))
      setTimeout(() => req.end(opts.body.slice(half)), 20)
    } else {
      req.setHeader('content-length', Buffer.byteLength(opts.body))
      req.end(opts.body)
    }
  })
}

/** A tools/list request padded to exactly `bytes` bytes of JSON. */
function bodyOf (bytes: number): string {
  const base = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { pad: '' } } })
  return base.replace('"pad":""', `"pad":"${'x'.repeat(bytes - base.length)}"`)
}

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-api-key': KEY }

t.test('413 above the body limit, exactly at the boundary, with or without Content-Length', async (t) => {
  const up = await fakeUpstream(t)
  const p = await product(t, up.url, { bodyLimitBytes: LIMIT })
  t.equal(bodyOf(LIMIT).length, LIMIT)
  for (const chunked of [false, true]) {
    const how = chunked ? 'chunked' : 'Content-Length'
    const at = await send(p.mcp, { headers: JSON_HEADERS, body: bodyOf(LIMIT), chunked })
    t.equal(at.status, 200, `${how}: exactly ${LIMIT} bytes is accepted`)
    t.ok(Array.isArray(at.json?.result?.tools), `${how}: and answered`)
    const over = await send(p.mcp, { headers: JSON_HEADERS, body: bodyOf(LIMIT + 1), chunked })
    t.equal(over.status, 413, `${how}: ${LIMIT + 1} bytes is refused`)
    t.same(over.json, { jsonrpc: '2.0', id: null, error: { code: -32000, message: `Payload Too Large: the body limit is ${LIMIT} bytes` } })
    const huge = await send(p.mcp, { headers: JSON_HEADERS, body: bodyOf(LIMIT * 64), chunked })
    t.equal(huge.status, 413, `${how}: ${LIMIT * 64} bytes is refused`)
  }
  t.equal(up.requests.length, 0, 'nothing reached the upstream')
})

t.test('415 for anything but application/json', async (t) => {
  const up = await fakeUpstream(t)
  const p = await product(t, up.url)
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
  for (const ct of ['text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/json-patch+json', 'application/xml', 'application/octet-stream']) {
    const r = await send(p.mcp, { headers: { ...JSON_HEADERS, 'content-type': ct }, body })
    t.equal(r.status, 415, `${ct} → 415`)
    t.same(r.json, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Unsupported Media Type: Content-Type must be application/json' } }, `${ct}: a JSON-RPC error`)
  }
  const none = await send(p.mcp, { headers: { accept: JSON_HEADERS.accept, 'x-api-key': KEY }, body })
  t.equal(none.status, 415, 'no Content-Type → 415')
  for (const ct of ['application/json; charset=utf-8', 'Application/JSON']) {
    const r = await send(p.mcp, { headers: { ...JSON_HEADERS, 'content-type': ct }, body })
    t.equal(r.status, 200, `${ct} is JSON`)
  }
  t.equal(up.requests.length, 0)
})

t.test('406 unless Accept lists both application/json and text/event-stream (or */*)', async (t) => {
  const up = await fakeUpstream(t)
  const p = await product(t, up.url)
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'x' } } })
  for (const accept of ['text/event-stream', 'text/html', 'application/*', 'application/xml, text/plain']) {
    const r = await send(p.mcp, { headers: { ...JSON_HEADERS, accept }, body })
    t.equal(r.status, 406, `Accept: ${accept} → 406`)
    t.same(r.json, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Not Acceptable: Accept must list application/json and text/event-stream' } })
  }
  t.equal(up.requests.length, 0, 'refused before the tool ran')
  for (const accept of ['application/json, text/event-stream', 'text/event-stream;q=0.9, application/json', '*/*']) {
    const r = await send(p.mcp, { headers: { ...JSON_HEADERS, accept }, body })
    t.equal(r.status, 200, `Accept: ${accept} → 200`)
  }
  t.equal(up.requests.length, 3, 'accepted calls reached the upstream')
})
