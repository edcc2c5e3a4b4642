/**
 * Every message daystick can show, by stable id, in English and German.
 * The machine and the commands emit ids and parameters only; text is drawn
 * here so a register shell may also render the ids its own way.
 * `{name|one|other}` picks the language's plural form for the number
 * `name` (Intl.PluralRules), `#` in it standing for the number.
 */
export type Language = 'en' | 'de';
export type Severity = 'info' | 'warning' | 'error' | 'success';

interface PromptText {
  severity: Severity;
  en: string;
  de: string;
}

export const PROMPTS = {
  PLAN_DAYS: {
    severity: 'info',
    en: 'Day close: {count:plural:one=# day goes|other=# days go} to the USB stick: {days:dates} ({bookings:plural:one=# booking|other=# bookings}).',
    de: 'Tagesabschluss: {count:plural:one=# Tag wird|other=# Tage werden} auf den USB-Stick geschrieben: {days:dates} ({bookings:plural:one=# Buchung|other=# Buchungen}).',
  },
  UNSENT_DAYS: {
    severity: 'warning',
    en: 'The journal holds bookings of {days:dates} that are on no USB stick yet (booked after that day was written, for example while the register clock was wrong). They are written with this day close.',
    de: 'Das Journal enthält Buchungen vom {days:dates}, die noch auf keinem USB-Stick sind (gebucht, nachdem der Tag geschrieben war, zum Beispiel bei falsch gestellter Kassenuhr). Sie werden mit diesem Tagesabschluss geschrieben.',
  },
  STRAY_BOOKINGS: {
    severity: 'warning',
    en: '{count:plural:one=# booking in the journal belongs|other=# bookings in the journal belong} to no valid business day. They are saved unchanged in the separate file of {day:date} so the head office can correct them.',
    de: '{count:plural:one=# Buchung im Journal gehört|other=# Buchungen im Journal gehören} zu keinem gültigen Geschäftstag. Sie werden unverändert in der eigenen Datei vom {day:date} gespeichert, damit die Zentrale sie korrigieren kann.',
  },
  INSERT_STICK: {
    severity: 'info',
    en: 'Please insert the USB stick for the head office data, or cancel: the data then goes with the next day close.',
    de: 'Bitte stecken Sie den USB-Stick für die Zentrale ein oder brechen Sie ab: Die Daten gehen dann mit dem nächsten Tagesabschluss.',
  },
  STICK_USED: {
    severity: 'info',
    en: 'The data is written to the USB stick "{label}" ({path}).',
    de: 'Die Daten werden auf den USB-Stick "{label}" ({path}) geschrieben.',
  },
  STICK_REMINDER: {
    severity: 'warning',
    en: 'Still waiting for the USB stick. Insert it now, or cancel: the data then goes with the next day close.',
    de: 'Es wird noch auf den USB-Stick gewartet. Stecken Sie ihn jetzt ein oder brechen Sie ab: Die Daten gehen dann mit dem nächsten Tagesabschluss.',
  },
  CHOOSE_STICK: {
    severity: 'info',
    en: 'Several USB sticks are plugged in. Which one should receive the data? Or cancel: the data then goes with the next day close.',
    de: 'Mehrere USB-Sticks sind eingesteckt. Auf welchen sollen die Daten geschrieben werden? Oder brechen Sie ab: Die Daten gehen dann mit dem nächsten Tagesabschluss.',
  },
  STICK_READ_ONLY: {
    severity: 'error',
    en: 'The USB stick "{label}" is write-protected. Nothing was written. Please insert another stick.',
    de: 'Der USB-Stick "{label}" ist schreibgeschützt. Es wurde nichts geschrieben. Bitte stecken Sie einen anderen Stick ein.',
  },
  STICK_FULL: {
    severity: 'error',
    en: 'The USB stick "{label}" is full ({free} free, about {needed} needed). Nothing was marked as sent. Please insert another stick.',
    de: 'Der USB-Stick "{label}" ist voll ({free} frei, etwa {needed} benötigt). Nichts wurde als gesendet markiert. Bitte stecken Sie einen anderen Stick ein.',
  },
  STICK_FOREIGN_REGISTER: {
    severity: 'error',
    en: 'The USB stick "{label}" already holds the data of another register with the same customer number and register number (folder {folder}, with a different register key). Nothing was written, and the other register\'s files were left as they are. Please insert another stick and tell head office that two registers use this number.',
    de: 'Auf dem USB-Stick "{label}" liegen bereits die Daten einer anderen Kasse mit derselben Kundennummer und Kassennummer (Ordner {folder}, mit einem anderen Kassenschlüssel). Es wurde nichts geschrieben, und die Dateien der anderen Kasse blieben unverändert. Bitte stecken Sie einen anderen Stick ein und melden Sie der Zentrale, dass zwei Kassen diese Nummer verwenden.',
  },
  STICK_BLOCKED_NAME: {
    severity: 'error',
    en: 'The USB stick "{label}" cannot take this register\'s data: "{entry}" on it is in the way (daystick needs that name for a file or folder of its own). Nothing was written and nothing on the stick was changed. Please insert another stick, or have that entry removed on a computer.',
    de: 'Der USB-Stick "{label}" kann die Daten dieser Kasse nicht aufnehmen: "{entry}" ist dort im Weg (daystick braucht diesen Namen für eine eigene Datei oder einen eigenen Ordner). Es wurde nichts geschrieben und nichts auf dem Stick verändert. Bitte stecken Sie einen anderen Stick ein oder lassen Sie diesen Eintrag an einem Computer entfernen.',
  },
  STICK_FILE_LIMIT: {
    severity: 'error',
    en: 'The data of {day:date} is larger than the file system of "{label}" ({fsType}) allows for one file. Please insert a stick formatted with exFAT.',
    de: 'Die Daten vom {day:date} sind größer, als das Dateisystem von "{label}" ({fsType}) für eine Datei erlaubt. Bitte stecken Sie einen mit exFAT formatierten Stick ein.',
  },
  STICK_PULLED: {
    severity: 'error',
    en: 'The USB stick was removed while the data of {day:date} was being written. That day was not saved. Please insert the stick again: the day is written again from the start.',
    de: 'Der USB-Stick wurde entfernt, während die Daten vom {day:date} geschrieben wurden. Dieser Tag wurde nicht gespeichert. Bitte stecken Sie den Stick wieder ein: Der Tag wird neu geschrieben.',
  },
  JOURNAL_READ_FAILED: {
    severity: 'error',
    en: "The register's journal could not be read while the data of {day:date} was being written. This is a fault of the register, not of the USB stick: nothing was saved on the stick, and the days stay pending for the next day close. Please tell support: {reason}.",
    de: 'Das Journal der Kasse konnte beim Schreiben der Daten vom {day:date} nicht gelesen werden. Das ist ein Fehler der Kasse, nicht des USB-Sticks: Auf dem Stick wurde nichts gespeichert, und die Tage bleiben für den nächsten Tagesabschluss vorgemerkt. Bitte melden Sie dem Support: {reason}.',
  },
  WRITE_FAILED: {
    severity: 'error',
    en: 'Writing the data of {day:date} to the USB stick "{label}" failed: {reason}. Nothing was marked as sent. Please insert the stick again or use another one.',
    de: 'Das Schreiben der Daten vom {day:date} auf den USB-Stick "{label}" ist fehlgeschlagen: {reason}. Nichts wurde als gesendet markiert. Bitte stecken Sie den Stick erneut oder einen anderen ein.',
  },
  WRITING_DAY: {
    severity: 'info',
    en: 'Writing the data of {day:date} ({index} of {count})...',
    de: 'Die Daten vom {day:date} werden geschrieben ({index} von {count})...',
  },
  DAY_WRITTEN: {
    severity: 'info',
    en: 'The data of {day:date} is saved and verified ({receipts:plural:one=# receipt|other=# receipts}).',
    de: 'Die Daten vom {day:date} sind gespeichert und geprüft ({receipts:plural:one=# Bon|other=# Bons}).',
  },
  QUARANTINED: {
    severity: 'warning',
    en: '{count:plural:one=# record of {day:date} failed|other=# records of {day:date} failed} the check. They were saved unchanged in a separate file for the head office; nothing was dropped.',
    de: '{count:plural:one=# Datensatz vom {day:date} hat|other=# Datensätze vom {day:date} haben} die Prüfung nicht bestanden. Sie wurden unverändert in einer eigenen Datei für die Zentrale gespeichert; nichts wurde verworfen.',
  },
  QUARANTINED_EXACT: {
    severity: 'warning',
    en: '{count:plural:one=# of the set-aside records of {day:date} holds|other=# of the set-aside records of {day:date} hold} values that are not plain text or a number a package can carry (bytes that are not valid text, numbers too large). They were kept exactly: bytes as base64, large numbers as their digits, each marked for the head office.',
    de: '{count:plural:one=# der beiseitegelegten Datensätze vom {day:date} enthält|other=# der beiseitegelegten Datensätze vom {day:date} enthalten} Werte, die kein gültiger Text oder keine Zahl sind, die ein Paket tragen kann (Bytes, die kein gültiger Text sind, zu große Zahlen). Sie wurden exakt aufbewahrt: Bytes als Base64, große Zahlen als ihre Ziffern, jeweils für die Zentrale gekennzeichnet.',
  },
  UNBALANCED_RECEIPTS: {
    severity: 'warning',
    en: '{count:plural:one=# receipt of {day:date} does not add up: its lines or payments differ|other=# receipts of {day:date} do not add up: their lines or payments differ} from the receipt total. They were saved as the register holds them, and head office is shown each one.',
    de: '{count:plural:one=# Bon vom {day:date} geht nicht auf: Seine Positionen oder Zahlungen weichen|other=# Bons vom {day:date} gehen nicht auf: Ihre Positionen oder Zahlungen weichen} von der Bonsumme ab. Sie wurden so gespeichert, wie die Kasse sie führt, und die Zentrale bekommt jeden einzeln angezeigt.',
  },
  NOTE_1: {
    severity: 'warning',
    en: 'The booking data for the head office has been saved on the USB stick. However, the final master data backup still follows. Please do not remove the USB stick until the master data backup has been completed.',
    de: 'Die Buchungsdaten für die Zentrale wurden auf dem USB-Stick gespeichert. Es folgt jedoch noch die abschließende Stammdatensicherung. Bitte entfernen Sie den USB-Stick erst, wenn die Stammdatensicherung abgeschlossen ist.',
  },
  NOTE_2: {
    severity: 'success',
    en: 'The booking data has been saved to the USB stick. You can remove the stick now.',
    de: 'Die Buchungsdaten wurden auf dem USB-Stick gespeichert. Sie können den Stick jetzt entfernen.',
  },
  BACKUP_PROGRESS: {
    severity: 'info',
    en: 'Master data backup',
    de: 'Stammdatensicherung',
  },
  BACKUP_FAILED: {
    severity: 'error',
    en: 'The booking data is saved on the USB stick, but the master data backup did not complete ({reason}). The master data backup on the stick is incomplete.',
    de: 'Die Buchungsdaten sind auf dem USB-Stick gespeichert, aber die Stammdatensicherung wurde nicht abgeschlossen ({reason}). Die Stammdatensicherung auf dem Stick ist unvollständig.',
  },
  BACKUP_PULLED: {
    severity: 'error',
    en: 'The booking data is saved on the USB stick, but the stick was removed during the master data backup. The master data backup on the stick is incomplete.',
    de: 'Die Buchungsdaten sind auf dem USB-Stick gespeichert, aber der Stick wurde während der Stammdatensicherung entfernt. Die Stammdatensicherung auf dem Stick ist unvollständig.',
  },
  POSTPONED: {
    severity: 'warning',
    en: 'Not saved to a USB stick this time: the data of {days:dates} stays pending and will be saved with the next day close.',
    de: 'Diesmal nicht auf einen USB-Stick gespeichert: Die Daten vom {days:dates} bleiben vorgemerkt und werden beim nächsten Tagesabschluss gespeichert.',
  },
  DAY_CLOSE_FAILED: {
    severity: 'error',
    en: 'The data for the head office could not be prepared: {reason}. The days stay pending and go with the next day close.',
    de: 'Die Daten für die Zentrale konnten nicht vorbereitet werden: {reason}. Die Tage bleiben vorgemerkt und gehen mit dem nächsten Tagesabschluss.',
  },
  ACKS_CONFIRMED: {
    severity: 'success',
    en: 'Head office confirmed the import of {count:plural:one=# day|other=# days}: {days:dates}.',
    de: 'Die Zentrale hat den Import von {count:plural:one=# Tag|other=# Tagen} bestätigt: {days:dates}.',
  },
  CONFIRMED_DAYS_CLEARED: {
    severity: 'success',
    en: '{count|# day confirmed by head office was cleared from the USB stick.|# days confirmed by head office were cleared from the USB stick.}',
    de: '{count|# von der Zentrale bestätigter Tag wurde vom USB-Stick gelöscht.|# von der Zentrale bestätigte Tage wurden vom USB-Stick gelöscht.}',
  },
  ACK_INVALID: {
    severity: 'warning',
    en: 'A confirmation from head office on the stick cannot be trusted ({problem}: {file}); the day stays unconfirmed and will be sent again if needed.',
    de: 'Eine Bestätigung der Zentrale auf dem Stick ist nicht vertrauenswürdig ({problem}: {file}); der Tag bleibt unbestätigt und wird bei Bedarf erneut gesendet.',
  },
  STATE_RECOVERED: {
    severity: 'warning',
    en: 'The daystick state file was damaged; the last good copy was used. At worst a day is written to the stick twice.',
    de: 'Die Statusdatei von daystick war beschädigt; die letzte gute Kopie wurde verwendet. Schlimmstenfalls wird ein Tag doppelt auf den Stick geschrieben.',
  },
  RESEND_ASK_TIME_DATA: {
    severity: 'info',
    en: 'Should the time-recording data for that day be transferred again as well?',
    de: 'Sollen die Zeiterfassungsdaten für diesen Tag ebenfalls erneut übertragen werden?',
  },
  RESEND_QUEUED: {
    severity: 'success',
    en: 'The data of {day:date} will be saved to the USB stick again at the next day close (cash balance){timeNote}.',
    de: 'Die Daten vom {day:date} werden beim nächsten Tagesabschluss (Kassenabschluss) erneut auf den USB-Stick gespeichert{timeNote}.',
  },
  RESEND_CANCELLED: {
    severity: 'warning',
    en: 'The question was not answered: {day:date} was not queued. Nothing was changed.',
    de: 'Die Frage wurde nicht beantwortet: {day:date} wurde nicht vorgemerkt. Es wurde nichts geändert.',
  },
  RESEND_UPDATED: {
    severity: 'success',
    en: '{day:date} was already queued; the choice for time-recording data is now: {timeChoice}. It will be saved again at the next day close (cash balance).',
    de: '{day:date} war bereits vorgemerkt; Zeiterfassungsdaten jetzt: {timeChoice}. Der Tag wird beim nächsten Tagesabschluss (Kassenabschluss) erneut gespeichert.',
  },
  RESEND_WRONG_LENGTH: {
    severity: 'error',
    en: 'Please type the date as 8 digits YYYYMMDD (e.g. 20120123); "{input:echo}" has {length:plural:one=# character|other=# characters}. Nothing was queued.',
    de: 'Bitte geben Sie das Datum mit 8 Ziffern JJJJMMTT ein (z. B. 20120123); "{input:echo}" hat {length:plural:one=# Zeichen|other=# Zeichen}. Nichts wurde vorgemerkt.',
  },
  RESEND_NOT_DIGITS: {
    severity: 'error',
    en: 'The date may contain only digits (YYYYMMDD); "{input:echo}" does not. Nothing was queued.',
    de: 'Das Datum darf nur Ziffern enthalten (JJJJMMTT); "{input:echo}" enthält andere Zeichen. Nichts wurde vorgemerkt.',
  },
  RESEND_IMPOSSIBLE_DATE: {
    severity: 'error',
    en: '{input:echo} is not a calendar date. Nothing was queued.',
    de: '{input:echo} ist kein gültiges Datum. Nichts wurde vorgemerkt.',
  },
  RESEND_FUTURE_DATE: {
    severity: 'error',
    en: '{day:date} lies in the future. Nothing was queued.',
    de: '{day:date} liegt in der Zukunft. Nichts wurde vorgemerkt.',
  },
  RESEND_BEFORE_JOURNAL: {
    severity: 'error',
    en: '{day:date} lies before the first business day in the journal ({first:date}). Nothing was queued.',
    de: '{day:date} liegt vor dem ersten Geschäftstag im Journal ({first:date}). Nichts wurde vorgemerkt.',
  },
  RESEND_NO_DATA: {
    severity: 'error',
    en: '{day:date} has no bookings and no time records. Nothing was queued.',
    de: '{day:date} hat keine Buchungen und keine Zeiterfassungsdaten. Nichts wurde vorgemerkt.',
  },
  QUEUE_EMPTY: {
    severity: 'info',
    en: 'No days are queued to be sent again.',
    de: 'Es sind keine Tage zum erneuten Senden vorgemerkt.',
  },
  QUEUE_ENTRY: {
    severity: 'info',
    en: 'Queued: {day:date}, time-recording data: {timeChoice}, queued at {queuedAt:time}.',
    de: 'Vorgemerkt: {day:date}, Zeiterfassungsdaten: {timeChoice}, vorgemerkt am {queuedAt:time}.',
  },
  UNQUEUE_DONE: {
    severity: 'success',
    en: '{day:date} was removed from the queue; it will not be sent again.',
    de: '{day:date} wurde aus der Vormerkung entfernt; er wird nicht erneut gesendet.',
  },
  UNQUEUE_NOT_FOUND: {
    severity: 'error',
    en: '{day:date} is not queued. Nothing was changed.',
    de: '{day:date} ist nicht vorgemerkt. Nichts wurde geändert.',
  },
  STATUS_PENDING: {
    severity: 'warning',
    en: '{day:date}: pending, goes with the next day close ({attempts:plural:one=# attempt|other=# attempts}{lastError}).',
    de: '{day:date}: offen, geht mit dem nächsten Tagesabschluss ({attempts:plural:one=# Versuch|other=# Versuche}{lastError}).',
  },
  STATUS_QUEUED: {
    severity: 'info',
    en: '{day:date}: queued to be sent again, time-recording data: {timeChoice}.',
    de: '{day:date}: zum erneuten Senden vorgemerkt, Zeiterfassungsdaten: {timeChoice}.',
  },
  STATUS_SENT: {
    severity: 'info',
    en: '{day:date}: sent ({kind}) on stick "{stick}" at {at:time}, not yet confirmed by head office.',
    de: '{day:date}: gesendet ({kind}) auf Stick "{stick}" am {at:time}, von der Zentrale noch nicht bestätigt.',
  },
  STATUS_CONFIRMED: {
    severity: 'success',
    en: '{day:date}: sent ({kind}) and confirmed by head office at {confirmedAt:time}.',
    de: '{day:date}: gesendet ({kind}) und von der Zentrale bestätigt am {confirmedAt:time}.',
  },
  STATUS_HISTORY: {
    severity: 'success',
    en: 'From {from:date} to {to:date}: {days|# day|# days} sent and confirmed by head office (older history, summarised).',
    de: 'Vom {from:date} bis {to:date}: {days|# Tag|# Tage} gesendet und von der Zentrale bestätigt (ältere Einträge, zusammengefasst).',
  },
  STATUS_NONE: {
    severity: 'info',
    en: 'No days pending, queued or sent yet.',
    de: 'Noch keine Tage vorgemerkt, offen oder gesendet.',
  },
} as const satisfies Record<string, PromptText>;

/** Words that fill parameters, in the prompt's language. */
export const WORDS = {
  yes: { en: 'yes', de: 'ja' },
  no: { en: 'no', de: 'nein' },
  withTimeData: { en: ', with time-recording data', de: ', mit Zeiterfassungsdaten' },
  lastError: { en: ', last error: ', de: ', letzter Fehler: ' },
} as const;

export type PromptId = keyof typeof PROMPTS;

type WordTable = Readonly<Record<string, Readonly<Record<Language, string>>>> & {
  /** Shown for any value the table does not know, so a raw message never reaches the screen through it. */
  readonly error: Readonly<Record<Language, string>>;
};

/** Why writing a day failed (the machine's WriteFailure keys), for WRITE_FAILED and the status line. */
const WRITE_FAILURE_WORDS = {
  'stick-gone': { en: 'the USB stick could no longer be reached', de: 'der USB-Stick war nicht mehr erreichbar' },
  'stick-full': { en: 'the USB stick is full', de: 'der USB-Stick ist voll' },
  'read-only': { en: 'the USB stick does not accept data', de: 'der USB-Stick nimmt keine Daten an' },
  'write-error': { en: 'the USB stick reported a write error', de: 'der USB-Stick hat einen Schreibfehler gemeldet' },
  'verify-failed': {
    en: 'reading the written data back did not match',
    de: 'die geschriebenen Daten stimmten beim Zurücklesen nicht überein',
  },
  aborted: { en: 'it was cancelled', de: 'es wurde abgebrochen' },
  'journal-error': { en: "the register's journal could not be read", de: 'das Journal der Kasse war nicht lesbar' },
  'stick-conflict': {
    en: 'the stick holds data in the way',
    de: 'auf dem Stick liegen Daten im Weg',
  },
  error: {
    en: 'an error occurred; the details are in the log',
    de: 'ein Fehler ist aufgetreten; die Einzelheiten stehen im Protokoll',
  },
} as const satisfies WordTable;

const SENT_KIND_WORDS = {
  'day-close': { en: 'day close', de: 'Tagesabschluss' },
  're-send': { en: 'written again', de: 'erneut geschrieben' },
  error: { en: 'written', de: 'geschrieben' },
} as const satisfies WordTable;

function prefixed(table: WordTable, prefix: Readonly<Record<Language, string>>): WordTable {
  const out: Record<string, Record<Language, string>> = {};
  for (const [key, words] of Object.entries(table)) out[key] = { en: prefix.en + words.en, de: prefix.de + words.de };
  return out as WordTable;
}

/**
 * Parameters that carry a key rather than text: the prompt shows the key's
 * words in its language. The machine emits the key; the errno and the
 * message behind it go to the log.
 */
export const WORD_PARAMS: Partial<Record<PromptId, Readonly<Record<string, WordTable>>>> = {
  JOURNAL_READ_FAILED: {
    reason: {
      damaged: { en: 'journal damaged', de: 'Journal beschädigt' },
      locked: { en: 'journal locked', de: 'Journal gesperrt' },
      'read-error': { en: 'journal read error', de: 'Journal-Lesefehler' },
      error: { en: 'journal error, details in the log', de: 'Journalfehler, Einzelheiten im Protokoll' },
    },
  },
  WRITE_FAILED: { reason: WRITE_FAILURE_WORDS },
  DAY_CLOSE_FAILED: {
    // The planning error's message (journal, state file) is in the log with the prompt's parameters.
    reason: {
      error: {
        en: 'an error occurred; the details are in the log',
        de: 'ein Fehler ist aufgetreten; die Einzelheiten stehen im Protokoll',
      },
    },
  },
  STATUS_SENT: { kind: SENT_KIND_WORDS },
  STATUS_CONFIRMED: { kind: SENT_KIND_WORDS },
  STATUS_PENDING: {
    lastError: {
      none: { en: '', de: '' },
      ...prefixed(WRITE_FAILURE_WORDS, { en: ', last attempt: ', de: ', letzter Versuch: ' }),
    },
  },
  BACKUP_FAILED: {
    reason: {
      stalled: { en: 'the USB stick stopped responding', de: 'der USB-Stick hat nicht mehr reagiert' },
      'stick-gone': { en: 'the USB stick could no longer be reached', de: 'der USB-Stick war nicht mehr erreichbar' },
      'stick-full': { en: 'the USB stick is full', de: 'der USB-Stick ist voll' },
      'read-only': { en: 'the USB stick does not accept data', de: 'der USB-Stick nimmt keine Daten an' },
      cancelled: { en: 'it was cancelled', de: 'sie wurde abgebrochen' },
      error: {
        en: 'an error occurred; the details are in the log',
        de: 'ein Fehler ist aufgetreten; die Einzelheiten stehen im Protokoll',
      },
    },
  },
};

export function isPromptId(id: string): id is PromptId {
  return Object.hasOwn(PROMPTS, id);
}
