// In-memory OpenTelemetry for the telemetry tests: a tracer provider with an in-memory span
// exporter, a meter provider read on demand, and the W3C propagator, registered globally as an
// embedder would (the product only ever uses @opentelemetry/api), and unregistered at teardown.
import type { Test } from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { metrics, propagation, trace, SpanKind } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics'

class TestReader extends MetricReader {
  protected async onShutdown (): Promise<void> {}
  protected async onForceFlush (): Promise<void> {}
}

export interface Point {
  attributes: Record<string, unknown>
  /** Counters: the sum; histograms: the count of recordings. */
  value: number
}

export interface Otel {
  spans(): ReadableSpan[]
  /** Every data point of one metric (by its OpenTelemetry name), recorded since these providers were registered. */
  points(name: string): Promise<Point[]>
  /** Forgets the spans finished so far. */
  reset(): void
}

/** Registers in-memory providers globally for this test (before the product is built). */
export function inMemoryOtel (t: Test): Otel {
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const reader = new TestReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  t.teardown(async () => {
    trace.disable()
    metrics.disable()
    propagation.disable()
    await tracerProvider.shutdown()
    await meterProvider.shutdown()
  })
  const read = async (name: string): Promise<Point[]> => {
    const { resourceMetrics } = await reader.collect()
    const out: Point[] = []
    for (const sm of resourceMetrics.scopeMetrics) {
      for (const m of sm.metrics) {
        if (m.descriptor.name !== name) continue
        for (const dp of m.dataPoints as Array<DataPoint<number | Histogram>>) {
          const value = typeof dp.value === 'number' ? dp.value : dp.value.count
          out.push({ attributes: { ...dp.attributes }, value })
        }
      }
    }
    return out
  }
  return {
    spans: () => exporter.getFinishedSpans(),
    points: read,
    reset: () => exporter.reset()
  }
}

export const SERVER = SpanKind.SERVER
export const CLIENT = SpanKind.CLIENT

/** The spans of one trace as parent → children, for assertions. */
export function childrenOf (spans: ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  return spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)
}

export interface Upstream {
  url: string
  /** Each request: method, path and headers. */
  seen: Array<{ method: string, path: string, headers: http.IncomingHttpHeaders }>
  /** How the next requests are answered (status and JSON body). */
  answer: (status: number, body: unknown) => void
}

/** A loopback stand-in for the Pilot Status API answering every request with one scripted answer. */
export async function upstream (t: Test): Promise<Upstream> {
  let status = 200
  let body: unknown = { id: 'tpl_1', name: 'order_update', language: 'en', status: 'APPROVED', category: 'UTILITY', components: [] }
  const seen: Upstream['seen'] = []
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: (req.url ?? '').split('?')[0], headers: req.headers })
    req.resume()
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections() }))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answer: (s, b) => { status = s; body = b }
  }
}
