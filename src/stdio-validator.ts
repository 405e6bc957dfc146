// The JSON Schema validator of the stdio server, loaded when first used. The SDK validates a
// JSON Schema only for an elicitation answer (a confirmation round); Ajv, the engine behind its
// AjvJsonSchemaValidator, is ~40% of the stdio bundle's code, so it is not loaded at start-up: the
// first getValidator() requires the SDK's own CommonJS build of the same validator
// (`@modelcontextprotocol/server/validators/ajv`, synchronously, as getValidator is synchronous).
// Same class, same options, same answers; only the moment it loads moves.
import { createRequire } from 'node:module'
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/server'

type AjvModule = typeof import('@modelcontextprotocol/server/validators/ajv')

export class LazyAjvValidator implements jsonSchemaValidator {
  #engine?: jsonSchemaValidator

  getValidator<T> (schema: JsonSchemaType): JsonSchemaValidator<T> {
    this.#engine ??= new (createRequire(import.meta.url)('@modelcontextprotocol/server/validators/ajv') as AjvModule).AjvJsonSchemaValidator()
    return this.#engine.getValidator<T>(schema)
  }
}
