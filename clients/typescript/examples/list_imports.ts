// List every import of the project, following the cursors, optionally of one source type:
//   NEPTUN_SESSION=<cookie value> node dist/examples/list_imports.js [github|public_github_repository_url|local_folder]
import { dataOf, type ProjectImport, type SourceType } from "../src/index.js";
import { client, project } from "./environment.js";

const SOURCE_TYPES: readonly SourceType[] = ["github", "public_github_repository_url", "local_folder"];
const wanted = process.argv[2];
const sourceType = SOURCE_TYPES.find((each) => each === wanted);
if (wanted !== undefined && sourceType === undefined) {
  throw new Error(`the source type must be one of ${SOURCE_TYPES.join(", ")}`);
}

const imports: ProjectImport[] = [];
let cursor: string | undefined;
do {
  const query = { ...(sourceType ? { source_type: sourceType } : {}), ...(cursor ? { cursor } : {}) };
  const page = dataOf(
    await client.GET("/api/users/{user_id}/projects/{project_id}/resources/imports", {
      params: { path: project, query },
    }),
  );
  imports.push(...page.imports);
  cursor = page.next_cursor ?? undefined;
} while (cursor !== undefined);
console.log(JSON.stringify({ imports }));
