/**
 * The web client end to end in headless Chromium against the real edge (in-process Hono over
 * real HTTP), a real redis-server and the real worker process (`gpu-worker/worker/main.ts`): sign in, upload (good and bad files, by file picker and by
 * drag and drop), build a dataset, add a webhook endpoint, start a `smoke` training run and watch
 * it, run inference, check that the NiiVue overlay shows mask- and label-coloured pixels, and
 * download the mask.
 *
 * Set `LLMSEG_SCREENSHOTS=1` to (re)write the page screenshots in docs/screenshots/.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { buildWeb } from "../../edge/web/build.ts";
import { writeSyntheticDataset } from "../../shared/dataset/synthetic.ts";
import { loadDescriptorSet } from "../../shared/knowledge/descriptor_set.ts";
import { startFakeOpenAI } from "../../shared/knowledge/testing/fake_openai.ts";
import { decodeVolume } from "../../shared/volume/mod.ts";
import { createTenant, spawnWorker, startService } from "../service/harness.ts";
import { countPixels, haveChromium, launchChromium, maskRed } from "./browser.ts";

const shape: [number, number, number] = [24, 24, 20];
const screenshotDir = new URL("../../docs/screenshots/", import.meta.url);
const wantScreenshots = Deno.env.get("LLMSEG_SCREENSHOTS") === "1";

async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  if (!wantScreenshots) return;
  await Deno.mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, screenshotDir).pathname, fullPage });
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

Deno.test({
  name: "web client: upload, dataset, training, inference with overlay, download in Chromium",
  ignore: !haveChromium(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await buildWeb();
    // The LLM is a local server speaking the OpenAI protocol; it answers with a valid set.
    const shipped = await loadDescriptorSet("hippocampus");
    const llm = startFakeOpenAI([{ json: { descriptors: shipped.descriptors } }]);
    // A webhook receiver on loopback (the test service allows loopback targets).
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
      const ids = await writeSyntheticDataset(data, { cases: 3, shape, seed: 7 });
      const image = (i: number): string => `${data}/imagesTr/${ids[i]}_0000.nii.gz`;
      const label = (i: number): string => `${data}/labelsTr/${ids[i]}.nii.gz`;
      const context = await browser.newContext({
        viewport: { width: 1366, height: 768 },
        acceptDownloads: true,
      });
      // Generous waits: CI runs this beside other tests on two cores.
      context.setDefaultTimeout(60_000);
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));

      // Sign in, keyboard only: the key field has focus; a wrong key is refused with a message.
      await page.goto(service.base);
      await page.keyboard.type("lsk_wrong");
      await page.keyboard.press("Enter");
      await page.getByRole("alert").filter({ hasText: "Sign-in failed" }).waitFor();
      await screenshot(page, "signin");
      await page.fill("#api-key", key);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Scans", exact: true }).waitFor();
      // Keyboard: the first stop is the skip link, which moves focus to the page's content.
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate("document.activeElement.textContent"), "Skip to content");
      await page.keyboard.press("Enter");
      assert.equal(await page.evaluate("document.activeElement.id"), "main");

      // Uploads: five good files and two bad ones by the file picker, one good file dropped.
      const truncated = `${data}/broken.nii.gz`;
      const bytes = await Deno.readFile(image(0));
      await Deno.writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
      const notes = `${data}/notes.txt`;
      await Deno.writeTextFile(notes, "not a scan");
      await page.setInputFiles("#scan-files", [
        image(0),
        label(0),
        image(1),
        label(1),
        image(2),
        truncated,
        notes,
      ]);
      const rows = await finishedUploads(page, 7);
      assert.equal(rows.filter((r) => r.includes("done")).length, 5, rows.join("\n"));
      assert.match(rows.find((r) => r.startsWith("notes.txt"))!, /not a scan file/);
      assert.match(
        rows.find((r) => r.startsWith("broken.nii.gz"))!,
        /failed[\s\S]*broken\.nii\.gz: /,
      );
      await dropFile(page, label(2));
      const all = await finishedUploads(page, 8);
      assert.match(
        all[7],
        new RegExp(`${ids[2]}\\.nii\\.gz[\\s\\S]*done[\\s\\S]*${shape.join(" × ")} voxels`),
      );
      await page.locator("table tbody tr").nth(5).waitFor();
      assert.equal(await page.locator("table tbody tr").count(), 6);
      await screenshot(page, "scans");

      // Dataset: two labelled pairs, one unlabelled scan, one test pair.
      await page.click("nav >> text=Datasets");
      await page.fill("#dataset-name", "synthetic ellipsoids");
      await page.selectOption("#labelled-image-0", { label: `${ids[0]}_0000.nii.gz` });
      await page.selectOption("#labelled-label-0", { label: `${ids[0]}.nii.gz` });
      await page.click("text=Add labelled pair");
      await page.selectOption("#labelled-image-1", { label: `${ids[1]}_0000.nii.gz` });
      await page.selectOption("#labelled-label-1", { label: `${ids[1]}.nii.gz` });
      await page.check(`label.check:has-text("${ids[2]}_0000.nii.gz") input`);
      await page.click("text=Add test pair");
      await page.selectOption("#test-image-0", { label: `${ids[2]}_0000.nii.gz` });
      await page.selectOption("#test-label-0", { label: `${ids[2]}.nii.gz` });
      await page.click("button:has-text('Create dataset')");
      const created = page.getByRole("status").filter({ hasText: "Created dataset" });
      const datasetId = (await created.innerText()).match(/\(([^()]+)\)\.$/)![1];
      await page.locator("td", { hasText: "synthetic ellipsoids" }).waitFor();
      await screenshot(page, "datasets");

      // Descriptors: a shipped set's descriptors, then a new set generated by the LLM.
      await page.click("nav >> text=Descriptors");
      await page.click("a:text-is('hippocampus')");
      await page.locator("[data-testid=descriptors] li").nth(14).waitFor();
      assert.equal(await page.locator("[data-testid=descriptors] li").count(), 15);
      await page.fill("#gen-id", "hippocampus-t1");
      await page.fill("#gen-structure", "hippocampus");
      await page.fill("#gen-modality", "T1-weighted MRI");
      await page.click("button:has-text('Generate descriptors')");
      await page.getByRole("status").filter({ hasText: "Generated set “hippocampus-t1”" })
        .waitFor();
      assert.equal(llm.requests.length, 1);
      assert.match(JSON.stringify(llm.requests[0].body.messages), /T1-weighted MRI/);
      await page.locator("tr", { hasText: "hippocampus-t1" }).filter({ hasText: "yours" })
        .waitFor();
      await screenshot(page, "descriptors", false); // the whole page is two long lists

      // Webhooks: an endpoint; its secret is shown once.
      await page.click("nav >> text=Webhooks");
      await page.fill("#webhook-url", `http://127.0.0.1:${receiver.addr.port}/hooks`);
      await page.check("label.check:has-text('job.completed') input");
      await page.click("button:has-text('Add endpoint')");
      await page.locator("code.secret", { hasText: "whsec_" }).waitFor();
      await page.locator("td", { hasText: "job.completed" }).waitFor();

      // Training: the smoke preset; the job page follows the event stream live.
      await page.click("nav >> text=Training");
      await page.selectOption("#train-dataset", { label: "synthetic ellipsoids" });
      await page.selectOption("#train-preset", "smoke");
      await page.selectOption("#train-descriptors", "hippocampus"); // text knowledge on
      await page.click("button:has-text('Start training')");
      await page.waitForURL(/#\/train\/[\w-]+$/);
      const trainingUrl = page.url();
      // While it runs, the page shows progress and an ETA from the live event stream.
      await page.locator(".status-line", { hasText: /ETA \d/ }).waitFor({ timeout: 120_000 });
      await screenshot(page, "training-live");
      // A second run waits in the queue behind the first (one worker): cancel it from its page.
      await page.click("nav >> text=Training");
      await page.click("button:has-text('Start training')");
      await page.waitForURL((url) =>
        /#\/train\/[\w-]+$/.test(url.hash) && url.href !== trainingUrl
      );
      await page.click("button:has-text('Cancel job')");
      assert.equal(await finalStatus(page), "cancelled");
      await page.goto(trainingUrl);
      await page.getByRole("heading", { name: `Job ${trainingUrl.split("/").at(-1)}` }).waitFor();
      assert.equal(await finalStatus(page), "completed", await page.locator("main").innerText());
      // The charts were drawn from the live event stream: one loss point per iteration so far.
      const loss = await page.locator("figure[data-series=loss] figcaption").innerText();
      const lossPoints = Number(loss.match(/^Loss:\s+\d+\.\d{4}\s+(\d+) points$/)?.[1]);
      assert.ok(lossPoints >= 1, loss);
      assert.equal(await page.locator("figure[data-series=loss] polyline").count(), 1);
      const dice = await page.locator("figure[data-series=dice] figcaption").innerText();
      assert.match(dice, /^Validation Dice:\s+[01]\.\d{4}\s+[1-9]\d* points$/);
      await page.locator("text=is ready").waitFor();
      await screenshot(page, "training");

      await page.click("nav >> text=Models");
      await page.locator("td", { hasText: "v1" }).waitFor();
      // The live chart had exactly one loss point per iteration the model records.
      const modelRow = await page.locator("tbody tr").first().innerText();
      assert.equal(Number(modelRow.match(/iterations: (\d+)/)?.[1]), lossPoints, modelRow);
      assert.match(modelRow, /descriptors: hippocampus/);
      assert.ok(
        modelRow.includes(datasetId),
        `the lineage names dataset ${datasetId}: ${modelRow}`,
      );
      await screenshot(page, "models");

      // The training's job.completed event reached the receiver, signed, and is in the log.
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

      // Inference on the test scan, with its label for metrics.
      await page.click("nav >> text=Inference");
      await page.selectOption("#infer-scan", { label: `${ids[2]}_0000.nii.gz` });
      await page.selectOption("#infer-label", { label: `${ids[2]}.nii.gz` });
      await page.click("button:has-text('Run inference')");
      await page.waitForURL(/#\/infer\/[\w-]+\/[\w-]+$/);
      assert.equal(await finalStatus(page), "completed", await page.locator("main").innerText());
      const canvas = page.locator("[data-testid=viewer-canvas][data-ready=true]");
      await canvas.waitFor({ timeout: 30_000 });
      await page.waitForTimeout(300); // one more animation frame after the last draw
      await screenshot(page, "inference");

      // Download the mask: a NIfTI with the scan's shape, values in {0, 1}.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click("button:has-text('Download mask.nii.gz')"),
      ]);
      const maskBytes = await Deno.readFile((await download.path())!);
      const mask = await decodeVolume(maskBytes, "mask.nii.gz");
      assert.deepEqual(mask.shape, shape);
      const voxels = Array.from(mask.data);
      const foreground = voxels.filter((v) => v !== 0).length;
      assert.ok(voxels.every((v) => v === 0 || v === 1), "the mask is binary");

      // The overlay: the crosshair sits on a mask voxel, so all three planes cut a non-empty mask.
      // With the uncertainty map hidden and the mask opaque (set by keyboard), the mask is plain
      // red under the translucent label.
      const lit = await countPixels(page, await canvas.screenshot(), "r + g + b > 150");
      assert.ok(lit > 5000, `the scan is drawn (${lit} bright pixels)`);
      await page.focus("#uncertainty-opacity");
      await page.keyboard.press("Home");
      await page.focus("#mask-opacity");
      await page.keyboard.press("End");
      await page.locator("label[for=mask-opacity]", { hasText: "100 %" }).waitFor();
      await page.waitForTimeout(300);
      const png = await canvas.screenshot();
      const red = await countPixels(page, png, maskRed);
      if (foreground > 0) assert.ok(red > 50, `mask overlay visible (${red} red pixels)`);
      else assert.ok(red < 20, `empty mask draws no red (${red} red pixels)`);
      // Slice control by keyboard: the axial slider moves the crosshair and redraws.
      const axial = page.locator("label[for=slice-2]");
      const before = await axial.innerText();
      await page.focus("#slice-2");
      for (let i = 0; i < 10; i++) await page.keyboard.press("ArrowLeft");
      assert.notEqual(await axial.innerText(), before);
      assert.notDeepEqual(await canvas.screenshot(), png);
      const metrics = await page.locator("[data-testid=metrics]").innerText();
      const overlapDice = Number(metrics.match(/Dice\s+([\d.]+)/)?.[1]);
      assert.ok(overlapDice >= 0 && overlapDice <= 1, metrics);
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

/** Waits until the job page shows a final status, and returns it. */
async function finalStatus(page: Page): Promise<string> {
  const badge = page.locator("[data-testid=job-status]");
  await badge.filter({ hasText: /^(completed|failed|cancelled)$/ }).waitFor({ timeout: 180_000 });
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
