/**
 * The web client's entry: sign-in gate, navigation and hash routing (`#/scans`, `#/train/<job>`,
 * …) so every page has a URL, works with the back button and needs no server-side routing.
 */
import { type JSX, render } from "preact";
import { useState } from "preact/hooks";
import { Api } from "./api.ts";
import { NotFound } from "./components.tsx";
import { useHashRoute } from "./hooks.ts";
import { DatasetsPage } from "./pages/datasets.tsx";
import { DescriptorsPage } from "./pages/descriptors.tsx";
import { InferPage } from "./pages/infer.tsx";
import { ModelsPage } from "./pages/models.tsx";
import { ScansPage } from "./pages/scans.tsx";
import { SignIn } from "./pages/signin.tsx";
import { TrainPage } from "./pages/train.tsx";
import { WebhooksPage } from "./pages/webhooks.tsx";
import { clearApiKey, loadApiKey, saveApiKey } from "./session.ts";

const nav = [
  { route: "scans", text: "Scans" },
  { route: "datasets", text: "Datasets" },
  { route: "descriptors", text: "Descriptors" },
  { route: "train", text: "Training" },
  { route: "infer", text: "Inference" },
  { route: "models", text: "Models" },
  { route: "webhooks", text: "Webhooks" },
];

const home = { href: "#/scans", text: "Back to your scans" };

function Page(props: { api: Api; route: string[] }): JSX.Element {
  const [page, id, extra] = props.route;
  const { api } = props;
  switch (page) {
    case "datasets":
      return <DatasetsPage api={api} />;
    case "descriptors":
      return <DescriptorsPage api={api} selected={id} />;
    case "train":
      return <TrainPage api={api} jobId={id} />;
    case "infer":
      return <InferPage api={api} jobId={id} labelId={extra} />;
    case "models":
      return <ModelsPage api={api} />;
    case "webhooks":
      return <WebhooksPage api={api} endpointId={id} />;
    case undefined:
    case "scans":
      return <ScansPage api={api} />;
    default:
      return <NotFound what="page" id={`#/${props.route.join("/")}`} back={home} />;
  }
}

function App(): JSX.Element {
  const stored = loadApiKey();
  const [api, setApi] = useState<Api | null>(stored ? new Api(stored) : null);
  const route = useHashRoute();
  if (!api) {
    return (
      <SignIn
        onSignedIn={(signedIn) => {
          saveApiKey(signedIn.apiKey);
          setApi(signedIn);
        }}
      />
    );
  }
  const current = route[0] ?? "scans";
  return (
    <div class="layout">
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById("main")?.focus();
        }}
      >
        Skip to content
      </a>
      <nav aria-label="Main">
        <p class="brand">LLM-SegNet</p>
        <ul>
          {nav.map((item) => (
            <li key={item.route}>
              <a
                href={`#/${item.route}`}
                aria-current={item.route === current ? "page" : undefined}
              >
                {item.text}
              </a>
            </li>
          ))}
        </ul>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            clearApiKey();
            setApi(null);
          }}
        >
          Sign out
        </button>
      </nav>
      <main id="main" tabIndex={-1}>
        <Page api={api} route={route} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
