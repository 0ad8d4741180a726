/** Descriptors: the shipped and the tenant's sets, one set's descriptors, generation for a new one. */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { Api, DescriptorSetView } from "../api.ts";
import { ErrorNote, formatTime, Loaded, Section } from "../components.tsx";
import { useAsync, useFormAction } from "../hooks.ts";

export function DescriptorsPage(props: { api: Api; selected?: string }): JSX.Element {
  const { api, selected } = props;
  const sets = useAsync(() => api.listDescriptorSets(), [api]);
  const shown = useAsync(
    () => (selected ? api.getDescriptorSet(selected) : Promise.resolve(null)),
    [api, selected],
  );
  return (
    <>
      <h1>Descriptor sets</h1>
      <p class="muted">
        Descriptions of the target structure written by an LLM; BERT embeds them and the mean vector
        guides both networks at the bottleneck. Pick one when you start a training run.
      </p>
      <Section title="Available sets">
        <Loaded state={sets}>
          {(list) =>
            list.length === 0 ? <p class="muted">No descriptor sets.</p> : (
              <table>
                <thead>
                  <tr>
                    <th>Set</th>
                    <th>Structure</th>
                    <th>Modality</th>
                    <th>Descriptors</th>
                    <th>Source</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((s) => (
                    <tr key={s.id} class={s.id === selected ? "selected" : ""}>
                      <td>
                        <a href={`#/descriptors/${s.id}`}>{s.id}</a>
                      </td>
                      <td>{s.structure}</td>
                      <td>{s.modality}</td>
                      <td>{s.count}</td>
                      <td>{s.owner === "shipped" ? "shipped" : "yours"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
        </Loaded>
      </Section>
      {selected && (
        <Section title={`Set “${selected}”`}>
          <Loaded state={shown}>{(set) => (set ? <DescriptorList set={set} /> : null)}</Loaded>
        </Section>
      )}
      <Section title="Generate for a new structure">
        <GenerateForm api={api} onGenerated={sets.reload} />
      </Section>
    </>
  );
}

function DescriptorList(props: { set: DescriptorSetView }): JSX.Element {
  const { set } = props;
  const author = set.provenance.author;
  return (
    <>
      <p>
        {set.structure} — {set.modality}.{" "}
        <span class="muted small">
          Prompt {set.provenance.prompt.id}, written by{" "}
          {author.kind === "llm" ? author.model : author.name} on{" "}
          {formatTime(set.provenance.createdAt)}.
        </span>
      </p>
      <ol class="descriptors" data-testid="descriptors">
        {set.descriptors.map((d, i) => <li key={i}>{d}</li>)}
      </ol>
    </>
  );
}

/** Text inputs of the generation form, in order. */
const fields = [
  { key: "id", label: "Set id", placeholder: "spleen-ct", required: true },
  { key: "structure", label: "Structure", placeholder: "spleen", required: true },
  { key: "modality", label: "Modality", placeholder: "contrast-enhanced CT", required: true },
  { key: "landmarks", label: "Landmarks (optional)", placeholder: "left upper quadrant" },
  { key: "neighbours", label: "Neighbours (optional)", placeholder: "stomach, left kidney" },
] as const;

type FieldKey = (typeof fields)[number]["key"];

function GenerateForm(props: { api: Api; onGenerated(): void }): JSX.Element {
  const [values, setValues] = useState<Record<FieldKey, string>>({
    id: "",
    structure: "",
    modality: "",
    landmarks: "",
    neighbours: "",
  });
  const [result, setResult] = useState<DescriptorSetView>();
  const { submit, busy, error } = useFormAction(async () => {
    setResult(
      await props.api.generateDescriptorSet({
        id: values.id,
        structure: values.structure,
        modality: values.modality,
        landmarks: values.landmarks || undefined,
        neighbours: values.neighbours || undefined,
      }),
    );
    props.onGenerated();
  });

  return (
    <form onSubmit={submit}>
      <div class="row">
        {fields.map((f) => (
          <span class="field" key={f.key}>
            <label for={`gen-${f.key}`}>{f.label}</label>
            <input
              id={`gen-${f.key}`}
              value={values[f.key]}
              placeholder={f.placeholder}
              required={"required" in f}
              pattern={f.key === "id" ? "[a-z0-9][a-z0-9\\-]*" : undefined}
              onInput={(e) => setValues({ ...values, [f.key]: e.currentTarget.value })}
            />
          </span>
        ))}
      </div>
      <button type="submit" disabled={busy}>
        {busy ? "Asking the LLM…" : "Generate descriptors"}
      </button>
      <ErrorNote message={error} />
      {result && (
        <>
          <p class="ok" role="status">Generated set “{result.id}”.</p>
          <DescriptorList set={result} />
        </>
      )}
    </form>
  );
}
