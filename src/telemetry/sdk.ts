// The OpenTelemetry SDK of the standalone server, loaded only by start.ts when telemetry is on:
// tracer and meter providers registered globally with the W3C trace-context propagator, OTLP
// exporters (configured by the standard OTEL_EXPORTER_OTLP_* variables), and Prometheus on its
// own small listener. Nothing here is imported by the plugin an embedder registers.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { metrics, propagation, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus'
import { PACKAGE_VERSION } from '../meta.js'
import { ConfigError } from '../config.js'
import type { TelemetryHandle, TelemetryPlan } from './start.js'

const SERVICE_NAME = 'pilot-status-mcp'

export async function startSdk (plan: TelemetryPlan, env: NodeJS.ProcessEnv): Promise<TelemetryHandle> {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over our defaults.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || SERVICE_NAME, 'service.version': PACKAGE_VERSION }))
    .merge(detectResources({ detectors: [envDetector] }))

  const closers: Array<() => Promise<void>> = []
  const readers: IMetricReader[] = []
  let metricsUrl: string | undefined
  if (plan.prometheus) {
    const exporter = new PrometheusExporter({ preventServerStart: true })
    readers.push(exporter)
    const listener = await listen(plan.prometheus.host, plan.prometheus.port, exporter)
    const a = listener.address() as AddressInfo
    metricsUrl = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics`
    closers.push(() => new Promise<void>((resolve) => {
      listener.close(() => resolve())
      listener.closeAllConnections()
    }))
  }
  if (plan.metrics.includes('otlp')) {
    const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-http')
    const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL)
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(otlpUrl(env, 'METRICS', 'v1/metrics')), ...(Number.isInteger(interval) && interval > 0 ? { exportIntervalMillis: interval } : {}) }))
  }
  if (readers.length > 0) {
    const meterProvider = new MeterProvider({ resource, readers })
    metrics.setGlobalMeterProvider(meterProvider)
    closers.unshift(async () => {
      await meterProvider.shutdown()
      metrics.disable()
    })
  }
  if (plan.traces.includes('otlp')) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http')
    // The sampler comes from OTEL_TRACES_SAMPLER / _ARG (the SDK reads them); parent-based by default.
    const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(otlpUrl(env, 'TRACES', 'v1/traces')))] })
    trace.setGlobalTracerProvider(tracerProvider)
    closers.unshift(async () => {
      await tracerProvider.shutdown()
      trace.disable()
    })
  }
  // The trace context travels on even when only metrics are exported: an agent's trace id still
  // reaches the API in traceparent.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  closers.push(async () => propagation.disable())

  let stopping: Promise<void> | undefined
  return {
    metricsUrl,
    shutdown: () => (stopping ??= (async () => {
      for (const c of closers) await c()
    })())
  }
}

/**
 * The OTLP/HTTP URL from the environment given (the exporters would read process.env themselves):
 * the signal's own endpoint as is, else the general one with the signal's path (the spec's rule).
 * Neither: the exporter's default. Headers, timeouts and TLS stay with the exporter's own OTEL_* reading.
 */
function otlpUrl (env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS', path: string): { url: string } | undefined {
  const own = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`]?.trim()
  if (own) return { url: own }
  const general = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  return general ? { url: `${general.replace(/\/+$/, '')}/${path}` } : undefined
}

/** The scrape endpoint: GET /metrics on its own listener; everything else is 404. */
async function listen (host: string, port: number, exporter: PrometheusExporter): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      exporter.getMetricsRequestHandler(req, res)
      return
    }
    res.statusCode = 404
    res.setHeader('content-type', 'text/plain; charset=utf-8')
    res.end('Not found: metrics are served at /metrics\n')
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE'
        ? new ConfigError([`METRICS_PORT ${port} on ${host} is already in use: pick another port (METRICS_PORT=<n>)`], 'Cannot start the metrics listener')
        : err)
    })
    server.listen(port, host, () => resolve())
  })
  // Idle keep-alive sockets must not hold the process open at shutdown.
  server.keepAliveTimeout = 5000
  return server
}
