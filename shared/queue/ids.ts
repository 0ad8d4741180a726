/** A new random id with a readable prefix, e.g. `job_3f9c…` (96 bits: unguessable across tenants). */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `${prefix}_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
