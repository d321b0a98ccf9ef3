import type { Services } from '../services.js'
import type { MethodDefinition } from './types.js'

/** Declares a method module; only for type inference (returns its argument frozen). */
export function defineMethod<P, R>(
  definition: MethodDefinition<P, R, Services>,
): MethodDefinition<P, R, Services> {
  return Object.freeze(definition)
}
