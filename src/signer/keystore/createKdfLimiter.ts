/** A tiny semaphore: at most `limit` key derivations (≈256 MiB each for standard scrypt) at a time. */
export type KdfLimiter = { run<T>(fn: () => Promise<T>): Promise<T> }

export function createKdfLimiter(limit = 2): KdfLimiter {
  let active = 0
  const waiting: (() => void)[] = []
  return {
    async run(fn) {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
      else active++
      try {
        return await fn()
      } finally {
        const next = waiting.shift()
        if (next) next()
        else active--
      }
    },
  }
}
