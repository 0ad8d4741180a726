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
    ]
  ) {
    assert.ok(blockedReason(ip), ip);
  }
  assert.equal(blockedReason("127.0.0.1"), "loopback");
  assert.equal(blockedReason("::1"), "loopback");
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
  await checkWebhookTarget("http://127.0.0.1:1/x", { allowLoopback: true, allowHttp: true });
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
