// Why a client that has never reached the daemon cannot connect to its
// socket, told so that the reader knows what to change: the path it tried,
// RINGCAST_SOCKET, and for a permission problem the owner, group and mode of
// the file (or the directory) in the way and the group to join.
//
// Only for a client that never connected: after a first connection, the same
// errors mean the daemon is restarting, and requests wait for it.

import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

import { RingcastError } from './errors.js';

/** The socket errors that fail a never-connected client's requests at once. */
export const FAIL_FAST_CODES = new Set(['ENOENT', 'ENOTDIR', 'ECONNREFUSED', 'EACCES', 'EPERM']);

const HOW_TO_POINT =
  'set RINGCAST_SOCKET (or the socketPath option) to the socket ringcastd listens on (its server.unix, ' +
  'or --unix; the default is ./var/ringcast.sock if it exists, else /run/ringcast/ringcast.sock)';

/** The error a never-connected client's requests fail with, for the socket
 *  error `cause` met connecting to `path`. */
export function connectError(path: string, cause: NodeJS.ErrnoException, op?: string): RingcastError {
  switch (cause.code) {
    case 'EACCES':
    case 'EPERM':
      return RingcastError.client('permission_denied', permissionMessage(path), op, cause);
    case 'ECONNREFUSED':
      return RingcastError.client(
        'unreachable',
        `ringcast: nothing listens on ${path} (ECONNREFUSED): the socket file is there but no ringcastd ` +
          `serves it (stopped, or a stale file). Start ringcastd, or ${HOW_TO_POINT}`,
        op,
        cause,
      );
    default:
      return RingcastError.client(
        'unreachable',
        `ringcast: no socket at ${path} (${cause.code ?? cause.message}): ringcastd is not running there. ` +
          `Start it, or ${HOW_TO_POINT}`,
        op,
        cause,
      );
  }
}

function permissionMessage(path: string): string {
  const me = processIdentity();
  // The file itself, unless a directory above it cannot be searched.
  const blocker = firstUnsearchableDirectory(path);
  if (blocker !== undefined) {
    return (
      `ringcast: permission denied on ${path} (EACCES): this process (${me}) may not enter ` +
      `${blocker.path} (${describe(blocker.stat)}). ${joinHint(blocker.stat)}, or ${HOW_TO_POINT}`
    );
  }
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return `ringcast: permission denied on ${path} (EACCES) for this process (${me}); ${HOW_TO_POINT}`;
  }
  return (
    `ringcast: permission denied on ${path} (EACCES): the socket is ${describe(stat)} and this process ` +
    `is ${me}. ${joinHint(stat)} (ringcastd's server.unix_group and server.unix_mode decide who may ` +
    `publish), or ${HOW_TO_POINT}`
  );
}

function joinHint(stat: { gid: number }): string {
  const group = groupName(stat.gid);
  return `Add this process's user to the group ${group} (usermod -aG ${group} <user>, then restart the process)`;
}

function describe(stat: { uid: number; gid: number; mode: number }): string {
  return `owner uid ${stat.uid}, group ${groupName(stat.gid)}, mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}`;
}

function processIdentity(): string {
  if (typeof process.getuid !== 'function' || typeof process.getgid !== 'function') return 'unknown uid';
  const groups = typeof process.getgroups === 'function' ? process.getgroups() : [];
  const names = [...new Set([process.getgid(), ...groups])].map((gid) => groupName(gid));
  return `uid ${process.getuid()}, groups ${names.join(', ')}`;
}

function firstUnsearchableDirectory(path: string): { path: string; stat: { uid: number; gid: number; mode: number } } | undefined {
  const dirs: string[] = [];
  for (let d = dirname(path); ; d = dirname(d)) {
    dirs.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of dirs) {
    try {
      accessSync(d, constants.X_OK);
    } catch {
      try {
        return { path: d, stat: statSync(d) };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A group's name from /etc/group (Node has no getgrgid), else "gid N". */
export function groupName(gid: number, groupFile = '/etc/group'): string {
  try {
    for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name && id !== undefined && Number(id) === gid) return name;
    }
  } catch {
    // No /etc/group (a minimal container): the number is all there is.
  }
  return `gid ${gid}`;
}
