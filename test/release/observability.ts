// The observability deploy files cannot be run here (no Docker); this checks them statically: every
// PromQL metric and label the Grafana dashboard uses exists in the telemetry contract
// (src/telemetry/names.ts in Prometheus form), every metric of the contract has a panel, and
// Prometheus, Grafana's provisioning and the compose overlay point at each other and at the
// replicas of docker-compose.yml.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { repoPath } from '../paths.js'
import { ATTR, METRICS } from '../../src/telemetry/names.js'

// Grafana's syntax for a dashboard variable, not a template string.
// eslint-disable-next-line no-template-curly-in-string
const DATASOURCE_VARIABLE = '${datasource}'
const read = (p: string) => readFileSync(repoPath(p), 'utf8')
const yaml = (p: string) => parse(read(p)) as Record<string, any>

/**
 * The contract in Prometheus form, from names.ts: the kind of each metric is its doc comment's
 * first word (Histogram / Counter); dots become underscores, counters get `_total`, histograms
 * `_bucket`, `_sum` and `_count` (the OpenTelemetry JS exporter adds no unit suffix).
 */
function contract (): { metrics: Map<string, string>, labels: Set<string> } {
  const source = read('src/telemetry/names.ts')
  const kinds = new Map<string, string>()
  for (const m of source.matchAll(/\/\*\*\s*(Histogram|Counter)\b[^]*?\*\/\s*(\w+):\s*'([^']+)'/g)) kinds.set(m[3], m[1])
  const metrics = new Map<string, string>()
  for (const name of Object.values(METRICS)) {
    const kind = kinds.get(name)
    if (!kind) throw new Error(`names.ts: ${name} has no "Histogram" or "Counter" doc comment`)
    const prom = name.replace(/\./g, '_')
    if (kind === 'Counter') metrics.set(`${prom}_total`, name)
    else for (const s of ['_bucket', '_sum', '_count']) metrics.set(prom + s, name)
  }
  // Prometheus's own: `up` per scrape target, and the labels it adds.
  metrics.set('up', 'up')
  const labels = new Set([...Object.values(ATTR).map((a) => a.replace(/\./g, '_')), 'le', 'job', 'instance'])
  return { metrics, labels }
}

interface Panel { id: number, type: string, title: string, datasource?: { uid: string }, targets?: Array<{ expr: string }>, panels?: Panel[], gridPos: Record<string, number> }

const dashboard = JSON.parse(read('deploy/grafana/dashboards/pilot-status-mcp.json')) as { uid: string, panels: Panel[], templating: { list: Array<{ name: string, query: unknown }> } }
const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])])
const queries = [
  ...allPanels.flatMap((p) => (p.targets ?? []).map((x) => ({ where: p.title, expr: x.expr }))),
  ...dashboard.templating.list.filter((v) => v.name !== 'datasource').map((v) => ({ where: `$${v.name}`, expr: typeof v.query === 'string' ? v.query : (v.query as { query: string }).query }))
]

/** Metric names in a PromQL expression: identifiers that are neither functions, keywords, labels nor strings. */
function metricNames (expr: string): string[] {
  const bare = expr.replace(/label_values\(([^,)]*),[^)]*\)/g, '$1').replace(/"[^"]*"/g, '""').replace(/\{[^}]*\}/g, '{}').replace(/\b(by|without)\s*\([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '')
  const words = [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0])
  const FUNCS = new Set(['sum', 'rate', 'irate', 'increase', 'histogram_quantile', 'label_values', 'avg', 'max', 'min', 'count'])
  return words.filter((w) => !FUNCS.has(w) && !/^\$/.test(w) && !/^__/.test(w))
}

/** Label names an expression groups by or matches on. */
function labelNames (expr: string): string[] {
  const out: string[] = []
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) out.push(...m[1].split(',').map((s) => s.trim()).filter(Boolean))
  for (const b of expr.matchAll(/\{([^}]*)\}/g)) for (const m of b[1].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"/g)) out.push(m[1])
  for (const m of expr.matchAll(/label_values\([^,)]*,\s*(\w+)\)/g)) out.push(m[1])
  return out
}

t.test('the dashboard queries only the contract\'s metrics and labels, and charts every metric', async (t) => {
  const { metrics, labels } = contract()
  t.equal(metrics.get('mcp_server_operation_duration_bucket'), 'mcp.server.operation.duration', 'the MCP histogram, no _seconds suffix')
  t.ok(queries.length >= 15, `${queries.length} queries`)
  const used = new Set<string>()
  for (const q of queries) {
    const names = metricNames(q.expr)
    t.ok(names.length > 0, `${q.where}: queries a metric`)
    for (const n of names) {
      t.ok(metrics.has(n), `${q.where}: ${n} is in the contract`)
      used.add(metrics.get(n) ?? n)
    }
    for (const l of labelNames(q.expr)) t.ok(labels.has(l), `${q.where}: label ${l} is in the contract`)
    if (q.expr.includes('histogram_quantile')) {
      t.match(q.expr, /_bucket\b/, `${q.where}: a quantile over buckets`)
      t.match(q.expr, /by \(le\b/, `${q.where}: grouped by le`)
    }
  }
  t.same(Object.values(METRICS).filter((m) => !used.has(m)), [], 'every metric of the contract has a panel')
  // RED per tool, the errors the issue names, and each quantile.
  const exprs = queries.map((q) => q.expr).join('\n')
  t.match(exprs, /sum by \(gen_ai_tool_name\) \(rate\(mcp_server_operation_duration_count\{mcp_method_name="tools\/call"/)
  t.match(exprs, /error_type!=""/)
  for (const q of ['0.5', '0.95', '0.99']) t.match(exprs, `histogram_quantile(${q}, sum by (le, gen_ai_tool_name) (rate(mcp_server_operation_duration_bucket`)
  t.match(exprs, /pilot_status_status_class!="2xx"/)
  t.match(exprs, /sum by \(pilot_status_auth_kind\)/)
})

t.test('the dashboard is well-formed for provisioning', async (t) => {
  t.equal(dashboard.uid, 'pilot-status-mcp')
  const ids = allPanels.map((p) => p.id)
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique')
  for (const p of allPanels.filter((x) => x.type !== 'row')) {
    t.equal(p.datasource?.uid, DATASOURCE_VARIABLE, `${p.title}: the data source variable`)
    t.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: fits the grid`)
  }
  t.ok(dashboard.templating.list.some((v) => v.name === 'datasource'), 'a data source variable')
})

t.test('Prometheus scrapes every replica of docker-compose.yml on the METRICS_PORT the overlay sets', async (t) => {
  const base = yaml('docker-compose.yml')
  const overlay = yaml('docker-compose.observability.yml')
  const prom = yaml('deploy/prometheus.yml')
  // The replicas: the services built from this repository (the x-mcp anchor).
  const replicas = Object.entries(base.services as Record<string, any>).filter(([, s]) => s.build === '.').map(([n]) => n).sort()
  t.same(replicas, ['mcp1', 'mcp2'])
  const job = (prom.scrape_configs as any[]).find((j) => j.job_name === 'pilot-status-mcp')
  t.ok(job, 'a scrape job')
  t.equal(job.metrics_path, '/metrics')
  const targets = (job.static_configs as any[]).flatMap((c) => c.targets as string[])
  t.same(targets.map((x) => x.split(':')[0]).sort(), replicas, 'one target per replica, by its service name')
  for (const r of replicas) {
    const env = overlay.services[r]?.environment ?? {}
    t.ok(/^\d+$/.test(String(env.METRICS_PORT)), `${r}: the overlay sets METRICS_PORT`)
    t.equal(env.METRICS_HOST, '0.0.0.0', `${r}: listening beyond loopback, for Prometheus`)
    t.ok(targets.includes(`${r}:${env.METRICS_PORT}`), `${r}: scraped on ${env.METRICS_PORT}`)
    t.not(String(env.METRICS_PORT), '8787', `${r}: never the MCP port`)
    t.notOk(overlay.services[r].ports, `${r}: the metrics port is not published`)
  }
})

t.test('the overlay: pinned images, mounted files that exist, Grafana pointed at Prometheus', async (t) => {
  const overlay = yaml('docker-compose.observability.yml')
  const base = yaml('docker-compose.yml')
  for (const name of ['prometheus', 'grafana']) {
    const s = overlay.services[name]
    t.match(s.image, /^[\w./-]+:v?\d+\.\d+\.\d+$/, `${name}: a pinned image tag (${s.image})`)
    t.notOk(name in base.services, `${name}: added by the overlay only`)
    for (const v of s.volumes as string[]) {
      const [host] = v.split(':')
      t.ok(existsSync(repoPath(host)), `${name}: ${host} exists`)
    }
  }
  const grafanaMounts = Object.fromEntries((overlay.services.grafana.volumes as string[]).map((v) => { const [h, c] = v.split(':'); return [h, c] }))
  const ds = yaml('deploy/grafana/provisioning/datasources/prometheus.yml').datasources[0]
  const promPort = (overlay.services.prometheus.ports as string[])[0].split(':')[1]
  t.equal(ds.url, `http://prometheus:${promPort}`, 'the data source is the prometheus service')
  t.equal(ds.type, 'prometheus')
  const provider = yaml('deploy/grafana/provisioning/dashboards/pilot-status-mcp.yml').providers[0]
  t.equal(grafanaMounts['./deploy/grafana/dashboards'], provider.options.path, 'the dashboards folder is mounted where the provider reads')
  t.equal(grafanaMounts['./deploy/grafana/provisioning'], '/etc/grafana/provisioning')
  const promMount = (overlay.services.prometheus.volumes as string[])[0].split(':')
  t.same(promMount.slice(0, 2), ['./deploy/prometheus.yml', '/etc/prometheus/prometheus.yml'])
})
