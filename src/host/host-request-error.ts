/**
 * What a plugin call refuses when the host, not the cashier, got it wrong: a
 * request of the wrong shape, a second day close while one runs, a call after
 * `dispose()`. It names each offending field as `field: problem`, like
 * `SettingsError`, so a vendor's log says what to fix; a bad business day is a
 * `BusinessDayError` instead, with its problem and the input.
 */
export type HostRequestProblem = 'invalid-request' | 'close-running' | 'disposed';

export class HostRequestError extends Error {
  override name = 'HostRequestError';
  constructor(
    readonly call: 'onDayClose' | 'onCommand',
    readonly problem: HostRequestProblem,
    message: string,
    /** One entry per offending field, `field: problem`; empty when the request itself is fine. */
    readonly fields: readonly string[] = [],
  ) {
    super(message);
  }
}
