/** What a person types as the relay's address, made an origin (pure: the first-run form uses it). */
import { RelayUrlError } from '../errors'

/** Accepts "relais.cabinet.fr" or "https://relais.cabinet.fr/" and returns the origin. */
export function normalizeRelayUrl(text: string): string {
  const trimmed = text.trim()
  const withScheme = /^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`
  if (!URL.canParse(withScheme)) throw new RelayUrlError(`Not a relay address: ${text}`)
  return new URL(withScheme).origin
}
