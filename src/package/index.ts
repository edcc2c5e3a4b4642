export { ControlTotalsAccumulator } from './control-totals.js';
export * from './layout.js';
export * from './manifest.js';
export * from './reader.js';
export * from './rows.js';
export { manifestSignatureValid, publicKeyIdOf, signManifest } from './signing.js';
export * from './verify.js';
