import { Component } from 'react'
import type { ErrorInfo, ReactNode } from 'react'
import { useT } from '../i18n'

/** Shows an error a screen could not handle (a doc that cannot open), instead of a blank page. */
export class CrashBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: null }

  static getDerivedStateFromError(error: unknown): { error: unknown } {
    return { error }
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('Screen crashed', error, info.componentStack)
  }

  override render(): ReactNode {
    if (this.state.error !== null) return <CrashScreen error={this.state.error} />
    return this.props.children
  }
}

function CrashScreen(props: { error: unknown }) {
  const { t } = useT()
  const message = props.error instanceof Error ? props.error.message : String(props.error)
  return (
    <div className="crash" role="alert">
      <h1>{t('app.crash.title')}</h1>
      <p>{t('app.crash.body', { message })}</p>
      <button className="button button--primary" type="button" onClick={() => window.location.reload()}>
        {t('app.crash.reload')}
      </button>
    </div>
  )
}

export function LoadingScreen() {
  const { t } = useT()
  return (
    <div className="loading" aria-busy="true">
      <p>{t('app.loading')}</p>
    </div>
  )
}
