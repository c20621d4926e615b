// Every wait in the tests is bounded: `within` fails with a message naming
// what did not happen.
export function within(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** Resolves with the arguments of the next `event` emitted by `emitter`. */
export function nextEvent(emitter, event, ms = 5000) {
  return within(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), ms, `'${event}'`);
}
