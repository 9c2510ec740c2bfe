// Read one import and its ETag:
//   NEPTUN_SESSION=<cookie value> node dist/examples/get_import.js <import id>
import { dataOf } from "../src/index.js";
import { client, importIdArgument, project } from "./environment.js";

const answer = await client.GET("/api/users/{user_id}/projects/{project_id}/resources/imports/{import_id}", {
  params: { path: { ...project, import_id: importIdArgument(2) } },
});
console.log(JSON.stringify({ ...dataOf(answer), etag: answer.response.headers.get("ETag") }));
