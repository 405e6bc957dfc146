// The standalone server's SDK: when it starts (OTEL_* variables, METRICS_PORT, OTEL_SDK_DISABLED),
// the Prometheus endpoint on its own loopback listener, scraped over HTTP and parsed with a
// Prometheus text-format parser, and OTLP/HTTP export to a loopback collector.
import t from 'tap'
import { createRequire } from 'node:module'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { metrics, trace } from '@opentelemetry/api'
import { product, rawPost } from '../helper.js'
import { startTelemetry, telemetryPlan } from '../../src/telemetry/start.js'
import { providersRegistered } from '../../src/telemetry/load.js'
import { upstream } from './harness.js'
import { PACKAGE_VERSION } from '../../src/meta.js'

interface Family { name: string, type: string, metrics: Array<{ labels?: Record<string, string>, value?: string, buckets?: Record<string, string>, count?: string, sum?: string }> }
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[]

const LOOPBACK = { metricsHost: '127.0.0.1' }
const silent = pino({ level: 'silent' })

t.test('telemetry is off unless asked for, and OTEL_SDK_DISABLED wins', async (t) => {
  t.equal(telemetryPlan(LOOPBACK, {}), undefined, 'off by default')
  t.equal(telemetryPlan(LOOPBACK, { OTEL_SERVICE_NAME: 'x', OTEL_TRACES_EXPORTER: 'none' }), undefined)
  t.equal(await startTelemetry(LOOPBACK, {}, silent), undefined, 'nothing started')
  t.same(telemetryPlan(LOOPBACK, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), { traces: ['otlp'], metrics: ['otlp'], prometheus: undefined, ignored: [] })
  t.same(telemetryPlan(LOOPBACK, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), { traces: ['otlp'], metrics: [], prometheus: undefined, ignored: [] })
  t.same(telemetryPlan(LOOPBACK, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_METRICS_EXPORTER: 'none' }), { traces: ['otlp'], metrics: [], prometheus: undefined, ignored: [] })
  t.same(telemetryPlan(LOOPBACK, { OTEL_METRICS_EXPORTER: 'prometheus,console', OTEL_TRACES_EXPORTER: 'zipkin' }), { traces: [], metrics: [], prometheus: { host: '127.0.0.1', port: 9464 }, ignored: ['zipkin', 'console'] })
  t.same(telemetryPlan({ metricsPort: 9100, metricsHost: '0.0.0.0' }, {}), { traces: [], metrics: [], prometheus: { host: '0.0.0.0', port: 9100 }, ignored: [] })
  t.equal(telemetryPlan({ metricsPort: 9100, metricsHost: '127.0.0.1' }, { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' }), undefined)
})

t.test('METRICS_PORT: /metrics on its own loopback listener, in the Prometheus text format', async (t) => {
  const handle = await startTelemetry({ metricsPort: 0, metricsHost: '127.0.0.1' }, {}, silent)
  if (!handle?.metricsUrl) throw new Error('no metrics listener')
  t.teardown(() => handle.shutdown())
  t.match(handle.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  const up = await upstream(t)
  const p = await product(t, up.url)
  const res = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' } } }, { 'x-api-key': 'ps_test_key', 'mcp-protocol-version': '2025-11-25' })
  t.equal(res.status, 200)
  t.equal(up.seen[0].headers.traceparent, undefined, 'metrics only, no tracer: no trace id is made up')

  const scrape = await fetch(handle.metricsUrl)
  t.equal(scrape.status, 200)
  t.match(scrape.headers.get('content-type'), /^text\/plain/)
  const text = await scrape.text()
  const families = parsePrometheus(text)
  const byName = new Map(families.map((f) => [f.name, f]))
  const duration = byName.get('mcp_server_operation_duration')
  t.equal(duration?.type, 'HISTOGRAM', `families: ${[...byName.keys()].join(', ')}`)
  t.equal(duration?.metrics[0]?.buckets?.['+Inf'], '1', 'one request recorded')
  // The parser keeps a labelled histogram's buckets but drops its labels and _count: read the
  // one _count series from the text itself.
  const counts = text.split('\n').filter((l) => l.startsWith('mcp_server_operation_duration_count{'))
  t.equal(counts.length, 1)
  const labels = Object.fromEntries([...counts[0].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
  t.same(labels, { mcp_method_name: 'tools/call', gen_ai_tool_name: 'templates_get', network_transport: 'tcp', mcp_protocol_version: '2025-11-25', otel_scope_name: '@pilot-status/mcp-server', otel_scope_version: PACKAGE_VERSION })
  t.match(counts[0], /\} 1$/)
  const upstreamCalls = byName.get('pilot_status_upstream_requests_total') ?? byName.get('pilot_status_upstream_requests')
  t.equal(upstreamCalls?.type, 'COUNTER')
  t.same(upstreamCalls?.metrics.map((m) => [m.labels?.pilot_status_status_class, m.value]), [['2xx', '1']])

  const given = `00-${'e'.repeat(32)}-${'f'.repeat(16)}-01`
  await rawPost(p.mcp, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' }, _meta: { traceparent: given } } }, { 'x-api-key': 'ps_test_key' })
  t.equal(up.seen[1].headers.traceparent, given, 'metrics only: the caller\'s trace context still reaches the API, unchanged')

  const base = handle.metricsUrl.replace(/\/metrics$/, '')
  const other = await fetch(`${base}/mcp`)
  t.equal(other.status, 404, 'the metrics listener serves /metrics only')
  await other.body?.cancel()

  await handle.shutdown()
  t.equal(providersRegistered(), false, 'shut down: the global providers are gone')
  t.equal(metrics.getMeterProvider().getMeter('x'), metrics.getMeter('y'))
  t.notOk(trace.getTracer('x').startSpan('x').isRecording())
  await t.rejects(fetch(handle.metricsUrl), 'the listener is closed')
})

t.test('a taken METRICS_PORT is a clear start-up error', async (t) => {
  const first = await startTelemetry({ metricsPort: 0, metricsHost: '127.0.0.1' }, {}, silent)
  t.teardown(() => first?.shutdown())
  const port = Number(new URL(first!.metricsUrl!).port)
  await t.rejects(startTelemetry({ metricsPort: port, metricsHost: '127.0.0.1' }, {}, silent), { message: new RegExp(`METRICS_PORT ${port} on 127\\.0\\.0\\.1 is already in use`) })
})

t.test('OTEL_EXPORTER_OTLP_ENDPOINT: spans and metrics reach an OTLP/HTTP collector; shutdown flushes them', async (t) => {
  const received: Array<{ path: string, body: string }> = []
  const collector = http.createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString('utf8') })
    req.on('end', () => {
      received.push({ path: req.url ?? '', body })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { collector.close(() => resolve()); collector.closeAllConnections() }))
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
  const handle = await startTelemetry(LOOPBACK, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'otel-test-service' }, silent)
  t.teardown(() => handle?.shutdown())
  t.equal(handle?.metricsUrl, undefined, 'no Prometheus listener without METRICS_PORT')
  const up = await upstream(t)
  const p = await product(t, up.url)
  const traceId = '9'.repeat(32)
  const res = await rawPost(p.mcp, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'templates_get', arguments: { id: 'tpl_1' }, _meta: { traceparent: `00-${traceId}-${'8'.repeat(16)}-01` } } }, { 'x-api-key': 'ps_test_key' })
  t.equal(res.status, 200)
  t.match(up.seen[0].headers.traceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))
  await handle!.shutdown()
  const traces = received.filter((r) => r.path === '/v1/traces').map((r) => r.body).join('\n')
  const metricsSent = received.filter((r) => r.path === '/v1/metrics').map((r) => r.body).join('\n')
  t.match(traces, 'tools/call templates_get', 'the SERVER span was exported')
  t.match(traces, 'otel-test-service', 'OTEL_SERVICE_NAME names the service')
  t.match(metricsSent, 'mcp.server.operation.duration', 'the duration histogram was exported')
})
