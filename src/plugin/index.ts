export { activate } from './activate.js';
export * from './manifest.js';
