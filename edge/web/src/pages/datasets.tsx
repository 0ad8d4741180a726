/** Datasets: mark labelled pairs, unlabelled scans and test pairs among the uploaded scans. */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { Dataset, ScanPair } from "../../../../shared/contracts/datasets.ts";
import type { PublicScan as Scan } from "../../../../shared/contracts/scans.ts";
import type { Api } from "../api.ts";
import { ErrorNote, formatTime, Loaded, Section } from "../components.tsx";
import { useAsync, useFormAction } from "../hooks.ts";

export function DatasetsPage(props: { api: Api }): JSX.Element {
  const { api } = props;
  const scans = useAsync(() => api.listScans(), [api]);
  const datasets = useAsync(() => api.listDatasets(), [api]);
  return (
    <>
      <h1>Datasets</h1>
      <Section title="New dataset">
        <Loaded state={scans}>
          {(list) => <DatasetForm api={api} scans={list} onCreated={datasets.reload} />}
        </Loaded>
      </Section>
      <Section title="Your datasets">
        <Loaded state={datasets}>{(list) => <DatasetTable datasets={list} />}</Loaded>
      </Section>
    </>
  );
}

function DatasetForm(props: { api: Api; scans: Scan[]; onCreated(): void }): JSX.Element {
  const { scans } = props;
  const [name, setName] = useState("");
  const [labelled, setLabelled] = useState<ScanPair[]>([{ image: "", label: "" }]);
  const [test, setTest] = useState<ScanPair[]>([]);
  const [unlabelled, setUnlabelled] = useState<string[]>([]);
  const [multiLabel, setMultiLabel] = useState(false);
  const [created, setCreated] = useState<Dataset>();
  const { submit, error } = useFormAction(async () => {
    if ([...labelled, ...test].some((p) => !p.image || !p.label)) {
      throw new Error("Every pair needs both an image and a label.");
    }
    setCreated(await props.api.createDataset({ name, labelled, unlabelled, test, multiLabel }));
    props.onCreated();
  });
  // After every hook: the number of hooks must not change between renders.
  if (scans.length < 2) {
    return <p class="muted">Upload at least one image and its label on the Scans page first.</p>;
  }

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
        scans={scans}
        pairs={labelled}
        onChange={setLabelled}
        min={1}
      />
      <fieldset>
        <legend>Unlabelled scans</legend>
        <div class="checklist">
          {scans.map((s) => (
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
              {s.name}
            </label>
          ))}
        </div>
      </fieldset>
      <PairList
        title="Test pairs"
        idPrefix="test"
        scans={scans}
        pairs={test}
        onChange={setTest}
        min={0}
      />
      <label class="check">
        <input
          type="checkbox"
          checked={multiLabel}
          onChange={(e) => setMultiLabel(e.currentTarget.checked)}
        />
        Labels hold several classes (otherwise they must be binary 0/1)
      </label>
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
    scans: Scan[];
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
            scans={props.scans}
            value={pair.image}
            onChange={(image) => set(i, { image })}
          />
          <ScanSelect
            id={`${props.idPrefix}-label-${i}`}
            label="Label"
            scans={props.scans}
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

/** A labelled `<select>` of the tenant's scans. */
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
        {props.scans.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
      </select>
    </span>
  );
}

function DatasetTable(props: { datasets: Dataset[] }): JSX.Element {
  if (props.datasets.length === 0) return <p class="muted">No datasets yet.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Id</th>
          <th>Labelled</th>
          <th>Unlabelled</th>
          <th>Test</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {props.datasets.map((d) => (
          <tr key={d.id}>
            <td>{d.name}</td>
            <td>
              <code>{d.id}</code>
            </td>
            <td>{d.labelled.length}</td>
            <td>{d.unlabelled.length}</td>
            <td>{d.test.length}</td>
            <td>{formatTime(d.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
