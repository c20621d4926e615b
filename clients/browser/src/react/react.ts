// What this part imports, in one place: the bundle then has one import
// statement for React and one for the client, instead of one per file.
export { createElement as h, useEffect, useMemo, useSyncExternalStore, useState } from 'react';
export type { ReactElement } from 'react';
export { byPriority, SSEClient } from '../index.js';
