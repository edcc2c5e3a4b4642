import { createRequire } from 'node:module';
import zlib from 'node:zlib';

type Crc32Fn = (data: Uint8Array | string, seed?: unknown) => number;

/**
 * archiver computes every entry's CRC-32 through the `crc-32` package, plain
 * JavaScript at ~360 MB/s on the main thread: a third of a second of the
 * large bench day, in series with serialisation. Node 20.15+ has a native
 * zlib.crc32 with the same polynomial. This swaps the function archiver's
 * helpers call (they look `buf` up on the shared module object at every
 * call) for the native one, after proving on a probe that both give the
 * same checksums, seeded and unseeded. Without native support or with any
 * mismatch nothing is changed. `unzip -t` in the tests checks the result.
 */
let installed: boolean | null = null;

export function useNativeCrc32ForArchiver(): boolean {
  if (installed !== null) return installed;
  installed = false;
  const native = (zlib as unknown as { crc32?: (data: Uint8Array | string, value?: number) => number }).crc32;
  if (typeof native !== 'function') return installed;
  let module: { buf: Crc32Fn };
  try {
    module = createRequire(import.meta.url)('crc-32') as { buf: Crc32Fn };
  } catch {
    return installed;
  }
  const original = module.buf;
  // crc-32 returns a signed int32 and coerces a non-number seed (crc32-stream starts with a Buffer) to 0.
  const replacement: Crc32Fn = (data, seed) => native(data, typeof seed === 'number' ? seed >>> 0 : 0) | 0;
  const probe = Buffer.from(Array.from({ length: 4099 }, (_, i) => (i * 131 + 7) & 0xff));
  const same =
    original(probe) === replacement(probe) &&
    original(probe.subarray(1000), original(probe.subarray(0, 1000))) ===
      replacement(probe.subarray(1000), replacement(probe.subarray(0, 1000))) &&
    original(probe, Buffer.alloc(4)) === replacement(probe, Buffer.alloc(4));
  if (!same) return installed;
  module.buf = replacement;
  installed = true;
  return installed;
}
