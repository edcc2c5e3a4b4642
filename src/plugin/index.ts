export { BusinessDayError } from '../host/business-day.js';
export { HostRequestError } from '../host/host-request-error.js';
export { SettingsError } from '../settings/settings.js';
export { StateCorruptError } from '../state/state-store.js';
export { activate } from './activate.js';
export { JOURNAL_SUMMARY_MISMATCH, TIME_RECORD_COUNT_MISMATCH } from './journal-summary-check.js';
export * from './manifest.js';
