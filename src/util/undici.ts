/**
 * undici's HTTP client, for loading on first use: `await import('../util/undici.js')`. Importing
 * the package itself dynamically would work from the compiled modules, but not from the split
 * bundle, where a dynamically imported CommonJS package only has a default export; an ES module
 * that re-exports it gets proper named exports in either form.
 */
export { Pool, request } from 'undici'
