import { expect, test } from 'vitest'
import { redactUrl, scrubUserinfo } from './redactUrl.js'

test.each([
  ['ws://127.0.0.1:8545', 'ws://127.0.0.1:8545'],
  ['ws://127.0.0.1:8545/', 'ws://127.0.0.1:8545'],
  ['https://user:secret@node.example/rpc', 'https://node.example/…'],
  ['wss://mainnet.infura.example/ws/v3/0123456789abcdef', 'wss://mainnet.infura.example/…'],
  ['https://rpc.example/?apikey=SECRETKEY', 'https://rpc.example/…'],
  ['not a url', '<invalid url>'],
])('%s → %s', (input, expected) => {
  const out = redactUrl(input)
  expect(out).toBe(expected)
  expect(out).not.toMatch(/secret|SECRETKEY|0123456789abcdef/)
})

test('scrubUserinfo removes credentials copied into error texts', () => {
  expect(scrubUserinfo('connect ECONNREFUSED wss://u:p@host.example:443')).toBe(
    'connect ECONNREFUSED wss://host.example:443',
  )
})
