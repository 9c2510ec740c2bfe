// Change an import's title and description, only if it is still at the ETag given (else 412):
//   NEPTUN_SESSION=<cookie value> node dist/examples/update_import.js <import id> [etag]
import { dataOf } from "../src/index.js";
import { client, importIdArgument, project } from "./environment.js";

const etag = process.argv[3];
const answer = await client.PUT("/api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}", {
  params: { path: { ...project, import_id: importIdArgument(2) }, header: etag ? { "If-Match": etag } : {} },
  body: { title: "Updated GitHub Import", description: "Updated import from GitHub repository" },
});
console.log(JSON.stringify(dataOf(answer)));
