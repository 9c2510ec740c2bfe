// The update document's TypeScript `fetch` example with its type annotations removed, runnable with Node 18+:
//   NEPTUN_SESSION=<cookie value> node examples/update_import_fetch.mjs <import id> [etag]
// NEPTUN_API (default http://127.0.0.1:3000) is the base URL. With an ETag, the update is sent with
// If-Match and fails with 412 if the import changed since.
const BASE_URL = process.env.NEPTUN_API ?? "http://127.0.0.1:3000";

async function updateProjectImport(userId, projectId, importId, data, sessionCookie, ifMatch) {
  const headers = {
    Accept: "application/json",
    "Content-Type": "application/json",
    Cookie: `neptun-session=${sessionCookie}`,
  };
  if (ifMatch) {
    headers["If-Match"] = ifMatch;
  }
  const response = await fetch(
    `${BASE_URL}/api/users/${userId}/projects/${projectId}/resources/imports/${importId}`,
    {
      method: "PUT",
      headers,
      body: JSON.stringify(data),
    },
  );

  if (!response.ok) {
    throw new Error(`HTTP error! status: ${response.status}`);
  }

  return await response.json();
}

const updated = await updateProjectImport(
  1,
  789,
  process.argv[2],
  { title: "Updated GitHub Import", description: "Updated import from GitHub repository" },
  process.env.NEPTUN_SESSION,
  process.argv[3],
);
console.log(JSON.stringify(updated));
