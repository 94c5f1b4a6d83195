import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { SeqpacketSocket as SeqSock } from 'node-unix-socket';

const require = createRequire(import.meta.url);

/** conmon's stdpipe_t: 1 would be stdin (unused on output), 2 stdout, 3 stderr. */
export type StreamId = number;
export const CONMON_STDOUT = 2;
export const CONMON_STDERR = 3;

/** One client of conmon's attach socket: output packets carry the stream in their first byte. */
export interface AttachConn {
  onOutput(cb: (stream: StreamId, data: Buffer) => void): void;
  onClose(cb: () => void): void;
  writeStdin(data: Buffer): void;
  /** Half-close: conmon closes the container's stdin unless --leave-stdin-open. */
  endStdin(): void;
  close(): void;
}

/** conmon's CONN_SOCK_BUF_SIZE: the largest stdin packet it reads whole. */
export const PACKET_MAX = 32768;

// sun_path holds 108 bytes; deeper bundle dirs are reached through /proc/self/fd/N.
const SUN_PATH_MAX = 107;

export function connectAttach(bundle: string): Promise<AttachConn> {
  const { SeqpacketSocket } = require('node-unix-socket') as typeof import('node-unix-socket');
  let path = join(bundle, 'attach');
  let dirFd: number | undefined;
  if (Buffer.byteLength(path) > SUN_PATH_MAX) {
    dirFd = openSync(bundle, 'r');
    path = `/proc/self/fd/${dirFd}/attach`;
  }
  return new Promise((resolve, reject) => {
    const sock: SeqSock = new SeqpacketSocket();
    let outCb: ((s: StreamId, d: Buffer) => void) | undefined;
    const pending: Buffer[] = [];
    const closeCbs: (() => void)[] = [];
    let closed = false;
    let inFlight = 0;
    let endWanted = false;
    // The peer's end (conmon closes the socket when the process exits) ends the session: the
    // addon only closes the fd once both directions are shut, so it is closed here.
    const finish = () => {
      if (closed) return;
      closed = true;
      sock.destroy();
      for (const c of closeCbs) c();
    };
    sock.on('data', (buf: Buffer) => {
      if (buf.length < 1) return;
      if (outCb) outCb(buf[0], buf.subarray(1));
      else pending.push(buf);
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', (e: Error) => {
      if (!connected) reject(e);
      finish();
    });
    let connected = false;
    try {
      sock.connect(path, () => {
        connected = true;
        if (dirFd !== undefined) closeSync(dirFd);
        resolve({
          onOutput(cb) {
            outCb = cb;
            for (const b of pending.splice(0)) cb(b[0], b.subarray(1));
          },
          onClose(cb) {
            if (closed) cb();
            else closeCbs.push(cb);
          },
          writeStdin(data) {
            if (closed) return;
            // conmon reads each packet into a 32 KiB buffer: a longer one would be cut short.
            for (let off = 0; off < data.length; off += PACKET_MAX) {
              const n = Math.min(PACKET_MAX, data.length - off);
              inFlight++;
              sock.write(data, off, n, () => {
                inFlight--;
                if (inFlight === 0 && endWanted && !closed) sock.end();
              });
            }
          },
          endStdin() {
            // The shutdown must not overtake stdin still queued in the addon.
            endWanted = true;
            if (inFlight === 0 && !closed) sock.end();
          },
          close() {
            finish();
          },
        });
      });
    } catch (e) {
      if (dirFd !== undefined) closeSync(dirFd);
      reject(e);
    }
  });
}
