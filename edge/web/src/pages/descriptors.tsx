/** Descriptors: the shipped sets, one set's descriptors, and generation for a new structure. */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { Api, DescriptorSetView } from "../api.ts";
import { ErrorNote, Loaded, Section } from "../components.tsx";
import { useAsync } from "../hooks.ts";

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
        Fifteen descriptions of the target structure written by an LLM; BERT embeds them and the
        mean vector guides both networks at the bottleneck.
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
  return (
    <>
      <p>{set.structure} — {set.modality} ({set.task})</p>
      <ol class="descriptors">{set.descriptors.map((d, i) => <li key={i}>{d}</li>)}</ol>
    </>
  );
}

function GenerateForm(props: { api: Api; onGenerated(): void }): JSX.Element {
  const [task, setTask] = useState("");
  const [structure, setStructure] = useState("");
  const [modality, setModality] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<DescriptorSetView>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setResult(await props.api.generateDescriptorSet({ task, structure, modality }));
      props.onGenerated();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit}>
      <div class="row">
        <span class="field">
          <label for="gen-task">Task id</label>
          <input
            id="gen-task"
            value={task}
            pattern="[a-z0-9][a-z0-9-]*"
            placeholder="spleen-ct"
            onInput={(e) => setTask(e.currentTarget.value)}
            required
          />
        </span>
        <span class="field">
          <label for="gen-structure">Structure</label>
          <input
            id="gen-structure"
            value={structure}
            placeholder="spleen"
            onInput={(e) => setStructure(e.currentTarget.value)}
            required
          />
        </span>
        <span class="field">
          <label for="gen-modality">Modality</label>
          <input
            id="gen-modality"
            value={modality}
            placeholder="contrast-enhanced CT"
            onInput={(e) => setModality(e.currentTarget.value)}
            required
          />
        </span>
      </div>
      <button type="submit" disabled={busy}>
        {busy ? "Asking the LLM…" : "Generate descriptors"}
      </button>
      <ErrorNote message={error} />
      {result && <DescriptorList set={result} />}
    </form>
  );
}
