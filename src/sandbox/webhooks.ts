// Sandbox routes for the webhooks endpoints (to be filled in by its owner).
import type { SandboxDomain } from './index.js'

const register: SandboxDomain = (_app, _store) => {}
export default register
