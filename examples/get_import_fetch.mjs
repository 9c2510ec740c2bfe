// Reading one import with `fetch`, runnable with Node 18+:
//   NEPTUN_SESSION=<cookie value> node examples/get_import_fetch.mjs <import id>
// NEPTUN_API (default http://127.0.0.1:3000) is the base URL. Prints the import and its ETag.
const BASE_URL = process.env.NEPTUN_API ?? "http://127.0.0.1:3000";

async function getProjectImport(userId, projectId, importId, sessionCookie) {
  const response = await fetch(
    `${BASE_URL}/api/users/${userId}/projects/${projectId}/resources/imports/${importId}`,
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

  return { ...(await response.json()), etag: response.headers.get("ETag") };
}

console.log(JSON.stringify(await getProjectImport(1, 789, process.argv[2], process.env.NEPTUN_SESSION)));
