/** The test-only TLS material of `./README.md`, read from this folder. */
export interface TestTls {
  /** The root the dispatcher is told to trust (`TargetPolicy.caCerts`). */
  caCert: string;
  /** Leaf certificate and key for `hooks.example.test`, for `Deno.serve`. */
  cert: string;
  key: string;
  hostname: "hooks.example.test";
}

/** Reads the test CA and the receiver's certificate and key. */
export async function testTls(): Promise<TestTls> {
  const read = (name: string) => Deno.readTextFile(new URL(name, import.meta.url));
  return {
    caCert: await read("./ca.pem"),
    cert: await read("./receiver.pem"),
    key: await read("./receiver.key"),
    hostname: "hooks.example.test",
  };
}
