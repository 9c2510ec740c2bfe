// The delete document's TypeScript `fetch` example with its type annotations removed, runnable with Node 18+:
//   NEPTUN_SESSION=<cookie value> node examples/delete_import_fetch.mjs <import id>
// NEPTUN_API (default http://127.0.0.1:3000) is the base URL. Prints the status (204).
const BASE_URL = process.env.NEPTUN_API ?? "http://127.0.0.1:3000";

async function deleteProjectImport(userId, projectId, importId, sessionCookie) {
  const response = await fetch(
    `${BASE_URL}/api/users/${userId}/projects/${projectId}/resources/imports/${importId}`,
    {
      method: "DELETE",
      headers: {
        Accept: "application/json",
        Cookie: `neptun-session=${sessionCookie}`,
      },
    },
  );

  if (!response.ok) {
    throw new Error(`HTTP error! status: ${response.status}`);
  }
  return response.status;
}

console.log(await deleteProjectImport(1, 789, process.argv[2], process.env.NEPTUN_SESSION));
