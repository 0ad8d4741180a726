import assert from "node:assert/strict";
import {
  api,
  createTenant,
  finalStatus,
  getJob,
  readEvents,
  submitJob,
  tinyNifti,
  tinyTrain,
  uploadScan,
  withServiceAndWorker,
} from "./harness.ts";

Deno.test({
  name: "train on an uploaded dataset, then evaluate the model on its test pairs",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServiceAndWorker(async (service, worker) => {
      const { key } = await createTenant(service);
      const shape: [number, number, number] = [20, 20, 20];
      // Each image differs (a file uploaded twice into two places is refused as a leak).
      let phase = 0;
      const scan = async (name: string, label: boolean): Promise<string> =>
        (await uploadScan(service, key, name, tinyNifti(shape, label, phase++))).id;
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

      const train = await submitJob(service, key, tinyTrain(2, { datasetId: dataset.id }));
      const trained = await readEvents(service, key, train.id);
      assert.equal(finalStatus(trained), "completed", worker.log());
      const { modelId } = await getJob(service, key, train.id);
      const model = await (await api(service, key, `/v1/models/${modelId}`)).json();
      assert.equal(model.lineage.datasetId, dataset.id);
      assert.equal(model.version, 1);

      const evaluate = await submitJob(service, key, {
        kind: "evaluate",
        modelId: modelId!,
        datasetId: dataset.id,
      });
      const evaluated = await readEvents(service, key, evaluate.id);
      assert.equal(finalStatus(evaluated), "completed", worker.log());
      const report = await (await api(service, key, `/v1/jobs/${evaluate.id}/results/metrics`))
        .json();
      assert.equal(report.cases.length, 1);
      const { dice, jaccard, hd95, asd } = report.cases[0].metrics;
      for (const value of [dice, jaccard, hd95, asd]) {
        assert.ok(Number.isFinite(value) && value >= 0);
      }
      assert.ok(dice <= 1 && jaccard <= dice + 1e-12);
    }),
});
