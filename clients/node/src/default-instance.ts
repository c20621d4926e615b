// The shared instance and the seeds' free functions, so that
//   import { SSEManager, sendToast, notifyAdmins } from '@/lib/sse';
//   import { sseManager } from '@/lib/sse/SSEManager';
//   import { notifications, broadcasts, sendUserSystemEvent } from '@/lib/sse';
// keep working when those modules re-export this package.
//
// Creating the instance opens nothing: the transport is chosen on the first
// request, and the environment is read then ($RINGCAST_URL and
// $RINGCAST_API_KEY: HTTP; else the socket at $RINGCAST_SOCKET, else
// ./var/ringcast.sock if it exists, else /run/ringcast/ringcast.sock), so
// importing this module during a build or before the environment is set up
// costs nothing.

import { Ringcast } from './ringcast.js';

/** The shared instance (seed 002's `sseManager`). */
export const sseManager: Ringcast = new Ringcast();
/** The same instance under seed 000/001's name. */
export const SSEManager: Ringcast = sseManager;

export const sendMessage: Ringcast['sendMessage'] = (...a) => sseManager.sendMessage(...a);
export const sendBatch: Ringcast['sendBatch'] = (...a) => sseManager.sendBatch(...a);
export const publishNoReply: Ringcast['publishNoReply'] = (...a) => sseManager.publishNoReply(...a);
export const sendToUser: Ringcast['sendToUser'] = (...a) => sseManager.sendToUser(...a);
export const sendToUsers: Ringcast['sendToUsers'] = (...a) => sseManager.sendToUsers(...a);
export const broadcast: Ringcast['broadcast'] = (...a) => sseManager.broadcast(...a);
export const broadcastToChannel: Ringcast['broadcastToChannel'] = (...a) => sseManager.broadcastToChannel(...a);
export const notifyAdmins: Ringcast['notifyAdmins'] = (...a) => sseManager.notifyAdmins(...a);
export const sendToast: Ringcast['sendToast'] = (...a) => sseManager.sendToast(...a);
export const triggerRefresh: Ringcast['triggerRefresh'] = (...a) => sseManager.triggerRefresh(...a);
export const invalidateClientCaches: Ringcast['invalidateClientCaches'] = (...a) =>
  sseManager.invalidateClientCaches(...a);
export const invalidateCache: Ringcast['invalidateCache'] = (...a) => sseManager.invalidateCache(...a);
export const sendUserNotification: Ringcast['sendUserNotification'] = (...a) => sseManager.sendUserNotification(...a);
export const broadcastNotification: Ringcast['broadcastNotification'] = (...a) =>
  sseManager.broadcastNotification(...a);
export const sendUserSystemEvent: Ringcast['sendUserSystemEvent'] = (...a) => sseManager.sendUserSystemEvent(...a);
export const broadcastSystemEvent: Ringcast['broadcastSystemEvent'] = (...a) => sseManager.broadcastSystemEvent(...a);
export const notifications: Ringcast['notifications'] = sseManager.notifications;
export const broadcasts: Ringcast['broadcasts'] = sseManager.broadcasts;

export const createStreamToken: Ringcast['createStreamToken'] = (...a) => sseManager.createStreamToken(...a);

export const getStats: Ringcast['getStats'] = () => sseManager.getStats();
/** seed 003's name for getStats. */
export const getSSEStats: Ringcast['getStats'] = () => sseManager.getStats();
export const getSystemStats: Ringcast['getSystemStats'] = () => sseManager.getSystemStats();
export const getConnectionInfo: Ringcast['getConnectionInfo'] = (...a) => sseManager.getConnectionInfo(...a);
export const getClientCount: Ringcast['getClientCount'] = () => sseManager.getClientCount();
export const isUserConnected: Ringcast['isUserConnected'] = (...a) => sseManager.isUserConnected(...a);
export const removeClient: Ringcast['removeClient'] = (...a) => sseManager.removeClient(...a);

export const listAlerts: Ringcast['listAlerts'] = (...a) => sseManager.listAlerts(...a);
export const getAlert: Ringcast['getAlert'] = (...a) => sseManager.getAlert(...a);
export const createAlert: Ringcast['createAlert'] = (...a) => sseManager.createAlert(...a);
export const updateAlert: Ringcast['updateAlert'] = (...a) => sseManager.updateAlert(...a);
export const patchAlert: Ringcast['patchAlert'] = (...a) => sseManager.patchAlert(...a);
export const deleteAlert: Ringcast['deleteAlert'] = (...a) => sseManager.deleteAlert(...a);
export const previewAlert: Ringcast['previewAlert'] = (...a) => sseManager.previewAlert(...a);
export const refreshAlerts: Ringcast['refreshAlerts'] = (...a) => sseManager.refreshAlerts(...a);
export const notifyAlertUpdate: Ringcast['notifyAlertUpdate'] = (...a) => sseManager.notifyAlertUpdate(...a);
export const clearAllAlertCaches: Ringcast['clearAllAlertCaches'] = () => sseManager.clearAllAlertCaches();
export const scheduleMaintenanceAlert: Ringcast['scheduleMaintenanceAlert'] = (...a) =>
  sseManager.scheduleMaintenanceAlert(...a);
