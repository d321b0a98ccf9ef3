// Writes config/walletd.schema.json and config/walletd-policy.schema.json from the zod schemas
// (run after `npm run build`).
import { writeFileSync } from 'node:fs'
import { toPolicyJsonSchema } from '../dist/approval/policy/policySchema.js'
import { toConfigJsonSchema } from '../dist/config/schema.js'

writeFileSync(
  new URL('../config/walletd.schema.json', import.meta.url),
  `${JSON.stringify(toConfigJsonSchema(), null, 2)}\n`,
)
writeFileSync(
  new URL('../config/walletd-policy.schema.json', import.meta.url),
  `${JSON.stringify(toPolicyJsonSchema(), null, 2)}\n`,
)
