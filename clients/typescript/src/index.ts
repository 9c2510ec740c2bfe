// A typed client for the Neptun imports API: openapi-fetch over the types openapi-typescript generates
// from the committed OpenAPI document (src/schema.ts; `npm run generate` after `make openapi`). Every
// path, parameter, body and answer is typed from the document, so a change of the API that breaks a
// caller breaks its type-check. The HTTP contract (docs/http-contract.md) says what each answer means.
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema.js";

export type { components, paths };

type Schemas = components["schemas"];
export type ProjectImport = Schemas["ProjectImport"];
export type ImportResponse = Schemas["ImportResponse"];
export type ImportsPage = Schemas["ImportsPage"];
export type CreateImportRequest = Schemas["CreateImportRequest"];
export type UpdateImportRequest = Schemas["UpdateImportRequest"];
export type ImportFilesPage = Schemas["ImportFilesPage"];
export type ListedFileRow = Schemas["ListedFileRow"];
export type ErrorBody = Schemas["ErrorBody"];
export type SourceType = Schemas["SourceType"];
export type RunStatus = Schemas["RunStatus"];

/** The cookie the login service sets; every route reads the session from it. */
export const SESSION_COOKIE = "neptun-session";

export interface ImportsClientOptions {
  /** Where the API is: `https://…execute-api…amazonaws.com`, or `http://127.0.0.1:3000` for `make run`. */
  baseUrl: string;
  /**
   * The session cookie's value, for callers outside a browser (Node, scripts). In the web UI, leave it
   * out: the browser sends the cookie itself (`credentials: "include"`, allowed by `CorsAllowedOrigins`).
   */
  session?: string;
  /** Another `fetch` (tests, instrumentation); the global one by default. */
  fetch?: typeof globalThis.fetch;
}

export type ImportsClient = Client<paths>;

/** A client for every route of the imports API, typed from docs/openapi.json. */
export function createImportsClient(options: ImportsClientOptions): ImportsClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    credentials: "include",
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  if (options.session !== undefined) {
    client.use(sessionCookie(options.session));
  }
  return client;
}

function sessionCookie(session: string): Middleware {
  return {
    onRequest({ request }) {
      // Outside a browser nothing sends cookies; a browser refuses this header, and needs none.
      request.headers.set("Cookie", `${SESSION_COOKIE}=${session}`);
      return request;
    },
  };
}

/** An answer the API refused: its status and its documented error body. */
export class ImportsApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody | undefined;

  constructor(status: number, body: ErrorBody | undefined) {
    super(`HTTP ${status}: ${body?.message ?? "no error body"}`);
    this.name = "ImportsApiError";
    this.status = status;
    this.body = body;
  }
}

/** The data of an answer, or an ImportsApiError for a refusal (openapi-fetch's `{ data, error, response }`). */
export function dataOf<Data>(answer: { data?: Data; error?: unknown; response: Response }): Data {
  if (answer.data === undefined) {
    throw new ImportsApiError(answer.response.status, answer.error as ErrorBody | undefined);
  }
  return answer.data;
}
