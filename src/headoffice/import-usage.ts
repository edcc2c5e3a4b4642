import type { Language } from '../prompts/catalog.js';
import { DEMO_AGE_IDENTITY_PATH, HEAD_OFFICE_AGE_IDENTITY_FILE } from './head-office-keys.js';

/** `daystick import --help`, in the clerk's language (its own file: a long text beside the command's code). */
const USAGE: Readonly<Record<Language, string>> = {
  en: `usage:
  daystick import PATH --central FILE|postgres://...   import every package under PATH once, then exit
  daystick import --central FILE|postgres://... [--stick-root DIR ...] [--backup-folder DIR]
                                                      watch for sticks (and the backup folder) until Ctrl-C
  daystick import --reconcile BACKUP_FOLDER --from YYYYMMDD --customer N --register R --central ... [--identity FILE] [--dry-run]
                                                      data synchronisation from a date, out of the register's signed
                                                      master-data backup (DAYSTICK/<C>-<R>/masterdata on its stick)

  --central FILE|URL          central journal: an SQLite file (created on first run) or a PostgreSQL connection string
  --keys DIR                  head office's signing key for acknowledgements (default: daystick-headoffice-keys
                              beside the SQLite file; required with PostgreSQL)
  --identity FILE             head office's age identity, which opens the encrypted data files and backups (default:
                              ${HEAD_OFFICE_AGE_IDENTITY_FILE} in the --keys folder, else the demo
                              shell's ${DEMO_AGE_IDENTITY_PATH})
  --head-office-customer N    head office's own customer number: given once, stored in the central journal, and every
                              import refuses packages carrying it (0010000 and 10000 are the same number)
  --without-stock-postings    leave merchandise-management (stock) postings out
  --accept-new-key C-R        register C-R was replaced: its next package may carry a new key (repeatable)
  --stick-root DIR            folder whose sub-folders are sticks (repeatable; default: the system's removable media)
  --backup-folder DIR         also import packages copied into this folder
  --backup-poll-ms N          how often the backup folder is looked at (default 5000)
  --settle-ms N               a stick is read once its files have not changed for N ms, and again when they
                              change (default 2000): a folder filled by a copy is imported when the copy is over
  --dry-run                   with --reconcile: check the backup and print what would be inserted; writes nothing
  --lang en|de                language of what the clerk reads (default: DAYSTICK_LANG, else LC_ALL/LC_MESSAGES/LANG
                              de_… → de, else en); days are shown as local dates (5 Jan 2026 / 05.01.2026)

exit status: 0 all imported or already there; 1 something needs attention (a package refused or failed,
a conflict, an acknowledgement not written, a reconciliation it cannot fix, no package under PATH);
2 bad command line, PATH missing or not a folder, or central journal;
3 the central journal's PostgreSQL server cannot be reached (nothing imported; watching keeps trying instead)

PostgreSQL: what the connection string leaves out comes from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE
(e.g. postgres:///central with PGHOST set); ?sslmode=verify-full (or no-verify) turns on TLS. A dropped connection, a deadlock
or a serialisation failure rolls the package back and runs it again (said on screen); no acknowledgement before it is in.
`,
  de: `Aufruf:
  daystick import PFAD --central DATEI|postgres://...  jedes Paket unter PFAD einmal importieren, dann beenden
  daystick import --central DATEI|postgres://... [--stick-root ORDNER ...] [--backup-folder ORDNER]
                                                      Sticks (und den Sicherungsordner) beobachten bis Strg-C
  daystick import --reconcile SICHERUNGSORDNER --from JJJJMMTT --customer N --register R --central ... [--identity DATEI] [--dry-run]
                                                      Datenabgleich ab einem Datum aus der signierten Stammdaten-Sicherung
                                                      der Kasse (DAYSTICK/<C>-<R>/masterdata auf ihrem Stick)

  --central DATEI|URL         zentrales Journal: eine SQLite-Datei (beim ersten Lauf angelegt) oder eine PostgreSQL-Verbindung
  --keys ORDNER               Signierschlüssel der Zentrale für Bestätigungen (Vorgabe: daystick-headoffice-keys
                              neben der SQLite-Datei; mit PostgreSQL erforderlich)
  --identity DATEI            age-Schlüssel der Zentrale, der die verschlüsselten Datendateien und Sicherungen öffnet
                              (Vorgabe: ${HEAD_OFFICE_AGE_IDENTITY_FILE} im --keys-Ordner, sonst der der Demo-Shell
                              ${DEMO_AGE_IDENTITY_PATH})
  --head-office-customer N    die eigene Kundennummer der Zentrale: einmal angegeben, im zentralen Journal gespeichert; jeder
                              Import lehnt Pakete mit dieser Nummer ab (0010000 und 10000 sind dieselbe Nummer)
  --without-stock-postings    Warenwirtschaftsbuchungen (Lagerbuchungen) auslassen
  --accept-new-key C-R        Kasse C-R wurde ersetzt: ihr nächstes Paket darf einen neuen Schlüssel tragen (mehrfach möglich)
  --stick-root ORDNER         Ordner, dessen Unterordner Sticks sind (mehrfach möglich; Vorgabe: die Wechseldatenträger des Systems)
  --backup-folder ORDNER      auch Pakete importieren, die in diesen Ordner kopiert werden
  --backup-poll-ms N          wie oft der Sicherungsordner angesehen wird (Vorgabe 5000)
  --settle-ms N               ein Stick wird gelesen, wenn sich seine Dateien N ms nicht geändert haben, und erneut, wenn sie
                              sich ändern (Vorgabe 2000): ein Ordner, in den kopiert wird, wird nach dem Kopieren importiert
  --dry-run                   mit --reconcile: die Sicherung prüfen und zeigen, was eingefügt würde; schreibt nichts
  --lang en|de                Sprache der Ausgaben (Vorgabe: DAYSTICK_LANG, sonst LC_ALL/LC_MESSAGES/LANG de_… → de,
                              sonst en); Tage erscheinen als Datum (05.01.2026)

Exit-Status: 0 alles importiert oder schon vorhanden; 1 etwas braucht Aufmerksamkeit (ein Paket abgelehnt oder fehlgeschlagen,
ein Konflikt, eine Bestätigung nicht geschrieben, ein Abgleich, den es nicht beheben kann, kein Paket unter PFAD);
2 falscher Aufruf, PFAD fehlt oder ist kein Ordner, oder das zentrale Journal;
3 der PostgreSQL-Server des zentralen Journals ist nicht erreichbar (nichts importiert; beim Beobachten wird es weiter versucht)

PostgreSQL: was die Verbindung offen lässt, kommt aus PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE
(z. B. postgres:///central mit gesetztem PGHOST); ?sslmode=verify-full (oder no-verify) schaltet TLS ein. Eine abgebrochene
Verbindung, eine Verklemmung oder ein Serialisierungsfehler rollt das Paket zurück und führt es erneut aus (auf dem Bildschirm
gesagt); keine Bestätigung, bevor es gespeichert ist.
`,
};

export function importUsage(lang: Language): string {
  return USAGE[lang];
}
