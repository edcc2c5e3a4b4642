export * from './business-day.js';
export * from './host-request-error.js';
export * from './plugin-api.js';
export type * from './ports.js';
export * from './records.js';
