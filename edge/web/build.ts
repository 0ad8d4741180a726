/**
 * Builds the web client: bundles `src/main.tsx` (Preact + NiiVue) for the browser with
 * `deno bundle` and copies `static/`, into `dist/` atomically (a temp folder, then a rename), so
 * the edge never serves a half-written build.
 *
 * @example
 * ```sh
 * npx deno run -A edge/web/build.ts
 * ```
 */
import { fileURLToPath as fromFileUrl } from "node:url";

const here = new URL("./", import.meta.url);

/** Where {@link buildWeb} writes the page; the edge serves it from here. */
export const distDir: string = fromFileUrl(new URL("dist", here));

/** Builds into {@link distDir}; throws with the bundler's output when bundling fails. */
export async function buildWeb(): Promise<void> {
  const staging = await Deno.makeTempDir({ dir: fromFileUrl(here), prefix: ".dist-" });
  try {
    const bundle = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform=browser",
        "--minify",
        "--sourcemap=linked",
        "--output",
        `${staging}/main.js`,
        fromFileUrl(new URL("src/main.tsx", here)),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!bundle.success) {
      const text = new TextDecoder().decode(bundle.stderr) +
        new TextDecoder().decode(bundle.stdout);
      throw new Error(`deno bundle failed:\n${text}`);
    }
    for (const name of ["index.html", "style.css"]) {
      await Deno.copyFile(fromFileUrl(new URL(`static/${name}`, here)), `${staging}/${name}`);
    }
    const old = `${distDir}.old-${crypto.randomUUID()}`;
    await Deno.rename(distDir, old).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await Deno.rename(staging, distDir);
    await Deno.remove(old, { recursive: true }).catch(() => {});
  } catch (error) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    throw error;
  }
}

if (import.meta.main) {
  const started = performance.now();
  await buildWeb();
  console.log(`web client built in ${distDir} (${Math.round(performance.now() - started)} ms)`);
}
