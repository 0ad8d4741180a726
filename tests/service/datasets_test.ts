/**
 * Datasets refuse what would train or test on the wrong thing, with the reason: a scan in the
 * other role than it was uploaded as (image and label swapped), one scan in two places, one file
 * uploaded twice into two splits, and labels that do not fit the chosen label handling.
 */
import assert from "node:assert/strict";
import { encodeNifti } from "../../shared/volume/mod.ts";
import { spacingAffine } from "../../shared/volume/affine.ts";
import { api, createTenant, type Service, startService, tinyNifti } from "./harness.ts";

const shape: [number, number, number] = [12, 10, 8];

/** A label of classes 0, 1 and 2 (MSD hippocampus: anterior and posterior). */
function threeClassLabel(): Uint8Array {
  const n = shape[0] * shape[1] * shape[2];
  const data = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const spacing: [number, number, number] = [1.5, 1, 2];
  return encodeNifti({ shape, channels: 1, data, spacing, affine: spacingAffine(spacing) });
}

async function uploadAs(
  service: Service,
  key: string,
  name: string,
  bytes: Uint8Array,
  role?: string,
): Promise<Response> {
  const query = `name=${encodeURIComponent(name)}${role ? `&role=${role}` : ""}`;
  return await api(service, key, `/v1/scans?${query}`, {
    method: "POST",
    body: bytes as Uint8Array<ArrayBuffer>,
    headers: { "content-type": "application/octet-stream" },
  });
}

Deno.test("datasets: swapped, overlapping and leaky splits and unfit labels are refused", async () => {
  const service = await startService();
  try {
    const { key } = await createTenant(service);
    const scan = async (name: string, bytes: Uint8Array, role?: string): Promise<string> => {
      const res = await uploadAs(service, key, name, bytes, role);
      assert.equal(res.status, 201, await res.clone().text());
      return (await res.json()).id;
    };
    // MSD names an image and its label alike; the role tells them apart.
    const img1 = await scan("case_001.nii.gz", tinyNifti(shape, false, 1), "image");
    const lbl1 = await scan("case_001.nii.gz", tinyNifti(shape, true), "label");
    const img2 = await scan("case_002.nii.gz", tinyNifti(shape, false, 2), "image");
    const lbl2 = await scan("case_002.nii.gz", tinyNifti(shape, true), "label");
    const img1Again = await scan("copy_of_001.nii.gz", tinyNifti(shape, false, 1), "image");
    const classes = await scan("case_003.nii.gz", threeClassLabel(), "label");
    const listed = (await (await api(service, key, "/v1/scans")).json()).scans;
    assert.deepEqual(listed.map((s: { role: string }) => s.role).slice(0, 2), ["image", "label"]);
    assert.match(listed[0].sha256, /^[0-9a-f]{64}$/);

    const refused = async (body: Record<string, unknown>, reason: RegExp): Promise<void> => {
      const res = await api(service, key, "/v1/datasets", {
        method: "POST",
        json: { name: "x", ...body },
      });
      const text = await res.text();
      assert.equal(res.status, 422, text);
      assert.equal(JSON.parse(text).error.code, "invalid_dataset");
      assert.match(JSON.parse(text).error.message, reason);
    };
    await refused(
      { labelled: [{ image: lbl1, label: img1 }] },
      new RegExp(
        `scan ${lbl1} \\(case_001.nii.gz\\) was uploaded as a label but is the ` +
          "labelled pair 1 image; are the image and the label swapped",
      ),
    );
    await refused(
      { labelled: [{ image: img1, label: img1 }] },
      /uploaded as an image but is the labelled pair 1 label/,
    );
    await refused(
      { labelled: [{ image: img1, label: lbl1 }], unlabelled: [img1] },
      new RegExp(
        `scan ${img1} \\(case_001.nii.gz\\) is used twice, as the labelled pair 1 ` +
          "image and as the unlabelled scan 1",
      ),
    );
    await refused(
      { labelled: [{ image: img1, label: lbl1 }], test: [{ image: img1, label: lbl1 }] },
      /used twice, as the labelled pair 1 image and as the test pair 1 image/,
    );
    await refused(
      { labelled: [{ image: img1, label: lbl1 }], test: [{ image: img1Again, label: lbl2 }] },
      new RegExp(
        `scan ${img1} \\(case_001.nii.gz\\) and scan ${img1Again} ` +
          "\\(copy_of_001.nii.gz\\) are the same file, used as the labelled pair 1 image and the " +
          "test pair 1 image; a case in two places leaks",
      ),
    );
    // Labels 0, 1, 2: refused as binary with the values and the choices; accepted explicitly.
    await refused(
      { labelled: [{ image: img2, label: classes }] },
      /holds the values 0, 1, 2, but a binary label holds only 0 and 1; choose labels 'foreground'/,
    );
    const merged = await api(service, key, "/v1/datasets", {
      method: "POST",
      json: {
        name: "merged",
        labelled: [{ image: img2, label: classes }],
        test: [{ image: img1, label: lbl1 }],
        labels: "foreground",
      },
    });
    assert.equal(merged.status, 201, await merged.clone().text());
    const dataset = await merged.json();
    assert.equal(dataset.labels, "foreground");
    assert.deepEqual(dataset.labelValues, [0, 1, 2]);
    // Identical (blank-like) labels of two cases are fine: only images name a case.
    const twoCases = await api(service, key, "/v1/datasets", {
      method: "POST",
      json: { name: "ok", labelled: [{ image: img1, label: lbl1 }, { image: img2, label: lbl2 }] },
    });
    assert.equal(twoCases.status, 201, await twoCases.text());

    const badRole = await uploadAs(service, key, "x.nii.gz", tinyNifti(shape), "mask");
    assert.equal(badRole.status, 400);
    assert.match((await badRole.json()).error.message, /role 'mask': expected 'image' or 'label'/);
  } finally {
    await service.close();
  }
});
