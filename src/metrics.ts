import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  type MetricValueWithName,
  Registry,
} from 'prom-client'

export type Metrics = ReturnType<typeof createMetrics>

type Labels<L extends string> = Partial<Record<L, string | number>>

/** A counter for one label set: a plain number. */
export type CounterChild = { inc(value?: number): void }
/** A gauge for one label set: a plain number. */
export type GaugeChild = { inc(value?: number): void; dec(value?: number): void; set(value: number): void }
/** A histogram for one label set: bucket counts in a typed array, a sum and a count. */
export type HistogramChild = { observe(value: number): void }

/**
 * A hot-path counter: `labels(...)` resolves a label set once (callers keep the child) and
 * `inc()` adds to a plain number. Exported through the prom-client metric's `collect()` hook at
 * scrape time, so prom-client renders `/metrics` exactly as before; it no longer validates and
 * hashes labels on every increment.
 */
export type FastCounter<L extends string> = {
  labels(...values: Array<string | number>): CounterChild
  inc(labels: Labels<L>, value?: number): void
  inc(value?: number): void
  /** The prom-client view (runs the export): what the registry renders. */
  get(): Promise<MetricObjectWithValues<MetricValue<L>>>
}

export type FastGauge<L extends string> = {
  labels(...values: Array<string | number>): GaugeChild
  set(labels: Labels<L>, value: number): void
  set(value: number): void
  inc(labels?: Labels<L>, value?: number): void
  dec(labels?: Labels<L>, value?: number): void
  get(): Promise<MetricObjectWithValues<MetricValue<L>>>
}

export type FastHistogram<L extends string> = {
  labels(...values: Array<string | number>): HistogramChild
  observe(labels: Labels<L>, value: number): void
  observe(value: number): void
  get(): Promise<MetricObjectWithValues<MetricValueWithName<L>>>
}

const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30,
] as const

/**
 * Prometheus metrics on a registry of walletd's own (never the global one). Label values are
 * bounded: methods not in the method table are counted as `unknown`. Counting costs a property
 * increment (counters, gauges) or a bucket scan and three increments in a typed array
 * (histograms); the numbers reach prom-client only when `/metrics` is read.
 */
export function createMetrics({ defaults = true }: { defaults?: boolean } = {}) {
  const registry = new Registry()
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'walletd_' })
  return {
    registry,
    connectionsActive: createGauge(registry, {
      name: 'walletd_connections_active',
      help: 'Open client connections.',
      labelNames: ['transport'] as const,
    }),
    connectionsTotal: createCounter(registry, {
      name: 'walletd_connections_total',
      help: 'Connection attempts by outcome (accepted, or why refused).',
      labelNames: ['outcome'] as const,
    }),
    requestsTotal: createCounter(registry, {
      name: 'walletd_requests_total',
      help: 'JSON-RPC requests by method and outcome (ok, or the error code).',
      labelNames: ['method', 'outcome'] as const,
    }),
    requestDuration: createHistogram(registry, {
      name: 'walletd_request_duration_seconds',
      help: 'Time from a parsed request to its response, by method.',
      labelNames: ['method'] as const,
      buckets: DURATION_BUCKETS,
    }),
    upstreamDuration: createHistogram(registry, {
      name: 'walletd_upstream_request_duration_seconds',
      help: 'Upstream round trips by chain and outcome.',
      labelNames: ['chain', 'outcome'] as const,
      buckets: DURATION_BUCKETS,
    }),
    upstreamConnected: createGauge(registry, {
      name: 'walletd_upstream_connected',
      help: '1 when the chain upstream is connected.',
      labelNames: ['chain'] as const,
    }),
    rateLimited: createCounter(registry, {
      name: 'walletd_ratelimit_rejections_total',
      help: 'Requests refused by a rate limit, by tier.',
      labelNames: ['limit'] as const,
    }),
    approvals: createCounter(registry, {
      name: 'walletd_approvals_total',
      help: 'Approval decisions by method and decision.',
      labelNames: ['method', 'decision'] as const,
    }),
    errors: createCounter(registry, {
      name: 'walletd_errors_total',
      help: 'Errors answered, by code.',
      labelNames: ['code'] as const,
    }),
    subscriptionsActive: createGauge(registry, {
      name: 'walletd_subscriptions_active',
      help: 'Live eth_subscribe subscriptions.',
      labelNames: [] as const,
    }),
    authFailures: createCounter(registry, {
      name: 'walletd_auth_failures_total',
      help: 'Failed host-token authentications, by reason (missing, malformed, invalid).',
      labelNames: ['reason'] as const,
    }),
  }
}

type Definition<L extends string> = { name: string; help: string; labelNames: readonly L[] }

/**
 * The label sets of one metric, each resolved once to its series (kept in a Map by its values).
 * A series joins its metric's export order at its first update: the order prom-client prints in.
 */
function createSeriesIndex<L extends string, S extends { labels: Record<string, string> }>(
  { name, labelNames }: Definition<L>,
  make: (labels: Record<string, string>) => S,
) {
  const byKey = new Map<string, S>()
  function of(values: ReadonlyArray<string | number | undefined>): S {
    const key = values.length === 1 ? String(values[0]) : values.join('\u0000')
    let series = byKey.get(key)
    if (series === undefined) {
      if (values.length !== labelNames.length || values.some((v) => v === undefined)) {
        throw new Error(`${name}: expected labels ${labelNames.join(', ') || '(none)'}`)
      }
      const labels: Record<string, string> = {}
      labelNames.forEach((label, i) => {
        labels[label] = String(values[i])
      })
      series = make(labels)
      byKey.set(key, series)
    }
    return series
  }
  return {
    of,
    /** The series of a label object (`{ outcome: 'accepted' }`); unknown label names are refused. */
    ofObject(labels: Labels<L>): S {
      for (const label in labels) {
        if (!labelNames.includes(label as L)) throw new Error(`${name}: unknown label ${label}`)
      }
      return of(labelNames.map((label) => labels[label]))
    },
  }
}

class CounterSeries implements CounterChild {
  value = 0
  seen = false
  constructor(
    readonly labels: Record<string, string>,
    private readonly order: CounterSeries[],
  ) {}
  inc(value = 1) {
    if (!this.seen) {
      this.seen = true
      this.order.push(this)
    }
    if (value > 0) this.value += value
  }
}

class GaugeSeries implements GaugeChild {
  value = 0
  seen = false
  constructor(
    readonly labels: Record<string, string>,
    private readonly order: GaugeSeries[],
  ) {}
  private touch() {
    if (!this.seen) {
      this.seen = true
      this.order.push(this)
    }
  }
  inc(value = 1) {
    this.touch()
    this.value += value
  }
  dec(value = 1) {
    this.touch()
    this.value -= value
  }
  set(value: number) {
    this.touch()
    this.value = value
  }
}

class HistogramSeries implements HistogramChild {
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf only). */
  readonly counts: Float64Array
  sum = 0
  count = 0
  seen = false
  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: Float64Array,
    private readonly order: HistogramSeries[],
  ) {
    this.counts = new Float64Array(bounds.length + 1)
  }
  observe(value: number) {
    if (!Number.isFinite(value)) return
    if (!this.seen) {
      this.seen = true
      this.order.push(this)
    }
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    this.counts[i]!++
    this.sum += value
    this.count++
  }
}

function createCounter<L extends string>(registry: Registry, def: Definition<L>): FastCounter<L> {
  const order: CounterSeries[] = []
  const index = createSeriesIndex(def, (labels) => new CounterSeries(labels, order))
  const unlabeled = def.labelNames.length === 0 ? index.of([]) : null
  unlabeled?.inc(0)
  const metric = new Counter<L>({
    name: def.name,
    help: def.help,
    labelNames: def.labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (const s of order) {
        if (unlabeled) this.inc(s.value)
        else this.inc(s.labels as Labels<L> as never, s.value)
      }
    },
  })
  return {
    labels: (...values) => index.of(values),
    inc(labels?: Labels<L> | number, value?: number) {
      if (typeof labels === 'object') index.ofObject(labels).inc(value)
      else unlabeledOrThrow(def, unlabeled).inc(labels)
    },
    get: () => metric.get(),
  }
}

function createGauge<L extends string>(registry: Registry, def: Definition<L>): FastGauge<L> {
  const order: GaugeSeries[] = []
  const index = createSeriesIndex(def, (labels) => new GaugeSeries(labels, order))
  const unlabeled = def.labelNames.length === 0 ? index.of([]) : null
  unlabeled?.set(0)
  const metric = new Gauge<L>({
    name: def.name,
    help: def.help,
    labelNames: def.labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (const s of order) {
        if (unlabeled) this.set(s.value)
        else this.set(s.labels as Labels<L> as never, s.value)
      }
    },
  })
  const seriesOf = (labels: Labels<L> | undefined) =>
    labels === undefined ? unlabeledOrThrow(def, unlabeled) : index.ofObject(labels)
  return {
    labels: (...values) => index.of(values),
    set(labels: Labels<L> | number, value?: number) {
      if (typeof labels === 'object') index.ofObject(labels).set(value!)
      else unlabeledOrThrow(def, unlabeled).set(labels)
    },
    inc: (labels, value) => seriesOf(labels).inc(value),
    dec: (labels, value) => seriesOf(labels).dec(value),
    get: () => metric.get(),
  }
}

type HistogramEntry = { bucketValues: Record<number, number>; sum: number; count: number }

function createHistogram<L extends string>(
  registry: Registry,
  def: Definition<L> & { buckets: readonly number[] },
): FastHistogram<L> {
  const bounds = Float64Array.from(def.buckets)
  const order: HistogramSeries[] = []
  const index = createSeriesIndex(def, (labels) => new HistogramSeries(labels, bounds, order))
  const unlabeled = def.labelNames.length === 0 ? index.of([]) : null
  const metric = new Histogram<L>({
    name: def.name,
    help: def.help,
    labelNames: def.labelNames,
    buckets: [...def.buckets],
    registers: [registry],
    collect() {
      // prom-client keeps a histogram's series in `hashMap` (one entry per label set, bucket counts
      // by upper bound, not cumulative); `zero()` adds each in order and the counts are copied in.
      // metrics.test.ts compares the output with a prom-client histogram fed the same values.
      this.reset()
      for (const s of order) this.zero(s.labels as Labels<L> as never)
      if (unlabeled && order.length === 0) this.zero({} as never)
      const entries = Object.values((this as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap)
      const list = unlabeled && order.length === 0 ? [unlabeled] : order
      list.forEach((s, i) => {
        const entry = entries[i]!
        for (let b = 0; b < bounds.length; b++) entry.bucketValues[bounds[b]!] = s.counts[b]!
        entry.sum = s.sum
        entry.count = s.count
      })
    },
  })
  return {
    labels: (...values) => index.of(values),
    observe(labels: Labels<L> | number, value?: number) {
      if (typeof labels === 'object') index.ofObject(labels).observe(value!)
      else unlabeledOrThrow(def, unlabeled).observe(labels)
    },
    get: () => metric.get(),
  }
}

function unlabeledOrThrow<S>(def: Definition<string>, unlabeled: S | null): S {
  if (!unlabeled) throw new Error(`${def.name}: expected labels ${def.labelNames.join(', ')}`)
  return unlabeled
}
