import type { ReactNode } from 'react'

/**
 * What went wrong with a whole form (the relay refused, the code is unreadable, fields are
 * invalid), announced at once. Field-level reasons sit next to their fields.
 */
export function FormAlert(props: { children: ReactNode }) {
  return (
    <div className="form-alert" role="alert">
      {props.children}
    </div>
  )
}

/**
 * A quiet confirmation ("Patient enregistré."), announced politely. Always rendered, empty when
 * there is nothing to say, so that screen readers are already listening when the text arrives.
 */
export function FormNotice(props: { children?: ReactNode }) {
  return (
    <p className="form-notice" aria-live="polite">
      {props.children}
    </p>
  )
}
