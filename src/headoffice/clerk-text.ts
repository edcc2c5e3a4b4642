import type { Language } from '../prompts/catalog.js';
import { type PromptParams, fillTemplate, showDay } from '../prompts/render.js';

/**
 * Every text a head-office clerk reads from the command line (`daystick import`,
 * `--reconcile`, `daystick verify`, `daystick headoffice`, the usage of `daystick`),
 * in English and German. Placeholders are the register prompts' (`{day:date}`,
 * `{n:plural:one=…|other=…}`, see src/prompts/render.ts), so a day reads
 * 5 Jan 2026 / 05.01.2026 here as at the register. The English texts keep the
 * words scripts and tests already read; identifiers of the stick format
 * (`bad-signature`, `day-close`) stay as they are beside a translated explanation.
 */
const EN = {
  // The processing list.
  'list.register': 'REGISTER',
  'list.day': 'DAY',
  'list.kind': 'KIND',
  'list.receipts': 'RECEIPTS',
  'list.status': 'STATUS',
  'list.progress': 'PROGRESS',
  'list.stickDone': 'stick "{label}" done: {tally}; it can be pulled now',
  'list.counts':
    'receipts: {rn} new, {ra} already imported, {rc} conflicts; stock postings: {sn} new, {sa} already imported, {sc} conflicts{skipped}; ' +
    'time records: {tn} new, {ta} already imported, {tc} conflicts{kept}{unbalanced}',
  'list.countsSkipped': ', {n} left out (--without-stock-postings)',
  'list.countsKept': '; {n} quarantined records kept',
  'list.countsUnbalanced': '; {n} receipt(s) do not add up',
  'list.refused': 'REFUSED ({code}): {reason}',
  'list.failed': 'FAILED ({code}): {reason}',
  'list.untouched': 'package left untouched at {dir}',
  'list.conflict': 'CONFLICT {type} {id} (day {day:date}): central holds different content ({stored}… vs {arriving}…), kept central, left this one out',
  'list.unbalanced':
    'UNBALANCED receipt {id}: gross {gross}, non-voided lines {lines}, payments {payments} (minor units); imported as the register sent it',
  'list.unbalancedMore': 'UNBALANCED: {n} more receipt(s), listed in the packages table (outcome_json)',
  'list.ackFailed': 'ACKNOWLEDGEMENT FAILED: {reason}',
  'list.ackFailedReason': '{message}',
  'list.ackWritten': 'acknowledgement written: {path}',
  tally:
    '{packages} package(s): {imported} imported, {already} already imported, {conflicting} with conflicts, {refused} refused, {failed} failed{ack}',
  'tally.ack': ', {n} acknowledgement(s) not written',
  'status.verifying': 'verifying',
  'status.importing': 'importing',
  'status.acknowledging': 'acknowledging',
  'status.imported': 'imported',
  'status.already-imported': 'already-imported',
  'status.partially-conflicting': 'partially-conflicting',
  'status.refused': 'refused',
  'status.failed': 'failed',
  'record.receipt': 'receipt',
  'record.stock-posting': 'stock-posting',
  'record.time-record': 'time-record',

  // Watching sticks.
  'watch.looking': 'stick "{label}" at {path}: looking for daystick packages',
  'watch.unreadable': 'stick "{label}": cannot be read: {reason}',
  'watch.incomplete': 'stick "{label}": {register} {stem} is not complete ({why}): not imported, waiting for its files',
  'watch.changed': 'stick "{label}": {tally}; its content changed meanwhile, looking again once it is quiet: do not pull it yet',
  'watch.waiting':
    'stick "{label}": {tally}; {n} package(s) not complete, waiting for their files: do not pull it yet (if nothing is being copied, a write was interrupted and the register writes that day again)',
  'why.no manifest yet': 'no manifest yet',
  'why.no signature yet': 'no signature yet',
  'why.no data file yet': 'no data file yet',
  'watch.empty': 'stick "{label}": no daystick packages on it (yet); watching it for files',
  'watch.changing': 'stick "{label}": its content is changing; it is read again once it is quiet',
  'watch.backupWaiting': 'backup folder: {register} {stem} has no manifest yet, waiting',
  'watch.inserted': 'stick "{label}" inserted at {path}: read once its content is quiet for {ms} ms',
  'watch.removed': 'stick "{label}" removed',
  'watch.error': 'ERROR: {reason}',

  // daystick import.
  'import.central': "central journal: {description} ({dialect}), head office's customer number {number}; acknowledgements signed with key {key}…",
  'import.retry':
    'central journal: {cause} while importing for {lock}; rolled back, nothing of it stored; trying again in {seconds} s (attempt {attempt} of {max})',
  'import.retryRegister': 'register {register}',
  'retry.connection-lost': 'the connection to the server was lost',
  'retry.serialisation': 'PostgreSQL reported a serialisation failure with another importer',
  'retry.deadlock': 'PostgreSQL broke a deadlock with another importer',
  'retry.concurrent-insert': 'another importer stored the same record at the same moment',
  'import.openWait': '{reason}; watching waits and tries again in {seconds} s (Ctrl-C ends)',
  'import.noPackages': 'no daystick packages under {path}',
  'import.noIdentityYet':
    "no head-office age identity yet (looked for {places}): encrypted packages are refused until one is there; it is looked for again at every stick",
  'import.identityFound': "head office's age identity {file} found: encrypted packages can be opened now",
  'import.watching': 'watching for sticks{roots}{backup}; Ctrl-C ends',
  'import.watchingRoots': ' under {roots}',
  'import.watchingBackup': ' and the backup folder {folder}',
  'import.noFolder': 'cannot read {path}: no such folder',
  'import.cannotRead': 'cannot read {path}: {reason}',
  'import.pgKeys': "with a PostgreSQL central journal give --keys DIR for head office's acknowledgement key",
  'import.dryRunNoCentral': 'the central journal {central} does not exist; nothing was created',
  'import.keyFolder': 'head-office key in {folder}: {reason}',
  'import.backupRefused': 'backup refused ({problem}): {reason}',

  // Usage errors of import's arguments.
  'arg.central': '--central FILE|postgres://... is required',
  'arg.centralEmpty': '--central must not be empty',
  'arg.customerEmpty': '--head-office-customer must not be empty',
  'arg.acceptNewKey': '--accept-new-key takes <customerNumber>-<registerId>',
  'arg.pollWhole': '--backup-poll-ms must be a whole number of milliseconds',
  'arg.pollMin': '--backup-poll-ms must be at least 50',
  'arg.settleWhole': '--settle-ms must be a whole number of milliseconds',
  'arg.settleRange': '--settle-ms must be between 100 and 600000',
  'arg.from': '--from: {reason}',
  'arg.fromReason': '{message}',
  'arg.invalid': '--{field}: {reason}',
  'arg.onePath': 'one PATH at most, got {n}: {paths}',
  'arg.reconcilePath': '--reconcile takes the register database, not a PATH',
  'arg.reconcileNeeds': '--reconcile needs --{name}',
  'arg.belongsToReconcile': '--{name} belongs to --reconcile',
  'arg.dryRun': '--dry-run belongs to --reconcile',
  'arg.watchOnly': '--stick-root and --backup-folder are for watching; with a PATH the import runs once',
  'arg.unknownOption': 'unknown option {option}',
  'arg.missingValue': 'option {option} needs a value',
  'arg.badCall': '{message}',
  'arg.lang': '--lang takes en or de, not "{value}"',

  // Errors named by their problem (the raw message follows on a detail line in German).
  'error.detail': '    ({message})',
  'error.store.cannot-open': '{message}',
  'error.store.unreachable': '{message}',
  'error.store.newer-schema': '{message}',
  'error.store.not-a-central-journal': '{message}',
  'error.identity.not-set': '{message}',
  'error.identity.differs': '{message}',
  'error.identity.malformed': '{message}',
  'error.ageIdentity': '{message}',
  'error.reconcile': '{message}',
  'error.other': '{message}',

  // --reconcile.
  'reconcile.dryRun': 'DRY RUN (nothing is written): ',
  'reconcile.head': 'data synchronisation of register {register} from {from:date} into {central}',
  'reconcile.backup': "backup of business day {day:date}, {file}, {bytes} bytes, signed by the register's pinned key {key}…",
  'reconcile.col.day': 'DAY',
  'reconcile.col.register': 'REGISTER',
  'reconcile.col.centralBefore': 'CENTRAL-BEFORE',
  'reconcile.col.inserted': 'INSERTED',
  'reconcile.col.wouldInsert': 'WOULD-INSERT',
  'reconcile.col.already': 'ALREADY',
  'reconcile.col.conflicts': 'CONFLICTS',
  'reconcile.col.onlyCentral': 'ONLY-CENTRAL',
  'reconcile.col.unreadable': 'UNREADABLE',
  'reconcile.col.result': 'RESULT',
  'reconcile.result.dry-run': 'dry-run',
  'reconcile.result.matches': 'matches',
  'reconcile.result.differs': 'DIFFERS',
  'reconcile.conflict': 'CONFLICT {type} {id}: central holds different content, kept central, not fixed',
  'reconcile.onlyCentral': 'ONLY IN CENTRAL: {ids}',
  'reconcile.unexplained':
    'central holds {centralReceipts} receipts totalling {centralGross}, the register {registerReceipts} totalling {registerGross}: rows changed centrally?',
  'reconcile.unreadable': '{n} register record(s) fail the record schemas and cannot be imported',
  'reconcile.also': 'also inserted: {stock} stock postings, {time} time records',
  'reconcile.alsoDry': 'also would insert: {stock} stock postings, {time} time records',
  'reconcile.summary': "{days} day(s), {inserted} record(s) inserted, {unfixable} thing(s) it cannot fix",
  'reconcile.summaryDry': "{days} day(s), {inserted} record(s) would be inserted (dry run: nothing written), {unfixable} thing(s) it cannot fix",

  // daystick verify.
  'verify.receipts': '{n} receipts',
  'verify.noReceipts': '- receipts',
  'verify.ok': 'OK',
  'verify.okUnchecked': 'OK (manifest, signature, encrypted file)',
  'verify.failed': 'FAILED',
  'verify.unchecked': 'contents not checked: encrypted to head office, give --identity FILE to check them',
  'verify.problem': '{code}{entry}: {reason}',
  'verify.unreadable': 'could not be read: {message}',
  'verify.cannotRead': 'cannot read {path}: {reason}',
  'verify.none': 'no daystick packages found under {paths}',
  'verify.summary': '{total} package{plural} checked: {whole} whole, {broken} with problems',

  // daystick (no command).
  'main.usage': 'usage: daystick <command> [options]',
  'main.unknown': 'daystick: unknown command "{name}"',
  'main.shell': 'run the reference register shell with the daystick plugin',
  'main.demo-journal': 'create a deterministic demo journal (SQLite)',
  'main.verify': 'check every package under a folder or stick',
  'main.import': 'head office: import packages from sticks or a folder into the central journal',
  'main.headoffice': 'head office: watch for sticks like import and serve the web console (read-only)',

  // daystick headoffice.
  'headoffice.noPath': 'headoffice watches: give no PATH and no --reconcile (use daystick import for those)',
  'headoffice.tokenOnly': '--set-access-token takes only the file',
  'headoffice.tokenStored': 'access token stored hashed (scrypt) in {file}',
  'headoffice.needsToken':
    '--http {host} is reachable from other machines: set an access token first (daystick headoffice --set-access-token FILE) and give --access-token-file FILE; nothing started',
  'headoffice.listening': 'head-office console: http://{host}:{port}/ ({how})',
  'headoffice.tokenRequired': 'read-only, access token required',
  'headoffice.loopbackOnly': 'read-only, loopback only',
  'headoffice.cannotListen': 'the console cannot listen on {host}:{port}: {reason}',
  'headoffice.http': '--http takes HOST:PORT, e.g. 127.0.0.1:8470',
  'headoffice.httpPort': '--http: the port is at most 65535',
  'headoffice.staleWhole': '--stale-days must be a whole number',
  'headoffice.staleMin': '--stale-days must be at least 1',
  'headoffice.emptyValue': '{option} must not be empty',
  'token.tooShort': 'the access token must be at least {n} characters',
  'token.missing': 'the access-token file {file} does not exist; make one with daystick headoffice --set-access-token {file}',
  'token.cannotRead': 'cannot read the access-token file {file}',
  'token.notTokenFile': '{file} is not a daystick console access-token file (scrypt:SALT:HASH); make one with daystick headoffice --set-access-token',
  'token.cannotWrite': 'cannot write the access-token file {file}',
} as const;

export type ClerkTextKey = keyof typeof EN;

/** Why a package or backup was refused, by its problem name in docs/stick-format.md. */
const PROBLEMS_DE: Readonly<Record<string, string>> = {
  'interrupted-write': 'das Schreiben wurde unterbrochen, bevor das Paket vollständig war',
  'unknown-format-version': 'unbekannte Version des Stick-Formats',
  'bad-manifest': 'das Manifest ist nicht lesbar oder unvollständig',
  'missing-manifest': 'das Manifest fehlt',
  misplaced: 'Tag, Paket oder Kasse im Manifest passen nicht zu Datei- und Ordnernamen',
  'missing-signature': 'die Signatur fehlt',
  'missing-public-key': 'der öffentliche Schlüssel der Kasse fehlt',
  'foreign-key': 'mit einem anderen Schlüssel signiert als dem der Kasse daneben',
  'bad-signature': 'die Signatur ist ungültig',
  'missing-data': 'die Datendatei fehlt',
  truncated: 'die Datendatei ist kürzer als im Manifest angegeben',
  'data-hash-mismatch': 'die Prüfsumme der Datendatei stimmt nicht',
  'decrypt-failed': 'die verschlüsselte Datendatei lässt sich mit dem Schlüssel der Zentrale nicht öffnen',
  'bad-contents': 'das Inhaltsverzeichnis des Pakets fehlt oder ist falsch',
  'contents-mismatch': 'das Inhaltsverzeichnis nennt ein anderes Paket, eine andere Kasse oder einen anderen Tag',
  'unreadable-zip': 'das Paket ist nicht lesbar',
  'bad-zip': 'das Archiv verwendet, was das Format ausschließt',
  'entry-order': 'die Einträge stehen nicht in der vorgeschriebenen Reihenfolge',
  'missing-entry': 'ein Eintrag fehlt',
  'unexpected-entry': 'ein Eintrag gehört nicht ins Paket',
  'hash-mismatch': 'die Prüfsumme eines Eintrags stimmt nicht',
  'count-mismatch': 'die Anzahl der Datensätze stimmt nicht',
  'bad-record': 'ein Datensatz ist ungültig',
  'duplicate-id': 'eine Beleg-, Buchungs- oder Datensatznummer kommt doppelt vor',
  'orphan-row': 'eine Position oder Zahlung gehört zu keinem Bon',
  'control-totals-mismatch': 'die Kontrollsummen stimmen nicht',
  'unknown-tse-module': 'ein Bon ist von einer TSE signiert, die der Tagesabschluss nicht nennt',
  'head-office-customer-number':
    'jede Offline-Kasse braucht ihre eigene Kundennummer: eine mit der Zentrale oder einer anderen Kasse geteilte Nummer verletzt die Lizenz',
  'pinned-key-conflict': 'die Kasse signiert mit einem anderen Schlüssel als dem gespeicherten (ersetzte Kasse: --accept-new-key)',
  'package-id-reused': 'diese Paketnummer wurde schon mit einem anderen Manifest importiert',
  'changed-during-import': 'die Datendatei hat sich während des Imports geändert',
  'import-failed': 'das zentrale Journal hat den Import abgebrochen; nichts gespeichert, das Paket bleibt für den nächsten Versuch auf dem Stick',
  'identity-mismatch': 'Kundennummer oder Kassennummer stimmen nicht mit der Sicherung überein',
  'unknown-register': 'diese Kasse ist dem zentralen Journal nicht bekannt',
};

const DE: Record<ClerkTextKey, string> = {
  'list.register': 'KASSE',
  'list.day': 'TAG',
  'list.kind': 'ART',
  'list.receipts': 'BONS',
  'list.status': 'STATUS',
  'list.progress': 'FORTSCHRITT',
  'list.stickDone': 'Stick „{label}“ fertig: {tally}; er kann jetzt abgezogen werden',
  'list.counts':
    'Bons: {rn} neu, {ra} schon importiert, {rc} Konflikte; Warenbuchungen: {sn} neu, {sa} schon importiert, {sc} Konflikte{skipped}; ' +
    'Zeiterfassungen: {tn} neu, {ta} schon importiert, {tc} Konflikte{kept}{unbalanced}',
  'list.countsSkipped': ', {n} ausgelassen (--without-stock-postings)',
  'list.countsKept': '; {n:plural:one=# Quarantäne-Datensatz|other=# Quarantäne-Datensätze} behalten',
  'list.countsUnbalanced': '; {n:plural:one=# Bon geht|other=# Bons gehen} nicht auf',
  'list.refused': 'ABGELEHNT ({code}): {reason}',
  'list.failed': 'FEHLGESCHLAGEN ({code}): {reason}',
  'list.untouched': 'Paket unverändert gelassen in {dir}',
  'list.conflict':
    'KONFLIKT {type} {id} (Tag {day:date}): die Zentrale hat einen anderen Inhalt ({stored}… statt {arriving}…), Zentrale behalten, dieser ausgelassen',
  'list.unbalanced':
    'NICHT AUSGEGLICHEN: Bon {id}: brutto {gross}, nicht stornierte Positionen {lines}, Zahlungen {payments} (kleinste Währungseinheit); so importiert, wie die Kasse ihn gesendet hat',
  'list.unbalancedMore': 'NICHT AUSGEGLICHEN: {n:plural:one=# weiterer Bon|other=# weitere Bons}, aufgeführt in der Pakettabelle (outcome_json)',
  'list.ackFailed': 'BESTÄTIGUNG FEHLGESCHLAGEN: {reason}',
  'list.ackFailedReason': 'die Bestätigung konnte nicht auf den Stick geschrieben werden',
  'list.ackWritten': 'Bestätigung geschrieben: {path}',
  tally:
    '{packages:plural:one=# Paket|other=# Pakete}: {imported} importiert, {already} schon importiert, {conflicting} mit Konflikten, {refused} abgelehnt, {failed} fehlgeschlagen{ack}',
  'tally.ack': ', {n:plural:one=# Bestätigung|other=# Bestätigungen} nicht geschrieben',
  'status.verifying': 'wird geprüft',
  'status.importing': 'wird importiert',
  'status.acknowledging': 'wird bestätigt',
  'status.imported': 'importiert',
  'status.already-imported': 'schon importiert',
  'status.partially-conflicting': 'teilweise Konflikte',
  'status.refused': 'abgelehnt',
  'status.failed': 'fehlgeschlagen',
  'record.receipt': 'Bon',
  'record.stock-posting': 'Warenbuchung',
  'record.time-record': 'Zeiterfassung',

  'watch.looking': 'Stick „{label}“ unter {path}: sucht daystick-Pakete',
  'watch.unreadable': 'Stick „{label}“: kann nicht gelesen werden',
  'watch.incomplete': 'Stick „{label}“: {register} {stem} ist nicht vollständig ({why}): nicht importiert, wartet auf seine Dateien',
  'watch.changed':
    'Stick „{label}“: {tally}; sein Inhalt hat sich inzwischen geändert, er wird erneut gelesen, sobald er ruht: noch nicht abziehen',
  'watch.waiting':
    'Stick „{label}“: {tally}; {n:plural:one=# Paket|other=# Pakete} nicht vollständig, wartet auf die Dateien: noch nicht abziehen (wenn nichts kopiert wird, wurde ein Schreiben unterbrochen und die Kasse schreibt diesen Tag erneut)',
  'why.no manifest yet': 'noch kein Manifest',
  'why.no signature yet': 'noch keine Signatur',
  'why.no data file yet': 'noch keine Datendatei',
  'watch.empty': 'Stick „{label}“: (noch) keine daystick-Pakete darauf; er wird auf Dateien beobachtet',
  'watch.changing': 'Stick „{label}“: sein Inhalt ändert sich; er wird erneut gelesen, sobald er ruht',
  'watch.backupWaiting': 'Sicherungsordner: {register} {stem} hat noch kein Manifest, wartet',
  'watch.inserted': 'Stick „{label}“ eingesteckt unter {path}: wird gelesen, sobald sein Inhalt {ms} ms ruht',
  'watch.removed': 'Stick „{label}“ entfernt',
  'watch.error': 'FEHLER: ein unerwarteter Fehler beim Lesen des Sticks (Einzelheiten auf der Fehlerausgabe)',

  'import.central':
    'Zentrales Journal: {description} ({dialect}), Kundennummer der Zentrale {number}; Bestätigungen signiert mit Schlüssel {key}…',
  'import.retry':
    'Zentrales Journal: {cause} beim Import für {lock}; zurückgerollt, nichts davon gespeichert; neuer Versuch in {seconds} s (Versuch {attempt} von {max})',
  'import.retryRegister': 'Kasse {register}',
  'retry.connection-lost': 'die Verbindung zum Server ist abgebrochen',
  'retry.serialisation': 'PostgreSQL meldete einen Serialisierungsfehler mit einem anderen Import',
  'retry.deadlock': 'PostgreSQL löste eine Verklemmung mit einem anderen Import auf',
  'retry.concurrent-insert': 'ein anderer Import hat denselben Datensatz im selben Moment gespeichert',
  'import.openWait':
    'der PostgreSQL-Server des zentralen Journals antwortet nicht; die Überwachung wartet und versucht es in {seconds} s erneut (Strg-C beendet)',
  'import.noPackages': 'keine daystick-Pakete unter {path}',
  'import.noIdentityYet':
    'noch kein age-Schlüssel der Zentrale (gesucht: {places}): verschlüsselte Pakete werden abgelehnt, bis einer da ist; vor jedem Stick wird erneut gesucht',
  'import.identityFound': 'age-Schlüssel der Zentrale {file} gefunden: verschlüsselte Pakete können jetzt geöffnet werden',
  'import.watching': 'Beobachtet Sticks{roots}{backup}; Strg-C beendet',
  'import.watchingRoots': ' unter {roots}',
  'import.watchingBackup': ' und den Sicherungsordner {folder}',
  'import.noFolder': '{path} kann nicht gelesen werden: kein solcher Ordner',
  'import.cannotRead': '{path} kann nicht gelesen werden',
  'import.pgKeys': 'mit einem zentralen Journal in PostgreSQL --keys ORDNER für den Bestätigungsschlüssel der Zentrale angeben',
  'import.dryRunNoCentral': 'das zentrale Journal {central} gibt es nicht; nichts wurde angelegt',
  'import.keyFolder': 'der Schlüssel der Zentrale in {folder} kann nicht gelesen oder angelegt werden',
  'import.backupRefused': 'Sicherung abgelehnt ({problem}): {reason}',

  'arg.central': '--central DATEI|postgres://... ist erforderlich',
  'arg.centralEmpty': '--central darf nicht leer sein',
  'arg.customerEmpty': '--head-office-customer darf nicht leer sein',
  'arg.acceptNewKey': '--accept-new-key erwartet <Kundennummer>-<Kassennummer>',
  'arg.pollWhole': '--backup-poll-ms muss eine ganze Zahl von Millisekunden sein',
  'arg.pollMin': '--backup-poll-ms muss mindestens 50 sein',
  'arg.settleWhole': '--settle-ms muss eine ganze Zahl von Millisekunden sein',
  'arg.settleRange': '--settle-ms muss zwischen 100 und 600000 liegen',
  'arg.from': '--from: {reason}',
  'arg.fromReason': 'kein gültiger Geschäftstag (JJJJMMTT, z. B. 20260105)',
  'arg.invalid': '--{field}: ungültiger Wert',
  'arg.onePath': 'höchstens ein PFAD, angegeben {n}: {paths}',
  'arg.reconcilePath': '--reconcile erwartet die Datenbank der Kasse, keinen PFAD',
  'arg.reconcileNeeds': '--reconcile braucht --{name}',
  'arg.belongsToReconcile': '--{name} gehört zu --reconcile',
  'arg.dryRun': '--dry-run gehört zu --reconcile',
  'arg.watchOnly': '--stick-root und --backup-folder sind für das Beobachten; mit einem PFAD läuft der Import einmal',
  'arg.unknownOption': 'unbekannte Option {option}',
  'arg.missingValue': 'die Option {option} braucht einen Wert',
  'arg.badCall': 'falscher Aufruf',
  'arg.lang': '--lang erwartet en oder de, nicht „{value}“',

  'error.detail': '    ({message})',
  'error.store.cannot-open': 'das zentrale Journal kann nicht geöffnet werden',
  'error.store.unreachable': 'der PostgreSQL-Server des zentralen Journals antwortet nicht; nichts importiert',
  'error.store.newer-schema': 'das zentrale Journal stammt von einer neueren daystick-Version; nichts geändert',
  'error.store.not-a-central-journal': 'diese Datenbank ist kein zentrales Journal von daystick; nichts geändert',
  'error.identity.not-set':
    'die Kundennummer der Zentrale ist noch nicht bekannt: beim ersten Lauf --head-office-customer N angeben',
  'error.identity.differs': 'die angegebene Kundennummer der Zentrale weicht von der im zentralen Journal gespeicherten ab',
  'error.identity.malformed': 'die Kundennummer der Zentrale hat 1 bis 12 Ziffern',
  'error.reconcile':
    'diese Kundennummer ist die der Zentrale: jede Offline-Kasse braucht ihre eigene Kundennummer, eine geteilte Nummer verletzt die Lizenz',
  'error.ageIdentity': 'der age-Schlüssel der Zentrale (--identity) kann nicht gelesen werden',
  'error.other': 'ein unerwarteter Fehler; nichts geändert',

  'reconcile.dryRun': 'PROBELAUF (nichts wird geschrieben): ',
  'reconcile.head': 'Datenabgleich der Kasse {register} ab {from:date} in {central}',
  'reconcile.backup': 'Sicherung vom Geschäftstag {day:date}, {file}, {bytes} Bytes, signiert mit dem gespeicherten Schlüssel der Kasse {key}…',
  'reconcile.col.day': 'TAG',
  'reconcile.col.register': 'KASSE',
  'reconcile.col.centralBefore': 'ZENTRALE-VORHER',
  'reconcile.col.inserted': 'EINGEFÜGT',
  'reconcile.col.wouldInsert': 'WÜRDE-EINFÜGEN',
  'reconcile.col.already': 'SCHON-DA',
  'reconcile.col.conflicts': 'KONFLIKTE',
  'reconcile.col.onlyCentral': 'NUR-ZENTRALE',
  'reconcile.col.unreadable': 'UNLESBAR',
  'reconcile.col.result': 'ERGEBNIS',
  'reconcile.result.dry-run': 'Probelauf',
  'reconcile.result.matches': 'stimmt',
  'reconcile.result.differs': 'WEICHT AB',
  'reconcile.conflict': 'KONFLIKT {type} {id}: die Zentrale hat einen anderen Inhalt, Zentrale behalten, nicht behoben',
  'reconcile.onlyCentral': 'NUR IN DER ZENTRALE: {ids}',
  'reconcile.unexplained':
    'die Zentrale hat {centralReceipts} Bons über {centralGross}, die Kasse {registerReceipts} über {registerGross}: Zeilen in der Zentrale geändert?',
  'reconcile.unreadable': '{n:plural:one=# Datensatz|other=# Datensätze} der Kasse verletzen die Datensatzschemata und können nicht importiert werden',
  'reconcile.also': 'außerdem eingefügt: {stock} Warenbuchungen, {time} Zeiterfassungen',
  'reconcile.alsoDry': 'außerdem würden eingefügt: {stock} Warenbuchungen, {time} Zeiterfassungen',
  'reconcile.summary':
    '{days:plural:one=# Tag|other=# Tage}, {inserted:plural:one=# Datensatz|other=# Datensätze} eingefügt, {unfixable} nicht behebbar',
  'reconcile.summaryDry':
    '{days:plural:one=# Tag|other=# Tage}, {inserted:plural:one=# Datensatz würde|other=# Datensätze würden} eingefügt (Probelauf: nichts geschrieben), {unfixable} nicht behebbar',

  'verify.receipts': '{n} Bons',
  'verify.noReceipts': '- Bons',
  'verify.ok': 'OK',
  'verify.okUnchecked': 'OK (Manifest, Signatur, verschlüsselte Datei)',
  'verify.failed': 'FEHLER',
  'verify.unchecked': 'Inhalt nicht geprüft: für die Zentrale verschlüsselt; --identity DATEI angeben, um ihn zu prüfen',
  'verify.problem': '{code}{entry}: {reason}',
  'verify.unreadable': 'konnte nicht gelesen werden',
  'verify.cannotRead': '{path} kann nicht gelesen werden',
  'verify.none': 'keine daystick-Pakete unter {paths} gefunden',
  'verify.summary': '{total:plural:one=# Paket|other=# Pakete} geprüft: {whole} vollständig, {broken} mit Problemen',

  'main.usage': 'Aufruf: daystick <Befehl> [Optionen]',
  'main.unknown': 'daystick: unbekannter Befehl „{name}“',
  'main.shell': 'die Referenz-Kassenshell mit dem daystick-Plugin starten',
  'main.demo-journal': 'ein reproduzierbares Demo-Journal anlegen (SQLite)',
  'main.verify': 'jedes Paket unter einem Ordner oder Stick prüfen',
  'main.import': 'Zentrale: Pakete von Sticks oder aus einem Ordner ins zentrale Journal importieren',
  'main.headoffice': 'Zentrale: Sticks wie import beobachten und die Web-Konsole bereitstellen (nur lesend)',

  'headoffice.noPath': 'headoffice beobachtet: keinen PFAD und kein --reconcile angeben (dafür daystick import verwenden)',
  'headoffice.tokenOnly': '--set-access-token erwartet nur die Datei',
  'headoffice.tokenStored': 'Zugangsschlüssel als Hash (scrypt) gespeichert in {file}',
  'headoffice.needsToken':
    '--http {host} ist von anderen Rechnern erreichbar: zuerst einen Zugangsschlüssel setzen (daystick headoffice --set-access-token DATEI) und --access-token-file DATEI angeben; nichts gestartet',
  'headoffice.listening': 'Konsole der Zentrale: http://{host}:{port}/ ({how})',
  'headoffice.tokenRequired': 'nur lesend, Zugangsschlüssel erforderlich',
  'headoffice.loopbackOnly': 'nur lesend, nur lokal erreichbar',
  'headoffice.cannotListen': 'die Konsole kann nicht auf {host}:{port} lauschen',
  'headoffice.http': '--http erwartet HOST:PORT, z. B. 127.0.0.1:8470',
  'headoffice.httpPort': '--http: der Port ist höchstens 65535',
  'headoffice.staleWhole': '--stale-days muss eine ganze Zahl sein',
  'headoffice.staleMin': '--stale-days muss mindestens 1 sein',
  'headoffice.emptyValue': '{option} darf nicht leer sein',
  'token.tooShort': 'der Zugangsschlüssel muss mindestens {n} Zeichen lang sein',
  'token.missing': 'die Zugangsschlüssel-Datei {file} gibt es nicht; eine erstellt daystick headoffice --set-access-token {file}',
  'token.cannotRead': 'die Zugangsschlüssel-Datei {file} kann nicht gelesen werden',
  'token.notTokenFile': '{file} ist keine Zugangsschlüssel-Datei der daystick-Konsole (scrypt:SALZ:HASH); eine erstellt daystick headoffice --set-access-token',
  'token.cannotWrite': 'die Zugangsschlüssel-Datei {file} kann nicht geschrieben werden',
};

export const CLERK_TEXT: Readonly<Record<Language, Readonly<Record<ClerkTextKey, string>>>> = { en: EN, de: DE };

export function isClerkTextKey(key: string): key is ClerkTextKey {
  return Object.hasOwn(EN, key);
}

/** A clerk's text in the language, its placeholders filled as the register's prompts fill theirs. */
export function clerkText(lang: Language, key: ClerkTextKey, params: PromptParams = {}): string {
  return fillTemplate(CLERK_TEXT[lang][key], params, { language: lang });
}

/**
 * A refusal's or problem's explanation: English keeps the verifier's own sentence
 * (it names the entry and the numbers); German explains the problem by its name,
 * the verifier's English sentence going to the detail line.
 */
export function problemText(lang: Language, code: string, message: string): string {
  if (lang === 'en') return message;
  return PROBLEMS_DE[code] ?? 'ein Problem des Pakets (Einzelheiten auf der Fehlerausgabe)';
}

/** Problem names the German explanations cover (the test holds every name of the format against it). */
export const EXPLAINED_PROBLEMS: readonly string[] = Object.keys(PROBLEMS_DE);

/**
 * The clerk's sentence for a failure: in English the error's own message (the
 * words head office reads today); in German the sentence for its problem and
 * the raw message on a second, indented detail line.
 */
export function errorLines(lang: Language, prefix: string, sentence: string, rawMessage: string): string {
  if (lang === 'en') return `${prefix}: ${sentence}\n`;
  return `${prefix}: ${sentence}\n${clerkText(lang, 'error.detail', { message: rawMessage })}\n`;
}

/** A failure already said in the clerk's words; `detail` is the raw message behind it, for the detail line. */
export class ClerkError extends Error {
  override name = 'ClerkError';
  constructor(
    sentence: string,
    readonly detail: string,
  ) {
    super(sentence);
  }
}

/** A day written for the clerk (20260105 → 5 Jan 2026 / 05.01.2026); anything else unchanged. */
export function clerkDay(lang: Language, day: string): string {
  // What `{day:date}` renders, without the template's two regex passes: the list writes a day three times per package.
  return showDay(day, lang);
}
