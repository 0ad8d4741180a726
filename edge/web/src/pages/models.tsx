/** Models: the tenant's immutable versions with their lineage and metrics. */
import type { JSX } from "preact";
import type { Api } from "../api.ts";
import { formatTime, Loaded, Section } from "../components.tsx";
import { useAsync } from "../hooks.ts";

export function ModelsPage(props: { api: Api }): JSX.Element {
  const models = useAsync(() => props.api.listModels(), [props.api]);
  return (
    <>
      <h1>Models</h1>
      <Section title="Versions">
        <Loaded state={models}>
          {(list) =>
            list.length === 0 ? <p class="muted">No model yet: start a training run.</p> : (
              <table>
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Id</th>
                    <th>Dataset</th>
                    <th>Descriptors</th>
                    <th>Config</th>
                    <th>Metrics</th>
                    <th>Training job</th>
                    <th>Created</th>
                  </tr>
                </thead>
                <tbody>
                  {[...list].sort((a, b) => b.version - a.version).map((m) => (
                    <tr key={m.id}>
                      <td>v{m.version}</td>
                      <td>
                        <code>{m.id}</code>
                      </td>
                      <td>
                        <code>{m.lineage.datasetId}</code>
                      </td>
                      <td>
                        {m.lineage.descriptorSetId
                          ? (
                            <a href={`#/descriptors/${m.lineage.descriptorSetId}`}>
                              {m.lineage.descriptorSetId}
                            </a>
                          )
                          : "none"}
                      </td>
                      <td class="small">
                        {Object.entries(m.lineage.config).map(([k, v]) =>
                          `${k}=${JSON.stringify(v)}`
                        ).join(", ") || "—"}
                      </td>
                      <td class="small">
                        {Object.entries(m.lineage.metrics).map(([k, v]) => (
                          <div key={k}>{k}: {v.toFixed(4)}</div>
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
            )}
        </Loaded>
      </Section>
    </>
  );
}
