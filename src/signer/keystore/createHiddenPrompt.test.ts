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

test('Enter as LF; the rest of the chunk after Enter is dropped and the chunk zeroed; the mode restored', async () => {
  const t = fakeTty()
  t.input.isRaw = true
  const prompt = createHiddenPrompt({ input: t.input as never, output: t.output })!
  const answer = prompt('Q: ')
  const chunk = Buffer.from('ab\ncd')
  t.input.write(chunk)
  expect((await answer).toString()).toBe('ab')
  expect([...chunk]).toEqual([0, 0, 0, 0, 0])
  // It was raw before: raw again after; nothing left listening, the stream paused.
  expect(t.input.rawCalls).toEqual([true, true])
  expect(t.input.listenerCount('data')).toBe(0)
  expect(t.input.isPaused()).toBe(true)
})

test('answers split over chunks; chunks are zeroed once read', async () => {
  const t = fakeTty()
  const answer = createHiddenPrompt({ input: t.input as never, output: t.output })!('Q: ')
  const chunks = [Buffer.from('se'), Buffer.from('cr'), Buffer.from('et\r')]
  for (const c of chunks) t.input.write(c)
  expect((await answer).toString()).toBe('secret')
  for (const c of chunks) expect([...c]).toEqual(new Array(c.length).fill(0))
})

test('Ctrl-D aborts an empty answer only; Backspace on nothing does nothing', async () => {
  const t = fakeTty()
  const prompt = createHiddenPrompt({ input: t.input as never, output: t.output })!
  const empty = prompt('Q: ')
  t.input.write(Buffer.from('\x04'))
  await expect(empty).rejects.toThrow('Passphrase prompt aborted')
  expect(t.echoed()).toBe('Q: \n')
  const t2 = fakeTty()
  const later = createHiddenPrompt({ input: t2.input as never, output: t2.output })!('Q: ')
  t2.input.write(Buffer.from('\x08\x7fa\x04b\x08c\r'))
  expect([...(await later)]).toEqual([0x61, 0x04, 0x63])
  // A lone backspace before any input, then three bytes of a UTF-8 character removed as one.
  const t3 = fakeTty()
  const utf8 = createHiddenPrompt({ input: t3.input as never, output: t3.output })!('Q: ')
  t3.input.write(Buffer.from('x€\x7f€y\r', 'utf8'))
  expect((await utf8).toString('utf8')).toBe('x€y')
})

test('1024 bytes are accepted, the 1025th is refused', async () => {
  const t = fakeTty()
  const prompt = createHiddenPrompt({ input: t.input as never, output: t.output })!
  const ok = prompt('Q: ')
  t.input.write(Buffer.concat([Buffer.alloc(1024, 0x61), Buffer.from('\r')]))
  expect((await ok).length).toBe(1024)
  const t2 = fakeTty()
  const long = createHiddenPrompt({ input: t2.input as never, output: t2.output })!('Q: ')
  t2.input.write(Buffer.alloc(1025, 0x61))
  await expect(long).rejects.toThrow('Passphrase longer than 1024 bytes')
})

test('a TTY without setRawMode gets no prompt', () => {
  const input = Object.assign(new PassThrough(), { isTTY: true })
  expect(createHiddenPrompt({ input: input as never })).toBeUndefined()
})
