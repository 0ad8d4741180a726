/**
 * Datasets: import an nnU-Net / MSD folder (or its .zip) with cases paired by id, or mark
 * labelled pairs, unlabelled scans and test pairs among uploaded scans by hand; every dataset
 * lists its cases with their roles.
 */
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Dataset, LabelHandling, ScanPair } from "../../../../shared/contracts/datasets.ts";
import type { PublicScan as Scan } from "../../../../shared/contracts/scans.ts";
import type { Api } from "../api.ts";
import { ErrorNote, formatTime, Loaded, scanTitle, Section } from "../components.tsx";
import {
  allowedRoles,
  type CaseRole,
  datasetSplits,
  filesToUpload,
  type ImportPlan,
  planImport,
} from "../dataset_import.ts";
import { useAsync, useFormAction } from "../hooks.ts";
import { readZip } from "../zip.ts";

export function DatasetsPage(props: { api: Api }): JSX.Element {
  const { api } = props;
  const scans = useAsync(() => api.listScans(), [api]);
  const datasets = useAsync(() => api.listDatasets(), [api]);
  const created = (): void => {
    datasets.reload();
    scans.reload();
  };
  return (
    <>
      <h1>Datasets</h1>
      <Section title="Import an nnU-Net or MSD folder">
        <ImportForm api={api} onCreated={created} />
      </Section>
      <Section title="Your datasets">
        <Loaded state={datasets}>
          {(list) => <DatasetTable datasets={list} scans={scans.data ?? []} />}
        </Loaded>
      </Section>
      <Section title="Build one from uploaded scans">
        <Loaded state={scans}>
          {(list) => <DatasetForm api={api} scans={list} onCreated={created} />}
        </Loaded>
      </Section>
    </>
  );
}

/** A file of the chosen folder or zip, opened only when it is uploaded. */
interface SourceFile {
  path: string;
  size: number;
  open(): Promise<File>;
}

const caseRoleText: Record<CaseRole, string> = {
  labelled: "labelled (trains with its label)",
  unlabelled: "unlabelled (trains without a label)",
  test: "test (held out, scored)",
  "left out": "left out",
};

function ImportForm(props: { api: Api; onCreated(): void }): JSX.Element {
  const { api } = props;
  const folderInput = useRef<HTMLInputElement>(null);
  const zipInput = useRef<HTMLInputElement>(null);
  const [plan, setPlan] = useState<ImportPlan<SourceFile>>();
  const [name, setName] = useState("");
  const [labels, setLabels] = useState<LabelHandling>();
  const [readError, setReadError] = useState<string>();
  const [sent, setSent] = useState<{ done: number; total: number; file: string }>();
  const [created, setCreated] = useState<Dataset>();
  // `webkitdirectory` is not in Preact's attribute types; the DOM property is.
  useEffect(() => {
    if (folderInput.current) folderInput.current.webkitdirectory = true;
  }, []);

  const choose = (files: SourceFile[], fallbackName: string): void => {
    setReadError(undefined);
    setCreated(undefined);
    const next = planImport(files);
    if (next.cases.length === 0) {
      setPlan(undefined);
      setReadError(
        `${fallbackName}: no scans in imagesTr, labelsTr, imagesTs or labelsTs (is it an ` +
          "nnU-Net or MSD folder?)",
      );
      return;
    }
    setPlan(next);
    setName(files[0]?.path.split("/")[0] || fallbackName);
  };
  const fromFolder = (list: FileList | null): void =>
    choose(
      [...(list ?? [])].map((file) => ({
        path: file.webkitRelativePath || file.name,
        size: file.size,
        open: () => Promise.resolve(file),
      })),
      "the folder",
    );
  const fromZip = async (zip: File | undefined): Promise<void> => {
    if (!zip) return;
    try {
      choose(await readZip(zip, zip.name), zip.name.replace(/\.zip$/i, ""));
    } catch (error) {
      setPlan(undefined);
      setReadError((error as Error).message);
    }
  };
  const setRole = (index: number, role: CaseRole): void =>
    setPlan((p) => p && { ...p, cases: p.cases.map((c, i) => (i === index ? { ...c, role } : c)) });

  const { submit, busy, error } = useFormAction(async () => {
    if (!plan) throw new Error("Choose a folder or a .zip first.");
    if (!labels) throw new Error("Choose what the label values mean.");
    if (!plan.cases.some((c) => c.role === "labelled")) {
      throw new Error("A dataset needs at least one labelled case.");
    }
    const uploads = filesToUpload(plan.cases);
    const ids = new Map<SourceFile, string>();
    try {
      for (const [i, { entry, role }] of uploads.entries()) {
        setSent({ done: i, total: uploads.length, file: entry.path });
        const scan = await api.uploadScan(await entry.open(), role, () => {});
        ids.set(entry, scan.id);
      }
      setSent({ done: uploads.length, total: uploads.length, file: "" });
      const splits = datasetSplits(plan.cases, (entry) => ids.get(entry)!);
      setCreated(await api.createDataset({ name, labels, ...splits }));
      props.onCreated();
    } catch (error) {
      // All or nothing: the scans of a refused import do not linger in the scan list.
      await Promise.all([...ids.values()].map((id) => api.deleteScan(id).catch(() => {})));
      setSent(undefined);
      throw error;
    }
  });

  const counts = (role: CaseRole): number => plan?.cases.filter((c) => c.role === role).length ?? 0;
  return (
    <form onSubmit={submit} data-testid="import-form">
      <p class="muted small">
        <code>imagesTr/</code> and <code>labelsTr/</code> (and <code>imagesTs/</code>,{" "}
        <code>labelsTs/</code>): a case's image is <code>case_0000.nii.gz</code> or{" "}
        <code>case.nii.gz</code>, its label{" "}
        <code>labelsTr/case.nii.gz</code>. The folder, not the name, says which file is the label.
      </p>
      <div class="row">
        <button type="button" onClick={() => folderInput.current?.click()}>Choose folder…</button>
        <button type="button" class="secondary" onClick={() => zipInput.current?.click()}>
          Choose .zip…
        </button>
      </div>
      <input
        ref={folderInput}
        id="import-folder"
        type="file"
        multiple
        class="visually-hidden"
        aria-label="nnU-Net or MSD folder"
        onChange={(e) => fromFolder(e.currentTarget.files)}
      />
      <input
        ref={zipInput}
        id="import-zip"
        type="file"
        accept=".zip"
        class="visually-hidden"
        aria-label="nnU-Net or MSD folder as a .zip"
        onChange={(e) => fromZip(e.currentTarget.files?.[0])}
      />
      <ErrorNote message={readError} />
      {plan && (
        <>
          {plan.problems.length > 0 && (
            <div class="error" role="alert" data-testid="import-problems">
              This folder cannot be imported:
              <ul>{plan.problems.map((p) => <li key={p}>{p}</li>)}</ul>
            </div>
          )}
          <p role="status" data-testid="import-summary">
            {plan.cases.length} cases: {counts("labelled")} labelled, {counts("unlabelled")}{" "}
            unlabelled, {counts("test")} test, {counts("left out")} left out.
          </p>
          <table data-testid="import-cases">
            <thead>
              <tr>
                <th>Case</th>
                <th>Image</th>
                <th>Label</th>
                <th>Role</th>
              </tr>
            </thead>
            <tbody>
              {plan.cases.map((c, i) => (
                <tr key={`${c.origin}/${c.id}`}>
                  <td>{c.id}</td>
                  <td class="path">{c.image?.path.split("/").slice(-2).join("/") ?? "—"}</td>
                  <td class="path">{c.label?.path.split("/").slice(-2).join("/") ?? "—"}</td>
                  <td>
                    <select
                      aria-label={`Role of case ${c.id}`}
                      value={c.role}
                      onChange={(e) => setRole(i, e.currentTarget.value as CaseRole)}
                    >
                      {allowedRoles(c).map((r) => (
                        <option key={r} value={r}>{caseRoleText[r]}</option>
                      ))}
                    </select>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {plan.skipped.length > 0 && (
            <details>
              <summary>{plan.skipped.length} files not imported</summary>
              <ul class="small">
                {plan.skipped.map((s) => <li key={s.path}>{s.path}: {s.reason}</li>)}
              </ul>
            </details>
          )}
          <label for="import-name">Dataset name</label>
          <input
            id="import-name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
          />
          <LabelChoice name="import-labels" value={labels} onChange={setLabels} />
          <button type="submit" disabled={busy || plan.problems.length > 0}>
            Import {plan.cases.filter((c) => c.role !== "left out").length} cases
          </button>
        </>
      )}
      {sent && (
        <p class="muted" role="status" aria-live="polite">
          <progress max={sent.total} value={sent.done} aria-label="Import progress" />{" "}
          {sent.done < sent.total
            ? `Uploading ${sent.done + 1} of ${sent.total}: ${sent.file}`
            : `${sent.total} files uploaded`}
        </p>
      )}
      <ErrorNote message={error} />
      {created && (
        <p role="status" class="ok">
          Created dataset “{created.name}” ({created.id}): {created.labelled.length} labelled,{" "}
          {created.unlabelled.length} unlabelled, {created.test.length} test.
        </p>
      )}
    </form>
  );
}

const labelChoices: { value: LabelHandling; text: string }[] = [
  { value: "binary", text: "Binary: labels hold only 0 and 1 (anything else is refused)" },
  {
    value: "foreground",
    text: "Foreground: every non-zero class is the structure (e.g. hippocampus 1 + 2)",
  },
  { value: "classes", text: "Classes: keep the label values 0, 1, 2, … apart" },
];

/** The explicit choice of what label values mean; nothing is chosen until the user does. */
function LabelChoice(
  props: { name: string; value?: LabelHandling; onChange(value: LabelHandling): void },
): JSX.Element {
  return (
    <fieldset>
      <legend>What the label values mean</legend>
      {labelChoices.map((choice) => (
        <label key={choice.value} class="check">
          <input
            type="radio"
            name={props.name}
            value={choice.value}
            checked={props.value === choice.value}
            onChange={() => props.onChange(choice.value)}
          />
          {choice.text}
        </label>
      ))}
    </fieldset>
  );
}

function DatasetForm(props: { api: Api; scans: Scan[]; onCreated(): void }): JSX.Element {
  const { scans } = props;
  const [name, setName] = useState("");
  const [labelled, setLabelled] = useState<ScanPair[]>([{ image: "", label: "" }]);
  const [test, setTest] = useState<ScanPair[]>([]);
  const [unlabelled, setUnlabelled] = useState<string[]>([]);
  const [labels, setLabels] = useState<LabelHandling>();
  const [created, setCreated] = useState<Dataset>();
  const { submit, error } = useFormAction(async () => {
    if ([...labelled, ...test].some((p) => !p.image || !p.label)) {
      throw new Error("Every pair needs both an image and a label.");
    }
    if (!labels) throw new Error("Choose what the label values mean.");
    setCreated(await props.api.createDataset({ name, labelled, unlabelled, test, labels }));
    props.onCreated();
  });
  // After every hook: the number of hooks must not change between renders.
  if (scans.length < 2) {
    return <p class="muted">Upload at least one image and its label on the Scans page first.</p>;
  }
  // A scan uploaded as a label is never offered as an image, and the other way round.
  const images = scans.filter((s) => s.role !== "label");
  const labelScans = scans.filter((s) => s.role !== "image");

  return (
    <form onSubmit={submit}>
      <label for="dataset-name">Name</label>
      <input
        id="dataset-name"
        value={name}
        onInput={(e) => setName(e.currentTarget.value)}
        required
      />
      <PairList
        title="Labelled pairs"
        idPrefix="labelled"
        images={images}
        labels={labelScans}
        pairs={labelled}
        onChange={setLabelled}
        min={1}
      />
      <fieldset>
        <legend>Unlabelled scans</legend>
        <div class="checklist">
          {images.map((s) => (
            <label key={s.id} class="check">
              <input
                type="checkbox"
                name="unlabelled"
                value={s.id}
                checked={unlabelled.includes(s.id)}
                onChange={(e) =>
                  setUnlabelled((all) =>
                    e.currentTarget.checked ? [...all, s.id] : all.filter((id) => id !== s.id)
                  )}
              />
              {scanTitle(s)}
            </label>
          ))}
        </div>
      </fieldset>
      <PairList
        title="Test pairs"
        idPrefix="test"
        images={images}
        labels={labelScans}
        pairs={test}
        onChange={setTest}
        min={0}
      />
      <LabelChoice name="dataset-labels" value={labels} onChange={setLabels} />
      <button type="submit">Create dataset</button>
      <ErrorNote message={error} />
      {created && <p role="status" class="ok">Created dataset “{created.name}” ({created.id}).</p>}
    </form>
  );
}

function PairList(
  props: {
    title: string;
    idPrefix: string;
    images: Scan[];
    labels: Scan[];
    pairs: ScanPair[];
    min: number;
    onChange(pairs: ScanPair[]): void;
  },
): JSX.Element {
  const { pairs, onChange } = props;
  const set = (i: number, patch: Partial<ScanPair>): void =>
    onChange(pairs.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  return (
    <fieldset>
      <legend>{props.title}</legend>
      {pairs.map((pair, i) => (
        <div class="pair" key={i}>
          <ScanSelect
            id={`${props.idPrefix}-image-${i}`}
            label="Image"
            scans={props.images}
            value={pair.image}
            onChange={(image) => set(i, { image })}
          />
          <ScanSelect
            id={`${props.idPrefix}-label-${i}`}
            label="Label"
            scans={props.labels}
            value={pair.label}
            onChange={(label) => set(i, { label })}
          />
          <button
            type="button"
            class="secondary"
            disabled={pairs.length <= props.min}
            onClick={() => onChange(pairs.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        class="secondary"
        onClick={() => onChange([...pairs, { image: "", label: "" }])}
      >
        Add {props.title.toLowerCase().replace(/s$/, "")}
      </button>
    </fieldset>
  );
}

/** A labelled `<select>` of the tenant's scans, each shown with its role and id. */
export function ScanSelect(
  props: { id: string; label: string; scans: Scan[]; value: string; onChange(id: string): void },
): JSX.Element {
  return (
    <span class="field">
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        <option value="">— choose —</option>
        {props.scans.map((s) => <option key={s.id} value={s.id}>{scanTitle(s)}</option>)}
      </select>
    </span>
  );
}

const labelHandlingText: Record<LabelHandling, string> = {
  binary: "binary",
  foreground: "non-zero = structure",
  classes: "classes",
};

function DatasetTable(props: { datasets: Dataset[]; scans: Scan[] }): JSX.Element {
  if (props.datasets.length === 0) return <p class="muted">No datasets yet.</p>;
  const byId = new Map(props.scans.map((s) => [s.id, s]));
  return (
    <ul class="datasets">
      {props.datasets.map((d) => (
        <li key={d.id} class="dataset" data-testid="dataset">
          <details>
            <summary>
              <strong>{d.name}</strong>{" "}
              <span class="muted">
                {d.labelled.length} labelled · {d.unlabelled.length} unlabelled · {d.test.length}
                {" "}
                test · labels {labelHandlingText[d.labels]}
                {d.labelValues.length > 0 && ` (values ${d.labelValues.join(", ")})`} ·{" "}
                {formatTime(d.createdAt)} · <code>{d.id}</code>
              </span>
            </summary>
            <CaseList dataset={d} scans={byId} />
          </details>
        </li>
      ))}
    </ul>
  );
}

/** Every case of a dataset with its role, image and label, by file name. */
function CaseList(props: { dataset: Dataset; scans: Map<string, Scan> }): JSX.Element {
  const { dataset, scans } = props;
  const nameOf = (id: string): string => scans.get(id)?.name ?? id;
  const rows: { role: string; image: string; label?: string }[] = [
    ...dataset.labelled.map((p) => ({ role: "labelled", ...p })),
    ...dataset.unlabelled.map((image) => ({ role: "unlabelled", image })),
    ...dataset.test.map((p) => ({ role: "test", ...p })),
  ];
  return (
    <table data-testid="dataset-cases">
      <thead>
        <tr>
          <th>Role</th>
          <th>Image</th>
          <th>Label</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.image}>
            <td>
              <span class={`badge role-${r.role}`}>{r.role}</span>
            </td>
            <td>{nameOf(r.image)}</td>
            <td>{r.label ? nameOf(r.label) : "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
