import { PassThrough } from 'node:stream'
import { expect, test } from 'vitest'
import { createHiddenPrompt } from './createHiddenPrompt.js'

function fakeTty() {
  const input = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, rawCalls: [] as boolean[] })
  ;(input as unknown as { setRawMode: (m: boolean) => void }).setRawMode = (m: boolean) => {
    input.rawCalls.push(m)
    input.isRaw = m
  }
  let echoed = ''
  const output = new PassThrough()
  output.on('data', (c) => (echoed += c))
  return { input, output, echoed: () => echoed }
}

test('reads without echo, handles backspace (UTF-8 aware), restores the mode', async () => {
  const t = fakeTty()
  const prompt = createHiddenPrompt({ input: t.input as never, output: t.output })!
  const answer = prompt('Passphrase: ')
  t.input.write(Buffer.from('pä\x7fss wörd\x7f\x7fd\r', 'utf8'))
  expect((await answer).toString('utf8')).toBe('pss wöd')
  expect(t.echoed()).toBe('Passphrase: \n')
  expect(t.input.rawCalls).toEqual([true, false])
})

test('Ctrl-C aborts; not a TTY → no prompt', async () => {
  const t = fakeTty()
  const answer = createHiddenPrompt({ input: t.input as never, output: t.output })!('Q: ')
  t.input.write(Buffer.from('abc\x03'))
  await expect(answer).rejects.toThrow(/aborted/)
  expect(createHiddenPrompt({ input: new PassThrough() as never })).toBeUndefined()
})
