/**
 * Shows a decrypted attachment in the tab opened for it (opened within the tap, before the await,
 * or the browser would block it): an image in an `<img>` of that tab, anything else (a PDF) as the
 * tab's page.
 *
 * Why not the image itself as the page: a blob: page inherits the app's Content-Security-Policy
 * (relay/src/app/security-headers.ts), and the browser's own image viewer styles itself with
 * inline styles, which that policy refuses. The tab opened empty (about:blank, the app's origin):
 * the image goes into it, styled through the CSSOM, which the policy allows (`img-src blob:`). An
 * image shown by an `<img>` runs nothing either, not even an SVG's script.
 */

export interface ShownFile {
  readonly name: string
  readonly mime: string
}

export function showInTab(tab: Window | null, url: string, file: ShownFile): void {
  if (tab === null) {
    window.location.assign(url)
    return
  }
  if (!file.mime.startsWith('image/')) {
    tab.location.href = url
    return
  }
  const doc = tab.document
  doc.title = file.name
  const image = doc.createElement('img')
  image.src = url
  image.alt = file.name
  image.style.display = 'block'
  image.style.maxWidth = '100%'
  image.style.height = 'auto'
  image.style.margin = '0 auto'
  doc.body.style.margin = '0'
  doc.body.replaceChildren(image)
}
