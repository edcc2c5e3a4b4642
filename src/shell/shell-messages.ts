import type { ShownPrompt } from '../host/ports.js';
import { fillTemplate, type WordTableLike } from '../prompts/render.js';

/**
 * The reference shell's own messages (the register's, not the plugin's), by
 * stable id like the plugin's prompts, so scripts match them the same way.
 */
const MESSAGES = {
  SHELL_READY: {
    severity: 'info',
    en: 'daystick reference register {register} (customer {customer}), journal {journal}. Open business day: {openDay:date}. Type "help" for the keys.',
    de: 'daystick Referenzkasse {register} (Kundennummer {customer}), Journal {journal}. Offener Geschäftstag: {openDay:date}. "help" zeigt die Tasten.',
  },
  SHELL_NO_OPEN_DAY: {
    severity: 'warning',
    en: 'No business day is open: the last closing (Z {zNumber}) was for {lastDay:date}, and the register clock shows {today:date}. Please check the register clock.',
    de: 'Kein Geschäftstag ist offen: Der letzte Abschluss (Z {zNumber}) war für den {lastDay:date}, die Kassenuhr zeigt den {today:date}. Bitte prüfen Sie die Kassenuhr.',
  },
  SHELL_READY_CLOSED: {
    severity: 'info',
    en: 'daystick reference register {register} (customer {customer}), journal {journal}. Today\'s business day {day:date} is closed; the next day close is possible from {next:date} on. Type "help" for the keys.',
    de: 'daystick Referenzkasse {register} (Kundennummer {customer}), Journal {journal}. Der heutige Geschäftstag {day:date} ist abgeschlossen; der nächste Tagesabschluss ist ab dem {next:date} möglich. "help" zeigt die Tasten.',
  },
  SHELL_JOURNAL_CREATED: {
    severity: 'info',
    en: 'No journal found: created a demo journal {journal} with {days:plural:one=# business day|other=# business days} ({first:date} to {last:date}).',
    de: 'Kein Journal gefunden: Demo-Journal {journal} mit {days:plural:one=# Geschäftstag|other=# Geschäftstagen} ({first:date} bis {last:date}) angelegt.',
  },
  SHELL_HELP: {
    severity: 'info',
    en: 'Keys: close | close YYYYMMDD (day close) · cancel or Ctrl+C (stop a running close) · YYYYMMDD reports (write that day again at the next close) · queue · unqueue YYYYMMDD · status · help · quit. Sticks: every folder in {roots}.',
    de: 'Tasten: close | close JJJJMMTT (Tagesabschluss) · abbrechen/cancel oder Strg+C (laufenden Abschluss stoppen) · JJJJMMTT reports (Tag beim nächsten Abschluss erneut schreiben) · queue · unqueue JJJJMMTT · status · help · quit. Sticks: jeder Ordner in {roots}.',
  },
  SHELL_UNKNOWN_KEY: {
    severity: 'error',
    en: 'Unknown key "{input:echo}". Type "help" for the keys.',
    de: 'Unbekannte Taste "{input:echo}". "help" zeigt die Tasten.',
  },
  SHELL_DATE_WRONG_LENGTH: {
    severity: 'error',
    en: '"{input:echo}" is not a date: type 8 digits YYYYMMDD. Nothing was done.',
    de: '"{input:echo}" ist kein Datum: bitte 8 Ziffern JJJJMMTT eingeben. Es wurde nichts ausgeführt.',
  },
  SHELL_DATE_NOT_DIGITS: {
    severity: 'error',
    en: '"{input:echo}" is not a date: only digits YYYYMMDD. Nothing was done.',
    de: '"{input:echo}" ist kein Datum: nur Ziffern JJJJMMTT. Es wurde nichts ausgeführt.',
  },
  SHELL_DATE_IMPOSSIBLE: {
    severity: 'error',
    en: '{input:echo} is not a calendar date. Nothing was done.',
    de: '{input:echo} ist kein gültiges Kalenderdatum. Es wurde nichts ausgeführt.',
  },
  SHELL_UNQUEUE_NEEDS_DAY: {
    severity: 'error',
    en: 'unqueue needs the day: unqueue YYYYMMDD. Nothing was done.',
    de: 'unqueue braucht den Tag: unqueue JJJJMMTT. Es wurde nichts ausgeführt.',
  },
  SHELL_DIGITS_PENDING: {
    severity: 'info',
    en: 'Digits {digits} typed; press a function key (reports, unqueue).',
    de: 'Ziffern {digits} eingegeben; jetzt eine Funktionstaste (reports, unqueue).',
  },
  SHELL_REPORTS_OWN: {
    severity: 'info',
    en: "REPORTS without a date opens the register's own reports, which the reference shell does not have.",
    de: 'REPORTS ohne Datum öffnet die kasseneigenen Berichte, die die Referenzkasse nicht hat.',
  },
  SHELL_KEY_NOT_TAKEN: {
    severity: 'error',
    en: 'The plugin did not take the key {key}.',
    de: 'Das Plugin hat die Taste {key} nicht angenommen.',
  },
  SHELL_CLOSING: {
    severity: 'info',
    en: 'Day close {day:date}: Z {zNumber} recorded ({receipts:plural:one=# receipt|other=# receipts}).',
    de: 'Tagesabschluss {day:date}: Z {zNumber} gebucht ({receipts:plural:one=# Bon|other=# Bons}).',
  },
  SHELL_CLOSE_NOT_BEGUN: {
    severity: 'error',
    en: 'Day close refused: business day {day:date} has not begun yet (today is {today:date}).',
    de: 'Tagesabschluss abgelehnt: Der Geschäftstag {day:date} hat noch nicht begonnen (heute ist der {today:date}).',
  },
  SHELL_CLOSE_ALREADY_CLOSED: {
    severity: 'error',
    en: 'Day close refused: business day {day:date} is already closed (Z {zNumber} at {closedAt:time}).',
    de: 'Tagesabschluss abgelehnt: Der Geschäftstag {day:date} ist bereits abgeschlossen (Z {zNumber} am {closedAt:time}).',
  },
  SHELL_CLOSE_BEFORE_LAST: {
    severity: 'error',
    en: 'Day close refused: business day {day:date} lies before the last closing ({lastDay:date}, Z {zNumber}).',
    de: 'Tagesabschluss abgelehnt: Der Geschäftstag {day:date} liegt vor dem letzten Abschluss ({lastDay:date}, Z {zNumber}).',
  },
  SHELL_CLOSE_RESULT: {
    severity: 'info',
    en: 'Day close {day:date} finished: {outcome}; sent: {sent:dates}; pending: {pending:dates}.',
    de: 'Tagesabschluss {day:date} beendet: {outcome}; gesendet: {sent:dates}; offen: {pending:dates}.',
  },
  SHELL_COMMAND_ERROR: {
    severity: 'error',
    en: '"{input:echo}" failed: an error occurred; the details are in the log.',
    de: '"{input:echo}" ist fehlgeschlagen: Ein Fehler ist aufgetreten; die Einzelheiten stehen im Protokoll.',
  },
  SHELL_NO_STICK: {
    severity: 'warning',
    en: 'No usable USB stick for {seconds:plural:one=# second|other=# seconds}: the day close is postponed.',
    de: 'Seit {seconds:plural:one=# Sekunde|other=# Sekunden} kein brauchbarer USB-Stick: Der Tagesabschluss wird verschoben.',
  },
  SHELL_NO_CHOICE: {
    severity: 'warning',
    en: 'No USB stick was chosen within {seconds:plural:one=# second|other=# seconds}: the day close is postponed.',
    de: 'Innerhalb von {seconds:plural:one=# Sekunde|other=# Sekunden} wurde kein USB-Stick gewählt: Der Tagesabschluss wird verschoben.',
  },
  SHELL_CANCELLED: {
    severity: 'warning',
    en: 'Cancelled by the cashier.',
    de: 'Vom Kassierer abgebrochen.',
  },
  SHELL_STATUS: {
    severity: 'info',
    en: 'Open business day: {openDay:date}; last closing: {lastClosing:date}{lastZ}; sticks present: {sticks}.',
    de: 'Offener Geschäftstag: {openDay:date}; letzter Abschluss: {lastClosing:date}{lastZ}; eingesteckte Sticks: {sticks}.',
  },
  SHELL_ANSWER_YES_NO: {
    severity: 'warning',
    en: 'Please answer yes or no (y/n).',
    de: 'Bitte mit ja oder nein antworten (j/n).',
  },
  SHELL_CHOOSE_NUMBER: {
    severity: 'warning',
    en: 'Please type the number of one of the options.',
    de: 'Bitte die Nummer einer der Möglichkeiten eingeben.',
  },
  SHELL_NO_ANSWER: {
    severity: 'warning',
    en: 'End of input: no answer, the question is cancelled.',
    de: 'Ende der Eingabe: keine Antwort, die Frage wird abgebrochen.',
  },
  SHELL_CANCEL_HINT: {
    severity: 'info',
    en: '(To cancel: type "cancel" or press Ctrl+C.)',
    de: '(Abbrechen: "abbrechen" oder "cancel" eingeben oder Strg+C drücken.)',
  },
  SHELL_BUSY: {
    severity: 'warning',
    en: 'A day close is running: "{input:echo}" was not run. Type "cancel" to stop the close, or wait until it has finished.',
    de: 'Ein Tagesabschluss läuft: "{input:echo}" wurde nicht ausgeführt. "abbrechen" stoppt den Abschluss, sonst bitte warten, bis er fertig ist.',
  },
  SHELL_NOTHING_TO_CANCEL: {
    severity: 'info',
    en: 'Nothing to cancel: no day close is running.',
    de: 'Nichts abzubrechen: Es läuft kein Tagesabschluss.',
  },
  SHELL_STATUS_CLOSED: {
    severity: 'info',
    en: "Today's business day {day:date} is closed (Z {zNumber}). The next day close is for {next:date} and can be done from that day on; days still pending go with it. Sticks present: {sticks}.",
    de: 'Der heutige Geschäftstag {day:date} ist abgeschlossen (Z {zNumber}). Der nächste Tagesabschluss gilt dem {next:date} und ist ab diesem Tag möglich; noch offene Tage gehen mit ihm. Eingesteckte Sticks: {sticks}.',
  },
  SHELL_CLOSE_NOT_YET: {
    severity: 'error',
    en: "Today's business day {day:date} is already closed (Z {zNumber}). The next day close is possible from {next:date} on. Nothing was done.",
    de: 'Der heutige Geschäftstag {day:date} ist bereits abgeschlossen (Z {zNumber}). Der nächste Tagesabschluss ist ab dem {next:date} möglich. Es wurde nichts ausgeführt.',
  },
  SHELL_BYE: {
    severity: 'info',
    en: 'Shell closed; {failed} of {commands:plural:one=# command|other=# commands} did not succeed.',
    de: 'Kasse beendet; {failed} von {commands:plural:one=# Befehl|other=# Befehlen} nicht erfolgreich.',
  },
} as const;

export type ShellMessageId = keyof typeof MESSAGES;

const ERROR_WORDS = { en: 'unknown', de: 'unbekannt' } as const;

/** Parameters that carry a key: the plugin's outcome of a close, shown in the shell's language. */
const SHELL_WORDS: Partial<Record<ShellMessageId, Readonly<Record<string, WordTableLike>>>> = {
  SHELL_CLOSE_RESULT: {
    outcome: {
      sent: { en: 'sent', de: 'gesendet' },
      'sent-backup-incomplete': {
        en: 'sent, master data backup incomplete',
        de: 'gesendet, Stammdatensicherung unvollständig',
      },
      postponed: { en: 'postponed', de: 'verschoben' },
      failed: { en: 'failed', de: 'fehlgeschlagen' },
      disabled: { en: 'switched off in the settings', de: 'in den Einstellungen ausgeschaltet' },
      error: ERROR_WORDS,
    },
  },
};

export function shellMessage(
  id: ShellMessageId,
  language: 'en' | 'de',
  params: Readonly<Record<string, string | number>> = {},
): ShownPrompt {
  const entry = MESSAGES[id];
  const text = fillTemplate(entry[language], params, { language }, SHELL_WORDS[id]);
  return { id, params, text, severity: entry.severity };
}
