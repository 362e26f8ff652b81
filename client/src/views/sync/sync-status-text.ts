import { ConnectionStatus } from '../../sync/sync-state'
import type { SyncState } from '../../sync/sync-state'
import { refusalKey } from '../../i18n'
import type { Translator } from '../../i18n'

export interface SyncStatusText {
  /** 'En ligne', 'Hors ligne', 'Synchronisation…', 'Connexion…', 'Refusé par le relais : …' */
  readonly connection: string
  /** '2 modifications en attente' */
  readonly pending: string
  /** 'Dernier échange : 14 h 32' */
  readonly lastExchange: string
  /** '1 donnée illisible ignorée', or null when every entry could be read. */
  readonly undecryptable: string | null
}

/** The words of the sync indicator, apart from React so that they can be tested in Node. */
export function describeSyncState(state: SyncState, translator: Translator): SyncStatusText {
  const { t, plural } = translator
  return {
    connection: connectionText(state, translator),
    pending: plural('sync.pending', state.pendingChanges),
    lastExchange:
      state.lastExchangeAt === null
        ? t('sync.lastExchange.never')
        : t('sync.lastExchange', { time: translator.timeOf(state.lastExchangeAt) }),
    undecryptable: state.undecryptableEntries > 0 ? plural('sync.undecryptable', state.undecryptableEntries) : null,
  }
}

function connectionText(state: SyncState, { t }: Translator): string {
  switch (state.status) {
    case ConnectionStatus.Online:
      return t('sync.online')
    case ConnectionStatus.Syncing:
      return t('sync.syncing')
    case ConnectionStatus.Connecting:
      return t('sync.connecting')
    case ConnectionStatus.Offline:
      return t('sync.offline')
    case ConnectionStatus.Refused:
      return t('sync.refused', { reason: state.refusal === null ? '?' : t(refusalKey(state.refusal)) })
  }
}
