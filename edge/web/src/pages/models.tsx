/** Models: the tenant's immutable versions with their lineage and metrics. */
import type { JSX } from "preact";
import type { PublicModel } from "../../../../shared/contracts/models.ts";
import type { Api } from "../api.ts";
import { formatTime, Loaded, Section } from "../components.tsx";
import { useAsync } from "../hooks.ts";

/** The settings a reader compares first; the full configuration is one click away. */
const keySettings = ["mode", "arch", "nFilters", "patch", "maxIterations", "beta"];

export function ModelsPage(props: { api: Api }): JSX.Element {
  const models = useAsync(() => props.api.listModels(), [props.api]);
  return (
    <>
      <h1>Models</h1>
      <Section title="Versions">
        <Loaded state={models}>
          {(list) =>
            list.length === 0
              ? <p class="muted">No model yet: start a training run.</p>
              : <ModelTable models={[...list].sort((a, b) => b.version - a.version)} />}
        </Loaded>
      </Section>
    </>
  );
}

function ModelTable(props: { models: PublicModel[] }): JSX.Element {
  return (
    <table>
      <thead>
        <tr>
          <th>Version</th>
          <th>Trained on</th>
          <th>Settings</th>
          <th>Metrics</th>
          <th>Training job</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {props.models.map((m) => (
          <tr key={m.id}>
            <td>
              <strong>v{m.version}</strong>
              <div class="small muted">{m.id}</div>
            </td>
            <td>
              {m.lineage.datasetId ? <code>{m.lineage.datasetId}</code> : "built-in synthetic data"}
              <div class="small">
                descriptors: {m.lineage.descriptorSetId
                  ? (
                    <a href={`#/descriptors/${m.lineage.descriptorSetId}`}>
                      {m.lineage.descriptorSetId}
                    </a>
                  )
                  : "none"}
              </div>
            </td>
            <td class="small">
              <Settings config={m.lineage.config} />
            </td>
            <td class="small">
              {Object.entries(m.lineage.metrics).map(([k, v]) => (
                <div key={k}>{k}: {formatMetric(v)}</div>
              ))}
            </td>
            <td>
              <a href={`#/train/${m.lineage.jobId}`}>{m.lineage.jobId}</a>
            </td>
            <td>{formatTime(m.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Settings(props: { config: Record<string, unknown> }): JSX.Element {
  const entries = Object.entries(props.config);
  const shown = entries.filter(([k]) => keySettings.includes(k));
  return (
    <>
      {shown.map(([k, v]) => <div key={k}>{k}: {JSON.stringify(v)}</div>)}
      {entries.length > shown.length && (
        <details>
          <summary>all {entries.length} settings</summary>
          {entries.map(([k, v]) => <div key={k}>{k}: {JSON.stringify(v)}</div>)}
        </details>
      )}
    </>
  );
}

/** Counts as integers, scores to four decimals. */
function formatMetric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
