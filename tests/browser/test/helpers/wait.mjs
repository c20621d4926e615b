// Polls `check` until it returns something truthy, at most `ms`: for state
// outside the browser (the daemon's stats), where there is no event to await.
export async function until(check, { ms = 5000, every = 50, what = 'the condition' } = {}) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > end) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}
