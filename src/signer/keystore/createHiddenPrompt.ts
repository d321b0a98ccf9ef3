import { KeystoreError } from '../../errors/startup.js'

/** Asks a question on the terminal and reads an answer without echoing it. Returns a Buffer to zero. */
export type HiddenPrompt = (question: string) => Promise<Buffer>

type TtyInput = NodeJS.ReadStream & { setRawMode?: (mode: boolean) => unknown; isTTY?: boolean }

const MAX_BYTES = 1024

/**
 * A hidden-input prompt on a TTY (raw mode, nothing echoed), or undefined when `input` is not a TTY.
 * The answer is collected byte by byte into a zero-initialised Buffer, never into a string. Enter
 * ends it, Backspace deletes a character, Ctrl-C/Ctrl-D abort.
 */
export function createHiddenPrompt({
  input = process.stdin as TtyInput,
  output = process.stderr as NodeJS.WritableStream,
}: {
  input?: TtyInput
  output?: NodeJS.WritableStream
} = {}): HiddenPrompt | undefined {
  if (!input.isTTY || typeof input.setRawMode !== 'function') return undefined
  return (question) =>
    new Promise<Buffer>((resolve, reject) => {
      const buf = Buffer.alloc(MAX_BYTES)
      let len = 0
      const wasRaw = input.isRaw === true
      const done = (err: Error | undefined) => {
        input.removeListener('data', onData)
        input.setRawMode!(wasRaw)
        input.pause()
        output.write('\n')
        if (err) {
          buf.fill(0)
          reject(err)
          return
        }
        const out = Buffer.alloc(len)
        buf.copy(out, 0, 0, len)
        buf.fill(0)
        resolve(out)
      }
      const onData = (chunk: Buffer) => {
        for (let i = 0; i < chunk.length; i++) {
          const b = chunk[i]!
          if (b === 0x0d || b === 0x0a) {
            chunk.fill(0)
            return done(undefined)
          }
          if (b === 0x03 || (b === 0x04 && len === 0)) {
            chunk.fill(0)
            return done(new KeystoreError('Passphrase prompt aborted'))
          }
          if (b === 0x7f || b === 0x08) {
            // Drop one UTF-8 character: continuation bytes are 10xxxxxx.
            // (at len 0, buf[-1] is undefined: not a continuation byte)
            while ((buf[len - 1]! & 0xc0) === 0x80) buf[--len] = 0
            if (len > 0) buf[--len] = 0
            continue
          }
          if (len >= MAX_BYTES) {
            chunk.fill(0)
            return done(new KeystoreError('Passphrase longer than 1024 bytes'))
          }
          buf[len++] = b
        }
        chunk.fill(0)
      }
      output.write(question)
      input.setRawMode!(true)
      input.on('data', onData)
      input.resume()
    })
}
