/**
 * The web client end to end, as a person would use it: headless Chromium against the real edge
 * (in-process Hono over real HTTP), a real redis-server, the real worker process
 * (`gpu-worker/worker/main.ts`), a local server speaking the OpenAI protocol as the LLM and a
 * loopback webhook receiver. Sign in by keyboard; upload good and bad scans by file picker and by
 * drag and drop, as images or labels; build a dataset by hand; import an nnU-Net/MSD folder and a
 * zip of one as datasets with cases paired by id, and see a leaky folder refused; read and
 * generate descriptor sets; add a webhook endpoint; train the `smoke` preset and watch it live,
 * cancel a queued and a running run; a missing and a foreign job get the not-found page; check the
 * model's lineage and the signed delivery; segment a scan, check the NiiVue overlay's pixels and the
 * slice control; download the mask; find it in the inference history; use the pages 390 px wide.
 *
 * Set `LLMSEG_SCREENSHOTS=1` to (re)write the page screenshots in docs/screenshots/.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { buildWeb } from "../../edge/web/build.ts";
import { makeZip } from "../../edge/web/src/testing/make_zip.ts";
import { writeSyntheticDataset } from "../../shared/dataset/synthetic.ts";
import { loadDescriptorSet } from "../../shared/knowledge/descriptor_set.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../../shared/knowledge/testing/fake_openai.ts";
import { decodeVolume } from "../../shared/volume/mod.ts";
import { api, createTenant, type Service, spawnWorker, startService } from "../service/harness.ts";
import { countPixels, haveChromium, launchChromium, maskRed } from "./browser.ts";

const shape: [number, number, number] = [24, 24, 20];
const screenshotDir = new URL("../../docs/screenshots/", import.meta.url);
const wantScreenshots = Deno.env.get("LLMSEG_SCREENSHOTS") === "1";
/**
 * For the screenshots the model must segment the structure, so it trains longer and wider than
 * the smoke preset's 4 iterations at width 2 (CI keeps those: the flow, not the model, is tested).
 * Measured on the shared 2-core dev machine: the training step took 94 s and the test scan's Dice
 * was 0.92 (80 iterations: 3 min 5 s, Dice 0.93); the whole CI flow takes about 17 s.
 */
const screenshotTraining = { iterations: "40", width: "4", validateEvery: "10" };

/** What the steps share: the page, the tenant's key, the scan files and the fakes. */
interface Flow {
  page: Page;
  key: string;
  base: string;
  /** Synthetic case ids; `image(i)` / `label(i)` are their files. */
  ids: string[];
  image(i: number): string;
  label(i: number): string;
  data: string;
  llm: FakeOpenAI;
  receiverUrl: string;
  received: Headers[];
  service: Service;
}

Deno.test({
  name: "web client: the whole flow in Chromium against a real edge, worker and redis-server",
  ignore: !haveChromium(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await buildWeb();
    // The LLM is a local server speaking the OpenAI protocol; it answers with a valid set.
    const shipped = await loadDescriptorSet("hippocampus");
    const llm = startFakeOpenAI([{ json: { descriptors: shipped.descriptors } }]);
    const received: Headers[] = [];
    const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      received.push(req.headers);
      return new Response(null, { status: 204 });
    });
    const service = await startService({
      config: { llm: { baseURL: llm.baseURL, apiKey: llm.apiKey, model: "fake-llm" } },
    });
    const data = await Deno.makeTempDir({ prefix: "llmseg-web-" });
    const worker = spawnWorker(service, { LLMSEG_WORK_DIR: data });
    const browser = await launchChromium();
    let passed = false;
    try {
      const { key } = await createTenant(service);
      const ids = await writeSyntheticDataset(data, { cases: 4, shape, seed: 7 });
      const context = await browser.newContext({
        viewport: { width: 1366, height: 768 },
        acceptDownloads: true,
      });
      // Generous waits: CI runs this beside other tests on two cores.
      context.setDefaultTimeout(60_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      const flow: Flow = {
        page,
        key,
        base: service.base,
        ids,
        image: (i) => `${data}/imagesTr/${ids[i]}_0000.nii.gz`,
        label: (i) => `${data}/labelsTr/${ids[i]}.nii.gz`,
        data,
        llm,
        receiverUrl: `http://127.0.0.1:${receiver.addr.port}/hooks`,
        received,
        service,
      };
      // Steps depend on the ones before; stop at the first failure.
      const step = async (name: string, run: () => Promise<void>): Promise<void> => {
        if (!await t.step(name, run)) throw new Error(`step failed: ${name}`);
      };
      await step("sign in by keyboard", () => signIn(flow));
      await step("upload scans", () => uploadScans(flow));
      let datasetId = "";
      await step("build a dataset", async () => {
        datasetId = await buildDataset(flow);
      });
      await step(
        "import an nnU-Net folder and a zip; a leaky folder is refused",
        () => importFolder(flow),
      );
      await step("read and generate descriptor sets", () => descriptorSets(flow));
      await step("add a webhook endpoint", () => addWebhook(flow));
      let lossPoints = 0;
      await step("train live, cancel a queued run", async () => {
        lossPoints = await trainAndCancel(flow);
      });
      await step("model lineage", () => checkModel(flow, datasetId, lossPoints));
      await step("signed webhook delivery logged", () => checkDelivery(flow));
      await step("cancel a running training: cancelling at once", () => cancelRunning(flow));
      await step("missing and foreign jobs: not found", () => notFoundPages(flow));
      await step("inference viewer and download", () => inferViewDownload(flow));
      await step("inference history", () => inferHistory(flow));
      await step("phone width: 390 px", () => phoneWidth(flow));
      assert.deepEqual(pageErrors, []);
      passed = true;
    } finally {
      await worker.stop();
      if (!passed) console.error(`worker log:\n${worker.log()}`);
      await browser.close();
      await service.close();
      await llm.close();
      await receiver.shutdown();
      await Deno.remove(data, { recursive: true });
    }
  },
});

async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  if (!wantScreenshots) return;
  await Deno.mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, screenshotDir).pathname, fullPage });
}

/** The key field has focus; a wrong key is refused with a message; the first Tab stop skips. */
async function signIn({ page, base, key }: Flow): Promise<void> {
  await page.goto(base);
  await page.keyboard.type("lsk_wrong");
  await page.keyboard.press("Enter");
  await page.getByRole("alert").filter({ hasText: "Sign-in failed" }).waitFor();
  await screenshot(page, "signin");
  await page.fill("#api-key", key);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Scans", exact: true }).waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate("document.activeElement.textContent"), "Skip to content");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate("document.activeElement.id"), "main");
}

/**
 * Four images and two bad files by the file picker, then two labels (the role said by the radio
 * buttons), then one label dropped.
 */
async function uploadScans({ page, data, ids, image, label }: Flow): Promise<void> {
  const truncated = `${data}/broken.nii.gz`;
  const bytes = await Deno.readFile(image(0));
  await Deno.writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const notes = `${data}/notes.txt`;
  await Deno.writeTextFile(notes, "not a scan");
  await page.setInputFiles("#scan-files", [
    image(0),
    image(1),
    image(2),
    image(3),
    truncated,
    notes,
  ]);
  const rows = await finishedUploads(page, 6);
  assert.equal(rows.filter((r) => r.includes("done")).length, 4, rows.join("\n"));
  assert.match(rows.find((r) => r.startsWith("notes.txt"))!, /not a scan file/);
  assert.match(rows.find((r) => r.startsWith("broken.nii.gz"))!, /failed[\s\S]*broken\.nii\.gz: /);
  await page.check("input[name=scan-role][value=label]");
  await page.setInputFiles("#scan-files", [label(0), label(1)]);
  await finishedUploads(page, 8);
  await dropFile(page, label(2));
  const all = await finishedUploads(page, 9);
  assert.match(
    all[8],
    new RegExp(`${ids[2]}\\.nii\\.gz[\\s\\S]*done[\\s\\S]*label, ${shape.join(" × ")} voxels`),
  );
  await page.locator("table tbody tr").nth(6).waitFor();
  assert.equal(await page.locator("table tbody tr").count(), 7);
  assert.equal(await page.locator("tbody .badge.role-label").count(), 3);
  await screenshot(page, "scans");
}

/** Picks the scan named `name` in a scan `<select>` (options read "name · role · …id"). */
async function chooseScan(page: Page, select: string, name: string): Promise<void> {
  const option = page.locator(`${select} option`, { hasText: `${name} · ` }).first();
  await page.selectOption(select, (await option.getAttribute("value"))!);
}

/**
 * Two labelled pairs, one unlabelled scan, one test pair; images are offered only among images,
 * labels only among labels. Returns the new dataset's id.
 */
async function buildDataset({ page, ids }: Flow): Promise<string> {
  await page.click("nav >> text=Datasets");
  await page.fill("#dataset-name", "synthetic ellipsoids");
  await chooseScan(page, "#labelled-image-0", `${ids[0]}_0000.nii.gz`);
  await chooseScan(page, "#labelled-label-0", `${ids[0]}.nii.gz`);
  assert.equal(await page.locator("#labelled-image-0 option", { hasText: "· label ·" }).count(), 0);
  assert.equal(await page.locator("#labelled-label-0 option", { hasText: "· image ·" }).count(), 0);
  await page.click("text=Add labelled pair");
  await chooseScan(page, "#labelled-image-1", `${ids[1]}_0000.nii.gz`);
  await chooseScan(page, "#labelled-label-1", `${ids[1]}.nii.gz`);
  const unlabelled = (i: number) =>
    page.locator(`label.check:has-text("${ids[i]}_0000.nii.gz") input`);
  await unlabelled(2).check();
  await page.click("text=Add test pair");
  await chooseScan(page, "#test-image-0", `${ids[2]}_0000.nii.gz`);
  await chooseScan(page, "#test-label-0", `${ids[2]}.nii.gz`);
  // The label handling is chosen, never assumed.
  const create = page.locator("button:has-text('Create dataset')");
  await create.click();
  await page.getByRole("alert").filter({ hasText: "Choose what the label values mean" }).waitFor();
  await page.check("input[name=dataset-labels][value=binary]");
  // The same scan as unlabelled and test: the edge refuses it with the reason.
  await create.click();
  await page.getByRole("alert").filter({ hasText: /is used twice, as the unlabelled scan 1 and/ })
    .waitFor();
  await unlabelled(2).uncheck();
  await unlabelled(3).check();
  await create.click();
  const created = page.getByRole("status").filter({ hasText: "Created dataset" });
  const datasetId = (await created.innerText()).match(/\(([^()]+)\)\.$/)![1];
  const row = page.locator("[data-testid=dataset]", { hasText: "synthetic ellipsoids" });
  await row.locator("summary").click();
  const cases = await row.locator("[data-testid=dataset-cases] tbody tr").allInnerTexts();
  assert.deepEqual(cases.map((c) => c.replace(/\s+/g, " ").trim()), [
    `labelled ${ids[0]}_0000.nii.gz ${ids[0]}.nii.gz`,
    `labelled ${ids[1]}_0000.nii.gz ${ids[1]}.nii.gz`,
    `unlabelled ${ids[3]}_0000.nii.gz —`,
    `test ${ids[2]}_0000.nii.gz ${ids[2]}.nii.gz`,
  ]);
  await screenshot(page, "datasets");
  return datasetId;
}

/**
 * An nnU-Net / MSD folder through the folder picker: channel-0 (`_0000`) and MSD-named images,
 * labels that share the MSD image's name, a second channel and a macOS `._` file left aside; one
 * case moved to the test split, labels merged to foreground. Then the same folder as a .zip, and
 * a folder with one case in both imagesTr and imagesTs, refused before any upload.
 */
async function importFolder({ page, data, service, key }: Flow): Promise<void> {
  const root = `${data}/import/Task99_Synth`;
  const caseIds = await writeSyntheticDataset(root, { cases: 4, shape, seed: 11 });
  const msd = caseIds[3]; // MSD naming: the image is called exactly like its label
  await Deno.rename(`${root}/imagesTr/${msd}_0000.nii.gz`, `${root}/imagesTr/${msd}.nii.gz`);
  const first = `${root}/imagesTr/${caseIds[0]}`;
  await Deno.copyFile(`${first}_0000.nii.gz`, `${first}_0001.nii.gz`);
  await Deno.writeTextFile(`${root}/imagesTr/._${msd}.nii.gz`, "AppleDouble");
  await page.click("nav >> text=Datasets");
  await page.setInputFiles("#import-folder", root);
  const summary = page.locator("[data-testid=import-summary]");
  await summary.filter({ hasText: "4 cases: 4 labelled, 0 unlabelled, 0 test" }).waitFor();
  const rows = await page.locator("[data-testid=import-cases] tbody tr").allInnerTexts();
  assert.match(rows[3], new RegExp(`${msd}\\s+imagesTr/${msd}.nii.gz\\s+labelsTr/${msd}.nii.gz`));
  assert.match(await page.locator("details", { hasText: "not imported" }).innerText(), /^3 files/); // dataset.json, _0001, ._
  await page.selectOption(`[aria-label="Role of case ${msd}"]`, "test");
  await summary.filter({ hasText: "3 labelled, 0 unlabelled, 1 test" }).waitFor();
  await page.fill("#import-name", "imported folder");
  await page.check("input[name=import-labels][value=foreground]");
  await screenshot(page, "import");
  await page.click("button:has-text('Import 4 cases')");
  await page.getByRole("status").filter({
    hasText: /Created dataset “imported folder” \(ds_\w+\): 3 labelled, 0 unlabelled, 1 test\./,
  }).waitFor();
  const dataset = page.locator("[data-testid=dataset]", { hasText: "imported folder" });
  await dataset.locator("summary").click();
  const cases = await dataset.locator("[data-testid=dataset-cases] tbody tr").allInnerTexts();
  assert.equal(cases.length, 4);
  assert.match(cases[3], new RegExp(`test\\s+${msd}.nii.gz\\s+${msd}.nii.gz`));
  assert.match(await dataset.locator("summary").innerText(), /labels non-zero = structure/);

  // The same folder as a .zip (deflated entries, inflated in the page).
  const entries = [];
  for (const folder of ["imagesTr", "labelsTr"]) {
    for (const entry of Deno.readDirSync(`${root}/${folder}`)) {
      const bytes = await Deno.readFile(`${root}/${folder}/${entry.name}`);
      entries.push({ path: `Task99_Synth/${folder}/${entry.name}`, bytes, deflate: true });
    }
  }
  const zipPath = `${data}/import/Task99_Synth.zip`;
  await Deno.writeFile(zipPath, new Uint8Array(await (await makeZip(entries)).arrayBuffer()));
  await page.setInputFiles("#import-zip", zipPath);
  await summary.filter({ hasText: "4 cases: 4 labelled" }).waitFor();
  await page.fill("#import-name", "imported zip");
  await page.check("input[name=import-labels][value=binary]");
  await page.click("button:has-text('Import 4 cases')");
  await page.getByRole("status").filter({ hasText: /Created dataset “imported zip”.*4 labelled/ })
    .waitFor();

  // One case in both the training and the test folders: refused on the page, nothing uploaded.
  const leaky = `${data}/import/Leaky`;
  const [leakyCase] = await writeSyntheticDataset(leaky, { cases: 2, shape, seed: 12 });
  await Deno.mkdir(`${leaky}/imagesTs`);
  const leaked = `${leakyCase}_0000.nii.gz`;
  await Deno.copyFile(`${leaky}/imagesTr/${leaked}`, `${leaky}/imagesTs/${leaked}`);
  const scanCount = async (): Promise<number> =>
    (await (await api(service, key, "/v1/scans")).json()).scans.length;
  const before = await scanCount();
  await page.setInputFiles("#import-folder", leaky);
  await page.locator("[data-testid=import-problems]", {
    hasText: `case ${leakyCase} is in both the training and the test folders`,
  }).waitFor();
  assert.ok(await page.locator("[data-testid=import-form] button[type=submit]").isDisabled());
  assert.equal(await scanCount(), before);
}

/** A shipped set's 15 descriptors, then a new set generated by the (local) LLM. */
async function descriptorSets({ page, llm }: Flow): Promise<void> {
  await page.click("nav >> text=Descriptors");
  await page.click("a:text-is('hippocampus')");
  await page.locator("[data-testid=descriptors] li").nth(14).waitFor();
  assert.equal(await page.locator("[data-testid=descriptors] li").count(), 15);
  await page.fill("#gen-id", "hippocampus-t1");
  await page.fill("#gen-structure", "hippocampus");
  await page.fill("#gen-modality", "T1-weighted MRI");
  await page.click("button:has-text('Generate descriptors')");
  await page.getByRole("status").filter({ hasText: "Generated set “hippocampus-t1”" }).waitFor();
  assert.equal(llm.requests.length, 1);
  assert.match(JSON.stringify(llm.requests[0].body.messages), /T1-weighted MRI/);
  await page.locator("tr", { hasText: "hippocampus-t1" }).filter({ hasText: "yours" }).waitFor();
  await screenshot(page, "descriptors", false); // the whole page is two long lists
}

/** An endpoint for `job.completed` on the loopback receiver; its secret is shown once. */
async function addWebhook({ page, receiverUrl }: Flow): Promise<void> {
  await page.click("nav >> text=Webhooks");
  await page.fill("#webhook-url", receiverUrl);
  await page.check("label.check:has-text('job.completed') input");
  await page.click("button:has-text('Add endpoint')");
  await page.locator("code.secret", { hasText: "whsec_" }).waitFor();
  await page.locator("td", { hasText: "job.completed" }).waitFor();
}

/**
 * The smoke preset on the dataset with the shipped hippocampus descriptors, watched live; a second
 * run queued behind it (one worker) is cancelled from its page. Returns the loss chart's points.
 */
async function trainAndCancel({ page }: Flow): Promise<number> {
  await page.click("nav >> text=Training");
  await page.selectOption("#train-dataset", { label: "synthetic ellipsoids" });
  await page.selectOption("#train-preset", "smoke");
  await page.selectOption("#train-descriptors", "hippocampus");
  if (wantScreenshots) {
    await page.fill("#train-iterations", screenshotTraining.iterations);
    await page.fill("#train-width", screenshotTraining.width);
    await page.fill("#train-validate-every", screenshotTraining.validateEvery);
  }
  await page.click("button:has-text('Start training')");
  await page.waitForURL(/#\/train\/[\w-]+$/);
  const trainingUrl = page.url();
  const jobId = trainingUrl.split("/").at(-1)!;
  await page.locator(".status-line", { hasText: /ETA \d/ }).waitFor({ timeout: 120_000 });
  // While it runs, the job list shows the watched job's live percentage, not its 0 % at start.
  await page.waitForFunction(`(() => {
    const live = document.querySelector(".status-line progress + span")?.textContent;
    const row = document.querySelector('tr:has(a[href="#/train/${jobId}"]) [data-testid=job-progress]');
    return document.querySelector("[data-testid=job-status]")?.textContent === "running" &&
      live !== "0 %" && row?.textContent === live;
  })()`);
  await screenshot(page, "training-live");

  await page.click("nav >> text=Training");
  await page.click("button:has-text('Start training')");
  await page.waitForURL((url) => /#\/train\/[\w-]+$/.test(url.hash) && url.href !== trainingUrl);
  await page.click("button:has-text('Cancel job')");
  assert.equal(await finalStatus(page), "cancelled");

  await page.goto(trainingUrl);
  await page.getByRole("heading", { name: `Job ${jobId}` }).waitFor();
  assert.equal(await finalStatus(page), "completed", await page.locator("main").innerText());
  const loss = await page.locator("figure[data-series=loss] figcaption").innerText();
  const lossPoints = Number(loss.match(/^Loss:\s+\d+\.\d{4}\s+(\d+) points$/)?.[1]);
  assert.ok(lossPoints >= 1, loss);
  assert.equal(await page.locator("figure[data-series=loss] polyline").count(), 1);
  // The worker forwards the learning rate of every iteration.
  const lr = await page.locator("figure[data-series=lr] figcaption").innerText();
  assert.equal(Number(lr.match(/^Learning rate:\s+0\.\d{6}\s+(\d+) points$/)?.[1]), lossPoints, lr);
  // Dice is read against a fixed 0..1 axis, even when every pass scored 0.
  const diceAxis = await page.locator("figure[data-series=dice] text.tick").allTextContents();
  assert.deepEqual(diceAxis.slice(0, 2), ["1.00", "0.00"]);
  const dice = await page.locator("figure[data-series=dice] figcaption").innerText();
  const dicePoints = Number(dice.match(/^Validation Dice:\s+[01]\.\d{4}\s+(\d+) points$/)?.[1]);
  assert.ok(dicePoints >= 1, dice);
  // A sparse series' points are markers, so even a single validation pass shows.
  const markers = await page.locator("figure[data-series=dice] circle").count();
  assert.ok(markers >= 1 && markers <= dicePoints, `${markers} markers for ${dicePoints} points`);
  const row = page.locator(`tr:has(a[href="#/train/${jobId}"]) [data-testid=job-progress]`);
  assert.equal(await row.innerText(), "100 %");
  await page.locator("text=is ready").waitFor();
  await screenshot(page, "training");
  return lossPoints;
}

/** The model names its dataset and descriptors; one live loss point per recorded iteration. */
async function checkModel({ page }: Flow, datasetId: string, lossPoints: number): Promise<void> {
  await page.click("nav >> text=Models");
  await page.locator("td", { hasText: "v1" }).waitFor();
  const row = await page.locator("tbody tr").first().innerText();
  assert.equal(Number(row.match(/iterations: (\d+)/)?.[1]), lossPoints, row);
  assert.match(row, /descriptors: hippocampus/);
  assert.ok(row.includes(datasetId), `the lineage names dataset ${datasetId}: ${row}`);
  await screenshot(page, "models");
}

/** The training's `job.completed` reached the receiver, signed, and shows as delivered. */
async function checkDelivery({ page, received }: Flow): Promise<void> {
  await page.click("nav >> text=Webhooks");
  await page.click("a:has-text('Deliveries')");
  const delivered = page.locator("tr", { hasText: "job.completed" }).filter({
    hasText: "delivered",
  });
  for (let tries = 0; !(await delivered.count()) && tries < 60; tries++) {
    await page.waitForTimeout(500);
    await page.click("button:has-text('Refresh')");
  }
  await delivered.first().waitFor();
  assert.match(received[0]?.get("webhook-signature") ?? "", /^v1,/);
  await screenshot(page, "webhooks");
}

/**
 * Segments the test scan with its label for metrics; the overlay shows the mask's colour, the
 * slice slider redraws, and the downloaded mask is a binary NIfTI of the scan's shape.
 */
async function inferViewDownload({ page, ids }: Flow): Promise<void> {
  await page.click("nav >> text=Inference");
  await chooseScan(page, "#infer-scan", `${ids[2]}_0000.nii.gz`);
  await chooseScan(page, "#infer-label", `${ids[2]}.nii.gz`);
  // The uncertainty map is an extra, asked for; its overlay starts hidden all the same.
  const wantUncertainty = page.getByLabel(/Also compute the uncertainty map/);
  assert.equal(await wantUncertainty.isChecked(), false);
  await wantUncertainty.check();
  await page.click("button:has-text('Run inference')");
  await page.waitForURL(/#\/infer\/[\w-]+\/[\w-]+$/);
  assert.equal(await finalStatus(page), "completed", await page.locator("main").innerText());
  const canvas = page.locator("[data-testid=viewer-canvas][data-ready=true]");
  await canvas.waitFor({ timeout: 30_000 });
  await page.waitForTimeout(300); // one more animation frame after the last draw
  await screenshot(page, "inference");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("button:has-text('Download mask.nii.gz')"),
  ]);
  const mask = await decodeVolume(await Deno.readFile((await download.path())!), "mask.nii.gz");
  assert.deepEqual(mask.shape, shape);
  const voxels = Array.from(mask.data);
  const foreground = voxels.filter((v) => v !== 0).length;
  assert.ok(voxels.every((v) => v === 0 || v === 1), "the mask is binary");

  // The crosshair sits on a mask voxel, so all three planes cut a non-empty mask. The uncertainty
  // map and the label start hidden; with the mask opaque (set by keyboard) it is plain red.
  const lit = await countPixels(page, await canvas.screenshot(), "r + g + b > 150");
  assert.ok(lit > 5000, `the scan is drawn (${lit} bright pixels)`);
  assert.equal(await page.isChecked("#show-uncertainty"), false);
  assert.equal(await page.isChecked("#show-label"), false);
  assert.doesNotMatch(await page.locator(".legend").innerText(), /uncertainty|label/);
  await page.focus("#mask-opacity");
  await page.keyboard.press("End");
  await page.locator("label[for=mask-opacity]", { hasText: "100 %" }).waitFor();
  await page.waitForTimeout(300);
  const png = await canvas.screenshot();
  const red = await countPixels(page, png, maskRed);
  if (foreground > 0) assert.ok(red > 50, `mask overlay visible (${red} red pixels)`);
  else assert.ok(red < 20, `empty mask draws no red (${red} red pixels)`);

  const axial = page.locator("label[for=slice-2]");
  const before = await axial.innerText();
  await page.focus("#slice-2");
  for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowLeft");
  assert.notEqual(await axial.innerText(), before);
  assert.notDeepEqual(await canvas.screenshot(), png);

  // Switched on, the uncertainty map gets its legend and opacity slider.
  await page.check("#show-uncertainty");
  await page.locator("#uncertainty-opacity").waitFor();
  assert.match(await page.locator(".legend").innerText(), /uncertainty/);
  // The label overlay has a legend entry but a fixed opacity (no slider), and goes away again.
  await page.check("#show-label");
  await page.locator(".legend", { hasText: "label" }).waitFor();
  assert.equal(await page.locator("#label-opacity").count(), 0);
  await page.uncheck("#show-label");
  await page.locator(".legend", { hasText: "label" }).waitFor({ state: "detached" });

  const metrics = await page.locator("[data-testid=metrics]").innerText();
  const dice = Number(metrics.match(/Dice\s+([\d.]+)/)?.[1]);
  assert.ok(dice >= 0 && dice <= 1, metrics);
  // The README's screenshots show a model that found the structure.
  if (wantScreenshots) assert.ok(dice > 0.7, metrics);
}

/**
 * A long run cancelled while it runs: the badge says "cancelling" at once (recorded by a
 * MutationObserver, since the worker stops within an iteration and "cancelled" follows fast).
 */
async function cancelRunning({ page }: Flow): Promise<void> {
  await page.click("nav >> text=Training");
  await page.selectOption("#train-preset", "smoke");
  await page.fill("#train-iterations", "20000");
  await page.click("button:has-text('Start training')");
  await page.waitForURL(/#\/train\/[\w-]+$/);
  const badge = page.locator("[data-testid=job-status]");
  await badge.filter({ hasText: /^running$/ }).waitFor({ timeout: 120_000 });
  await page.evaluate(`(() => {
    window.seenStatus = [];
    const note = () => window.seenStatus.push({
      text: document.querySelector("[data-testid=job-status]")?.textContent,
      at: performance.now(),
    });
    new MutationObserver(note).observe(document.querySelector("main"), {
      subtree: true, childList: true, characterData: true,
    });
    document.querySelector("button.danger").addEventListener("click", () => {
      window.clickedAt = performance.now();
    }, { capture: true });
  })()`);
  await page.click("button:has-text('Cancel job')");
  assert.equal(await finalStatus(page), "cancelled");
  const seen = await page.evaluate<{ text: string; at: number }[]>("window.seenStatus");
  const clickedAt = await page.evaluate<number>("window.clickedAt");
  const cancelling = seen.find((s) => s.text === "cancelling");
  assert.ok(cancelling, `statuses seen: ${seen.map((s) => s.text).join(", ")}`);
  assert.ok(cancelling.at - clickedAt < 500, `"cancelling" after ${cancelling.at - clickedAt} ms`);
  assert.ok(
    seen.findIndex((s) => s.text === "cancelling") < seen.findIndex((s) => s.text === "cancelled"),
  );
}

/** A mistyped job id, another tenant's job and an unknown page: "Not found", nothing else. */
async function notFoundPages({ page, base, service }: Flow): Promise<void> {
  const notFound = page.locator("[data-testid=not-found]");
  await page.goto(`${base}/#/train/job_missing`);
  await notFound.filter({ hasText: "There is no training job job_missing here." }).waitFor();
  assert.equal(await page.locator("[data-testid=job-status]").count(), 0);
  assert.equal(await page.locator("button:has-text('Cancel job')").count(), 0);
  const other = await createTenant(service);
  const foreign = await (await api(service, other.key, "/v1/jobs", {
    method: "POST",
    json: { kind: "train", preset: "smoke" },
  })).json();
  await api(service, other.key, `/v1/jobs/${foreign.id}/cancel`, { method: "POST" });
  for (const kind of ["train", "infer"]) {
    await page.goto(`${base}/#/${kind}/${foreign.id}`);
    await notFound.filter({ hasText: foreign.id }).waitFor();
    assert.equal(await page.locator("[data-testid=job-status]").count(), 0);
    assert.equal(await page.locator("button:has-text('Cancel job')").count(), 0);
  }
  await screenshot(page, "not-found", false);
  await page.goto(`${base}/#/nowhere`);
  await notFound.filter({ hasText: "There is no page #/nowhere here." }).waitFor();
}

/** The inference just run is listed with its scan's name and reopens from the list. */
async function inferHistory({ page, ids }: Flow): Promise<void> {
  await page.click("nav >> text=Inference");
  const row = page.locator("[data-testid=infer-history] tbody tr", {
    hasText: `${ids[2]}_0000.nii.gz`,
  });
  await row.filter({ hasText: "completed" }).waitFor();
  await row.locator("a").click();
  await page.locator("[data-testid=viewer-canvas][data-ready=true]").waitFor({ timeout: 30_000 });
}

/** Every page at 390 px: no sideways scroll of the page itself, the navigation all there. */
async function phoneWidth({ page }: Flow): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  const pageWidth = (): Promise<number> =>
    page.evaluate<number>("document.documentElement.scrollWidth");
  // The inference result, with the viewer's planes stacked.
  await page.reload();
  await page.locator("[data-testid=viewer-canvas][data-ready=true]").waitFor({ timeout: 30_000 });
  await page.waitForTimeout(300);
  assert.ok(await pageWidth() <= 390, `the inference result is ${await pageWidth()} px wide`);
  await screenshot(page, "phone-inference");
  const pages = ["Scans", "Datasets", "Descriptors", "Training", "Inference", "Models", "Webhooks"];
  for (const name of pages) {
    await page.click(`nav >> text=${name}`);
    await page.locator("main h1", { hasText: name === "Descriptors" ? "Descriptor sets" : name })
      .waitFor();
    await page.waitForFunction(
      "!document.querySelector('main [role=status]')?.textContent?.startsWith('Loading')",
    );
    const width = await pageWidth();
    assert.ok(width <= 390, `${name} is ${width} px wide at 390`);
    if (name === "Datasets" || name === "Scans" || name === "Training") {
      await screenshot(page, `phone-${name.toLowerCase()}`);
    }
  }
  await page.click("nav >> text=Training");
  await page.click("tbody tr a[href^='#/train/']");
  await page.locator("figure[data-series=dice]").waitFor();
  assert.ok(await pageWidth() <= 390, `a training job is ${await pageWidth()} px wide`);
  await screenshot(page, "phone-training-job");
  await page.setViewportSize({ width: 1366, height: 768 });
}

/** Text of every upload row once none is still uploading. */
async function finishedUploads(page: Page, count: number): Promise<string[]> {
  await page.waitForFunction(
    `document.querySelectorAll(".uploads li").length === ${count} &&
     !document.querySelector(".uploads li[data-state=uploading]")`,
    null,
    { timeout: 30_000 },
  );
  return await page.locator(".uploads li").allInnerTexts();
}

/** Waits until the job page shows a final status, and returns it. */
async function finalStatus(page: Page): Promise<string> {
  const badge = page.locator("[data-testid=job-status]");
  await badge.filter({ hasText: /^(completed|failed|cancelled)$/ }).waitFor({
    timeout: wantScreenshots ? 600_000 : 180_000,
  });
  return await badge.innerText();
}

/** Drops `path` on the upload zone as a real `drop` event with a DataTransfer holding the file. */
async function dropFile(page: Page, path: string): Promise<void> {
  const name = path.split("/").at(-1)!;
  const base64 = btoa(
    Array.from(await Deno.readFile(path), (b) => String.fromCharCode(b)).join(""),
  );
  const transfer = await page.evaluateHandle(`(() => {
    const bytes = Uint8Array.from(atob("${base64}"), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "${name}"));
    return transfer;
  })()`);
  await page.dispatchEvent("[data-testid=dropzone]", "drop", { dataTransfer: transfer });
}
