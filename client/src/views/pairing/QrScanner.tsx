import { useEffect, useRef } from 'react'
import { useT } from '../../i18n'
import { CameraError, scanQrCode } from './camera-scan'

/**
 * The camera's picture while it looks for a QR code (camera-scan.ts). Mounted means scanning:
 * unmounting (« Annuler », the section or the screen closed) stops the camera.
 */
export function QrScanner(props: { onRead: (text: string) => void; onCameraError: (error: CameraError) => void }) {
  const { t } = useT()
  const video = useRef<HTMLVideoElement>(null)
  // The latest callbacks, without restarting the camera when the parent renders again.
  const handlers = useRef(props)
  useEffect(() => {
    handlers.current = props
  })

  useEffect(() => {
    const element = video.current
    if (element === null) return
    const controller = new AbortController()
    scanQrCode(element, controller.signal).then(
      (text) => {
        if (text !== null) handlers.current.onRead(text)
      },
      (error: unknown) => {
        // A camera refused after « Annuler » was tapped is no news to the person: nothing to say.
        if (!(error instanceof CameraError)) throw error
        if (!controller.signal.aborted) handlers.current.onCameraError(error)
      },
    )
    return () => controller.abort()
  }, [])

  return <video ref={video} className="qr-scanner__video" aria-label={t('settings.addDevice.scan.video')} muted playsInline />
}
