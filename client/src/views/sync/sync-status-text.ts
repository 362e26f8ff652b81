import { ConnectionStatus, RefusalReason } from '../../sync/sync-state'
import type { SyncState } from '../../sync/sync-state'
import { refusalKey } from '../../i18n'
import type { Translator } from '../../i18n'
import { shortDeviceId } from '../patients/history-text'

export interface SyncStatusText {
  /** 'En ligne', 'Hors ligne', 'Synchronisation…', 'Connexion…', 'Refusé par le relais : …' */
  readonly connection: string
  /** '2 modifications en attente' */
  readonly pending: string
  /** 'Dernier échange : 14 h 32' */
  readonly lastExchange: string
  /**
   * '1 entrée illisible sur le relais : en attente d'un appareil qui la détient' (and the changes
   * held back behind it) while no device has republished it; '1 donnée illisible ignorée' for an
   * unreadable entry the repair does not track; null when every entry was read or repaired.
   */
  readonly undecryptable: string | null
  /** '3 entrées supprimées sans instantané couvrant : rétablies', or null when no deletion was refused. */
  readonly restored: string | null
  /** Docs brought back from what this device held, else null. */
  readonly heldRestored: string | null
  /** Docs whose copy this device keeps could not be written (its storage refused), else null. */
  readonly heldFailing: string | null
  /**
   * 'des modifications de cet appareil avaient été remplacées sur le relais : renvoyées' once the
   * relay was found holding something else at this device's clocks (and the changes were sent
   * again), for the rest of the session; else null.
   */
  readonly resent: string | null
  /**
   * '4 modifications perdues par le relais : renvoyées depuis cet appareil' once the relay was
   * found lacking what it had acknowledged (restored from a backup) and this device sent it back,
   * for the rest of the session; else null.
   */
  readonly returned: string | null
  /**
   * '2 modifications de l'appareil k3J9xQ… manquent sur le relais' when entries this device read
   * say a device wrote changes that neither the relay nor this device holds; null otherwise.
   */
  readonly missing: string | null
  /**
   * '1 aperçu illisible sur le relais, ignoré' while a digest that did not open here is still on
   * the relay, '…, remplacé' once this device replaced it; null when every digest opened.
   */
  readonly digests: string | null
  /** 'Synchronisation : 1 234 modifications à recevoir, 500 à envoyer' while a backlog moves, else null. */
  readonly progress: string | null
  /** Said while a device whose local data was erased gets it back from the relay, else null. */
  readonly restoring: string | null
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
    undecryptable: undecryptableText(state, translator),
    resent: state.resentEntries > 0 ? plural('sync.resent', state.resentEntries) : null,
    returned: state.returnedEntries > 0 ? plural('sync.returned', state.returnedEntries) : null,
    restored: state.restoredEntries > 0 ? plural('sync.restoredEntries', state.restoredEntries) : null,
    heldRestored: state.heldRestoredDocs > 0 ? plural('sync.heldRestored', state.heldRestoredDocs) : null,
    heldFailing: state.heldFailingDocs > 0 ? plural('sync.heldFailing', state.heldFailingDocs) : null,
    missing: missingText(state, translator),
    digests: digestsText(state, translator),
    progress: progressText(state, translator),
    restoring: state.restoring ? t('sync.restoring') : null,
  }
}

/**
 * One formatter per locale: building an Intl.NumberFormat costs more than formatting with it, and
 * the indicator re-renders at every step of a sync (19–31 ms of a new device’s join in Chromium
 * profiles, self time of this function).
 */
const countFormats = new Map<string, Intl.NumberFormat>()

function progressText(state: SyncState, { plural, locale }: Translator): string | null {
  if (state.status !== ConnectionStatus.Syncing || state.incoming + state.outgoing === 0) return null
  let format = countFormats.get(locale)
  if (!format) {
    format = new Intl.NumberFormat(locale)
    countFormats.set(locale, format)
  }
  // Grouped as people read counts ('1 234'), with a plain space like the rest of the dictionary.
  const count = (n: number) => format.format(n).replace(/\s/g, ' ')
  return plural('sync.progress', state.incoming, { incoming: count(state.incoming), outgoing: count(state.outgoing) })
}

function undecryptableText(state: SyncState, { plural }: Translator): string | null {
  if (state.unrepairedEntries > 0) {
    const waiting = plural('sync.unrepaired', state.unrepairedEntries)
    return state.heldBackChanges > 0 ? `${waiting} ${plural('sync.heldBack', state.heldBackChanges)}` : waiting
  }
  const untracked = state.undecryptableEntries - state.repairedEntries
  return untracked > 0 ? plural('sync.undecryptable', untracked) : null
}

/** Per device, largest gap first: « 2 modifications de l'appareil k3J9xQ… manquent sur le relais ». */
function missingText({ missingEntries }: SyncState, { plural }: Translator): string | null {
  if (missingEntries.length === 0) return null
  return missingEntries.map((gap) => plural('sync.missing', gap.missing, { device: shortDeviceId(gap.writer) })).join(' · ')
}

function digestsText({ unreadableDigests, replacedDigests }: SyncState, { plural }: Translator): string | null {
  if (unreadableDigests > replacedDigests) return plural('sync.digestsUnreadable', unreadableDigests - replacedDigests)
  return replacedDigests > 0 ? plural('sync.digestsReplaced', replacedDigests) : null
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
      // A role refusal is what this device's role is, not a fault of the relay: said as such.
      if (state.refusal === RefusalReason.RoleForbidden) return t('sync.roleForbidden')
      return t('sync.refused', { reason: state.refusal === null ? '?' : t(refusalKey(state.refusal)) })
  }
}
