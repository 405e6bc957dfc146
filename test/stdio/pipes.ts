// Stream pairs for a stdio session run in-process (runStdio's stdin/stdout): what the test writes,
// and every line the session writes back, parsed.
import { PassThrough } from 'node:stream'

export function stdioPipes (): { stdin: PassThrough, stdout: PassThrough, answers: Array<Record<string, any>>, send: (m: unknown) => void } {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const answers: Array<Record<string, any>> = []
  let buf = ''
  stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8')
    for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) { answers.push(JSON.parse(buf.slice(0, i))); buf = buf.slice(i + 1) }
  })
  return { stdin, stdout, answers, send: (m) => stdin.write(JSON.stringify(m) + '\n') }
}
