// Whether anyone registered OpenTelemetry providers, answered without loading OpenTelemetry: the
// API keeps its registrations on one global (a symbol per major version). None registered, the
// instrumentation (./telemetry.ts, and with it @opentelemetry/api) is never imported.
import type { Telemetry, TelemetryOptions } from './telemetry.js'

const API_GLOBAL = Symbol.for('opentelemetry.js.api.1')

/** True when a tracer or meter provider is registered globally (by our SDK or an embedder's). */
export function providersRegistered (): boolean {
  const g = (globalThis as Record<symbol, { trace?: unknown, metrics?: unknown } | undefined>)[API_GLOBAL]
  return g !== undefined && (g.trace !== undefined || g.metrics !== undefined)
}

/** The Telemetry of the providers registered now (register them before the plugin), or undefined. */
export async function loadTelemetry (opts: TelemetryOptions): Promise<Telemetry | undefined> {
  if (!providersRegistered()) return undefined
  const { Telemetry } = await import('./telemetry.js')
  return Telemetry.fromGlobals(opts)
}
