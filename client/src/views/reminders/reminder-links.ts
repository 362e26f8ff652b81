/**
 * The links that hand a reminder to the device's own messaging apps: `sms:` (RFC 5724) and
 * `mailto:` (RFC 6068), prefilled. Tournée sends nothing itself: the text leaves the device only
 * when the practitioner taps « Envoyer » in the phone's Messages or mail app, never through the
 * relay. The hash of the page holds a date only.
 *
 * The body of an `sms:` link: iOS and iPadOS read `sms:NUMBER&body=…`, Android and others
 * `sms:NUMBER?body=…` (RFC 5724); the platform comes from the user agent (maps-link.ts).
 */
import type { MapsPlatform } from '../tournee/maps-link'

/** The number as an `sms:` target: digits and the leading '+'. */
function digits(phone: string): string {
  return phone.replace(/[^\d+]/g, '')
}

export function smsHref(phone: string, body: string, platform: MapsPlatform): string {
  const separator = platform === 'apple' ? '&' : '?'
  return `sms:${digits(phone)}${separator}body=${encodeURIComponent(body)}`
}

export function mailtoHref(email: string, subject: string, body: string): string {
  // RFC 6068: the address is kept as typed (an '@' and dots need no escape), the fields encoded.
  return `mailto:${encodeURIComponent(email).replace(/%40/g, '@')}?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`
}
