import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { connectTcp } from "../queue/tcp.ts";
import { startRedisServer } from "../queue/testing.ts";
import {
  emitWebhookEvent,
  listDeliveries,
  replayDelivery,
  WebhookDispatcher,
} from "./dispatcher.ts";
import { WebhookEndpoints } from "./endpoints.ts";
import { blockedReason, checkWebhookTarget } from "./ssrf.ts";
import { testTls } from "./testing/tls.ts";

Deno.test("SSRF guard: private, loopback, link-local and reserved targets are refused", async () => {
  for (
    const ip of [
      "10.1.2.3",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "0.0.0.0",
      "fe80::1",
      "fd00::1",
      "::ffff:10.0.0.1",
      // The URL parser's spellings of IPv4-mapped addresses (the bypass of issue #15).
      "::ffff:7f00:1",
      "::ffff:a9fe:a9fe",
      "::ffff:a00:1",
      "0:0:0:0:0:ffff:7f00:1",
      "::127.0.0.1",
      "64:ff9b::a9fe:a9fe",
      "2002:7f00:1::",
      "fec0::1",
      "::",
    ]
  ) {
    assert.ok(blockedReason(ip), ip);
  }
  assert.equal(blockedReason("127.0.0.1"), "loopback");
  assert.equal(blockedReason("::1"), "loopback");
  assert.equal(blockedReason("0:0:0:0:0:0:0:1"), "loopback");
  assert.equal(blockedReason("::ffff:7f00:1"), "loopback");
  assert.equal(blockedReason("2606:4700::1111"), undefined);
  assert.equal(blockedReason("127.0.0.1", { allowLoopback: true }), undefined);
  assert.equal(blockedReason("93.184.216.34"), undefined);
  await assert.rejects(checkWebhookTarget("https://127.0.0.1/x"), {
    code: "webhook_target_refused",
  });
  await assert.rejects(checkWebhookTarget("https://localhost/x"), {
    code: "webhook_target_refused",
  });
  await assert.rejects(checkWebhookTarget("http://93.184.216.34/x"), {
    code: "invalid_webhook_url",
  });
  for (const url of ["https://[::ffff:127.0.0.1]:8443/h", "https://[::ffff:a9fe:a9fe]/h"]) {
    await assert.rejects(checkWebhookTarget(url), { code: "webhook_target_refused" }, url);
  }
  const checked = await checkWebhookTarget("http://127.0.0.1:1/x", {
    allowLoopback: true,
    allowHttp: true,
  });
  assert.equal(checked.address, "127.0.0.1");
  assert.equal(checked.port, 1);
});

Deno.test("dispatcher: connects to the address it checked, with the URL's host for TLS and Host", async () => {
  const tls = await testTls();
  const server = await startRedisServer();
  const redis = await connectTcp(server.url);
  const hosts: string[] = [];
  const receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      hosts.push(req.headers.get("host") ?? "");
      return new Response(null, { status: 204 });
    },
  );
  const url = `https://${tls.hostname}:${receiver.addr.port}/hook`;
  // A name the system cannot resolve: only a sender that connects to the checked address gets
  // there. The second lookup (which a sender that resolves again would make) says 10.0.0.1.
  let lookups = 0;
  const resolve = () => Promise.resolve(lookups++ === 0 ? ["127.0.0.1"] : ["10.0.0.1"]);
  try {
    await new WebhookEndpoints(redis).create("t1", url, []);
    await emitWebhookEvent(redis, "t1", "job.completed", { jobId: "j1" });
    await new WebhookDispatcher(redis, {
      policy: { allowLoopback: true, resolve, caCerts: [tls.caCert] },
    }).tick();
    assert.deepEqual(hosts, [`${tls.hostname}:${receiver.addr.port}`]);
    assert.equal(lookups, 1);
    const [delivery] = await listDeliveries(redis, "t1");
    assert.equal(delivery.status, "delivered");
  } finally {
    await receiver.shutdown();
    await redis.close();
    await server.stop();
  }
});

Deno.test("dispatcher: signed delivery, retry after 500, 410 disables, SSRF refusal logged", async () => {
  const server = await startRedisServer();
  const redis = await connectTcp(server.url);
  const received: { headers: Headers; body: string }[] = [];
  let answers = [500, 200];
  const receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const body = await req.text();
      if (new URL(req.url).pathname === "/gone") return new Response(null, { status: 410 });
      received.push({ headers: req.headers, body });
      const [status, ...rest] = answers;
      answers = rest;
      return new Response(null, { status: status ?? 200 });
    },
  );
  const base = `http://127.0.0.1:${receiver.addr.port}`;
  try {
    const endpoints = new WebhookEndpoints(redis);
    const ok = await endpoints.create("t1", `${base}/hook`, ["job.completed"]);
    const gone = await endpoints.create("t1", `${base}/gone`, []);
    await endpoints.create("t2", `${base}/hook`, []); // another tenant: must not receive t1's events

    assert.equal((await emitWebhookEvent(redis, "t1", "job.queued", { jobId: "j0" })).length, 1);
    assert.equal((await emitWebhookEvent(redis, "t1", "job.completed", { jobId: "j1" })).length, 2);
    const dispatcher = new WebhookDispatcher(redis, {
      policy: { allowLoopback: true, allowHttp: true },
      retryDelaysMs: [30],
    });
    await dispatcher.tick();
    await new Promise((r) => setTimeout(r, 50));
    await dispatcher.tick();

    assert.equal(received.length, 2); // 500 then 200, same message id
    assert.equal(received[0].headers.get("webhook-id"), received[1].headers.get("webhook-id"));
    const verified = new Webhook(ok.secret).verify(received[1].body, {
      "webhook-id": received[1].headers.get("webhook-id")!,
      "webhook-timestamp": received[1].headers.get("webhook-timestamp")!,
      "webhook-signature": received[1].headers.get("webhook-signature")!,
    }) as { type: string; data: { jobId: string } };
    assert.equal(verified.type, "job.completed");
    assert.equal(verified.data.jobId, "j1");
    assert.throws(() =>
      new Webhook(gone.secret).verify(received[1].body, {
        "webhook-id": received[1].headers.get("webhook-id")!,
        "webhook-timestamp": received[1].headers.get("webhook-timestamp")!,
        "webhook-signature": received[1].headers.get("webhook-signature")!,
      })
    );

    assert.equal((await endpoints.get("t1", gone.id))?.enabled, false);
    const log = await listDeliveries(redis, "t1", ok.id);
    assert.deepEqual(log[0].attempts.map((a) => a.status), [500, 200]);
    assert.equal(log[0].status, "delivered");
    assert.equal((await listDeliveries(redis, "t2")).length, 0);

    // A manual replay sends the same message id once more.
    assert.equal((await replayDelivery(redis, "t1", log[0].id))?.status, "pending");
    assert.equal(await replayDelivery(redis, "t2", log[0].id), undefined);
    await dispatcher.tick();
    assert.equal(received.length, 3);
    assert.equal(received[2].headers.get("webhook-id"), log[0].id);
    const [replayed] = await listDeliveries(redis, "t1", ok.id);
    assert.deepEqual(replayed.attempts.map((a) => a.status), [500, 200, 200]);
    assert.equal(replayed.status, "delivered");

    // Without the loopback allowance the same target is refused at send time and logged.
    await emitWebhookEvent(redis, "t1", "job.completed", { jobId: "j2" });
    await new WebhookDispatcher(redis, { retryDelaysMs: [10_000] }).tick();
    const [latest] = await listDeliveries(redis, "t1", ok.id);
    assert.equal(latest.attempts[0].status, 0);
    assert.match(latest.attempts[0].error ?? "", /https|loopback/);
    assert.equal(latest.status, "pending");
  } finally {
    await receiver.shutdown();
    await redis.close();
    await server.stop();
  }
});
