import assert from "node:assert/strict";
import { adminToken, api, createTenant, startService } from "./harness.ts";

Deno.test("admin: keys are listed and revoked; unknown admin paths answer 404", async () => {
  const service = await startService();
  try {
    const { tenant, key } = await createTenant(service);
    const admin = (path: string, method = "GET") =>
      fetch(`${service.base}/v1/admin${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}` },
      });
    const listed = await (await admin(`/tenants/${tenant.id}/keys`)).json();
    assert.equal(listed.keys.length, 1);
    assert.equal(listed.keys[0].key, undefined, "the key itself is never shown again");
    assert.equal((await api(service, key, "/v1/jobs")).status, 200);

    const revoked = await admin(`/tenants/${tenant.id}/keys/${listed.keys[0].id}`, "DELETE");
    assert.equal(revoked.status, 204);
    assert.equal((await api(service, key, "/v1/jobs")).status, 401);
    assert.equal((await (await admin(`/tenants/${tenant.id}/keys`)).json()).keys.length, 0);

    const unknown = await admin("/no-such-thing");
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json()).error.message, /no route GET \/v1\/admin\/no-such-thing/);
  } finally {
    await service.close();
  }
});
