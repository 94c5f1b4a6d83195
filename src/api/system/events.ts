import type { Ctx } from '../../server/http.js';
import { qBool, qFilters, startStream } from '../../server/http.js';
import { qTimeNs } from '../http/query.js';
import { requestSignal } from '../http/request-signal.js';
import type { EngineEvent } from '../../engine/events/types.js';
import { HttpError } from '../../server/errors.js';
import { familiarName } from '../../lib/image-ref.js';
import { libpodEvent } from './libpod-events.js';
import { apiLevel } from '../http/api-level.js';

/** docker names images the familiar way (busybox:latest); libpod shows the full names as recorded. */
export function familiarImageEvent(e: EngineEvent): EngineEvent {
  const name = e.Type === 'image' ? e.Actor.Attributes.name : undefined;
  const familiar = name && familiarName(name);
  if (!familiar || familiar === name) return e;
  return { ...e, Actor: { ...e.Actor, Attributes: { ...e.Actor.Attributes, name: familiar } } };
}

/**
 * `/events` for both layers: past events from `since`, then live ones until `until`. With
 * podman's `stream=false` (on the compat path too, as podman serves it) only what has happened
 * — every event kept, or those from `since` — and the response ends. The stream stays open while
 * the client listens, which keeps the idle timer from firing.
 */
export async function events(ctx: Ctx): Promise<void> {
  const filters = qFilters(ctx);
  const since = qTimeNs(ctx, 'since');
  const until = qTimeNs(ctx, 'until');
  // Event times are plain numbers of ns: a double orders them well enough.
  const sinceNs = since === undefined ? undefined : Number(since);
  const untilNs = until === undefined ? undefined : Number(until);
  const stream = qBool(ctx, 'stream', true);
  if (sinceNs !== undefined && untilNs !== undefined && untilNs < sinceNs) {
    throw new HttpError(400, '"until" must not be before "since"');
  }
  const bus = ctx.engine.events;
  const nowNs = Date.now() * 1e6;
  const res = startStream(ctx);
  const level = apiLevel(ctx.version);
  const shape = ctx.layer === 'compat' ? familiarImageEvent : (e: EngineEvent) => libpodEvent(e, level);
  // Filters apply to the event as this layer shows it.
  const send = (raw: EngineEvent) => {
    const e = shape(raw);
    if (e && bus.matches(e, filters)) res.write(JSON.stringify(e) + '\n');
  };

  const backlog = sinceNs !== undefined || !stream ? bus.past(sinceNs ?? 0, untilNs) : [];
  for (const e of backlog) send(e);
  const lastSeen = backlog.length ? backlog[backlog.length - 1].timeNano : -1;

  if (!stream || (untilNs !== undefined && untilNs <= nowNs)) {
    res.end();
    return;
  }
  await new Promise<void>((done) => {
    const stop = () => {
      off();
      release();
      if (timer) clearTimeout(timer);
      if (!res.writableEnded) res.end();
      done();
    };
    const off = bus.subscribe((e) => {
      if (e.timeNano <= lastSeen) return;
      if (untilNs !== undefined && e.timeNano > untilNs) return stop();
      send(e);
    });
    const timer = untilNs !== undefined ? setTimeout(stop, Math.max(0, (untilNs - nowNs) / 1e6)) : undefined;
    const { done: release } = requestSignal(ctx, { onAbort: stop });
  });
}
