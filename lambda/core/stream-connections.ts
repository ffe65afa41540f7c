import type { OpenConnection } from "./connection-table";

/**
 * The sshd connections a log stream's batches hand on to each other (issue 13 §1), so that one attempt whose lines
 * two batches carry counts once. What the responder stores per log stream: the connections open at the start of
 * its last batch (`before`, for a redelivery of that batch) and at its end (`after`, for the next one).
 */

/** Connections kept per jail and per side: the newest; an older open connection then counts as today. */
export const STREAM_CONNECTIONS_LIMIT = 100;

/** Jail name -> its detector's open connections, each `[pid, ip, counted, open]` (compact: one item per batch). */
export type JailConnections = Readonly<
  Record<string, readonly (readonly [number, string, number, number])[]>
>;

/** What a log stream's last batch left. */
export interface StreamConnections {
  /** CloudWatch Logs id of the first event of the stream's last batch. */
  readonly firstEventId: string;
  readonly before: JailConnections;
  readonly after: JailConnections;
}

/**
 * The connections a batch whose first event is `firstEventId` starts from: those after the stream's last batch;
 * for a redelivery of that batch, those it started from; for an older batch, none (it then counts as before issue
 * 13: an attempt it cuts may count twice).
 */
export function connectionsToResume(
  stored: StreamConnections | undefined,
  firstEventId: string,
): JailConnections {
  if (stored === undefined) return {};
  const order = compareEventIds(firstEventId, stored.firstEventId);
  if (order === 0) return stored.before;
  return order > 0 ? stored.after : {};
}

/** What to store after a batch, or undefined when nothing changes (no connection open before or after). */
export function nextStreamConnections(
  stored: StreamConnections | undefined,
  firstEventId: string,
  resumed: JailConnections,
  open: JailConnections,
): StreamConnections | undefined {
  if (stored !== undefined && compareEventIds(firstEventId, stored.firstEventId) < 0) return undefined;
  // Nothing was open and nothing is: what is stored (if anything) already resumes the same way.
  if (isEmpty(resumed) && isEmpty(open)) return undefined;
  return { firstEventId, before: resumed, after: open };
}

/** The compact form of a detector's open connections. */
export function packConnections(
  connections: readonly OpenConnection[],
): (readonly [number, string, number, number])[] {
  return connections.map((connection) => [
    connection.pid,
    connection.ip,
    connection.counted,
    connection.open,
  ]);
}

/** The detector's form of stored connections. */
export function unpackConnections(
  packed: readonly (readonly [number, string, number, number])[] | undefined,
): OpenConnection[] {
  return (packed ?? []).map(([pid, ip, counted, open]) => ({ pid, ip, counted, open }));
}

/** CloudWatch Logs event ids are decimal numbers of one length, increasing with time; compared as such. */
function compareEventIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isEmpty(connections: JailConnections): boolean {
  return Object.values(connections).every((list) => list.length === 0);
}
