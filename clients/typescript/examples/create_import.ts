// Create a `github` import with the typed client:
//   NEPTUN_SESSION=<cookie value> node dist/examples/create_import.js
// Prints the created import (`201`).
import { dataOf } from "../src/index.js";
import { client, project } from "./environment.js";

const created = await client.POST("/api/users/{user_id}/projects/{project_id}/resources/imports", {
  params: { path: project },
  body: {
    source_type: "github",
    source_path: "username/repository",
    title: "My GitHub Import",
    description: "Importing from GitHub repository",
  },
});
console.log(JSON.stringify(dataOf(created)));
