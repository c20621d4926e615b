// @ringcast/browser/react: hooks and components over the client (React 18 or
// newer, a peer dependency). Styles: '@ringcast/browser/ringcast.css'.
export { BannerStack, type BannerStackProps } from './banner-stack.js';
export { SSEConnectionIndicator, type SSEConnectionIndicatorProps } from './indicator.js';
export { type UseSSEOptions, type UseSSEResult, useSSE } from './use-sse.js';
export { type UseSSEAlertsResult, useSSEAlerts } from './use-sse-alerts.js';
