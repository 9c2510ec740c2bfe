// Read the project's digest for a chat, at most max_tokens of files, then ask again with its ETag:
//   NEPTUN_SESSION=<cookie value> node dist/examples/project_context.js [max_tokens]
// Prints {"etag", "markdown", "unchanged_status"}: the second answer is 304 while nothing changed.
import { ImportsApiError } from "../src/index.js";
import { client, project } from "./environment.js";

const PROJECT_CONTEXT = "/api/users/{user_id}/projects/{project_id}/resources/context";
const maxTokens = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
const query = maxTokens === undefined ? {} : { max_tokens: maxTokens };

// The digest is Markdown, not JSON: parseAs "text".
const first = await client.GET(PROJECT_CONTEXT, { params: { path: project, query }, parseAs: "text" });
if (first.error !== undefined) {
  throw new ImportsApiError(first.response.status, first.error);
}
const etag = first.response.headers.get("ETag") ?? "";
const again = await client.GET(PROJECT_CONTEXT, {
  params: { path: project, query, header: { "If-None-Match": etag } },
  parseAs: "text",
});
console.log(JSON.stringify({ etag, markdown: first.data, unchanged_status: again.response.status }));
