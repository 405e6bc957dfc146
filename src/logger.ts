// The process logger: pino to stderr (stdout belongs to the stdio JSON-RPC channel), with
// every credential-bearing field redacted and query strings stripped of secrets.
import { pino, type Logger } from 'pino'
import type { LogLevel } from './config.js'

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-api-key-id"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-api-key-id"]',
  '*.apiKey', '*.apiKeyId', '*.key', '*.token', '*.access_token', '*.refresh_token',
  '*.client_secret', '*.code_verifier', '*.password', '*.secret', '*.authorization'
]

const SECRET_PARAMS = /([?&](?:access_token|token|code|key|api_key|apikey|client_secret|refresh_token)=)[^&#]*/gi

/** The request URL as logged: secret-looking query parameters are masked. */
export function safeUrl (url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]')
}

export function createLogger (level: LogLevel): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req: (req: { method: string, url: string, id?: string, ip?: string }) => ({ method: req.method, url: safeUrl(req.url), id: req.id, ip: req.ip })
    }
  }, pino.destination({ dest: 2, sync: true }))
}
