/**
 * The shape every dictionary shares. `fr` is the source of truth: its keys are the message keys,
 * and a `{name}` placeholder in a French message becomes a required parameter of `t()`.
 *
 * A message is either a string or plural forms (`one`/`other`, chosen by Intl.PluralRules of the
 * language; in French 0 and 1 take `one`).
 */
export interface PluralForms {
  readonly one: string
  readonly other: string
}

export type Message = string | PluralForms

/** `'{a} et {b}'` → `'a' | 'b'`. */
export type PlaceholdersOf<S extends string> = S extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PlaceholdersOf<Rest>
  : never

export type ParamValue = string | number
