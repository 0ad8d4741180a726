/** Scans: drag-and-drop upload of several files with progress, then the tenant's scan list. */
import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import type { PublicScan as Scan, ScanRole } from "../../../../shared/contracts/scans.ts";
import type { Api } from "../api.ts";
import { ErrorNote, formatBytes, formatTime, Loaded, Section } from "../components.tsx";
import { useAsync } from "../hooks.ts";
import { scanExtensions, scanFileProblem } from "../upload_check.ts";

interface UploadRow {
  name: string;
  sent: number;
  total: number;
  state: "uploading" | "done" | "failed";
  message?: string;
}

export function ScansPage(props: { api: Api }): JSX.Element {
  const { api } = props;
  const scans = useAsync(() => api.listScans(), [api]);
  const [rows, setRows] = useState<UploadRow[]>([]);
  const [dragging, setDragging] = useState(false);
  // Said once per batch: an MSD image and its label share a file name, so the name cannot tell.
  const [role, setRole] = useState<ScanRole>("image");
  const input = useRef<HTMLInputElement>(null);

  const update = (index: number, patch: Partial<UploadRow>): void =>
    setRows((all) => all.map((row, i) => (i === index ? { ...row, ...patch } : row)));

  const upload = (files: File[]): void => {
    const start = rows.length;
    setRows((all) => [
      ...all,
      ...files.map((f) => ({ name: f.name, sent: 0, total: f.size, state: "uploading" as const })),
    ]);
    files.forEach(async (file, i) => {
      const problem = scanFileProblem(file.name, file.size);
      if (problem) return update(start + i, { state: "failed", message: problem });
      try {
        const scan = await api.uploadScan(
          file,
          role,
          (sent, total) => update(start + i, { sent, total }),
        );
        update(start + i, {
          state: "done",
          sent: file.size,
          message: `${scan.role}, ${scan.shape.join(" × ")} voxels, ${scan.datatype}`,
        });
        scans.reload();
      } catch (error) {
        const message = (error as Error).message;
        // The edge's messages already name the file; the page's own (network) ones do not.
        update(start + i, {
          state: "failed",
          message: message.startsWith(file.name) ? message : `${file.name}: ${message}`,
        });
      }
    });
  };

  const onDrop = (e: DragEvent): void => {
    e.preventDefault();
    setDragging(false);
    upload([...(e.dataTransfer?.files ?? [])]);
  };

  return (
    <>
      <h1>Scans</h1>
      <Section title="Upload">
        <fieldset class="roles">
          <legend>The files are</legend>
          {(["image", "label"] as const).map((r) => (
            <label key={r} class="check">
              <input
                type="radio"
                name="scan-role"
                value={r}
                checked={role === r}
                onChange={() => setRole(r)}
              />
              {r === "image" ? "images (scans)" : "labels (segmentations)"}
            </label>
          ))}
        </fieldset>
        <p class="muted small">
          A whole nnU-Net or MSD folder is easier to import on the <a href="#/datasets">Datasets</a>
          {" "}
          page: it pairs images and labels by case.
        </p>
        <div
          class={`dropzone${dragging ? " dragging" : ""}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
          data-testid="dropzone"
        >
          <p>Drop NIfTI (.nii, .nii.gz) or HDF5 (.h5) {role}s here, or</p>
          <button type="button" onClick={() => input.current?.click()}>Choose files…</button>
          <input
            ref={input}
            id="scan-files"
            type="file"
            multiple
            accept={scanExtensions.join(",")}
            class="visually-hidden"
            aria-label="Scan files"
            onChange={(e) => {
              upload([...(e.currentTarget.files ?? [])]);
              e.currentTarget.value = "";
            }}
          />
        </div>
        {rows.length > 0 && (
          <ul class="uploads" aria-live="polite">
            {rows.map((row, i) => (
              <li key={i} class={row.state} data-state={row.state}>
                <span class="name">{row.name}</span>
                <progress
                  max={row.total || 1}
                  value={row.sent}
                  aria-label={`Upload of ${row.name}`}
                />
                <span class="state">
                  {row.state === "uploading"
                    ? `${Math.round((100 * row.sent) / (row.total || 1))} %`
                    : row.state}
                </span>
                {row.message && (row.state === "failed"
                  ? <ErrorNote message={row.message} />
                  : <span class="muted">{row.message}</span>)}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Your scans">
        <Loaded state={scans}>{(list) => <ScanTable scans={list} />}</Loaded>
      </Section>
    </>
  );
}

function ScanTable(props: { scans: Scan[] }): JSX.Element {
  if (props.scans.length === 0) return <p class="muted">No scans yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Role</th>
          <th>Shape</th>
          <th>Spacing (mm)</th>
          <th>Type</th>
          <th>Size</th>
          <th>Uploaded</th>
        </tr>
      </thead>
      <tbody>
        {props.scans.map((s) => (
          <tr key={s.id}>
            <td>
              {s.name} <span class="muted small">…{s.id.slice(-6)}</span>
            </td>
            <td>
              <span class={`badge role-${s.role ?? "none"}`}>{s.role ?? "no role"}</span>
            </td>
            <td>{s.shape.join(" × ")}{s.channels > 1 ? ` × ${s.channels}` : ""}</td>
            <td>{s.spacing.map((v) => v.toFixed(2)).join(" × ")}</td>
            <td>{s.format} {s.datatype}</td>
            <td>{formatBytes(s.bytes)}</td>
            <td>{formatTime(s.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
