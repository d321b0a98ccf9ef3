// Writes config/walletd.schema.json from the zod schema (run after `npm run build`).
import { writeFileSync } from 'node:fs'
import { toConfigJsonSchema } from '../dist/config/schema.js'

writeFileSync(
  new URL('../config/walletd.schema.json', import.meta.url),
  `${JSON.stringify(toConfigJsonSchema(), null, 2)}\n`,
)
