// The API document's TypeScript `fetch` example with its type annotations removed, runnable with Node 18+:
//   NEPTUN_SESSION=<cookie value> node examples/create_import_fetch.mjs
// NEPTUN_API (default http://127.0.0.1:3000) is the base URL.
const BASE_URL = process.env.NEPTUN_API ?? "http://127.0.0.1:3000";

async function createProjectImport(userId, projectId, data, sessionCookie) {
  const response = await fetch(
    `${BASE_URL}/api/users/${userId}/projects/${projectId}/resources/imports`,
    {
      method: "POST",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        Cookie: `neptun-session=${sessionCookie}`,
      },
      body: JSON.stringify(data),
    },
  );

  if (!response.ok) {
    throw new Error(`HTTP error! status: ${response.status}`);
  }

  return await response.json();
}

const created = await createProjectImport(
  1,
  789,
  {
    source_type: "github",
    source_path: "username/repository",
    title: "My GitHub Import",
    description: "Importing from GitHub repository",
  },
  process.env.NEPTUN_SESSION,
);
console.log(JSON.stringify(created));
