import { useMemo } from 'react'
import { QUIET_ZONE, qrMatrix, qrPath } from './qr-matrix'

/**
 * A QR code drawn as inline SVG: one path in the page's own markup, colours as presentation
 * attributes, so the app's Content-Security-Policy (no data: images, no style="") is untouched.
 */
export function PairingQrCode(props: { text: string; label: string }) {
  const { path, side } = useMemo(() => {
    const matrix = qrMatrix(props.text)
    return { path: qrPath(matrix), side: matrix.size + 2 * QUIET_ZONE }
  }, [props.text])
  return (
    <svg className="pairing__qr" role="img" aria-label={props.label} viewBox={`0 0 ${side} ${side}`} shapeRendering="crispEdges">
      <rect width={side} height={side} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  )
}
