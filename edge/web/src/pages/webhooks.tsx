/** Webhooks: endpoints with their event filters, the signing secret once, and the delivery log. */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import {
  type WebhookEndpointCreated,
  WebhookEventType,
} from "../../../../shared/contracts/webhooks.ts";
import type { Api } from "../api.ts";
import { ErrorNote, formatTime, Loaded, Section } from "../components.tsx";
import { useAsync, useFormAction } from "../hooks.ts";

export function WebhooksPage(props: { api: Api; endpointId?: string }): JSX.Element {
  const { api, endpointId } = props;
  const endpoints = useAsync(() => api.listWebhooks(), [api]);
  return (
    <>
      <h1>Webhooks</h1>
      <Section title="New endpoint">
        <EndpointForm api={api} onCreated={endpoints.reload} />
      </Section>
      <Section title="Endpoints">
        <Loaded state={endpoints}>
          {(list) =>
            list.length === 0 ? <p class="muted">No endpoints yet.</p> : (
              <table>
                <thead>
                  <tr>
                    <th>URL</th>
                    <th>Events</th>
                    <th>State</th>
                    <th>Created</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((e) => (
                    <tr key={e.id} class={e.id === endpointId ? "selected" : ""}>
                      <td>
                        <code>{e.url}</code>
                      </td>
                      <td class="small">{e.events.length ? e.events.join(", ") : "all events"}</td>
                      <td>
                        {e.enabled
                          ? "enabled"
                          : `disabled${e.disabledReason ? `: ${e.disabledReason}` : ""}`}
                      </td>
                      <td>{formatTime(e.createdAt)}</td>
                      <td>
                        <a href={`#/webhooks/${e.id}`} aria-label={`Deliveries to ${e.url}`}>
                          Deliveries
                        </a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
        </Loaded>
      </Section>
      {endpointId && <Deliveries api={api} endpointId={endpointId} />}
    </>
  );
}

function EndpointForm(props: { api: Api; onCreated(): void }): JSX.Element {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEventType[]>([]);
  const [created, setCreated] = useState<WebhookEndpointCreated>();
  const { submit, error } = useFormAction(async () => {
    setCreated(await props.api.createWebhook({ url, events }));
    props.onCreated();
  });

  return (
    <form onSubmit={submit}>
      <label for="webhook-url">Receiver URL (HTTPS)</label>
      <input
        id="webhook-url"
        type="url"
        value={url}
        placeholder="https://example.org/hooks/llmseg"
        onInput={(e) => setUrl(e.currentTarget.value)}
        required
      />
      <fieldset>
        <legend>Events (none ticked: every event)</legend>
        <div class="checklist">
          {WebhookEventType.options.map((type) => (
            <label class="check" key={type}>
              <input
                type="checkbox"
                checked={events.includes(type)}
                onChange={(e) =>
                  setEvents((all) =>
                    e.currentTarget.checked ? [...all, type] : all.filter((t) => t !== type)
                  )}
              />
              {type}
            </label>
          ))}
        </div>
      </fieldset>
      <button type="submit">Add endpoint</button>
      <ErrorNote message={error} />
      {created && (
        <p class="ok" role="status">
          Endpoint added. Its signing secret is shown only now:{" "}
          <code class="secret">{created.secret}</code>
        </p>
      )}
    </form>
  );
}

function Deliveries(props: { api: Api; endpointId: string }): JSX.Element {
  const deliveries = useAsync(() => props.api.listDeliveries(props.endpointId), [
    props.api,
    props.endpointId,
  ]);
  return (
    <Section title="Deliveries">
      <button type="button" class="secondary" onClick={deliveries.reload}>Refresh</button>
      <Loaded state={deliveries}>
        {(list) =>
          list.length === 0 ? <p class="muted">Nothing delivered yet.</p> : (
            <table>
              <thead>
                <tr>
                  <th>Event</th>
                  <th>Status</th>
                  <th>Attempts</th>
                  <th>Next attempt</th>
                </tr>
              </thead>
              <tbody>
                {list.map((d) => (
                  <tr key={d.id}>
                    <td>
                      {d.payload.type}
                      <div class="small muted">{formatTime(d.payload.timestamp)}</div>
                    </td>
                    <td>
                      <span class={`badge ${d.status}`}>{d.status}</span>
                    </td>
                    <td class="small">
                      {d.attempts.map((a, i) => (
                        <div key={i}>
                          {formatTime(a.at)}: {a.status || "no answer"}
                          {a.error ? ` (${a.error})` : ""}
                        </div>
                      ))}
                    </td>
                    <td>{d.nextAttemptAt ? formatTime(d.nextAttemptAt) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </Loaded>
    </Section>
  );
}
