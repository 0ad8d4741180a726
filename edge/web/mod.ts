/**
 * The web client as a Hono sub-app: `GET /` serves the page, `GET /app/*` its built assets from
 * `edge/web/dist` (made by `build.ts`). Mount it on the edge after the `/v1` routes:
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { webApp } from "./web/mod.ts";
 * const app = new Hono();
 * app.route("/", webApp());
 * ```
 */
import { Hono } from "hono";
import { extname, join } from "node:path";
import { distDir } from "./build.ts";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
};

/** Options of {@link webApp}; `dir` defaults to the build output folder. */
export interface WebAppOptions {
  dir?: string;
}

/** The sub-app serving the built page; a 503 names the build command when nothing is built. */
export function webApp(options: WebAppOptions = {}): Hono {
  const dir = options.dir ?? distDir;
  const app = new Hono();
  const serve = async (name: string): Promise<Response> => {
    const type = contentTypes[extname(name)];
    if (!type || name.includes("..") || name.includes("/")) {
      return new Response("not found", { status: 404 });
    }
    try {
      const file = await Deno.open(join(dir, name), { read: true });
      return new Response(file.readable, {
        headers: {
          "content-type": type,
          // The page's asset names are stable, so make the browser revalidate.
          "cache-control": "no-cache",
          "x-content-type-options": "nosniff",
        },
      });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      if (name === "index.html") {
        return new Response(
          "The web client is not built: run `npx deno run -A edge/web/build.ts`.\n",
          { status: 503, headers: { "content-type": "text/plain; charset=utf-8" } },
        );
      }
      return new Response("not found", { status: 404 });
    }
  };
  app.get("/", () => serve("index.html"));
  app.get("/app/:name", (c) => serve(c.req.param("name")));
  return app;
}
