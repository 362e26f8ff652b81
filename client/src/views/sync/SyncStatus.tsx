import type { PracticeHandle } from '../../sync/practice/practice-handle'
import { useT } from '../../i18n'
import { useSyncState } from '../../state'
import { describeSyncState } from './sync-status-text'

/**
 * Always visible: connection state, changes not yet on the relay, time of the last exchange.
 * The only role="status" of the app, so that it is easy to find.
 */
export function SyncStatus(props: { space: PracticeHandle }) {
  const { space } = props
  const translator = useT()
  const state = useSyncState(space)
  const text = describeSyncState(state, translator)
  return (
    <div className="sync">
      <div className="sync__status" role="status" aria-label={translator.t('sync.label')} data-status={state.status}>
        <span className="sync__dot" aria-hidden="true" />
        <span className="sync__connection">{text.connection}</span>{' '}
        <span className="sync__pending">{text.pending}</span>{' '}
        {/* One line for both: while a backlog moves, its progress says more than the time of the
            last exchange, and the indicator keeps its three lines (see .sync in app.css). */}
        {text.progress ? <span className="sync__progress">{text.progress}</span> : <span className="sync__last">{text.lastExchange}</span>}
        {text.undecryptable ? <> <span className="sync__undecryptable">{text.undecryptable}</span></> : null}
        {text.resent ? <> <span className="sync__resent">{text.resent}</span></> : null}
        {text.returned ? <> <span className="sync__resent">{text.returned}</span></> : null}
        {text.restored ? <> <span className="sync__restored">{text.restored}</span></> : null}
        {text.heldRestored ? <> <span className="sync__restored">{text.heldRestored}</span></> : null}
        {text.heldFailing ? <> <span className="sync__restored">{text.heldFailing}</span></> : null}
        {text.missing ? <> <span className="sync__missing">{text.missing}</span></> : null}
        {text.digests ? <> <span className="sync__digests">{text.digests}</span></> : null}
        {text.restoring ? <> <span className="sync__restoring">{text.restoring}</span></> : null}
      </div>
      {/* On a portrait tablet the button shrinks to its symbol, so the state beside it keeps room
          for its three lines whole; its name stays « Synchroniser maintenant ». */}
      <button className="button button--small sync__now" type="button" onClick={() => space.syncNow()} aria-label={translator.t('sync.now')}>
        <span className="sync__now-icon" aria-hidden="true">
          ↻
        </span>
        <span className="sync__now-text" aria-hidden="true">
          {translator.t('sync.now')}
        </span>
      </button>
    </div>
  )
}

/** A failed local write is never silent: shown as an alert until the storage recovers. */
export function StorageErrorBanner(props: { space: PracticeHandle }) {
  const { t } = useT()
  const { storageError } = useSyncState(props.space)
  if (storageError === null) return null
  return (
    <div className="banner banner--error" role="alert">
      {t('storage.error', { message: storageError })}
    </div>
  )
}
