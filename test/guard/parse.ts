// Parsing of the send-guard settings: durations, limits and allow-lists, with errors that name
// the setting and the bad part; and the credential fingerprint that keys them.
import t from 'tap'
import { AllowList, normaliseDestination, parseDuration, parseSendLimit } from '../../src/guard/parse.js'
import { fingerprint } from '../../src/api/credentials.js'

t.test('durations', async (t) => {
  t.equal(parseDuration('X', '60s'), 60_000)
  t.equal(parseDuration('X', '500ms'), 500)
  t.equal(parseDuration('X', '5min'), 300_000)
  t.equal(parseDuration('X', '1.5h'), 5_400_000)
  t.equal(parseDuration('X', '1d'), 86_400_000)
  t.equal(parseDuration('X', 'off'), undefined)
  t.equal(parseDuration('X', '0'), undefined)
  t.throws(() => parseDuration('PILOT_STATUS_DEDUPE_WINDOW', '60'), /PILOT_STATUS_DEDUPE_WINDOW must be a duration such as 60s.*got "60"/)
  t.throws(() => parseDuration('X', '10 fortnights'), /got "10 fortnights"/)
})

t.test('send limits', async (t) => {
  t.same(parseSendLimit('X', '30/min,500/day'), [{ limit: 30, windowMs: 60_000, label: '30/min' }, { limit: 500, windowMs: 86_400_000, label: '500/day' }])
  t.same(parseSendLimit('X', ' 10 / 30s '), [{ limit: 10, windowMs: 30_000, label: '10/30s' }])
  t.same(parseSendLimit('X', '100/h'), [{ limit: 100, windowMs: 3_600_000, label: '100/h' }])
  t.throws(() => parseSendLimit('PILOT_STATUS_SEND_LIMIT', '30/min,lots'), /PILOT_STATUS_SEND_LIMIT must be a comma list of count\/period such as 30\/min,500\/day .*got "lots"/)
  t.throws(() => parseSendLimit('X', '0/min'), /got "0\/min"/)
  t.throws(() => parseSendLimit('X', '5/100ms'), /got "5\/100ms"/, 'windows under a second are not limits')
  t.throws(() => parseSendLimit('X', '5/60day'), /got "5\/60day"/, 'nor over a month')
  t.throws(() => parseSendLimit('X', ' , '), /is empty/)
})

t.test('allow-lists', async (t) => {
  const a = AllowList.parse('X', '+5511*, +14155550100 120363000000000001@g.us,1203@newsletter')
  t.ok(a.allows('+5511988887777'))
  t.ok(a.allows('5511988887777'), 'a number without +')
  t.ok(a.allows('+55 (11) 98888-7777'), 'a number with spacing')
  t.ok(a.allows('+14155550100'))
  t.notOk(a.allows('+141555501001'), 'exact means exact')
  t.notOk(a.allows('+5521988887777'))
  t.ok(a.allows('120363000000000001@g.us'))
  t.notOk(a.allows('120363000000000002@g.us'))
  t.ok(a.allows('1203@newsletter'))
  t.notOk(a.allows('BR.1349'), 'a BSUID only when listed')
  t.ok(AllowList.parse('X', ['BR.1349']).allows('BR.1349'))
  t.ok(AllowList.parse('X', ['+55*', '+1*']).allows('+12025550100'), 'an array works too')
  t.throws(() => AllowList.parse('PILOT_STATUS_SEND_ALLOW', '+55*, 5511, alice'), /PILOT_STATUS_SEND_ALLOW has entries that are not .*: "5511", "alice"/)
  t.throws(() => AllowList.parse('X', ' '), /is empty/)
  t.equal(normaliseDestination(' +55 11 9 '), '+55119')
})

t.test('fingerprint: short, stable, per credential, never the secret', async (t) => {
  const a = fingerprint({ kind: 'apiKey', key: 'ps_secret_a', source: 'header' })
  t.match(a, /^[0-9a-f]{16}$/)
  t.equal(fingerprint({ kind: 'apiKey', key: 'ps_secret_a', keyId: 'k1', source: 'env' }), a, 'the key decides, not where it came from')
  t.not(fingerprint({ kind: 'apiKey', key: 'ps_secret_b', source: 'header' }), a)
  t.not(fingerprint({ kind: 'bearer', token: 'ps_secret_a', source: 'header' }), a, 'the kind is part of it')
  t.not(fingerprint({ kind: 'apiKeyId', keyId: 'ps_secret_a', source: 'header' }), a)
  t.notMatch(a, /secret/)
})

t.test('environment: the guard variables are read and checked by loadConfig', async (t) => {
  const { loadConfig, ConfigError } = await import('../../src/config.js')
  const c = loadConfig({ REDIS_URL: 'redis://:pw@127.0.0.1:6390/0', PILOT_STATUS_DEDUPE_WINDOW: '60s', PILOT_STATUS_SEND_ALLOW: '+55*', PILOT_STATUS_SEND_LIMIT: '30/min,500/day' })
  const guards = (x: typeof c) => ({ redis: x.redis, dedupeWindow: x.dedupeWindow, sendAllow: x.sendAllow, sendLimit: x.sendLimit, idempotencyTtl: x.idempotencyTtl })
  t.same(guards(c), { redis: 'redis://:pw@127.0.0.1:6390/0', dedupeWindow: '60s', sendAllow: ['+55*'], sendLimit: '30/min,500/day', idempotencyTtl: '24h' })
  t.same(guards(loadConfig({})), { redis: undefined, dedupeWindow: undefined, sendAllow: undefined, sendLimit: undefined, idempotencyTtl: '24h' }, 'all off by default')
  const err = (() => {
    try {
      loadConfig({ REDIS_URL: 'http://user:hunter2@x', PILOT_STATUS_SEND_LIMIT: 'many' })
    } catch (e) {
      return e
    }
  })()
  t.type(err, ConfigError)
  t.match((err as Error).message, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL \(value not shown/)
  t.match((err as Error).message, /PILOT_STATUS_SEND_LIMIT must be a comma list/)
  t.notMatch((err as Error).message, /hunter2/, 'the URL\'s password is never echoed')
})
