import type { Host, PluginInstance } from '../host/plugin-api.js';

// Being built in issue 2; the signature is the contract the shell codes against.
export async function activate(_host: Host): Promise<PluginInstance> {
  throw new Error('daystick plugin: activate is not built yet');
}
