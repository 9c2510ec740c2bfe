// What every example shares: the client, made from the environment, for the demo user's project.
//   NEPTUN_SESSION: the session cookie's value (make run's demo one: local-demo-session-token-for-user-1)
//   NEPTUN_API: the API's base URL (default http://127.0.0.1:3000, make run's)
import { createImportsClient } from "../src/index.js";

const session = process.env.NEPTUN_SESSION;
if (!session) {
  throw new Error("set NEPTUN_SESSION to the neptun-session cookie's value");
}

export const client = createImportsClient({ baseUrl: process.env.NEPTUN_API ?? "http://127.0.0.1:3000", session });

/** The demo user's project, as in the API documents' examples. */
export const project = { user_id: 1, project_id: 789 } as const;

/** The command line's import id (a safe integer, as every import id is). */
export function importIdArgument(position: number): number {
  const importId = Number(process.argv[position]);
  if (!Number.isSafeInteger(importId) || importId < 1) {
    throw new Error(`argument ${position - 1} must be an import id`);
  }
  return importId;
}
