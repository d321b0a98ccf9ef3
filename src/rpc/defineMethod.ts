import type { MethodDefinition } from './types.js'

/** Declares a method module; only for type inference (returns its argument frozen). */
export function defineMethod<P, R, Prepared = undefined>(
  definition: MethodDefinition<P, R, Prepared>,
): MethodDefinition<P, R, Prepared> {
  return Object.freeze(definition)
}
