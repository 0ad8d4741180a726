import assert from "node:assert/strict";
import { connectTcp } from "../../shared/queue/tcp.ts";
import { startRedisServer } from "../../shared/queue/testing.ts";
import {
  emitWebhookEvent,
  listDeliveries,
  WebhookDispatcher,
} from "../../shared/webhooks/dispatcher.ts";
import { WebhookEndpoints } from "../../shared/webhooks/endpoints.ts";
import { api, createTenant, startService } from "../service/harness.ts";

/** Targets that reach loopback, private, link-local or metadata addresses, however spelled. */
const corpus = [
  "https://127.0.0.1/h",
  "https://[::ffff:127.0.0.1]:8443/h",
  "https://[::ffff:7f00:1]/h",
  "https://[0:0:0:0:0:ffff:7f00:1]/h",
  "https://[::ffff:a9fe:a9fe]/latest/meta-data",
  "https://[::ffff:10.0.0.1]/h",
  "https://[64:ff9b::a9fe:a9fe]/h",
  "https://[2002:7f00:1::]/h",
  "https://[::1]/h",
  "https://[fd00::1]/h",
  "https://[fe80::1]/h",
  "https://2130706433/h", // decimal 127.0.0.1
  "https://0x7f000001/h", // hex
  "https://0177.0.0.1/h", // octal
  "https://0x7f.1/h",
  "https://127.1/h",
  "https://169.254.169.254/latest/meta-data",
  "https://0xa9fea9fe/h",
  "https://10.0.0.1/h",
  "https://172.16.0.1/h",
  "https://192.168.0.1/h",
  "https://100.64.0.1/h",
  "https://0.0.0.0/h",
  "https://localhost/h",
  "http://93.184.216.34/h", // public but not https
  "https://user:pw@93.184.216.34/h",
];

Deno.test("SSRF corpus: every spelling of an internal target is refused at registration", async () => {
  // The production policy: no loopback allowance.
  const service = await startService({ config: { webhookPolicy: {} } });
  try {
    const { key } = await createTenant(service);
    for (const url of corpus) {
      const res = await api(service, key, "/v1/webhooks", { method: "POST", json: { url } });
      const body = await res.json();
      assert.equal(res.status, 422, `${url} was accepted: ${JSON.stringify(body)}`);
      assert.match(body.error.code, /webhook_target_refused|invalid_webhook_url/, url);
    }
    const listed = await (await api(service, key, "/v1/webhooks")).json();
    assert.equal(listed.endpoints.length, 0);
  } finally {
    await service.close();
  }
});

Deno.test("SSRF corpus: names resolving to private ranges and redirects to them are not followed", async () => {
  const server = await startRedisServer();
  const redis = await connectTcp(server.url);
  let internalHits = 0;
  const internal = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    internalHits++;
    return new Response("secret");
  });
  // A public-looking receiver that redirects to the internal one.
  const redirector = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () =>
      new Response(null, {
        status: 307,
        headers: { location: `http://127.0.0.1:${internal.addr.port}/` },
      }),
  );
  const table: Record<string, string[]> = {
    "internal.example.test": ["10.1.2.3"],
    "mixed.example.test": ["93.184.216.34", "192.168.1.1"],
    "metadata.example.test": ["::ffff:169.254.169.254"],
    "redirect.example.test": ["127.0.0.1"],
  };
  const resolve = (name: string) => Promise.resolve(table[name] ?? []);
  try {
    const endpoints = new WebhookEndpoints(redis);
    for (const name of ["internal", "mixed", "metadata"]) {
      await endpoints.create("t1", `http://${name}.example.test:${internal.addr.port}/h`, []);
    }
    await endpoints.create("t1", `http://redirect.example.test:${redirector.addr.port}/h`, []);
    await emitWebhookEvent(redis, "t1", "job.completed", { jobId: "j1" });
    // Loopback allowed (the redirector lives there), private ranges not.
    await new WebhookDispatcher(redis, {
      policy: { allowLoopback: true, allowHttp: true, resolve },
      retryDelaysMs: [60_000],
    }).tick();
    const deliveries = await listDeliveries(redis, "t1");
    assert.equal(deliveries.length, 4);
    const errors = deliveries.map((d) => d.attempts[0].error ?? String(d.attempts[0].status));
    assert.equal(errors.filter((e) => /private|link-local/.test(e)).length, 3, errors.join("\n"));
    assert.ok(errors.includes("307"), "the redirect is an answer, not followed");
    assert.equal(internalHits, 0, "nothing reached the internal receiver");
  } finally {
    await internal.shutdown();
    await redirector.shutdown();
    await redis.close();
    await server.stop();
  }
});
