/**
 * A link that opens an address in the device's maps application. There is no URL every platform
 * hands to its maps app, so the scheme is picked per platform:
 *
 * - Apple (iPad, iPhone, Mac): `https://maps.apple.com/?q=…` — iOS, iPadOS and macOS open it in
 *   Plans (Apple Maps) instead of the browser.
 * - Android: `geo:0,0?q=…` (RFC 5870, with the query form Android documents) — Android offers the
 *   map applications installed (Google Maps, Waze, OsmAnd…), so the practitioner keeps theirs.
 * - Anything else (a desktop browser): `geo:` has no handler there and would do nothing, so the
 *   link opens the address on https://www.openstreetmap.org in a new tab.
 *
 * Privacy: the address is only in the link's href. It leaves the app when the practitioner taps
 * the link, not before (no prefetch, no embedded map), and never through Tournée's relay.
 */

export type MapsPlatform = 'apple' | 'android' | 'other'

/**
 * The platform from the browser's user agent (`navigator.userAgent`). iPadOS Safari presents
 * itself as a Mac: both are Apple and open the same link, so that disguise does not matter here.
 */
export function mapsPlatform(userAgent: string): MapsPlatform {
  if (/Android/i.test(userAgent)) return 'android'
  if (/iPhone|iPad|iPod|Macintosh|Mac OS X/.test(userAgent)) return 'apple'
  return 'other'
}

/** The link for `query` (an address as text, e.g. from `addressQuery`). */
export function mapsHref(query: string, platform: MapsPlatform): string {
  const q = encodeURIComponent(query)
  switch (platform) {
    case 'apple':
      return `https://maps.apple.com/?q=${q}`
    case 'android':
      return `geo:0,0?q=${q}`
    case 'other':
      return `https://www.openstreetmap.org/search?query=${q}`
  }
}

/** An https link opens in a new tab (the round stays open); geo: is handed to an app. */
export function opensInNewTab(href: string): boolean {
  return href.startsWith('https:')
}
