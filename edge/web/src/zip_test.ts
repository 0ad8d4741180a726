import { deepEqual, equal, rejects } from "node:assert/strict";
import { makeZip } from "./testing/make_zip.ts";
import { readZip } from "./zip.ts";

Deno.test("readZip lists files (not folders) and inflates deflated and stored entries", async () => {
  const scan = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 13);
  const zip = await makeZip([
    { path: "Task/", bytes: new Uint8Array(), deflate: false },
    { path: "Task/imagesTr/a.nii.gz", bytes: scan, deflate: true },
    { path: "Task/dataset.json", bytes: new TextEncoder().encode("{}"), deflate: false },
  ]);
  const entries = await readZip(zip);
  deepEqual(entries.map((e) => [e.path, e.size]), [
    ["Task/imagesTr/a.nii.gz", 5000],
    ["Task/dataset.json", 2],
  ]);
  const file = await entries[0].open();
  equal(file.name, "a.nii.gz");
  deepEqual(new Uint8Array(await file.arrayBuffer()), scan);
  equal(await (await entries[1].open()).text(), "{}");
});

Deno.test("readZip refuses a file that is not a zip, naming it", async () => {
  await rejects(
    readZip(new Blob([new Uint8Array(100)]), "scans.zip"),
    /scans\.zip: not a zip file/,
  );
});
