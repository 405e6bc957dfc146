// Whether the standalone server turns OpenTelemetry on, and starting it: the standard OTEL_*
// variables or METRICS_PORT ask for it, OTEL_SDK_DISABLED=true refuses it. Off (the default), the
// SDK module (./sdk.ts) and every @opentelemetry package but the API are never loaded.
// @see https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
import type { Logger } from 'pino'

/** What the server runs: exporters by signal, and the Prometheus listener. */
export interface TelemetryPlan {
  traces: Array<'otlp'>
  metrics: Array<'otlp'>
  prometheus?: { host: string, port: number }
  /** Exporter names given in OTEL_*_EXPORTER that this server does not run (logged). */
  ignored: string[]
}

export interface TelemetryHandle {
  /** Where Prometheus scrapes, when the listener runs (e.g. http://127.0.0.1:9464/metrics). */
  metricsUrl?: string
  /** Flushes what is buffered and stops exporting (spans, metrics, the listener). */
  shutdown: () => Promise<void>
}

/** The OpenTelemetry SDK's default Prometheus port (OTEL_EXPORTER_PROMETHEUS_PORT). */
const PROMETHEUS_PORT = 9464

function exporters (value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined
  return value.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)
}

function set (env: NodeJS.ProcessEnv, name: string): boolean {
  return (env[name] ?? '').trim() !== ''
}

/** What the settings and the environment ask for; undefined when telemetry stays off. */
export function telemetryPlan (config: { metricsPort?: number, metricsHost: string }, env: NodeJS.ProcessEnv): TelemetryPlan | undefined {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return undefined
  const ignored: string[] = []
  const pick = (names: string[] | undefined, endpoint: boolean, supported: readonly string[]): string[] => {
    // Unset: an OTLP endpoint asks for OTLP export. Set: exactly what it lists ('none' → nothing).
    if (names === undefined) return endpoint ? ['otlp'] : []
    if (names.includes('none')) return []
    for (const n of names) if (!supported.includes(n)) ignored.push(n)
    return names.filter((n) => supported.includes(n))
  }
  const general = set(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')
  const traces = pick(exporters(env.OTEL_TRACES_EXPORTER), general || set(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'), ['otlp']) as Array<'otlp'>
  const metricNames = pick(exporters(env.OTEL_METRICS_EXPORTER), general || set(env, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'), ['otlp', 'prometheus'])
  const metrics = metricNames.filter((n): n is 'otlp' => n === 'otlp')
  const promPort = Number(env.OTEL_EXPORTER_PROMETHEUS_PORT)
  const prometheus = config.metricsPort !== undefined
    ? { host: config.metricsHost, port: config.metricsPort }
    : metricNames.includes('prometheus')
      ? { host: config.metricsHost, port: Number.isInteger(promPort) && promPort >= 0 && promPort <= 65535 && set(env, 'OTEL_EXPORTER_PROMETHEUS_PORT') ? promPort : PROMETHEUS_PORT }
      : undefined
  if (traces.length === 0 && metrics.length === 0 && prometheus === undefined) return undefined
  return { traces, metrics, prometheus, ignored }
}

/**
 * Starts the SDK when the configuration asks for it (before the server listens, so the first
 * request does not pay for it) and registers its providers globally; undefined when off.
 */
export async function startTelemetry (config: { metricsPort?: number, metricsHost: string }, env: NodeJS.ProcessEnv, logger: Pick<Logger, 'info' | 'warn'>): Promise<TelemetryHandle | undefined> {
  const plan = telemetryPlan(config, env)
  if (plan === undefined) return undefined
  if (plan.ignored.length) logger.warn({ exporters: plan.ignored }, 'OTEL_*_EXPORTER names exporters this server does not run (it runs otlp, and prometheus for metrics); ignored')
  const { startSdk } = await import('./sdk.js')
  const handle = await startSdk(plan, env)
  logger.info({ traces: plan.traces, metrics: plan.metrics, prometheus: handle.metricsUrl }, 'OpenTelemetry on')
  return handle
}
