// Delete an import; prints the status (204):
//   NEPTUN_SESSION=<cookie value> node dist/examples/delete_import.js <import id>
import { ImportsApiError } from "../src/index.js";
import { client, importIdArgument, project } from "./environment.js";

const answer = await client.DELETE("/api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}", {
  params: { path: { ...project, import_id: importIdArgument(2) } },
});
if (answer.error !== undefined) {
  throw new ImportsApiError(answer.response.status, answer.error);
}
console.log(answer.response.status);
