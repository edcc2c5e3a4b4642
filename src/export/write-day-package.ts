import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusinessDay } from '../host/business-day.js';
import { ControlTotalsAccumulator } from '../package/control-totals.js';
import {
  DATA_SUFFIX,
  DATA_SUFFIX_V1,
  type EntryName,
  MANIFEST_SUFFIX,
  PUBLIC_KEY_FILE,
  SIGNATURE_SUFFIX,
  STICK_ROOT_FOLDER,
  packageStem,
  registerFolderName,
} from '../package/layout.js';
import {
  CONTENTS_ENTRY,
  type Contents,
  type EntryInfo,
  FORMAT_VERSION,
  FORMAT_VERSION_1,
  type ManifestV1,
  type ManifestV2,
} from '../package/manifest.js';
import { encryptingStream } from '../package/age-file.js';
import type { QuarantineSource } from '../package/rows.js';
import { manifestSignatureValid, signManifest } from '../package/signing.js';
import { ExportError, type WriteDayRequest, type WriteDayStep, type WrittenPackage } from './export-contract.js';
import { JournalReadError, toExportError } from './fs-failure.js';
import { hashFile, writeFileDurably } from '../durable/durable-file.js';
import { checkReceipt, checkStockPosting, checkTimeRecord } from './record-checks.js';
import { type DeflatedEntry, EntryDeflater } from './entry-deflater.js';
import { PackageZipArchive } from './package-zip.js';
import { NdjsonSink } from './ndjson-sink.js';
import {
  paymentRowBound,
  putPaymentRow,
  putReceiptLineRow,
  putReceiptRow,
  putStockPostingRow,
  putTimeRecordRow,
  ReceiptIdJson,
  receiptLineRowBound,
  receiptRowBound,
  stockPostingRowBound,
  timeRecordRowBound,
} from './row-bytes.js';
import { loadOrCreateRegisterKeyPair } from './register-keys.js';
import { quarantineLine } from './quarantine-json.js';
import { cleanStaleTempFiles } from './stale-temp-files.js';
import { findStickConflict, StickConflictError } from './stick-conflicts.js';
import { confirmStickPresent, makeFoldersOnStick } from './stick-presence.js';

/**
 * Level 1 was chosen by measuring (npm run bench, "deflate level" section):
 * on the synthetic large day level 6 shrinks the package by only a few
 * percent more but costs several times the CPU, more than the saved bytes
 * take to land on a 10 MB/s USB 2.0 stick.
 */
export const DEFLATE_LEVEL = 1;

const PROGRESS_EVERY = 2000;

/**
 * Writes one business day as a package onto the stick: data zip, signature,
 * then the manifest as the commit record. Either it resolves with a package
 * that has been read back and matched, or it throws an ExportError and no
 * manifest of this package is left on the stick.
 */
export async function writeDayPackage(request: WriteDayRequest): Promise<WrittenPackage> {
  const { stickPath, identity, businessDay, signal } = request;
  const aborted = () => new ExportError('aborted', 'writing the day package was cancelled');
  if (signal.aborted) throw aborted();

  const folderName = registerFolderName(identity.customerNumber, identity.registerId);
  const registerDir = join(stickPath, STICK_ROOT_FOLDER, folderName);
  const packageId = randomUUID();
  const stem = packageStem(businessDay, packageId);
  const recipients = request.recipients ?? null;
  const dataName = stem + (recipients ? DATA_SUFFIX : DATA_SUFFIX_V1);
  const dataPath = join(registerDir, dataName);
  const manifestPath = join(registerDir, stem + MANIFEST_SUFFIX);
  const signaturePath = join(registerDir, stem + SIGNATURE_SUFFIX);

  let step = 'checking the stick';
  let spoolDir: string | null = null;
  // Filled in once the stick's root was found to be the stick: until then an error says nothing about it.
  let deviceId: number | null = request.stickDeviceId ?? null;
  try {
    const presence = { path: stickPath, deviceId, ...(request.stickListed ? { stillListed: request.stickListed } : {}) };
    deviceId = await confirmStickPresent(presence);
    const onStick = { ...presence, deviceId };
    const keys = await loadOrCreateRegisterKeyPair(request.keyDir);
    step = 'checking the register folder';
    // Before anything is created or removed: another register's files, or an entry in the way, stay untouched.
    const conflict = await findStickConflict(stickPath, identity, keys.keyId);
    if (conflict) throw new StickConflictError(conflict);
    step = 'preparing the register folder';
    // Never the stick's root or anything above DAYSTICK/: a stick that is not there gets nothing made for it.
    await makeFoldersOnStick(onStick, [STICK_ROOT_FOLDER, folderName]);
    await cleanStaleTempFiles(stickPath, identity);
    await placePublicKey(registerDir, keys.publicKeyPem, signal);

    spoolDir = await mkdtemp(join(tmpdir(), 'daystick-spool-'));
    step = 'writing the data file';
    let stepStarted = performance.now();
    const timed = (name: WriteDayStep) => {
      const now = performance.now();
      request.onTiming?.(name, now - stepStarted);
      stepStarted = now;
    };
    const data = await writeDataZip(request, dataPath, spoolDir, recipients, packageId);
    timed('data');

    step = 'reading the data file back';
    const readBack = await hashFile(dataPath);
    timed('read-back');
    if (readBack.sha256 !== data.file.sha256 || readBack.bytes !== data.file.bytes) {
      throw new ExportError('verify-failed', `the data file ${dataPath} read back from the stick differs from what was written`);
    }

    const dataFile = { name: dataName, bytes: data.file.bytes, sha256: data.file.sha256 };
    const manifest: ManifestV1 | ManifestV2 = recipients
      ? {
          formatVersion: FORMAT_VERSION,
          packageId,
          customerNumber: identity.customerNumber,
          registerId: identity.registerId,
          businessDay,
          createdAt: new Date(request.now()).toISOString(),
          kind: request.kind,
          dataFile,
          encryption: 'age',
          signatureAlgorithm: 'Ed25519',
          publicKeyId: keys.keyId,
        }
      : {
          formatVersion: FORMAT_VERSION_1,
          packageId,
          customerNumber: identity.customerNumber,
          registerId: identity.registerId,
          businessDay,
          closingNumber: request.closingNumber,
          createdAt: new Date(request.now()).toISOString(),
          kind: request.kind,
          includesTimeRecords: request.includeTimeRecords,
          dataFile,
          entries: data.entries,
          controlTotals: data.controlTotals,
          quarantined: data.quarantined,
          signatureAlgorithm: 'Ed25519',
          publicKeyId: keys.keyId,
        };
    const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
    const signatureText = signManifest(manifestBytes, keys.privateKeyPem);

    step = 'writing the signature';
    await writeFileDurably(signaturePath, signatureText, signal);
    step = 'writing the manifest';
    // The manifest's rename is the commit: it happens only onto the stick that was checked before writing.
    await writeFileDurably(manifestPath, manifestBytes, signal, { beforeRename: () => confirmStickPresent(onStick) });

    step = 'reading the manifest back';
    const [manifestBack, signatureBack] = await Promise.all([readFile(manifestPath), readFile(signaturePath, 'utf8')]);
    if (!manifestBack.equals(manifestBytes) || !manifestSignatureValid(manifestBack, signatureBack, keys.publicKeyPem)) {
      throw new ExportError('verify-failed', `the manifest ${manifestPath} read back from the stick does not match its signature`);
    }
    timed('manifest');
    return {
      packageId,
      manifestPath,
      receipts: data.controlTotals.receipts,
      quarantined: data.quarantined,
      quarantinedExact: data.exactKept,
      unbalancedReceipts: data.unbalanced,
      bytes: data.file.bytes + manifestBytes.length + Buffer.byteLength(signatureText),
      ...(data.tseModulesLeftOut ? { tseModulesLeftOut: data.tseModulesLeftOut } : {}),
    };
  } catch (err) {
    // The manifest goes first: without it nothing here looks like a package, even if the stick dies mid-cleanup.
    for (const path of [manifestPath, signaturePath, dataPath]) {
      await unlink(path).catch(() => undefined);
      await unlink(path + '.part').catch(() => undefined);
    }
    if (signal.aborted && !(err instanceof ExportError && err.failure !== 'aborted')) throw aborted();
    throw await toExportError(err, stickPath, step, deviceId);
  } finally {
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  }
}

/** register.pub beside the packages, so a stick can be checked without anything from the register. */
async function placePublicKey(registerDir: string, publicKeyPem: string, signal: AbortSignal): Promise<void> {
  const path = join(registerDir, PUBLIC_KEY_FILE);
  const present = await readFile(path, 'utf8').catch(() => null);
  if (present !== publicKeyPem) await writeFileDurably(path, publicKeyPem, signal);
}

interface WrittenData {
  file: { bytes: number; sha256: string };
  entries: EntryInfo[];
  controlTotals: ManifestV1['controlTotals'];
  quarantined: number;
  exactKept: number;
  unbalanced: number;
  tseModulesLeftOut?: string;
}

/**
 * Streams the journal in one pass per journal source. Each entry's NDJSON
 * batches go to the deflate worker, which hashes and compresses them into a
 * local spool file while the journal keeps streaming; receipts, their lines
 * and payments are produced side by side, which a zip (entries one after
 * the other) could not take directly. Finished entries are appended to the
 * zip in the order of the format, as soon as they are complete, so the zip
 * reaches the stick while the next journal source is still being read.
 * Memory stays flat for any day size.
 */
async function writeDataZip(
  request: WriteDayRequest,
  dataPath: string,
  spoolDir: string,
  recipients: readonly string[] | null,
  packageId: string,
): Promise<WrittenData> {
  const { businessDay, journal, timeRecording } = request;
  const internal = new AbortController();
  const signal = AbortSignal.any([request.signal, internal.signal]);
  const archive = new PackageZipArchive({ highWaterMark: 1 << 20 });
  const deflater = new EntryDeflater(DEFLATE_LEVEL);
  const date = entryDate(businessDay);
  const onFirstError = (err: unknown) => {
    if (!internal.signal.aborted) internal.abort(err);
  };

  archive.on('error', onFirstError);
  archive.on('warning', onFirstError);

  // Version 2: the zip is encrypted as it streams, so no plaintext byte reaches the stick.
  const writing = (recipients ? encryptingStream(archive, recipients) : Promise.resolve(archive))
    .then((source) => writeFileDurably(dataPath, source, signal))
    .catch((err) => {
    onFirstError(err);
    throw err;
  });

  const feeding = (async () => {
    const totals = new ControlTotalsAccumulator();
    const summary = await journal.summary(businessDay).catch((err) => {
      throw new JournalReadError('the day summary', err);
    });
    const timeCount = request.includeTimeRecords
      ? await timeRecording.count(businessDay).catch((err) => {
          throw new JournalReadError('the time-record count', err);
        })
      : 0;
    const progressTotal = summary.receipts + summary.stockPostings + timeCount;
    let progressDone = 0;
    const progress = () => {
      progressDone++;
      if (request.onProgress && progressDone % PROGRESS_EVERY === 0) request.onProgress(progressDone, progressTotal);
    };

    const sink = (name: EntryName) => new NdjsonSink(deflater.entry(name, join(spoolDir, `${name}.deflate`)), signal);
    const entries: EntryInfo[] = [];
    const appendToZip = (from: NdjsonSink, entry: DeflatedEntry) => {
      entries.push({ name: entry.name as EntryName, records: from.records, bytes: entry.bytes, sha256: entry.sha256 });
      archive.appendDeflated(entry, date);
    };

    const receipts = sink('receipts.ndjson');
    const lines = sink('receipt-lines.ndjson');
    const payments = sink('payments.ndjson');
    const quarantine = sink('quarantine.ndjson');
    let exactKept = 0;
    const quarantineRecord = async (source: QuarantineSource, index: number, reason: string, record: unknown) => {
      const line = quarantineLine(source, index, reason, record);
      if (line.exactValues > 0) exactKept++;
      if (quarantine.add(line.json)) await quarantine.flush();
    };

    // Rows of no valid day follow the day's own rows of their stream in the quarantine, numbered on.
    const quarantineStrays = async (source: 'receipts' | 'stock-postings', nextIndex: number) => {
      let at = nextIndex;
      for (const held of request.strays?.days ?? []) {
        const day = held as BusinessDay;
        const rows = source === 'receipts' ? journal.receipts(day, signal) : journal.stockPostings(day, signal);
        let reading = true;
        try {
          for await (const record of rows) {
            reading = false;
            if (signal.aborted) break;
            const reason = request.strays!.take(source, record);
            if (reason !== null) await quarantineRecord(source, at++, reason, record);
            reading = true;
          }
        } catch (err) {
          throw reading ? new JournalReadError(`${source} of no valid business day`, err) : err;
        }
      }
    };

    const id = new ReceiptIdJson();
    const tseSerials = recipients && request.tseModules ? new Set(request.tseModules.map((m) => m.serialNumber)) : null;
    // The first receipt serial the host's modules miss: the package then names no module rather than a wrong list.
    let uncoveredSerial: string | null = null;
    let unbalanced = 0;
    let index = 0;
    // True while the journal's iterator runs, so its failures are told apart from the stick's.
    let inJournal = true;
    try {
      for await (const record of journal.receipts(businessDay, signal)) {
        inJournal = false;
        if (signal.aborted) break;
        progress();
        const checked = checkReceipt(record, businessDay);
        if (!checked.ok) {
          await quarantineRecord('receipts', index++, checked.reason, record);
          inJournal = true;
          continue;
        }
        index++;
        const r = checked.value;
        const serial = r.tse?.serialNumber;
        if (tseSerials !== null && uncoveredSerial === null && serial !== undefined && !tseSerials.has(serial)) uncoveredSerial = serial;
        totals.addReceipt(r.receiptId, r.grossMinor);
        id.set(r.receiptId);
        let flushLines = false;
        let linesGross = 0;
        for (const l of r.lines) {
          totals.addLine(l.vatRateId, l.vatRateBasisPoints, l.grossMinor, l.voided);
          if (!l.voided) linesGross += l.grossMinor;
          const out = lines.reserve(receiptLineRowBound(id, l));
          flushLines = lines.commit(putReceiptLineRow(out, lines.position, id, l));
        }
        let flushPayments = false;
        let paid = 0;
        for (const p of r.payments) {
          totals.addPayment(p.paymentTypeId, p.amountMinor);
          paid += p.amountMinor;
          const out = payments.reserve(paymentRowBound(id, p));
          flushPayments = payments.commit(putPaymentRow(out, payments.position, id, p));
        }
        // Still a valid row that travels as the journal holds it; the cashier and head office are told.
        if (linesGross !== r.grossMinor || paid !== r.grossMinor) unbalanced++;
        const out = receipts.reserve(receiptRowBound(id, r));
        const flushReceipts = receipts.commit(putReceiptRow(out, receipts.position, id, r));
        if (flushLines) await lines.flush();
        if (flushPayments) await payments.flush();
        if (flushReceipts) await receipts.flush();
        inJournal = true;
      }
    } catch (err) {
      throw inJournal ? new JournalReadError('receipts', err) : err;
    }
    await quarantineStrays('receipts', index);
    signal.throwIfAborted();
    // The worker may still be compressing the receipt entries; the stock postings are read meanwhile.
    const receiptsPacked = Promise.all([receipts.end(), lines.end(), payments.end()]).then(([r, l, p]) => {
      appendToZip(receipts, r);
      appendToZip(lines, l);
      appendToZip(payments, p);
    });
    receiptsPacked.catch(onFirstError);

    const stock = sink('stock-postings.ndjson');
    index = 0;
    inJournal = true;
    try {
      for await (const record of journal.stockPostings(businessDay, signal)) {
        inJournal = false;
        if (signal.aborted) break;
        progress();
        const checked = checkStockPosting(record, businessDay);
        if (!checked.ok) {
          await quarantineRecord('stock-postings', index++, checked.reason, record);
          inJournal = true;
          continue;
        }
        index++;
        const out = stock.reserve(stockPostingRowBound(checked.value));
        if (stock.commit(putStockPostingRow(out, stock.position, checked.value))) await stock.flush();
        inJournal = true;
      }
    } catch (err) {
      throw inJournal ? new JournalReadError('stock postings', err) : err;
    }
    await quarantineStrays('stock-postings', index);
    signal.throwIfAborted();
    const stockEntry = await stock.end();
    await receiptsPacked;
    appendToZip(stock, stockEntry);

    if (request.includeTimeRecords) {
      const time = sink('time-records.ndjson');
      index = 0;
      inJournal = true;
      try {
        for await (const record of timeRecording.records(businessDay, signal)) {
          inJournal = false;
          if (signal.aborted) break;
          progress();
          const checked = checkTimeRecord(record, businessDay);
          if (!checked.ok) {
            await quarantineRecord('time-records', index++, checked.reason, record);
            inJournal = true;
            continue;
          }
          index++;
          const out = time.reserve(timeRecordRowBound(checked.value));
          if (time.commit(putTimeRecordRow(out, time.position, checked.value))) await time.flush();
          inJournal = true;
        }
      } catch (err) {
        throw inJournal ? new JournalReadError('time records', err) : err;
      }
      signal.throwIfAborted();
      appendToZip(time, await time.end());
    }
    appendToZip(quarantine, await quarantine.end());
    const controlTotals = totals.result();
    const tseModules = tseSerials !== null && uncoveredSerial === null ? request.tseModules : undefined;
    if (recipients) {
      // The business half of the manifest, last in the zip: inside the encryption (section 5.1).
      const contents: Contents = {
        formatVersion: FORMAT_VERSION,
        packageId,
        customerNumber: request.identity.customerNumber,
        registerId: request.identity.registerId,
        businessDay,
        closingNumber: request.closingNumber,
        includesTimeRecords: request.includeTimeRecords,
        entries,
        controlTotals,
        quarantined: quarantine.records,
        ...(tseModules ? { tseModules: [...tseModules] } : {}),
      };
      archive.append(Buffer.from(`${JSON.stringify(contents, null, 2)}\n`, 'utf8'), { name: CONTENTS_ENTRY, date, mode: 0o644 });
    }
    request.onProgress?.(progressDone, progressTotal);
    // finalize()'s promise waits for the archive's end, which never comes if the file side failed; the
    // file pipeline below is what says the bytes arrived, and archive errors reach it as stream errors.
    archive.finalize().catch(() => undefined);
    return {
      entries,
      controlTotals,
      quarantined: quarantine.records,
      exactKept,
      unbalanced,
      ...(uncoveredSerial === null
        ? {}
        : { tseModulesLeftOut: `receipts carry security module ${uncoveredSerial}, which the register's tseModules does not name` }),
    };
  })().catch((err) => {
    onFirstError(err);
    archive.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  });

  try {
    const settled = await Promise.allSettled([writing, feeding]);
    const failure = settled.find((s) => s.status === 'rejected');
    if (failure) {
      // The first error is the cause; the other side usually fails only because it was torn down.
      throw internal.signal.aborted && internal.signal.reason ? internal.signal.reason : failure.reason;
    }
    const [file, fed] = settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [
      { bytes: number; sha256: string },
      Omit<WrittenData, 'file'>,
    ];
    return { file, ...fed };
  } finally {
    await deflater.close();
  }
}

/** Every entry carries the business day at 00:00 UTC as its time, so the same day gives the same zip bytes. */
function entryDate(day: BusinessDay): Date {
  return new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))));
}
