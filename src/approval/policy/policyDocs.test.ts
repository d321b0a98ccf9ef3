import { readFileSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { PolicyRuleSchema, PolicySchema, toPolicyJsonSchema } from './policySchema.js'

/** docs/policy.md and config/walletd-policy.schema.json say what the code does. */
const doc = readFileSync(new URL('../../../docs/policy.md', import.meta.url), 'utf8')

describe('the policy guide and schema', () => {
  test('config/walletd-policy.schema.json is generated from the zod schema and up to date', () => {
    expect(
      JSON.parse(
        readFileSync(new URL('../../../config/walletd-policy.schema.json', import.meta.url), 'utf8'),
      ),
    ).toEqual(JSON.parse(JSON.stringify(toPolicyJsonSchema())))
  })

  test('every rule key is documented', () => {
    for (const key of Object.keys(PolicyRuleSchema.shape)) expect(doc, key).toContain(`\`${key}\``)
  })

  test('every JSON example in the guide is a valid policy', () => {
    const examples = [...doc.matchAll(/```json policy\n([\s\S]*?)```/g)].map((m) => m[1]!)
    expect(examples.length).toBeGreaterThan(1)
    for (const example of examples) {
      const parsed = PolicySchema.safeParse(JSON.parse(example))
      expect(parsed.success, `${example}\n${JSON.stringify(parsed.error?.issues)}`).toBe(true)
    }
  })
})
