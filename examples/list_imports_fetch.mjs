// The list document's TypeScript `fetch` example with its type annotations removed, runnable with Node 18+:
//   NEPTUN_SESSION=<cookie value> node examples/list_imports_fetch.mjs [source_type]
// NEPTUN_API (default http://127.0.0.1:3000) is the base URL. Follows next_cursor and prints every import.
const BASE_URL = process.env.NEPTUN_API ?? "http://127.0.0.1:3000";

async function listProjectImports(userId, projectId, sourceType, sessionCookie, cursor) {
  const params = new URLSearchParams();
  if (sourceType) {
    params.append("source_type", sourceType);
  }
  if (cursor) {
    params.append("cursor", cursor);
  }

  const response = await fetch(
    `${BASE_URL}/api/users/${userId}/projects/${projectId}/resources/imports?${params}`,
    {
      method: "GET",
      headers: {
        Accept: "application/json",
        Cookie: `neptun-session=${sessionCookie}`,
      },
    },
  );

  if (!response.ok) {
    throw new Error(`HTTP error! status: ${response.status}`);
  }

  return await response.json();
}

const imports = [];
let cursor = null;
do {
  const page = await listProjectImports(1, 789, process.argv[2], process.env.NEPTUN_SESSION, cursor);
  imports.push(...page.imports);
  cursor = page.next_cursor;
} while (cursor !== null);
console.log(JSON.stringify({ imports }));
