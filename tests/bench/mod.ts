/**
 * `deno task bench <name>`: runs the benchmark `tests/bench/<name>.ts`. Benchmarks print figures
 * and ratios against a reference run in the same script; they are not part of the test suite.
 */
const name = Deno.args[0];
const available = [...Deno.readDirSync(new URL(".", import.meta.url))]
  .map((e) => e.name)
  .filter((n) => n.endsWith(".ts") && n !== "mod.ts")
  .map((n) => n.slice(0, -3))
  .sort();
if (!name || !available.includes(name)) {
  console.error(`usage: deno task bench <${available.join("|")}> [args]`);
  Deno.exit(2);
}
await import(`./${name}.ts`);
