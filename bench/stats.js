// Statistics the bench reports: medians, quartiles, and per-round paired ratios.

/** q-quantile (0..1) of `values`, linear between the nearest ranks. */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const at = (sorted.length - 1) * q
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo)
}

export const median = (values) => quantile(values, 0.5)

/** Median and quartiles of a list of per-round values: { median, q1, q3, n }. */
export function spread(values) {
  return { median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75), n: values.length }
}

/**
 * Per-round paired ratios a[i] / b[i] (both measured in the same round, one after the other),
 * summarised as their median and quartiles: the figure the targets are judged on. Pairing within
 * a round cancels most of the drift of a shared machine's load between rounds.
 */
export function pairedRatio(a, b) {
  if (a.length !== b.length) throw new Error('pairedRatio: rounds differ')
  return spread(a.map((x, i) => x / b[i]))
}

/** The order of `items` for round `round`: rotated by one each round, so none always goes first. */
export function rotated(items, round) {
  const k = round % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}
