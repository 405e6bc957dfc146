// Which tool calls need a person's confirmation, and what happens when the client cannot ask.
// The default list is derived from the tools' own safety hints (no second list to keep in step);
// a setting may replace it by name.
import type { ToolHints } from '../../tools/define.js'

/**
 * `auto`: ask when the client can (declared elicitation), otherwise run as before.
 * `required`: a listed tool runs only after a person said yes; a client that cannot ask is refused.
 * `off`: never ask.
 */
export type ConfirmMode = 'auto' | 'required' | 'off'
export const CONFIRM_MODES: readonly ConfirmMode[] = ['auto', 'required', 'off']

/** Destructive or open-world (it reaches people or money outside this account) and not read-only. */
export function asksByDefault (hints: ToolHints): boolean {
  return !hints.readOnlyHint && (hints.destructiveHint || hints.openWorldHint)
}

export interface ConfirmPolicy {
  mode: ConfirmMode
  /** Replaces the derived list when given (tool names). */
  tools?: ReadonlySet<string>
}

/** Whether a call of this tool must be confirmed under the policy. */
export function needsConfirmation (policy: ConfirmPolicy, name: string, hints: ToolHints): boolean {
  if (policy.mode === 'off') return false
  return policy.tools ? policy.tools.has(name) : asksByDefault(hints)
}

/** Checks a setting's value; returns the problem or undefined. */
export function confirmModeProblem (value: unknown, name: string): string | undefined {
  return CONFIRM_MODES.includes(value as ConfirmMode) ? undefined : `${name} must be auto, required or off (got ${JSON.stringify(value)})`
}
