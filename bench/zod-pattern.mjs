// Turns the tools' input JSON Schemas (TypeBox output) into zod v4 SOURCE TEXT, so the `pattern`
// benchmark target can declare every tool the way the SDK's documented stateless example does:
// zod schemas written as literals in code, hence constructed afresh on every request.
//
//   zodFactorySource(jsonSchema, report?)  -> source of one zod expression (free variable `z`)
//   buildToolsFactory(tools, z)            -> () => [zod input schema per tool], compiled once
//
// `report` (optional) collects what the conversion could not express exactly:
//   unconstrained  positions where the JSON Schema itself allows any value (emitted as z.unknown())
//   fallbacks      schemas the converter does not understand (emitted as z.any()); expected to be empty
//   ignored        keywords that were dropped (path + keyword)

const ANNOTATIONS = new Set(['$id', '$schema', '$comment', 'description', 'title', 'examples', 'default', 'readOnly', 'writeOnly', 'deprecated'])
const COMMON = new Set([...ANNOTATIONS, 'type'])
const KNOWN = {
  string: new Set([...COMMON, 'minLength', 'maxLength', 'pattern', 'format']),
  number: new Set([...COMMON, 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
  integer: new Set([...COMMON, 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']),
  boolean: COMMON,
  null: COMMON,
  array: new Set([...COMMON, 'items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems']),
  object: new Set([...COMMON, 'properties', 'required', 'additionalProperties', 'patternProperties'])
}
// JSON Schema formats zod has a direct validator for (anything else stays a plain string, reported).
const FORMATS = {
  'date-time': 'z.iso.datetime({ offset: true })', // RFC 3339: `Z` or a numeric offset
  date: 'z.iso.date()',
  time: 'z.iso.time()',
  duration: 'z.iso.duration()',
  email: 'z.email()',
  uri: 'z.url()',
  url: 'z.url()',
  uuid: 'z.uuid()',
  ipv4: 'z.ipv4()',
  ipv6: 'z.ipv6()',
  hostname: 'z.hostname()'
}
// patternProperties keys that match every property name (TypeBox's Type.Record(Type.String(), …)).
const MATCH_ALL = new Set(['^(.*)$', '^.*$', '.*', '(.*)', '^(.*)', '^.*', ''])

const lit = (v) => JSON.stringify(v)

export function newReport () {
  return { unconstrained: [], fallbacks: [], ignored: [] }
}

function regexLiteral (pattern) {
  // RegExp#source escapes `/` and line terminators, so it is always a valid literal body. JSON
  // Schema patterns are unicode-mode regexes (as Ajv compiles them); plain literals are what
  // hand-written code has, so the `u` flag only where it changes the meaning (\p{…}, \u{…}, astral).
  const unicode = /\\[pP]\{|\\u\{|[\u{10000}-\u{10FFFF}]/u.test(pattern)
  try {
    return unicode ? `/${new RegExp(pattern, 'u').source}/u` : `/${new RegExp(pattern).source}/`
  } catch {
    return `/${new RegExp(pattern, 'u').source}/u`
  }
}

function annotate (expr, s) {
  if (typeof s.title === 'string') expr += `.meta({ title: ${lit(s.title)} })`
  if (typeof s.description === 'string') expr += `.describe(${lit(s.description)})`
  return expr
}

function ignoreRest (s, known, path, report) {
  for (const k of Object.keys(s)) if (!known.has(k)) report.ignored.push({ path, keyword: k })
}

function literalUnion (values, path, report) {
  if (values.some((v) => v !== null && typeof v === 'object')) { // z.literal takes primitives only
    report.fallbacks.push({ path, schema: { enum: values } })
    return 'z.any()'
  }
  if (values.length === 1) return values[0] === null ? 'z.null()' : `z.literal(${lit(values[0])})`
  if (values.every((v) => typeof v === 'string')) return `z.enum(${lit(values)})`
  return `z.union([${values.map((v) => (v === null ? 'z.null()' : `z.literal(${lit(v)})`)).join(', ')}])`
}

const isConstOnly = (b) => b && typeof b === 'object' && 'const' in b && Object.keys(b).every((k) => k === 'const' || k === 'type' || ANNOTATIONS.has(k))
const isNullOnly = (b) => b && typeof b === 'object' && b.type === 'null' && Object.keys(b).every((k) => k === 'type' || ANNOTATIONS.has(k))

function convert (s, path, report, root = false) {
  if (s === true || (s && typeof s === 'object' && Object.keys(s).every((k) => ANNOTATIONS.has(k)))) {
    report.unconstrained.push(path)
    return s === true ? 'z.unknown()' : annotate('z.unknown()', s)
  }
  if (s === false) return 'z.never()'
  if (!s || typeof s !== 'object') {
    report.fallbacks.push({ path, schema: s })
    return 'z.any()'
  }

  // Unions. TypeBox writes Type.Union of literals as anyOf of { const, type }.
  for (const key of ['anyOf', 'oneOf']) {
    if (!Array.isArray(s[key])) continue
    ignoreRest(s, new Set([...ANNOTATIONS, key, 'type']), path, report)
    const branches = s[key]
    let expr
    if (branches.every(isConstOnly)) {
      expr = literalUnion(branches.map((b) => b.const), path, report)
    } else if (branches.length === 2 && branches.some(isNullOnly)) {
      const other = branches.find((b) => !isNullOnly(b))
      expr = `${convert(other, `${path}|`, report)}.nullable()` // TypeBox Type.Union([T, Type.Null()])
    } else {
      const parts = branches.map((b, i) => convert(b, `${path}|${i}`, report))
      expr = parts.length === 1 ? parts[0] : `z.${key === 'oneOf' ? 'xor' : 'union'}([${parts.join(', ')}])`
    }
    return annotate(expr, s)
  }
  if (Array.isArray(s.allOf)) {
    ignoreRest(s, new Set([...ANNOTATIONS, 'allOf']), path, report)
    const parts = s.allOf.map((b, i) => convert(b, `${path}&${i}`, report))
    return annotate(parts.reduce((a, b) => `z.intersection(${a}, ${b})`), s)
  }
  if (Array.isArray(s.enum)) {
    ignoreRest(s, new Set([...COMMON, 'enum']), path, report)
    return annotate(literalUnion(s.enum, path, report), s)
  }
  if ('const' in s) {
    ignoreRest(s, new Set([...COMMON, 'const']), path, report)
    return annotate(literalUnion([s.const], path, report), s)
  }
  if (Array.isArray(s.type)) { // e.g. ["string", "null"]: each branch keeps the keywords of its type
    ignoreRest(s, new Set(s.type.flatMap((t) => [...(KNOWN[t] ?? [])])), path, report)
    const parts = s.type.map((t) => convert(Object.fromEntries(Object.entries(s).filter(([k]) => KNOWN[t]?.has(k) && k !== 'description' && k !== 'title').concat([['type', t]])), `${path}<${t}>`, report))
    return annotate(parts.length === 1 ? parts[0] : `z.union([${parts.join(', ')}])`, s)
  }

  const type = s.type ?? inferType(s)
  const known = KNOWN[type]
  if (!known) {
    report.fallbacks.push({ path, schema: s })
    return annotate('z.any()', s)
  }
  ignoreRest(s, known, path, report)
  let expr
  switch (type) {
    case 'string': {
      if (s.format !== undefined && !FORMATS[s.format]) report.ignored.push({ path, keyword: `format:${s.format}` })
      expr = FORMATS[s.format] ?? 'z.string()'
      if (s.minLength !== undefined) expr += `.min(${s.minLength})`
      if (s.maxLength !== undefined) expr += `.max(${s.maxLength})`
      if (s.pattern !== undefined) expr += `.regex(${regexLiteral(s.pattern)})`
      break
    }
    case 'number':
    case 'integer': {
      expr = type === 'integer' ? 'z.number().int()' : 'z.number()'
      const exMin = s.exclusiveMinimum === true ? s.minimum : s.exclusiveMinimum // draft-04 boolean form
      const exMax = s.exclusiveMaximum === true ? s.maximum : s.exclusiveMaximum
      if (typeof exMin === 'number') expr += `.gt(${exMin})`
      if (s.minimum !== undefined && s.exclusiveMinimum !== true) expr += `.min(${s.minimum})`
      if (typeof exMax === 'number') expr += `.lt(${exMax})`
      if (s.maximum !== undefined && s.exclusiveMaximum !== true) expr += `.max(${s.maximum})`
      if (s.multipleOf !== undefined) expr += `.multipleOf(${s.multipleOf})`
      break
    }
    case 'boolean':
      expr = 'z.boolean()'
      break
    case 'null':
      expr = 'z.null()'
      break
    case 'array': {
      if (Array.isArray(s.prefixItems) || Array.isArray(s.items)) {
        const tuple = Array.isArray(s.prefixItems) ? s.prefixItems : s.items
        const rest = Array.isArray(s.prefixItems) && s.items !== undefined && s.items !== false ? convert(s.items, `${path}[]`, report) : undefined
        expr = `z.tuple([${tuple.map((b, i) => convert(b, `${path}[${i}]`, report)).join(', ')}]${rest ? `, ${rest}` : ''})`
      } else {
        expr = `z.array(${s.items === undefined ? (report.unconstrained.push(`${path}[]`), 'z.unknown()') : convert(s.items, `${path}[]`, report)})`
      }
      if (s.minItems !== undefined) expr += `.min(${s.minItems})`
      if (s.maxItems !== undefined) expr += `.max(${s.maxItems})`
      if (s.uniqueItems === true) {
        // zod has no uniqueItems: the refinement a hand-written schema would use. Primitive items
        // compare by value; anything else by its JSON text.
        const primitive = s.items && ['string', 'number', 'integer', 'boolean'].includes(s.items.type)
        expr += primitive
          ? '.refine((a) => new Set(a).size === a.length, { message: \'items must be unique\' })'
          : '.refine((a) => new Set(a.map((v) => JSON.stringify(v))).size === a.length, { message: \'items must be unique\' })'
      }
      break
    }
    case 'object':
      expr = objectSource(s, path, report, root)
      break
  }
  return annotate(expr, s)
}

function inferType (s) {
  if (s.properties || s.patternProperties || s.additionalProperties !== undefined || s.required) return 'object'
  if (s.items || s.prefixItems) return 'array'
  if (s.minLength !== undefined || s.maxLength !== undefined || s.pattern !== undefined || s.format !== undefined) return 'string'
  if (s.minimum !== undefined || s.maximum !== undefined) return 'number'
  return undefined
}

function objectSource (s, path, report, root) {
  const required = new Set(s.required ?? [])
  const entries = Object.entries(s.properties ?? {})
  const props = entries.map(([k, v]) => `${lit(k)}: ${convert(v, `${path}.${k}`, report)}${required.has(k) ? '' : '.optional()'}`)
  const shape = props.length ? `{ ${props.join(', ')} }` : '{}'
  for (const k of required) if (!(k in (s.properties ?? {}))) report.ignored.push({ path, keyword: `required:${k}` })

  let additional = s.additionalProperties // undefined | true | false | schema (true/{} = any extra)
  let keyRegex
  const patterns = Object.entries(s.patternProperties ?? {})
  if (patterns.length === 1 && MATCH_ALL.has(patterns[0][0])) {
    additional = patterns[0][1] // every name matches: it is the schema of every extra property
  } else if (patterns.length === 1 && additional === false && entries.length === 0) {
    keyRegex = regexLiteral(patterns[0][0]) // only names matching the pattern are allowed
    additional = patterns[0][1]
  } else if (patterns.length) {
    report.ignored.push({ path, keyword: 'patternProperties' })
  }

  if (additional === false) return `z.strictObject(${shape})`
  if (additional === true) return `z.looseObject(${shape})`
  if (additional && typeof additional === 'object') {
    const value = convert(additional, `${path}{}`, report)
    if (keyRegex) return `z.record(z.string().regex(${keyRegex}), ${value})`
    return entries.length ? `z.object(${shape}).catchall(${value})` : `z.record(z.string(), ${value})`
  }
  // No additionalProperties: extra keys are allowed. A tool's input (and any object with declared
  // properties) is a plain z.object as in the SDK docs (extras accepted, stripped); a nested object
  // with no declared properties is free-form data, so keep its keys.
  if (entries.length || root) return `z.object(${shape})`
  report.unconstrained.push(`${path}{}`)
  return 'z.record(z.string(), z.unknown())'
}

// Source text of a zod v4 expression for one JSON Schema (the tool input object at the root).
export function zodFactorySource (jsonSchema, report = newReport(), path = '$') {
  return convert(jsonSchema, path, report, true)
}

// Compiles, once, a function whose body is the literal zod code of every tool's input schema; each
// call constructs all of them afresh, like the documented pattern's code does per request.
export function buildToolsFactory (tools, z) {
  const report = newReport()
  const source = `return [\n${tools.map((def) => `  ${zodFactorySource(def.input, report, def.name)}`).join(',\n')}\n]`
  // eslint-disable-next-line no-new-func
  const compiled = new Function('z', source)
  const factory = () => compiled(z)
  factory.source = source
  factory.report = report
  return factory
}
