import assert from "node:assert/strict";
import {
  api,
  createTenant,
  readEvents,
  spawnWorker,
  startService,
  tinyNifti,
  tinyTraining,
  upload,
} from "./harness.ts";

Deno.test({
  name: "train on an uploaded dataset, then evaluate the model on its test pairs",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const service = await startService();
    const worker = spawnWorker(service);
    try {
      const { key } = await createTenant(service);
      const shape: [number, number, number] = [20, 20, 20];
      // Each image differs (a file uploaded twice into two places is refused as a leak).
      let phase = 0;
      const scan = async (name: string, label: boolean) =>
        (await (await upload(service, key, name, tinyNifti(shape, label, phase++))).json())
          .id as string;
      const pair = async (i: number) => ({
        image: await scan(`img${i}.nii.gz`, false),
        label: await scan(`lbl${i}.nii.gz`, true),
      });
      const dataset = await (await api(service, key, "/v1/datasets", {
        method: "POST",
        json: {
          name: "synthetic",
          labelled: [await pair(0), await pair(1)],
          unlabelled: [await scan("u0.nii.gz", false), await scan("u1.nii.gz", false)],
          test: [await pair(2)],
        },
      })).json();
      assert.ok(dataset.id, JSON.stringify(dataset));

      const train = await (await api(service, key, "/v1/jobs", {
        method: "POST",
        json: {
          kind: "train",
          preset: "smoke",
          datasetId: dataset.id,
          overrides: { ...tinyTraining, maxIterations: 2 },
        },
      })).json();
      const trained = await readEvents(service, key, train.id);
      assert.equal(JSON.parse(trained.at(-1)!.data).status, "completed", worker.log());
      const { modelId } = await (await api(service, key, `/v1/jobs/${train.id}`)).json();
      const model = await (await api(service, key, `/v1/models/${modelId}`)).json();
      assert.equal(model.lineage.datasetId, dataset.id);
      assert.equal(model.version, 1);

      const evaluate = await (await api(service, key, "/v1/jobs", {
        method: "POST",
        json: { kind: "evaluate", modelId, datasetId: dataset.id },
      })).json();
      const evaluated = await readEvents(service, key, evaluate.id);
      assert.equal(JSON.parse(evaluated.at(-1)!.data).status, "completed", worker.log());
      const report = await (await api(service, key, `/v1/jobs/${evaluate.id}/results/metrics`))
        .json();
      assert.equal(report.cases.length, 1);
      const { dice, jaccard, hd95, asd } = report.cases[0].metrics;
      for (const value of [dice, jaccard, hd95, asd]) {
        assert.ok(Number.isFinite(value) && value >= 0);
      }
      assert.ok(dice <= 1 && jaccard <= dice + 1e-12);
    } catch (error) {
      console.error(`worker log:\n${worker.log()}`);
      throw error;
    } finally {
      await worker.stop();
      await service.close();
    }
  },
});
