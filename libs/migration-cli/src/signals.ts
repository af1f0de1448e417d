export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * The first SIGINT/SIGTERM asks the run to stop cleanly (cancel, roll back, record, alert,
 * release the lock); a second one exits at once with 130/143.
 */
export function onStopSignals(handler: (signal: StopSignal) => void): () => void {
  let received = false;
  const listener = (signal: StopSignal) => {
    if (received) process.exit(signal === 'SIGINT' ? 130 : 143);
    received = true;
    handler(signal);
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
