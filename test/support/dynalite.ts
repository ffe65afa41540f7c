/** Tests start the same embedded DynamoDB (dynalite, with cloudjail's table) that the local demo runs on. */
import { afterAll, beforeAll } from "vitest";
import { type LocalDynamo, type StartDynaliteOptions, startDynalite } from "../../bin/local/dynalite";

export * from "../../bin/local/dynalite";

/** The server a test file uses: what {@link LocalDynamo} offers, less `stop` (the file's `afterAll` stops it). */
export type TestDynamo = Omit<LocalDynamo, "stop">;

/**
 * Starts dynalite once for the calling test file (`beforeAll`) and stops it after the file (`afterAll`). Call it at
 * the top of the file or of a `describe`; the handle it returns may be used in hooks and tests registered after
 * it (they run once the server is up), and throws when used before.
 *
 * @example
 * const db = useDynalite();
 * it("bans", async () => { const world = await createWorld(db); ... });
 */
export function useDynalite(options: StartDynaliteOptions = {}): TestDynamo {
  let server: LocalDynamo | undefined;
  beforeAll(async () => {
    server = await startDynalite(options);
  });
  afterAll(async () => {
    await server?.stop();
    server = undefined;
  });
  const running = (): LocalDynamo => {
    if (server === undefined)
      throw new Error("dynalite is not running: use the handle inside hooks and tests");
    return server;
  };
  return {
    get endpoint() {
      return running().endpoint;
    },
    get tableName() {
      return running().tableName;
    },
    get client() {
      return running().client;
    },
    createTable: (name) => running().createTable(name),
  };
}
