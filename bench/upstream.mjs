// A zero-latency fake Pilot Status API for benchmarks: fixed answers, no state. Counts the TCP
// connections it accepted and the requests it served (GET /__stats), to show keep-alive at work.
import Fastify from 'fastify'

const app = Fastify({ logger: false, keepAliveTimeout: 60_000 })
let connections = 0
let requests = 0
app.server.on('connection', () => { connections++ })
app.addHook('onRequest', async (req) => { if (req.url !== '/__stats') requests++ })
const template = { id: 'tpl_order_update', name: 'order_update', category: 'UTILITY', language: 'pt_BR', body: { body: { text: 'Hi {{name}}, your order {{order}} has shipped.' } }, variables: ['name', 'order'], source: 'PILOT_STATUS', metaStatus: null, sendable: true }
app.get('/v1/templates/:id', async () => template)
app.get('/v1/numbers', async () => ({ numbers: [{ id: 'num_1', phoneNumber: '5511999990001', state: 'OPEN' }] }))
app.post('/v1/messages/send', async (_req, reply) => reply.code(202).send({ id: 'msg_bench', correlationId: 'corr_bench', status: 'QUEUED', createdAt: '2026-06-20T10:00:00.000Z', origin: 'API', sourceNumber: '5511999990001' }))
app.get('/__stats', async () => ({ connections, requests }))
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })
process.stdout.write(`${app.server.address().port}\n`)
