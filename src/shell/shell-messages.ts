import type { ShownPrompt } from '../host/ports.js';

/**
 * The reference shell's own messages (the register's, not the plugin's), by
 * stable id like the plugin's prompts, so scripts match them the same way.
 */
const MESSAGES = {
  SHELL_READY: {
    severity: 'info',
    en: 'daystick reference register {register} (customer {customer}), journal {journal}. Open business day: {openDay}. Type "help" for the keys.',
    de: 'daystick Referenzkasse {register} (Kundennummer {customer}), Journal {journal}. Offener Geschäftstag: {openDay}. "help" zeigt die Tasten.',
  },
  SHELL_NO_OPEN_DAY: {
    severity: 'warning',
    en: 'No business day is open: the last closing (Z {zNumber}) was for {lastDay}, and the register clock shows {today}. Please check the register clock.',
    de: 'Kein Geschäftstag ist offen: Der letzte Abschluss (Z {zNumber}) war für den {lastDay}, die Kassenuhr zeigt den {today}. Bitte prüfen Sie die Kassenuhr.',
  },
  SHELL_READY_CLOSED: {
    severity: 'info',
    en: 'daystick reference register {register} (customer {customer}), journal {journal}. Today\'s business day {day} is closed; the next day close is possible from {next} on. Type "help" for the keys.',
    de: 'daystick Referenzkasse {register} (Kundennummer {customer}), Journal {journal}. Der heutige Geschäftstag {day} ist abgeschlossen; der nächste Tagesabschluss ist ab dem {next} möglich. "help" zeigt die Tasten.',
  },
  SHELL_JOURNAL_CREATED: {
    severity: 'info',
    en: 'No journal found: created a demo journal {journal} with {days} business days ({first} to {last}).',
    de: 'Kein Journal gefunden: Demo-Journal {journal} mit {days} Geschäftstagen ({first} bis {last}) angelegt.',
  },
  SHELL_HELP: {
    severity: 'info',
    en: 'Keys: close | close YYYYMMDD (day close) · cancel or Ctrl+C (stop a running close) · YYYYMMDD reports (write that day again at the next close) · queue · unqueue YYYYMMDD · status · help · quit. Sticks: every folder in {roots}.',
    de: 'Tasten: close | close JJJJMMTT (Tagesabschluss) · abbrechen/cancel oder Strg+C (laufenden Abschluss stoppen) · JJJJMMTT reports (Tag beim nächsten Abschluss erneut schreiben) · queue · unqueue JJJJMMTT · status · help · quit. Sticks: jeder Ordner in {roots}.',
  },
  SHELL_UNKNOWN_KEY: {
    severity: 'error',
    en: 'Unknown key "{input}". Type "help" for the keys.',
    de: 'Unbekannte Taste "{input}". "help" zeigt die Tasten.',
  },
  SHELL_BAD_DATE: {
    severity: 'error',
    en: '{problem}. Nothing was done.',
    de: '{problem}. Es wurde nichts ausgeführt.',
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
    en: 'Day close {day}: Z {zNumber} recorded ({receipts} receipts).',
    de: 'Tagesabschluss {day}: Z {zNumber} gebucht ({receipts} Bons).',
  },
  SHELL_CLOSE_REFUSED: {
    severity: 'error',
    en: 'Day close refused: {reason}.',
    de: 'Tagesabschluss abgelehnt: {reason}.',
  },
  SHELL_CLOSE_RESULT: {
    severity: 'info',
    en: 'Day close {day} finished: {outcome}; sent: {sent}; pending: {pending}.',
    de: 'Tagesabschluss {day} beendet: {outcome}; gesendet: {sent}; offen: {pending}.',
  },
  SHELL_COMMAND_ERROR: {
    severity: 'error',
    en: '"{input}" failed: {reason}.',
    de: '"{input}" ist fehlgeschlagen: {reason}.',
  },
  SHELL_NO_STICK: {
    severity: 'warning',
    en: 'No usable USB stick for {seconds} s: the day close is postponed.',
    de: 'Seit {seconds} s kein brauchbarer USB-Stick: Der Tagesabschluss wird verschoben.',
  },
  SHELL_NO_CHOICE: {
    severity: 'warning',
    en: 'No USB stick was chosen within {seconds} s: the day close is postponed.',
    de: 'Innerhalb von {seconds} s wurde kein USB-Stick gewählt: Der Tagesabschluss wird verschoben.',
  },
  SHELL_CANCELLED: {
    severity: 'warning',
    en: 'Cancelled by the cashier.',
    de: 'Vom Kassierer abgebrochen.',
  },
  SHELL_STATUS: {
    severity: 'info',
    en: 'Open business day: {openDay}; last closing: {lastClosing}; sticks present: {sticks}.',
    de: 'Offener Geschäftstag: {openDay}; letzter Abschluss: {lastClosing}; eingesteckte Sticks: {sticks}.',
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
    en: 'A day close is running: "{input}" was not run. Type "cancel" to stop the close, or wait until it has finished.',
    de: 'Ein Tagesabschluss läuft: "{input}" wurde nicht ausgeführt. "abbrechen" stoppt den Abschluss, sonst bitte warten, bis er fertig ist.',
  },
  SHELL_NOTHING_TO_CANCEL: {
    severity: 'info',
    en: 'Nothing to cancel: no day close is running.',
    de: 'Nichts abzubrechen: Es läuft kein Tagesabschluss.',
  },
  SHELL_STATUS_CLOSED: {
    severity: 'info',
    en: "Today's business day {day} is closed (Z {zNumber}). The next day close is for {next} and can be done from that day on; days still pending go with it. Sticks present: {sticks}.",
    de: 'Der heutige Geschäftstag {day} ist abgeschlossen (Z {zNumber}). Der nächste Tagesabschluss gilt dem {next} und ist ab diesem Tag möglich; noch offene Tage gehen mit ihm. Eingesteckte Sticks: {sticks}.',
  },
  SHELL_CLOSE_NOT_YET: {
    severity: 'error',
    en: "Today's business day {day} is already closed (Z {zNumber}). The next day close is possible from {next} on. Nothing was done.",
    de: 'Der heutige Geschäftstag {day} ist bereits abgeschlossen (Z {zNumber}). Der nächste Tagesabschluss ist ab dem {next} möglich. Es wurde nichts ausgeführt.',
  },
  SHELL_BYE: {
    severity: 'info',
    en: 'Shell closed; {failed} of {commands} command(s) did not succeed.',
    de: 'Kasse beendet; {failed} von {commands} Befehl(en) nicht erfolgreich.',
  },
} as const;

export type ShellMessageId = keyof typeof MESSAGES;

export function shellMessage(
  id: ShellMessageId,
  language: 'en' | 'de',
  params: Readonly<Record<string, string | number>> = {},
): ShownPrompt {
  const entry = MESSAGES[id];
  const text = entry[language].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
  return { id, params, text, severity: entry.severity };
}
