import { describe, expect, it } from 'vitest'
import { mapsHref, mapsPlatform, opensInNewTab } from './maps-link'

const UA = {
  ipad: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  // iPadOS Safari in its default "desktop website" mode.
  ipadAsMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  iphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  androidTablet: 'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  linuxChromium: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  windows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
}

describe('maps links', () => {
  it.each([
    ['ipad', 'apple'],
    ['ipadAsMac', 'apple'],
    ['iphone', 'apple'],
    ['androidTablet', 'android'],
    ['linuxChromium', 'other'],
    ['windows', 'other'],
  ] as const)('%s is %s', (device, platform) => {
    expect(mapsPlatform(UA[device])).toBe(platform)
  })

  it('builds the scheme each platform hands to its maps application, with the address encoded', () => {
    const query = '12 rue des Lilas, Bât. B, 69003 Lyon'
    expect(mapsHref(query, 'apple')).toBe('https://maps.apple.com/?q=12%20rue%20des%20Lilas%2C%20B%C3%A2t.%20B%2C%2069003%20Lyon')
    expect(mapsHref(query, 'android')).toBe('geo:0,0?q=12%20rue%20des%20Lilas%2C%20B%C3%A2t.%20B%2C%2069003%20Lyon')
    expect(mapsHref(query, 'other')).toBe('https://www.openstreetmap.org/search?query=12%20rue%20des%20Lilas%2C%20B%C3%A2t.%20B%2C%2069003%20Lyon')
    // '&' and '#' in an address cannot cut the query short.
    expect(new URL(mapsHref('3 & 5 place #2, 75001 Paris', 'apple')).searchParams.get('q')).toBe('3 & 5 place #2, 75001 Paris')
  })

  it('opens web maps in a new tab, hands geo: to the system', () => {
    expect(opensInNewTab(mapsHref('x', 'apple'))).toBe(true)
    expect(opensInNewTab(mapsHref('x', 'other'))).toBe(true)
    expect(opensInNewTab(mapsHref('x', 'android'))).toBe(false)
  })
})
