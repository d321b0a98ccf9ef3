// biome-ignore lint/suspicious/noExplicitAny: listeners take whatever their event carries
export type Listener = (...args: any[]) => void

/**
 * The EventEmitter subset EIP-1193 providers are expected to have (`on`, `removeListener`, and
 * the `once`, `off`, `addListener`, `removeAllListeners`, `listenerCount` libraries call). A
 * listener that throws does not stop the others (the error is rethrown asynchronously, so it still
 * reaches the page's error handlers).
 */
export function createEmitter() {
  const listeners = new Map<string, Listener[]>()
  const emitter = {
    on(event: string, listener: Listener) {
      if (typeof listener !== 'function') throw new TypeError('The listener must be a function.')
      listeners.set(event, [...(listeners.get(event) ?? []), listener])
      return emitter
    },
    once(event: string, listener: Listener) {
      const wrapper: Listener & { listener?: Listener } = (...args) => {
        emitter.removeListener(event, wrapper)
        listener(...args)
      }
      wrapper.listener = listener
      return emitter.on(event, wrapper)
    },
    removeListener(event: string, listener: Listener) {
      const list = listeners.get(event)
      if (!list) return emitter
      const i = list.findLastIndex(
        (l) => l === listener || (l as { listener?: Listener }).listener === listener,
      )
      if (i !== -1) {
        const next = [...list.slice(0, i), ...list.slice(i + 1)]
        if (next.length === 0) listeners.delete(event)
        else listeners.set(event, next)
      }
      return emitter
    },
    removeAllListeners(event?: string) {
      if (event === undefined) listeners.clear()
      else listeners.delete(event)
      return emitter
    },
    listenerCount(event: string): number {
      return listeners.get(event)?.length ?? 0
    },
    /** Calls every listener of `event`; true when there was one. */
    emit(event: string, ...args: unknown[]): boolean {
      const list = listeners.get(event)
      if (!list) return false
      for (const l of list) {
        try {
          l(...args)
        } catch (err) {
          setTimeout(() => {
            throw err
          })
        }
      }
      return true
    },
  }
  return emitter
}

export type Emitter = ReturnType<typeof createEmitter>
