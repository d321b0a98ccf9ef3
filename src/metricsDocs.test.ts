import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { createMetrics } from './metrics.js'

/**
 * docs/metrics.md lists every metric walletd registers. Fails when a metric is missing from its
 * table, or when a row's type or labels differ from the registered metric.
 */

const doc = readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8')

/** The cells of the table row for `name`: metric, type, labels, what it counts. */
function rowFor(name: string): string[] | undefined {
  const line = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`))
  return line
    ?.slice(1, -1)
    .split('|')
    .map((cell) => cell.trim())
}

async function registered() {
  const { registry } = createMetrics({ defaults: false })
  const described = await registry.getMetricsAsJSON()
  return described.map(({ name, type }) => {
    const metric = registry.getSingleMetric(name) as unknown as { labelNames?: readonly string[] }
    return { name, type: String(type), labelNames: [...(metric.labelNames ?? [])] }
  })
}

const metrics = await registered()

describe('docs/metrics.md', () => {
  test('walletd registers metrics (a sanity check of the listing)', () => {
    expect(metrics.map((m) => m.name)).toContain('walletd_requests_total')
    expect(metrics.find((m) => m.name === 'walletd_requests_total')?.labelNames).toEqual([
      'method',
      'outcome',
    ])
    expect(metrics.length).toBeGreaterThanOrEqual(10)
  })

  test.each(metrics.map((m) => [m.name, m] as const))(
    '%s is documented with its type and labels',
    (name, m) => {
      const row = rowFor(name)
      expect(row, `no row "| \`${name}\` |" in docs/metrics.md`).toBeDefined()
      expect(row![1]).toBe(m.type)
      const labels = row![2] === '—' ? [] : row![2]!.split(',').map((l) => l.trim().replace(/^`|`$/g, ''))
      expect(labels).toEqual(m.labelNames)
      expect(row![3]!.length).toBeGreaterThan(10)
    },
  )

  test('every metric row names a registered metric', () => {
    const documented = [...doc.matchAll(/^\| `(walletd_[a-z_]+)` \|/gm)].map((match) => match[1])
    const known = new Set(metrics.map((m) => m.name))
    expect(documented.filter((name) => !known.has(name!))).toEqual([])
  })

  test('the process metrics named in the doc are the ones exported', async () => {
    const text = await createMetrics().registry.metrics()
    for (const name of [
      'walletd_process_cpu_seconds_total',
      'walletd_process_resident_memory_bytes',
      'walletd_nodejs_eventloop_lag_p99_seconds',
      'walletd_nodejs_heap_size_used_bytes',
    ]) {
      expect(doc).toContain(`\`${name}\``)
      expect(text).toContain(`\n${name}`)
    }
  })
})
